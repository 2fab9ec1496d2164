import Foundation

/// results.json: every number of the table with its interval, the counts and the verdicts.
extension BenchmarkReport {
    public var json: [String: Any] {
        let armEntries: [[String: Any]] = arms.map { summary in
            let run = summary.runs.first
            var entry: [String: Any] = [
                "arm": summary.arm.rawValue, "description": summary.arm.description,
                "seeds": summary.runs.map { NSNumber(value: $0.seed) },
                "test_dice": summary.dice.json, "test_dice_per_class": summary.perClass.map(\.json),
                "real_pairs": run?.realPairs ?? 0, "synthetic_pairs": run?.syntheticPairs ?? 0,
                "synthetic_available": run?.syntheticAvailable ?? 0,
                "synthetic_pairs_per_seed": summary.runs.map(\.syntheticPairs),
                "verdict": verdictLine(summary),
                "mean_seconds_per_run": TInterval(summary.runs.map(\.seconds)).mean ?? NSNull(),
            ]
            if let note = run?.note { entry["note"] = note }
            if let real = summary.versusRealOnly { entry["vs_real_only"] = real.json }
            if let own = summary.versusBaseline, let base = summary.arm.baseline { entry["vs_\(base.rawValue)"] = own.json }
            return entry
        }
        return [
            "evaluated_on": "real test split (\(inputs.realTestCount) images); each run's epoch chosen by Dice on the real val split (\(inputs.realValCount) images)",
            "interval": "95% Student-t interval over seeds; verdicts from the paired per-seed differences",
            "seeds": seeds.map { NSNumber(value: $0) }, "classes": classes, "real_train_pairs": inputs.realTrain.count,
            "synthetic_pairs": inputs.synthetic?.pairs.count ?? 0, "settings": settings,
            "control": ["passed": controlPassed.map { $0 as Any } ?? NSNull(), "sentence": controlSentence],
            "training_seconds": arms.flatMap(\.runs).reduce(0) { $0 + $1.seconds },
            "arms": armEntries,
        ]
    }
}
