import Torch

/// The context slices of a label volume's slices, for a model trained with `--context_slices`, by
/// the rule training took them from the import's slices.csv (`SliceNeighbours`): the slice
/// `offset` away when it lies in the volume and has labels (the import leaves label-free slices
/// out), else the nearest such slice between it and the slice itself.
struct VolumeContext {
    /// Whether each slice along the axis has labels.
    let labelled: [Bool]

    /// The slice that stands `offset` from slice `index`.
    func neighbour(of index: Int, offset: Int) -> Int {
        var distance = offset
        while distance != 0 {
            let candidate = index + distance
            if labelled.indices.contains(candidate), labelled[candidate] { return candidate }
            distance += offset > 0 ? -1 : 1
        }
        return index
    }

    /// The context labels [B, 2k, R, C] of the slices `indices` of `slices` [N, R, C], in the
    /// offsets' order.
    func labels(_ slices: Tensor, indices: [Int], offsets: [Int]) -> Tensor {
        let chosen = indices.flatMap { index in offsets.map { Int64(neighbour(of: index, offset: $0)) } }
        let picked = slices.indexSelect(dim: 0, index: Tensor(chosen))
        return picked.reshaped([indices.count, offsets.count, slices.shape[1], slices.shape[2]])
    }
}
