import Testing
import Torch
@testable import Diffusion

@Suite struct TimestepGridTests {
    /// Every `ddpm_timesteps_N` and `ddim_timesteps_N` of each fixture root.
    @Test func leadingGridsMatchDiffusers() throws {
        for file in try FixtureFiles.schedulers() {
            let makers: [(String, () -> any Scheduler)] = [("ddpm", { DDPMScheduler() }), ("ddim", { DDIMScheduler() })]
            for (name, make) in makers {
                let counts = file.numbers(between: "\(name)_timesteps_")
                #expect(counts.count >= 4, "\(file.path): \(name) grids in the fixture")
                for n in counts {
                    let scheduler = make()
                    try scheduler.setTimesteps(n)
                    #expect(scheduler.timesteps == ints(try file.required("\(name)_timesteps_\(n)")), "\(file.path): \(name) n = \(n)")
                }
            }
        }
    }

    /// Appendix A.2.
    @Test func specGrids() throws {
        let ddim = DDIMScheduler()
        try ddim.setTimesteps(50)
        #expect(ddim.timesteps == (0..<50).map { 980 - 20 * $0 })
        let ddpm = DDPMScheduler()
        try ddpm.setTimesteps(1000)
        #expect(ddpm.timesteps == Array((0...999).reversed()))
    }

    @Test func tooManyOrTooFewStepsAreErrors() {
        let schedulers: [any Scheduler] = [DDPMScheduler(), DDIMScheduler(), DPMSolverMultistepScheduler()]
        for scheduler in schedulers {
            #expect(throws: SchedulerError.self) { try scheduler.setTimesteps(1001) }
            #expect(throws: SchedulerError.self) { try scheduler.setTimesteps(0) }
        }
    }

    @Test func stepsOffsetShiftsTheLeadingGrid() throws {
        var config = SchedulerConfig(kind: .ddim)
        config.stepsOffset = 1
        let scheduler = try DDIMScheduler(config: config)
        try scheduler.setTimesteps(10)
        #expect(scheduler.timesteps == [901, 801, 701, 601, 501, 401, 301, 201, 101, 1])
    }

    /// DPM-Solver++'s "linspace" grids, including the large step counts whose rounding repeats.
    @Test func linspaceGridsMatchDiffusers() throws {
        let file = try FixtureFiles.dpmpp()
        let counts = file.numbers(between: "timesteps_")
        #expect(counts.contains(1000) && counts.contains(14) && counts.contains(15))
        for n in counts {
            let scheduler = DPMSolverMultistepScheduler()
            try scheduler.setTimesteps(n)
            #expect(scheduler.timesteps == ints(try file.required("timesteps_\(n)")), "n = \(n)")
        }
    }
}
