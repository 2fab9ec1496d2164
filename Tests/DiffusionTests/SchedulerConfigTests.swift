import Foundation
import Testing
import TestSupport
import Torch
@testable import Diffusion

@Suite struct SchedulerConfigTests {
    /// What diffusers 0.21.4 writes for DDPMScheduler(num_train_timesteps=1000).save_config(...).
    static let diffusersDDPM = """
        {
          "_class_name": "DDPMScheduler",
          "_diffusers_version": "0.21.4",
          "beta_end": 0.02,
          "beta_schedule": "linear",
          "beta_start": 0.0001,
          "clip_sample": true,
          "clip_sample_range": 1.0,
          "dynamic_thresholding_ratio": 0.995,
          "num_train_timesteps": 1000,
          "prediction_type": "epsilon",
          "sample_max_value": 1.0,
          "steps_offset": 0,
          "thresholding": false,
          "timestep_spacing": "leading",
          "trained_betas": null,
          "variance_type": "fixed_small"
        }

        """

    /// The same for DDIMScheduler.
    static let diffusersDDIM = """
        {
          "_class_name": "DDIMScheduler",
          "_diffusers_version": "0.21.4",
          "beta_end": 0.02,
          "beta_schedule": "linear",
          "beta_start": 0.0001,
          "clip_sample": true,
          "clip_sample_range": 1.0,
          "dynamic_thresholding_ratio": 0.995,
          "num_train_timesteps": 1000,
          "prediction_type": "epsilon",
          "rescale_betas_zero_snr": false,
          "sample_max_value": 1.0,
          "set_alpha_to_one": true,
          "steps_offset": 0,
          "thresholding": false,
          "timestep_spacing": "leading",
          "trained_betas": null
        }

        """

    @Test func writesDiffusersFilesByteForByte() {
        #expect(SchedulerConfig(kind: .ddpm).jsonText == Self.diffusersDDPM)
        #expect(SchedulerConfig(kind: .ddim).jsonText == Self.diffusersDDIM)
    }

    @Test func readsDiffusersFiles() throws {
        let ddpm = try SchedulerConfig.decode(Data(Self.diffusersDDPM.utf8))
        #expect(ddpm == SchedulerConfig(kind: .ddpm))
        #expect(try ddpm.makeScheduler() is DDPMScheduler)
        let ddim = try SchedulerConfig.decode(Data(Self.diffusersDDIM.utf8))
        #expect(ddim == SchedulerConfig(kind: .ddim))
        #expect(try ddim.makeScheduler() is DDIMScheduler)
    }

    @Test func roundTripsThroughAFolder() throws {
        let folder = TemporaryFolder()
        var config = SchedulerConfig(kind: .ddim)
        config.stepsOffset = 1
        config.clipSample = false
        config.betaEnd = 0.012
        try config.save(toDirectory: folder.path)
        let text = try String(contentsOfFile: folder.path + "/scheduler_config.json", encoding: .utf8)
        #expect(text.contains("\"beta_end\": 0.012,\n") && text.contains("\"steps_offset\": 1,\n"))
        #expect(try SchedulerConfig.load(fromDirectory: folder.path) == config)
    }

    @Test func missingKeysTakeDiffusersDefaults() throws {
        let config = try SchedulerConfig.decode(Data(#"{"_class_name": "DDIMScheduler", "num_train_timesteps": 500}"#.utf8))
        var expected = SchedulerConfig(kind: .ddim)
        expected.trainTimesteps = 500
        #expect(config == expected)
        #expect(config.schedule.alphaBars.count == 500)
    }

    @Test func unsupportedSettingsAreReportedByKey() throws {
        let cases: [(String, String)] = [
            (#"{"_class_name": "DDPMScheduler", "beta_schedule": "scaled_linear"}"#, "beta_schedule"),
            (#"{"_class_name": "DDPMScheduler", "prediction_type": "sample"}"#, "prediction_type"),
            (#"{"_class_name": "DDPMScheduler", "variance_type": "fixed_large"}"#, "variance_type"),
            (#"{"_class_name": "DDIMScheduler", "timestep_spacing": "trailing"}"#, "timestep_spacing"),
            (#"{"_class_name": "DDIMScheduler", "thresholding": true}"#, "thresholding"),
            (#"{"_class_name": "DDIMScheduler", "trained_betas": [0.1, 0.2]}"#, "trained_betas"),
            (#"{"_class_name": "PNDMScheduler"}"#, "_class_name"),
            (#"{"_class_name": "DDIMScheduler", "steps_offset": "one"}"#, "steps_offset"),
            // Numbers no schedule can have: refused while parsing, before a table is allocated.
            (#"{"_class_name": "DDIMScheduler", "num_train_timesteps": 1000000000000}"#, "num_train_timesteps"),
            (#"{"_class_name": "DDIMScheduler", "num_train_timesteps": 1e300}"#, "num_train_timesteps"),
            (#"{"_class_name": "DDPMScheduler", "beta_start": -0.1}"#, "beta_start"),
            (#"{"_class_name": "DDPMScheduler", "beta_end": 1e300}"#, "beta_end"),
            (#"{"_class_name": "DDPMScheduler", "beta_start": 0.5, "beta_end": 0.1}"#, "beta_start"),
            (#"{"_class_name": "DDIMScheduler", "clip_sample_range": -1}"#, "clip_sample_range"),
            (#"{"_class_name": "DDIMScheduler", "steps_offset": 5000}"#, "steps_offset"),
        ]
        for (json, key) in cases {
            #expect {
                _ = try SchedulerConfig.decode(Data(json.utf8)).makeScheduler()
            } throws: { error in
                (error as? SchedulerError)?.message.contains(key) == true
            }
        }
    }

    @Test func aMissingFileNamesThePath() {
        #expect {
            _ = try SchedulerConfig.load(fromDirectory: "/nonexistent/scheduler")
        } throws: { error in
            (error as? SchedulerError)?.message.contains("/nonexistent/scheduler/scheduler_config.json") == true
        }
    }

    @Test func aConfigOfTheOtherClassIsRefused() {
        #expect(throws: SchedulerError.self) { try DDPMScheduler(config: SchedulerConfig(kind: .ddim)) }
        #expect(throws: SchedulerError.self) { try DDIMScheduler(config: SchedulerConfig(kind: .ddpm)) }
    }
}
