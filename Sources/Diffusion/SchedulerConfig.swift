import Foundation
import Torch

/// Which diffusers scheduler class a configuration describes.
public enum SchedulerKind: String, Sendable, CaseIterable {
    case ddpm = "DDPMScheduler"
    case ddim = "DDIMScheduler"
}

/// The settings of a DDPM or DDIM scheduler, as diffusers saves them in
/// `scheduler/scheduler_config.json` (docs/python-reference.md §5.2). The defaults are diffusers 0.21.4's, which are what
/// the reference trains with.
///
/// Every key is kept on a round trip, but a scheduler is built only from values segmadiff implements
/// (`validated()` says which); anything else is reported rather than silently sampled differently.
public struct SchedulerConfig: Equatable, Sendable {
    public var kind: SchedulerKind
    public var trainTimesteps = 1000
    public var betaStart = 0.0001
    public var betaEnd = 0.02
    public var betaSchedule = "linear"
    public var clipSample = true
    public var clipSampleRange = 1.0
    public var predictionType = "epsilon"
    public var thresholding = false
    public var dynamicThresholdingRatio = 0.995
    public var sampleMaxValue = 1.0
    public var timestepSpacing = "leading"
    public var stepsOffset = 0
    /// DDPM only.
    public var varianceType = "fixed_small"
    /// DDIM only: whether the step after timestep 0 lands on ᾱ = 1 (else on ᾱ_0).
    public var setAlphaToOne = true
    /// DDIM only.
    public var rescaleBetasZeroSNR = false

    public static let fileName = "scheduler_config.json"
    /// The diffusers release whose format and defaults these files follow.
    public static let diffusersVersion = "0.21.4"

    public init(kind: SchedulerKind) { self.kind = kind }

    /// The noise schedule these settings describe.
    public var schedule: NoiseSchedule {
        NoiseSchedule(trainTimesteps: trainTimesteps, betaStart: betaStart, betaEnd: betaEnd)
    }

    /// A scheduler of the configured class.
    public func makeScheduler() throws -> any Scheduler {
        switch kind {
        case .ddpm: try DDPMScheduler(config: self)
        case .ddim: try DDIMScheduler(config: self)
        }
    }

    /// Throws, naming the key, when a setting asks for behaviour segmadiff does not implement.
    public func validated() throws -> SchedulerConfig {
        func require<T: Equatable>(_ key: String, _ value: T, _ supported: T) throws {
            guard value == supported else {
                throw SchedulerError("\(key) is \(value), but segmadiff supports only \(supported)")
            }
        }
        guard trainTimesteps > 1 else { throw SchedulerError("num_train_timesteps must be at least 2, got \(trainTimesteps)") }
        try require("beta_schedule", betaSchedule, "linear")
        guard PredictionType(rawValue: predictionType) != nil else {
            throw SchedulerError("prediction_type is \(predictionType), but segmadiff supports only epsilon and v_prediction")
        }
        try require("thresholding", thresholding, false)
        try require("timestep_spacing", timestepSpacing, "leading")
        switch kind {
        case .ddpm: try require("variance_type", varianceType, "fixed_small")
        case .ddim: try require("rescale_betas_zero_snr", rescaleBetasZeroSNR, false)
        }
        return self
    }
}

// MARK: - scheduler_config.json

extension SchedulerConfig {
    /// The file's keys in diffusers' form. The class decides which of the class-specific keys appear.
    var jsonEntries: [String: PythonStyleJSON] {
        var entries: [String: PythonStyleJSON] = [
            "_class_name": .string(kind.rawValue),
            "_diffusers_version": .string(Self.diffusersVersion),
            "beta_end": .double(betaEnd),
            "beta_schedule": .string(betaSchedule),
            "beta_start": .double(betaStart),
            "clip_sample": .bool(clipSample),
            "clip_sample_range": .double(clipSampleRange),
            "dynamic_thresholding_ratio": .double(dynamicThresholdingRatio),
            "num_train_timesteps": .int(trainTimesteps),
            "prediction_type": .string(predictionType),
            "sample_max_value": .double(sampleMaxValue),
            "steps_offset": .int(stepsOffset),
            "thresholding": .bool(thresholding),
            "timestep_spacing": .string(timestepSpacing),
            "trained_betas": .null,
        ]
        switch kind {
        case .ddpm:
            entries["variance_type"] = .string(varianceType)
        case .ddim:
            entries["set_alpha_to_one"] = .bool(setAlphaToOne)
            entries["rescale_betas_zero_snr"] = .bool(rescaleBetasZeroSNR)
        }
        return entries
    }

    /// The file's text, byte for byte as diffusers writes it (sorted keys, indent 2, final newline).
    public var jsonText: String { PythonStyleJSON.object(jsonEntries).document }

    /// Writes `directory/scheduler_config.json` atomically.
    public func save(toDirectory directory: String) throws {
        let path = (directory as NSString).appendingPathComponent(Self.fileName)
        try AtomicFile.write(Data(jsonText.utf8), to: path)
    }

