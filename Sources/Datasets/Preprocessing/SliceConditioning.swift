import ModelCard
import Torch

/// What a model of 2-D slices sees of the slices around its own, so that the slices it makes of a
/// volume agree with their neighbours:
///
/// - **context slices** (2.5-D conditioning, `--context_slices k`): the masks of the k slices on each
///   side, encoded as the slice's own mask is and following it as extra channels, in slice order
///   (-k ... -1, then 1 ... k);
/// - **the previous slice** (`--condition_on_previous_slice`): the image of the slice before it along
///   the axis (zeros where there is none) and one channel that is 1 where there is one and 0 where
///   there is not, after the masks. Training takes the real previous slice; `sample-volume`
///   generates slices in order and feeds each the one it generated before.
///
/// Both are fixed by training and recorded in the model's card.
public struct SliceConditioning: Sendable, Equatable {
    /// k: context slices on each side.
    public var contextSlices: Int
    public var previousSlice: Bool
    /// σ of the Gaussian noise added to the previous slice's image (training and sampling alike), so
    /// that the model cannot copy it and leans on its mask: the real previous slice is nearly the
    /// slice itself, and a model that learns to copy it drifts when fed its own output.
    public var previousSliceNoise: Double

    public init(contextSlices: Int = 0, previousSlice: Bool = false, previousSliceNoise: Double = 0) {
        self.contextSlices = contextSlices
        self.previousSlice = previousSlice
        self.previousSliceNoise = previousSlice ? previousSliceNoise : 0
    }

    /// What a model's card says it was trained with.
    public init(card: ModelCard) {
        self.init(contextSlices: card.contextSliceCount, previousSlice: card.seesPreviousSlice,
                  previousSliceNoise: card.previousSliceNoise ?? 0)
    }

    /// A model of independent slices.
    public static let none = SliceConditioning()

    public var isEmpty: Bool { contextSlices == 0 && !previousSlice }

    /// Where the context slices lie relative to the slice, in channel order.
    public var offsets: [Int] {
        guard contextSlices > 0 else { return [] }
        return Array(-contextSlices ... -1) + Array(1...contextSlices)
    }

    /// The conditioning channels the network takes after its image channels.
    public func channels(encoder: MaskEncoder, imageChannels: Int) -> Int {
        encoder.maskChannels * (2 * contextSlices + 1) + (previousSlice ? imageChannels + 1 : 0)
    }

    /// The label maps a batch is conditioned on, [B, (2k+1)·L, S, S]: the slice's own `centre`
    /// [B, T, S, S] and its `context` [B, 2k, T, S, S] (nil: the centre stands for every neighbour,
    /// as for a slice with no neighbours), each merged by the encoder's channel mode, the centre first.
    /// Mask ablation and blank-mask dropout act on all maps of a sample alike, so a dropped mask
    /// drops its context too.
    public func labels(centre: Tensor, context: Tensor?, encoder: MaskEncoder) -> Tensor {
        let own = encoder.combined(centre)
        guard contextSlices > 0 else { return own }
        guard let context else { return Tensor.cat(Array(repeating: own, count: 2 * contextSlices + 1), dim: 1) }
        let shape = context.shape  // [B, 2k, T, S, S]
        let merged = encoder.combined(context.reshaped([shape[0] * shape[1], shape[2], shape[3], shape[4]]))
        let neighbours = merged.reshaped([shape[0], shape[1] * merged.shape[1], shape[3], shape[4]])
        return Tensor.cat([own, neighbours], dim: 1)
    }

    /// The slice's own label maps (the first L of `labels`' channels).
    public func centre(of labels: Tensor, encoder: MaskEncoder) -> Tensor {
        contextSlices == 0 ? labels : labels.narrowed(dim: 1, start: 0, length: labels.shape[1] / (2 * contextSlices + 1))
    }

    /// The previous-slice channels of one slice, [C + 1, S, S]: its image [C, S, S] in [-1, 1] and
    /// a plane of ones, or zeros throughout when there is no previous slice.
    public static func previousChannels(_ image: Tensor?, imageChannels: Int, size: Int) -> Tensor {
        guard let image else { return Tensor.zeros([imageChannels + 1, size, size], TensorOptions(.float32)) }
        let present = Tensor.ones([1, size, size], TensorOptions(image.dtype, on: image.device))
        return Tensor.cat([image, present], dim: 0)
    }

    /// `previous` [B, C + 1, S, S] (from `previousChannels`) with `previousSliceNoise` added to the
    /// images of the rows that have one; `noise` [B, C, S, S] standard normal.
    public func spoiled(_ previous: Tensor, noise: Tensor) -> Tensor {
        guard previousSliceNoise > 0 else { return previous }
        let channels = noise.shape[1]
        let images = previous.narrowed(dim: 1, start: 0, length: channels)
        let present = previous.narrowed(dim: 1, start: channels, length: 1)
        return Tensor.cat([images + noise.to(images.dtype) * present * previousSliceNoise, present], dim: 1)
    }

    /// The network's conditioning input: `labels` (from `labels(centre:context:encoder:)`) encoded,
    /// followed, when the model takes the previous slice, by `previous` [B, C + 1, S, S] (nil: no
    /// slice has one, as for the first slice of a volume).
    public func encoded(_ labels: Tensor, previous: Tensor?, imageChannels: Int, encoder: MaskEncoder) -> Tensor {
        let masks = encoder.encoded(labels)
        guard previousSlice else { return masks }
        let before = previous ?? Tensor.zeros([labels.shape[0], imageChannels + 1, labels.shape[2], labels.shape[3]], TensorOptions(.float32))
        return Tensor.cat([masks, before.to(masks.dtype).to(masks.device)], dim: 1)
    }
}
