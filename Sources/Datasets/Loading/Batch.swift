import Torch

/// One batch, stacked (SPEC 2.7 with the reference's keys made typed).
public struct Batch: @unchecked Sendable {
    /// [B, C, S, S] float32 in [-1, 1]; nil in mask-only evaluation.
    public var images: Tensor?
    /// [B, mask channels, S, S] float32: the conditioning channels, after ablation when it is on.
    public var masks: Tensor?
    /// [B, 1 or T, S, S] int64: the label maps the masks encode (merged in `single` mode).
    public var labels: Tensor?
    /// The samples' file names, in batch order.
    public var names: [String]
    public var epoch: Int
    /// The batch's index within its epoch.
    public var index: Int

    public var count: Int { names.count }
}