    /// Reads `directory/scheduler_config.json`; missing keys take diffusers' defaults.
    public static func load(fromDirectory directory: String) throws -> SchedulerConfig {
        let path = (directory as NSString).appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SchedulerError("\(path) cannot be read")
        }
        do {
            return try decode(data)
        } catch let error as SchedulerError {
            throw SchedulerError("\(path): \(error.message)")
        }
    }

    /// Parses the text of a scheduler_config.json.
    public static func decode(_ data: Data) throws -> SchedulerConfig {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw SchedulerError("not a JSON object")
        }
        let fields = JSONFields(object)
        let className = try fields.string("_class_name") ?? ""
        guard let kind = SchedulerKind(rawValue: className) else {
            let known = SchedulerKind.allCases.map(\.rawValue).joined(separator: " or ")
            throw SchedulerError("_class_name is \"\(className)\", expected \(known)")
        }
        if let betas = object["trained_betas"], !(betas is NSNull) {
            throw SchedulerError("trained_betas is set, but segmadiff supports only the linear beta schedule")
        }
        var config = SchedulerConfig(kind: kind)
        config.trainTimesteps = try fields.int("num_train_timesteps") ?? config.trainTimesteps
        config.betaStart = try fields.double("beta_start") ?? config.betaStart
        config.betaEnd = try fields.double("beta_end") ?? config.betaEnd
        config.betaSchedule = try fields.string("beta_schedule") ?? config.betaSchedule
        config.clipSample = try fields.bool("clip_sample") ?? config.clipSample
        config.clipSampleRange = try fields.double("clip_sample_range") ?? config.clipSampleRange
        config.predictionType = try fields.string("prediction_type") ?? config.predictionType
        config.thresholding = try fields.bool("thresholding") ?? config.thresholding
        config.dynamicThresholdingRatio = try fields.double("dynamic_thresholding_ratio") ?? config.dynamicThresholdingRatio
        config.sampleMaxValue = try fields.double("sample_max_value") ?? config.sampleMaxValue
        config.timestepSpacing = try fields.string("timestep_spacing") ?? config.timestepSpacing
        config.stepsOffset = try fields.int("steps_offset") ?? config.stepsOffset
        config.varianceType = try fields.string("variance_type") ?? config.varianceType
        config.setAlphaToOne = try fields.bool("set_alpha_to_one") ?? config.setAlphaToOne
        config.rescaleBetasZeroSNR = try fields.bool("rescale_betas_zero_snr") ?? config.rescaleBetasZeroSNR
        try config.checkRanges()
        return config
    }

    /// The most training timesteps a file may ask for: diffusers uses 1000; 10^12 would allocate
    /// terabytes of schedule tables before anything else could object.
    public static let maximumTrainTimesteps = 100_000

    /// Numbers that no schedule can have (NaN, infinite or negative betas, absurd step counts),
    /// refused while parsing, before a schedule is built from them.
    func checkRanges() throws {
        guard (2...Self.maximumTrainTimesteps).contains(trainTimesteps) else {
            throw SchedulerError("num_train_timesteps \(trainTimesteps) is outside 2...\(Self.maximumTrainTimesteps) (diffusers uses 1000); fix the file")
        }
        guard betaStart.isFinite, betaEnd.isFinite, betaStart > 0, betaStart <= betaEnd, betaEnd < 1 else {
            throw SchedulerError("beta_start \(betaStart) and beta_end \(betaEnd) must be numbers with 0 < beta_start <= beta_end < 1 (diffusers uses 0.0001 and 0.02); fix the file")
        }
        for (key, value) in [("clip_sample_range", clipSampleRange), ("sample_max_value", sampleMaxValue),
                             ("dynamic_thresholding_ratio", dynamicThresholdingRatio)] where !(value.isFinite && value > 0) {
            throw SchedulerError("\(key) \(value) must be a positive number; fix the file")
        }
        guard (0..<trainTimesteps).contains(stepsOffset) else {
            throw SchedulerError("steps_offset \(stepsOffset) is outside 0..<\(trainTimesteps) (num_train_timesteps); fix the file")
        }
    }
}

/// Typed reads from a parsed JSON object; a key of the wrong type is an error that names it.
private struct JSONFields {
    let object: [String: Any]

    init(_ object: [String: Any]) { self.object = object }

    private func value<T>(_ key: String, as type: String, _ convert: (Any) -> T?) throws -> T? {
        guard let raw = object[key], !(raw is NSNull) else { return nil }
        guard let value = convert(raw) else { throw SchedulerError("\(key) should be \(type), found \(raw)") }
        return value
    }

    func string(_ key: String) throws -> String? { try value(key, as: "a string") { $0 as? String } }
    func bool(_ key: String) throws -> Bool? { try value(key, as: "true or false") { $0 as? Bool } }
    func double(_ key: String) throws -> Double? { try value(key, as: "a number") { ($0 as? NSNumber)?.doubleValue } }

    func int(_ key: String) throws -> Int? {
        try value(key, as: "an integer") { raw in
            // Beyond 2^53 a JSON number is no longer an exact integer, and intValue would wrap.
            guard let number = raw as? NSNumber, number.doubleValue == number.doubleValue.rounded(),
                  abs(number.doubleValue) < 9.0e15 else { return nil }
            return number.intValue
        }
    }
}
