import Foundation
import Torch

/// A synthetic head-MRI-like data set for when no real scans are at hand: each slice is an ellipse
/// of scalp and skull around brain tissue with two ventricles, randomly sized, placed and rotated,
/// with texture and noise. Labels: 0 background, 1 skull and scalp, 2 brain, 3 ventricles.
public enum HeadPhantom {
    public static let classNames = ["background", "skull", "brain", "ventricles"]

    /// Writes `images/{split}/phantom_NNN.png` and `masks/all/{split}/...` under `root`.
    public static func write(to root: URL, size: Int, counts: [Split: Int], seed: UInt64) throws {
        let generator = Generator(seed: seed)
        var index = 0
        for split in Split.allCases {
            let count = counts[split] ?? 0
            let images = root.appendingPathComponent("images/\(split.rawValue)")
            let masks = root.appendingPathComponent("masks/all/\(split.rawValue)")
            try OutputFolder.create(images)
            try OutputFolder.create(masks)
            for _ in 0..<count {
                let (image, labels) = slice(size: size, generator: generator)
                let name = String(format: "phantom_%03d.png", index)
                try PixelCodec.encodePNG(image).write(to: images.appendingPathComponent(name))
                try PixelCodec.encodePNG(labels).write(to: masks.appendingPathComponent(name))
                index += 1
            }
        }
    }

    /// One slice: uint8 image [1, S, S] and uint8 labels [1, S, S].
    static func slice(size: Int, generator: Generator) -> (image: Tensor, labels: Tensor) {
        let r = Tensor.rand([8], generator: generator, TensorOptions(.float64)).scalars(as: Double.self)
        let angle = (r[0] - 0.5) * 0.6
        let (a, b) = (0.78 + 0.12 * r[1], 0.62 + 0.12 * r[2])      // head semi-axes, as fractions of the half-size
        let (cx, cy) = ((r[3] - 0.5) * 0.1, (r[4] - 0.5) * 0.1)
        let grid = Tensor.linspace(-1, 1, count: size, TensorOptions(.float64))
        let x = grid.reshaped(1, size).expanded(to: [size, size]) - cx
        let y = grid.reshaped(size, 1).expanded(to: [size, size]) - cy
        let u = x * Foundation.cos(angle) + y * Foundation.sin(angle)
        let v = y * Foundation.cos(angle) - x * Foundation.sin(angle)
        func inside(_ ax: Double, _ ay: Double, dx: Double = 0, dy: Double = 0) -> Tensor {
            ((u - dx) / ax).squared() + ((v - dy) / ay).squared()
        }
        let head = inside(b, a).lt(1)
        let brain = inside(b * 0.84, a * 0.86).lt(1)
        let spread = 0.1 + 0.06 * r[5], ventricleSize = 0.08 + 0.05 * r[6]
        let ventricles = inside(ventricleSize, ventricleSize * 2.4, dx: -spread, dy: -0.05).lt(1)
            .logicalOr(inside(ventricleSize, ventricleSize * 2.4, dx: spread, dy: -0.05).lt(1))
        var labels = head.to(.int64)
        labels = Tensor.where(brain, Tensor.full([], 2, TensorOptions(.int64)), labels)
        labels = Tensor.where(ventricles.logicalAnd(brain), Tensor.full([], 3, TensorOptions(.int64)), labels)

        // Intensities of a T1-like contrast, with smooth texture in the brain and noise everywhere.
        let texture = Tensor.randn([1, 1, size / 4, size / 4], generator: generator, TensorOptions(.float64))
            .interpolated(height: size, width: size, mode: .bilinear).reshaped(size, size)
        let levels = Tensor([0.03, 0.85, 0.5, 0.15] as [Double])
        var image = levels.indexSelect(dim: 0, index: labels.reshaped(-1)).reshaped(size, size)
        image = image + labels.eq(2).to(.float64) * texture * 0.06
        image = image + Tensor.randn([size, size], generator: generator, TensorOptions(.float64)) * 0.02 * (0.5 + r[7])
        let pixels = (image.clamped(min: 0, max: 1) * 255).rounded().to(.uint8).reshaped(1, size, size)
        return (pixels, labels.to(.uint8).reshaped(1, size, size))
    }
}
