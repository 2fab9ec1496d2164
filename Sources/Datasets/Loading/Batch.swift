import Torch

/// One batch, stacked (docs/python-reference.md §2.7 with the reference's keys made typed).
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
    /// In data-parallel training, where this process's samples start in the batch of all processes.
    public var globalOffset: Int = 0
    /// The size of the batch of all processes together (`count` in one process).
    public var globalCount: Int = 0

    public var count: Int { names.count }
}
