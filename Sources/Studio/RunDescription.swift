import Evaluation
import Foundation
import ModelCard
import Training

/// What the page shows of a run: its model, classes (names and palette colours), mask encoding,
/// training progress and last loss, as JSON. Read from the run's files only; nothing is loaded.
enum RunDescription {
    static func json(_ run: RunCatalog.Run) -> [String: Any] {
        var object: [String: Any] = ["id": run.id, "name": run.relative.isEmpty ? (run.path as NSString).lastPathComponent : run.relative]
        let spec: RunSpec
        do {
            spec = try RunSpec.saved(in: RunFolder(run.path), request: RunSpecRequest())
        } catch {
            object["error"] = "\(error)"
            return object
        }
        let card = spec.card
        object["image_size"] = spec.unet.sampleSize ?? NSNull()
        object["image_channels"] = spec.unet.outChannels
        object["block_out_channels"] = spec.unet.blockOutChannels
        object["layers_per_block"] = spec.unet.layersPerBlock
        object["parameters"] = parameterCount(run.path + "/unet/diffusion_pytorch_model.safetensors") ?? NSNull()
        object["mdformer"] = card.mdformer?.variant.rawValue ?? "none"
        object["guided"] = spec.guided
        object["mask_encoding"] = card.maskEncoding.rawValue
        object["channel_mode"] = card.segmentationChannelMode.rawValue
        object["seg_types"] = card.segTypes
        object["normalization"] = card.normalization.description
        object["cfg_p_uncond"] = card.cfgPUncond ?? 0
        object["prediction"] = spec.prediction.rawValue
        object["scheduler"] = spec.scheduler.kind.rawValue
        object["default_sampler"] = spec.defaultSampler.rawValue
        object["classes"] = classes(card)
        object["steps"] = trainingSteps(run.path) ?? card.globalStep ?? NSNull()
        object["last_loss"] = lastLoss(run.path + "/logs/train.log") ?? NSNull()
        object["editable"] = editable(spec)
        return object
    }

    /// Why the studio's editor cannot condition this run, or nil when it can: the editor paints one
    /// label map, which is the model's condition in `single` channel mode.
    static func editable(_ spec: RunSpec) -> Bool {
        spec.guided && spec.card.segmentationChannelMode == .single && spec.card.numSegmentationClasses >= 2
    }

    /// Each class with its name (the card's, else "class k") and its palette colour.
    static func classes(_ card: ModelCard) -> [[String: Any]] {
        let count = max(card.numSegmentationClasses, 0)
        return (0..<count).map { label in
            let colour = MaskPalette.colour(label)
            let name = card.classNames.flatMap { $0.indices.contains(label) ? $0[label] : nil }
                ?? (label == 0 ? "background" : "class \(label)")
            return ["label": label, "name": name,
                    "colour": String(format: "#%02x%02x%02x", colour.red, colour.green, colour.blue)]
        }
    }

    /// training_state/state.json's global step.
    static func trainingSteps(_ run: String) -> Int? {
        guard let data = FileManager.default.contents(atPath: run + "/training_state/state.json"),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return object["global_step"] as? Int
    }

    /// The loss of the last `loss X` line of train.log; only the file's tail is read.
    static func lastLoss(_ path: String) -> Double? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: size > 8192 ? size - 8192 : 0)
        let tail = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        for line in tail.split(separator: "\n").reversed() {
            let words = line.split(whereSeparator: \.isWhitespace)
            if let index = words.firstIndex(of: "loss"), index + 1 < words.count, let value = Double(words[index + 1]) {
                return value
            }
        }
        return nil
    }

    /// The weights' element count, from the safetensors header alone.
    static func parameterCount(_ path: String) -> Int? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let prefix = try? handle.read(upToCount: 8), prefix.count == 8 else { return nil }
        let length = prefix.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard length < 64 << 20, let header = try? handle.read(upToCount: Int(length)),
              let object = try? JSONSerialization.jsonObject(with: header) as? [String: Any] else { return nil }
        return object.values.compactMap { ($0 as? [String: Any])?["shape"] as? [Int] }.reduce(0) { $0 + $1.reduce(1, *) }
    }
}
