import Datasets
import Foundation
import Torch

/// Image grids as the seed writes them (docs/python-reference.md §8.1): 4 columns, rows = ceil(n/4), left to right then
/// top to bottom, empty cells black, an RGB PNG.
public enum SampleGrid {
    /// Tiles [N, C, H, W] values in [0, 1] into a uint8 [3, rows·H, 4·W] image.
    public static func tile(_ images: Tensor, columns: Int = 4) -> Tensor {
        let shape = images.shape
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let rows = (n + columns - 1) / columns
        var rgb = c == 3 ? images : images.narrowed(dim: 1, start: 0, length: 1).expanded(to: [n, 3, h, w])
        if rows * columns > n {
            rgb = Tensor.cat([rgb, Tensor.zeros([rows * columns - n, 3, h, w], TensorOptions(rgb.dtype, on: rgb.device))])
        }
        let grid = rgb.reshaped(rows, columns, 3, h, w).permuted(2, 0, 3, 1, 4).reshaped(3, rows * h, columns * w)
        return (grid.clamped(min: 0, max: 1) * 255).rounded().to(.uint8).to(.cpu)
    }

    /// torchvision's `save_image(normalize=True)` scaling: the batch's global min-max to [0, 1].
    public static func minMaxNormalised(_ x: Tensor) -> Tensor {
        let low = x.min(), high = x.max()
        return (x - low) / (high - low).clamped(min: 1e-5)
    }

    /// Writes a grid PNG atomically; returns the grid for other uses (TensorBoard).
    @discardableResult
    public static func write(_ images: Tensor, to url: URL) throws -> Tensor {
        let grid = tile(images)
        try AtomicFile.write(try PixelCodec.encodePNG(grid), to: url.path)
        return grid
    }
}
