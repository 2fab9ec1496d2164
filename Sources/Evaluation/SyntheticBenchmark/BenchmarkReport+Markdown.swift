import Foundation

/// results.md: the table a reader looks at first, the control's line and the arms' notes.
extension BenchmarkReport {
    public var markdown: String {
        let classHeaders = (1..<classes).map { "class \($0)" }
        var lines = [
            "# Synthetic data benchmark",
            "",
            "Test Dice on the real test split (\(inputs.realTestCount) images; epoch chosen on real val), mean ± 95% t-interval half-width over \(seeds.count) seed\(seeds.count == 1 ? "" : "s") (\(seeds.map(String.init).joined(separator: ", "))). Real training pairs: \(inputs.realTrain.count); synthetic pairs: \(inputs.synthetic?.pairs.count ?? 0).",
            "",
            "| arm | trains on | real | synthetic | mean Dice | " + classHeaders.joined(separator: " | ") + " | verdict |",
            "|---|---|---|---|---|" + classHeaders.map { _ in "---|" }.joined() + "---|",
        ]
        for summary in arms {
            let run = summary.runs.first
            let cells = [summary.arm.rawValue, summary.arm.description, "\(run?.realPairs ?? 0)", syntheticCell(summary),
                         summary.dice.formatted()] + summary.perClass.map { $0.formatted() } + [verdictLine(summary)]
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        lines += ["", controlSentence, ""]
        let notes = arms.compactMap { s in s.runs.first?.note.map { "- \(s.arm.rawValue): \($0)" } }
        if !notes.isEmpty { lines += ["Notes:"] + notes + [""] }
        return lines.joined(separator: "\n")
    }

    /// The synthetic count, as a range when it differs between seeds (the low-data arms).
    private func syntheticCell(_ summary: ArmSummary) -> String {
        let counts = summary.runs.map(\.syntheticPairs)
        guard let low = counts.min(), let high = counts.max() else { return "0" }
        return low == high ? "\(low)" : "\(low)-\(high)"
    }
}
