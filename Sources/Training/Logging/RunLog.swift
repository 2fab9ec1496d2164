import Foundation
import Torch
import Datasets

/// A run's logs under `logs/`: TensorBoard scalars and images, and a plain-text `train.log`
/// (the per-epoch lines, also printed when the output is not a terminal).
final class RunLog {
    private let tensorBoard: TensorBoardWriter
    private let text: FileHandle?
    private let textPath: String
    private var warned = false

    init(folder: RunFolder) throws {
        tensorBoard = try TensorBoardWriter(directory: folder.logs.path)
        let path = folder.logs.appendingPathComponent("train.log").path
        textPath = path
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        text = FileHandle(forWritingAtPath: path)
        _ = try? text?.seekToEnd()
    }

    deinit { try? text?.close() }

    func scalars(_ values: [String: Double], step: Int) {
        for (tag, value) in values.sorted(by: { $0.key < $1.key }) { tensorBoard.scalar(tag, value, step: step) }
    }

    func image(_ tag: String, grid: Tensor, step: Int) {
        guard let png = try? PixelCodec.encodePNG(grid) else { return }
        tensorBoard.image(tag, png: [UInt8](png), width: grid.shape[2], height: grid.shape[1], channels: grid.shape[0], step: step)
    }

    func line(_ message: String) {
        let stamped = "\(ISO8601DateFormatter().string(from: Date()))  \(message)\n"
        text?.appendLog(Data(stamped.utf8), path: textPath, warned: &warned)
        if isatty(STDERR_FILENO) == 0 { try? FileHandle.standardError.write(contentsOf: Data((message + "\n").utf8)) }
    }
}
