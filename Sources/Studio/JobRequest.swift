import Datasets
import Foundation
import Torch
import Training

/// One generation the page asks for, checked before it is queued: the run, the painted mask at the
/// model's size with classes the model knows, the sampler and its settings, the seeds (one image
/// each, shown side by side), and for translation the real image and strength.
struct JobRequest: @unchecked Sendable {
    enum Mode: String { case generate, translate }

    let run: RunCatalog.Run
    let mode: Mode
    /// [1, 1, S, S] int64.
    let labels: Tensor
    let sampler: SamplerChoice
    let steps: Int
    let guidanceScale: Double
    let seeds: [UInt64]
    let strength: Double
    /// The real image to translate (a resolved path in the data folder).
    let image: String?
    let imageName: String?
    /// The model's class count, for the palette.
    let classes: Int

    static let maximumSeeds = 8
    static let maximumSteps = 1000

    /// Parses and checks the JSON body of POST /api/jobs.
    static func parse(_ body: Data, catalog: RunCatalog, data: DataCatalog?) throws -> JobRequest {
        guard let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] else {
            throw StudioError.badRequest("the body is not a JSON object")
        }
        guard let runID = object["run"] as? String else { throw StudioError.badRequest("\"run\" missing: name a run id from /api/runs") }
        let run = try catalog.run(runID)
        let spec: RunSpec
        do {
            spec = try RunSpec.saved(in: RunFolder(run.path), request: RunSpecRequest())
        } catch {
            throw StudioError.badRequest("\(error)")
        }
        guard RunDescription.editable(spec) else {
            throw StudioError.badRequest("run \(runID) is not conditioned on one label map (unguided or multi channel mode); the studio edits single-mode guided runs")
        }
        guard let size = spec.unet.sampleSize, size > 0, size <= MaskImages.maximumSide else {
            throw StudioError.badRequest("run \(runID): unet/config.json has no usable sample_size")
        }
        let modeName = object["mode"] as? String ?? "generate"
        guard let mode = Mode(rawValue: modeName) else { throw StudioError.badRequest("mode \"\(modeName.prefix(40))\" is neither generate nor translate") }
        let labels = try MaskImages.labels(from: object["mask"], size: size, classes: spec.card.numSegmentationClasses)
        let sampler: SamplerChoice
        if let name = object["sampler"] as? String {
            guard let choice = SamplerChoice(rawValue: name) else { throw StudioError.badRequest("sampler \"\(name.prefix(40))\" is not one of ddpm, ddim, dpmpp") }
            sampler = choice
        } else {
            sampler = spec.defaultSampler
        }
        let steps = try integer(object["steps"], name: "steps", default: min(sampler.defaultSteps, 50), range: 1...maximumSteps)
        let guidance = try number(object["guidance_scale"], name: "guidance_scale", default: 0, range: 0...50)
        let strength = try number(object["strength"], name: "strength", default: 0.5, range: 0...1)
        let seedValues = object["seeds"] as? [Any] ?? [0]
        guard (1...maximumSeeds).contains(seedValues.count) else {
            throw StudioError.badRequest("seeds: give 1 to \(maximumSeeds) seeds")
        }
        let seeds = try seedValues.map { value -> UInt64 in
            guard let seed = value as? Int, seed >= 0 else { throw StudioError.badRequest("seeds: \(value) is not a non-negative integer") }
            return UInt64(seed)
        }
        var image: String?
        var imageName: String?
        if mode == .translate {
            guard let data else { throw StudioError.badRequest("translation needs the studio started with --data") }
            guard let id = object["image"] as? String, id.hasPrefix("data:") else {
                throw StudioError.badRequest("translation needs \"image\": a data:… id from /api/data")
            }
            image = try data.folder.resolve(String(id.dropFirst(5)))
            imageName = (id as NSString).lastPathComponent
            guard ImageFile.extensions.contains((image! as NSString).pathExtension.lowercased()) else {
                throw StudioError.badRequest("\(id.prefix(80)): not an image file")
            }
        }
        return JobRequest(run: run, mode: mode, labels: labels.unsqueezed(0), sampler: sampler, steps: steps,
                          guidanceScale: guidance, seeds: seeds, strength: strength, image: image, imageName: imageName,
                          classes: spec.card.numSegmentationClasses)
    }

    private static func integer(_ value: Any?, name: String, default fallback: Int, range: ClosedRange<Int>) throws -> Int {
        guard let value, !(value is NSNull) else { return fallback }
        guard let number = value as? Int, range.contains(number) else {
            throw StudioError.badRequest("\(name) must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    private static func number(_ value: Any?, name: String, default fallback: Double, range: ClosedRange<Double>) throws -> Double {
        guard let value, !(value is NSNull) else { return fallback }
        guard let number = value as? Double, number.isFinite, range.contains(number) else {
            throw StudioError.badRequest("\(name) must be a number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    /// What the job list shows.
    var summary: [String: Any] {
        ["run": run.id, "mode": mode.rawValue, "sampler": sampler.rawValue, "steps": steps, "guidance_scale": guidanceScale,
         "seeds": seeds.map { Int($0) }, "strength": strength, "image": imageName ?? NSNull()]
    }
}
