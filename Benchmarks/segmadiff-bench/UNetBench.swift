import Foundation
import ModelCard
import Models
import Torch

/// The SegMaDiff U-Net at training and sampling: the same model, batch, noise schedule and step as
/// bench/reference/unet_bench.py, whose JSON keys it prints (train_step_s, unet_eval_s).
enum UNetBench {
    /// With `bf16`, forward and loss run under bf16 autocast (`--mixed_precision bf16`).
    /// `channels`: the U-Net's block_out_channels (default: the full-size model's).
    /// `profile`: a path for a Chrome trace of the timed training steps (bench/profile_table.py).
    static func run(size: Int, batch: Int, steps: Int, threads: Int, bf16: Bool = false,
                    channels: [Int] = [128, 128, 256, 256, 512, 512], profile: String? = nil) -> [String: Any] {
        Engine.threads = threads
        Engine.manualSeed(0)
        let config = UNetConfig.segmadiff(sampleSize: size, inChannels: 2, outChannels: 1, blockOutChannels: channels)
        let model = UNet2DModel(config: config, mdformer: MDFormerConfig(variant: .reference))
        model.setRequiresGrad(true)
        let parameters = model.namedParameters()
        let optimizer = AdamW(parameters)
        let alphasCumprod = (1 - Tensor.linspace(1e-4, 0.02, count: 1000)).cumprod(dim: 0)
        let x0 = Tensor.randn([batch, 1, size, size])
        let seg = Tensor.randint(0, 4, [batch, 1, size, size]).to(.float32) / 3

        let trainStep = {
            let noise = Tensor.randn(like: x0)
            let t = Tensor.randint(0, 1000, [batch])
            let alpha = alphasCumprod.indexSelect(dim: 0, index: t).reshaped(batch, 1, 1, 1)
            let noisy = alpha.sqrt() * x0 + (1 - alpha).sqrt() * noise
            if bf16 { Engine.setAutocast(true) }
            let predicted = model(Tensor.cat([noisy, seg], dim: 1), timesteps: t)
            if bf16 { Engine.setAutocast(false) }
            let loss = predicted.to(.float32).mseLoss(noise)
            loss.backward()
            optimizer.step(clip: GradientClip(parameters.map(\.tensor), maxNorm: 1.0))
            optimizer.zeroGrad()
            if bf16 { Engine.clearAutocastCache() }
        }
        let train = timings(steps, trainStep)
        if let profile { Engine.profiled(to: profile) { for _ in 0..<steps { trainStep() } } }
        let x = Tensor.randn([batch, 1, size, size])
        let timesteps = Tensor.full([batch], 500, TensorOptions(.int64))
        let eval = timings(steps) {
            if bf16 { Engine.setAutocast(true) }
            _ = withNoGrad { model(Tensor.cat([x, seg], dim: 1), timesteps: timesteps) }
            if bf16 { Engine.setAutocast(false) }
        }
        return ["impl": "segmadiff", "libtorch": Engine.libtorchVersion, "size": size, "batch": batch,
                "channels": config.blockOutChannels, "mdformer": true, "params": model.parameterCount, "bf16": bf16,
                "train_step_s": median(train), "unet_eval_s": median(eval)]
    }
}

/// Both MDFormer scans (rows, then columns) forward and backward at the full model's bottleneck.
enum ScanBench {
    static func run(batch: Int, channels: Int, states: Int, size: Int, steps: Int, threads: Int) -> [String: Any] {
        Engine.threads = threads
        Engine.manualSeed(0)
        let u = Tensor.randn([batch, channels, size, size])
        let dt = Tensor.randn([batch, channels, size, size]).softplus()
        let b = Tensor.randn([batch, states, size, size]), c = Tensor.randn([batch, states, size, size])
        let aLog = Tensor.randn([states]) * 0.5, d = Tensor.ones([channels])
        let leaves = [u, dt, b, c, aLog, d]
        for leaf in leaves { leaf.requiresGrad = true }
        let times = timings(steps) {
            SelectiveScan.twoPass(u, dt: dt, b: b, c: c, a: -aLog.exp(), d: d).sum().backward()
            for leaf in leaves { leaf.zeroGrad() }
        }
        return ["impl": "segmadiff", "batch": batch, "channels": channels, "states": states, "size": size,
                "scan_fwd_bwd_s": median(times)]
    }
}

/// Seconds of each of `steps` runs of `body` after five untimed runs (as bench/reference/unet_bench.py): the first
/// runs also create oneDNN's kernels and warm the allocator.
func timings(_ steps: Int, _ body: () -> Void) -> [Double] {
    for _ in 0..<5 { body() }
    return (0..<steps).map { _ in
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    let mid = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
