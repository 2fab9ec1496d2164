import Foundation
import Torch
import Training

/// The benchmark's summary: per arm, test Dice (mean and per class) as a mean with its 95%
/// t-interval over seeds, and verdicts from paired differences against real_only and against the
/// arm's own baseline; whether the shuffled control scored below correctly paired synthetic data.
public struct BenchmarkReport {
    public struct ArmSummary {
        public let arm: BenchmarkArm
        public let runs: [ArmRunResult]
        public let dice: TInterval
        public let perClass: [TInterval]
        /// Against real_only (nil for real_only itself, or when it was not run).
        public let versusRealOnly: BenchmarkVerdict?
        /// Against `arm.baseline` when that is not real_only (low-data mixed arms, the control).
        public let versusBaseline: BenchmarkVerdict?
    }

    public let arms: [ArmSummary]
    public let seeds: [UInt64]
    public let classes: Int
    let inputs: BenchmarkInputs
    let settings: [String: String]

    init(results: [ArmRunResult], arms: [BenchmarkArm], seeds: [UInt64], classes: Int, inputs: BenchmarkInputs, settings: [String: String]) {
        self.seeds = seeds
        self.classes = classes
        self.inputs = inputs
        self.settings = settings
        func bySeed(_ arm: BenchmarkArm) -> [UInt64: Double] {
            Dictionary(results.filter { $0.arm == arm }.compactMap { r in r.testDice.map { (r.seed, $0) } }) { a, _ in a }
        }
        let ran = Set(results.map(\.arm))
        self.arms = arms.map { arm in
            let runs = results.filter { $0.arm == arm }.sorted { $0.seed < $1.seed }
            let perClass = (0..<(classes - 1)).map { k in TInterval(runs.map { $0.testDicePerClass.indices.contains(k) ? $0.testDicePerClass[k] : nil }) }
            let real = arm != .realOnly && ran.contains(.realOnly) ? BenchmarkVerdict(arm: bySeed(arm), baseline: bySeed(.realOnly)) : nil
            let own = arm.baseline.flatMap { base in base != .realOnly && ran.contains(base) ? BenchmarkVerdict(arm: bySeed(arm), baseline: bySeed(base)) : nil }
            return ArmSummary(arm: arm, runs: runs, dice: TInterval(runs.map(\.testDice)), perClass: perClass,
                              versusRealOnly: real, versusBaseline: own)
        }
    }

    /// The control's outcome: the shuffled masks must score below the correctly paired synthetic
    /// pairs, with an interval of the paired difference below 0; else the benchmark cannot tell good
    /// pairs from bad ones and its other verdicts mean little.
    public var controlPassed: Bool? {
        guard let control = arms.first(where: { $0.arm == .shuffledControl })?.versusBaseline,
              control.effect != .undetermined else { return nil }
        return control.effect == .hurts
    }

    public var controlSentence: String {
        guard let control = arms.first(where: { $0.arm == .shuffledControl })?.versusBaseline else {
            return "control not judged: run both shuffled_control and synthetic_only"
        }
        guard controlPassed != nil else { return "control not judged: \(control.sentence)" }
        let difference = String(format: "%+.3f ± %.3f", control.difference.mean ?? 0, control.difference.halfWidth ?? 0)
        if controlPassed == true {
            return "control passed: synthetic images with wrong masks scored below correctly paired ones (\(difference) Dice, paired over seeds), so the benchmark can tell good pairs from bad"
        }
        return "CONTROL FAILED: synthetic images with wrong masks did not score measurably below correctly paired ones (\(difference) Dice, paired over seeds); with these settings the benchmark cannot tell good pairs from bad, so its other verdicts say little: use more seeds or epochs"
    }

    /// The line shown per arm: its verdict against real_only, and against its own baseline.
    func verdictLine(_ summary: ArmSummary) -> String {
        if summary.arm == .realOnly { return "reference" }
        if summary.arm == .shuffledControl {
            let vs = summary.versusBaseline.map { verdict in
                let mean = verdict.difference.mean ?? 0
                return verdict.difference.halfWidth.map { String(format: " (%+.3f ± %.3f vs synthetic_only)", mean, $0) }
                    ?? String(format: " (%+.3f vs synthetic_only, one seed)", mean)
            } ?? ""
            return (controlPassed == true ? "control passed" : controlPassed == false ? "CONTROL FAILED" : "control not judged") + vs
        }
        var parts: [String] = []
        if let real = summary.versusRealOnly { parts.append("vs real_only: \(real.sentence)") }
        if let own = summary.versusBaseline, let base = summary.arm.baseline { parts.append("vs \(base.rawValue): \(own.sentence)") }
        return parts.isEmpty ? "no verdict: real_only was not run" : parts.joined(separator: "; ")
    }

    func write(to output: URL) throws {
        try writeJSON(json, to: output.appendingPathComponent("results.json"))
        try AtomicFile.write(markdown, to: output.appendingPathComponent("results.md").path)
        let plot = BenchmarkPlot(report: self)
        try AtomicFile.write(try plot.png(), to: output.appendingPathComponent("results.png").path)
        try AtomicFile.write(try plot.pdf(), to: output.appendingPathComponent("results.pdf").path)
    }
}
