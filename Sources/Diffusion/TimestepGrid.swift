/// The inference timestep grids of diffusers 0.21.4.
enum TimestepGrid {
    /// "leading" spacing (DDPM, DDIM; docs/python-reference.md §5.4): multiples of T // n from (n − 1)·(T // n) down to
    /// 0, shifted by `offset`.
    static func leading(steps n: Int, trainTimesteps: Int, offset: Int) throws -> [Int] {
        guard n >= 1, n <= trainTimesteps else { throw SchedulerError.stepCount(n, max: trainTimesteps) }
        let ratio = trainTimesteps / n
        return (0..<n).reversed().map { $0 * ratio + offset }
    }

    /// "linspace" spacing as DPM-Solver++ uses it: n + 1 evenly spaced points over [0, T − 1],
    /// rounded half to even, from the top, without the final 0; repeats are dropped (keeping the
    /// first), so a large n can give fewer than n steps.
    static func linspaceWithoutZero(steps n: Int, trainTimesteps: Int) throws -> [Int] {
        guard n >= 1, n <= trainTimesteps else { throw SchedulerError.stepCount(n, max: trainTimesteps) }
        // numpy.linspace computes start + i·step with step = (stop − start) / (count − 1), in float64.
        let spacing = Double(trainTimesteps - 1) / Double(n)
        let points = (0...n).map { i in i == n ? Double(trainTimesteps - 1) : Double(i) * spacing }
        let rounded = points.map { Int($0.rounded(.toNearestOrEven)) }
        var seen = Set<Int>()
        return rounded.reversed().dropLast().filter { seen.insert($0).inserted }
    }
}
