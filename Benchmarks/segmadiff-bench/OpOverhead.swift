import Foundation
import Torch

/// Per-op call overhead: many tiny element-wise ops on a 4-element tensor, where the time is all
/// dispatch and none is arithmetic. bench/op_overhead.py runs the same loop in Python torch.
enum OpOverhead {
    static func run(iterations: Int) -> [String: Any] {
        Engine.threads = 1
        var x = Tensor([1, 2, 3, 4] as [Float])
        let y = Tensor([0.5, 0.5, 0.5, 0.5] as [Float])
        func loop(_ n: Int) {
            for _ in 0..<n {
                x = (x * 0.999 + y).tanh() - y
            }
        }
        loop(iterations / 10)
        let start = DispatchTime.now().uptimeNanoseconds
        loop(iterations)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return ["impl": "swift", "ops": iterations * 4, "us_per_op": seconds / Double(iterations * 4) * 1e6]
    }
}
