import Datasets
import Foundation
import TestSupport
import Torch

/// Small data sets written to a temporary folder, in the seed's layout:
/// `<root>/images/<split>/NAME` and `<root>/masks/<seg type>/<split>/NAME`.
final class TestDataSet: @unchecked Sendable {
    let folder = TemporaryFolder()
    var root: String { folder.path }
    var images: String { root + "/images" }
    var masks: String { root + "/masks" }

    /// A grey image whose pixels encode the sample number (so batches can be traced to files).
    func addImage(_ split: String, _ name: String, size: Int = 16, value: UInt8? = nil, channels: Int = 1) {
        let fill = Double(value ?? UInt8(truncatingIfNeeded: name.hashValue))
        let samples = (Tensor.full([channels, size, size], fill) + Tensor.arange(0, Double(size), .init(.float32)).reshaped(1, 1, size))
            .clamped(min: 0, max: 255).to(.uint8)
        try! ImageFile.writePNG(samples, to: "\(images)/\(split)/\(name)")
    }

    /// A mask whose labels are 0..<classes in vertical stripes, or all `label`.
    func addMask(_ split: String, _ name: String, type: String = "all", size: Int = 16, classes: Int = 3, label: Int? = nil) {
        let labels: Tensor
        if let label {
            labels = Tensor.full([1, size, size], Double(label), .init(.uint8))
        } else {
            let stripes = (Tensor.arange(0, Double(size), .init(.float32)) * (Double(classes) / Double(size))).floor()
            labels = stripes.reshaped(1, 1, size).expanded(to: [1, size, size]).contiguous().to(.uint8)
        }
        try! ImageFile.writePNG(labels, to: "\(masks)/\(type)/\(split)/\(name)")
    }

    /// `count` image/mask pairs in each listed split.
    static func standard(count: Int = 4, splits: [String] = ["train", "val", "test"], size: Int = 16) -> TestDataSet {
        let data = TestDataSet()
        for split in splits {
            for i in 0..<count {
                let name = String(format: "case_%02d.png", i)
                data.addImage(split, name, size: size, value: UInt8(i * 10))
                data.addMask(split, name, size: size)
            }
        }
        return data
    }

    func options(splits: [Split] = [.train, .val], classes: Int? = 3, channels: Int = 1, size: Int = 32,
                 images: Bool = true) -> DatasetOptions {
        DatasetOptions(imageDirectory: images ? self.images : nil, maskDirectory: masks, splits: splits,
                       imageChannels: channels, segmentationClasses: classes, imageSize: size)
    }

    /// Every file below the root with its modification date, to prove that nothing was written.
    func snapshot() -> [String: Date] {
        var files: [String: Date] = [:]
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let path = enumerator?.nextObject() as? String {
            let attributes = try? FileManager.default.attributesOfItem(atPath: root + "/" + path)
            files[path] = attributes?[.modificationDate] as? Date
        }
        return files
    }

    func write(_ data: Data, to relative: String) {
        let path = root + "/" + relative
        try! FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try! data.write(to: URL(fileURLWithPath: path))
    }

    func remove(_ relative: String) {
        try! FileManager.default.removeItem(atPath: root + "/" + relative)
    }
}
