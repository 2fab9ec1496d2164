import Foundation
import Torch
import Training

/// What one arm x seed run left in OUT/runs/<arm>/seed-<s>/result.json. The file is written last,
/// in one piece, so its presence means the run finished: a rerun skips it.
public struct ArmRunResult: Codable, Sendable {
    public var arm: BenchmarkArm
    public var seed: UInt64
    /// Mean test Dice over classes 1..K-1 (of the epoch chosen on real val).
    public var testDice: Double?
    public var testDicePerClass: [Double?]
    public var testImages: Int
    public var validationDice: Double?
    public var bestEpoch: Int
    public var realPairs: Int
    public var syntheticPairs: Int
    public var syntheticAvailable: Int
    public var note: String?
    public var seconds: Double
    /// Every training pair: image file and mask files (one per seg type), so the set can be checked.
    public var trainingPairs: [TrainingPair]

    public struct TrainingPair: Codable, Sendable, Equatable {
        public var image: String
        public var masks: [String]
    }

    enum CodingKeys: String, CodingKey {
        case arm, seed, note, seconds
        case testDice = "test_dice", testDicePerClass = "test_dice_per_class", testImages = "test_images"
        case validationDice = "val_dice", bestEpoch = "best_epoch", realPairs = "real_pairs", syntheticPairs = "synthetic_pairs"
        case syntheticAvailable = "synthetic_available", trainingPairs = "training_pairs"
    }

    public static let fileName = "result.json"

    static func folder(_ output: URL, arm: BenchmarkArm, seed: UInt64) -> URL {
        output.appendingPathComponent("runs/\(arm.rawValue)/seed-\(seed)")
    }

    static func read(_ url: URL) throws -> ArmRunResult {
        do {
            return try JSONDecoder().decode(ArmRunResult.self, from: Data(contentsOf: url))
        } catch {
            throw UsageError("\(url.path) cannot be read (\(error)); delete it and run again to redo that run")
        }
    }

    func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(self)
        data.append(0x0A)
        try AtomicFile.write(data, to: url.path)
    }
}
