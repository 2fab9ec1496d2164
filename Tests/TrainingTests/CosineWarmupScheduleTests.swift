import Foundation
import TestSupport
import Testing
@testable import Training

@Suite struct CosineWarmupScheduleTests {
    /// The shape of lr_schedule.json: the rate diffusers + PyTorch used at chosen optimizer steps.
    struct Reference: Decodable {
        let base_lr: Double
        let warmup: Int
        let total: Int
        let lr_at_step: [String: Double]
    }

    @Test func everyStepOfTheReferenceFile() throws {
        for url in try Fixtures.files(named: "lr_schedule.json") {
            let name = Fixtures.describe(url)
            let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
            let schedule = CosineWarmupSchedule(baseLearningRate: reference.base_lr, warmupSteps: reference.warmup,
                                                totalSteps: reference.total)
            #expect(reference.lr_at_step.count >= 10, "\(name)")
            for (key, expected) in reference.lr_at_step {
                let step = try #require(Int(key), "\(name)")
                let lr = schedule.learningRate(atStep: step)
                // Same float64 operations in the same order as diffusers: equal, not merely close.
                #expect(lr == expected, "\(name): step \(step): \(lr) vs \(expected)")
            }
        }
    }

    /// docs/python-reference.md §A.9 and the example of docs/python-reference.md §6.1 (N_train = 1000, batch 16, 400 epochs).
    @Test func specValues() {
        let total = 25200
        let schedule = CosineWarmupSchedule(baseLearningRate: 1e-4, warmupSteps: 500, totalSteps: total)
        #expect(schedule.factor(atStep: 0) == 0)
        #expect(schedule.factor(atStep: 250) == 0.5)
        #expect(schedule.factor(atStep: 500) == 1)
        #expect(abs(schedule.factor(atStep: total)) < 1e-15)
        #expect(abs(schedule.learningRate(atStep: 1) - 2e-7) < 1e-20)
        #expect(abs(schedule.learningRate(atStep: 12600) - 5.159e-5) < 5e-9)
    }

    @Test func risesThenFallsToZero() {
        let schedule = CosineWarmupSchedule(baseLearningRate: 1, warmupSteps: 10, totalSteps: 100)
        let factors = (0...100).map { schedule.factor(atStep: $0) }
        #expect(zip(factors[0...10], factors[1...10]).allSatisfy { $0 < $1 })
        #expect(zip(factors[10...], factors[11...]).allSatisfy { $0 > $1 })
        #expect(factors.allSatisfy { $0 >= 0 && $0 <= 1 })
    }
}
