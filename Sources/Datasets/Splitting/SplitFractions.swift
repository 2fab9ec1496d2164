/// The shares of train, val and test, normalised to sum 1 when used.
public struct SplitFractions: Equatable, Sendable {
    public var train: Double
    public var val: Double
    public var test: Double

    public init(train: Double, val: Double, test: Double) {
        self.train = train
        self.val = val
        self.test = test
    }

    public static let standard = SplitFractions(train: 0.8, val: 0.1, test: 0.1)

    /// Why these fractions cannot be used, or nil.
    public var problem: String? {
        let all = [train, val, test]
        guard all.allSatisfy({ $0.isFinite && $0 >= 0 }), all.reduce(0, +) > 0 else {
            return "--split fractions \(train),\(val),\(test) must be finite, 0 or more and not all 0 (for example 0.8,0.1,0.1)"
        }
        return nil
    }

    public func fraction(of split: Split) -> Double {
        let total = train + val + test
        switch split {
        case .train: return train / total
        case .val: return val / total
        case .test: return test / total
        }
    }

    /// The splits with a share above 0, in train, val, test order.
    public var asked: [Split] { Split.allCases.filter { fraction(of: $0) > 0 } }

    /// How many of `units` interchangeable units (volumes, slices) each split gets: rounded shares,
    /// with at least one unit for every split asked for when there are enough to go round.
    func counts(units: Int) -> [Split: Int] {
        var val = Int((Double(units) * fraction(of: .val)).rounded())
        var test = Int((Double(units) * fraction(of: .test)).rounded())
        if units >= asked.count {
            if val == 0 && self.val > 0 { val = 1 }
            if test == 0 && self.test > 0 { test = 1 }
            if train > 0 && units - val - test < 1 { if val >= test { val -= 1 } else { test -= 1 } }
        }
        while val + test > units { if val >= test { val -= 1 } else { test -= 1 } }
        return [.train: units - val - test, .val: val, .test: test]
    }
}
