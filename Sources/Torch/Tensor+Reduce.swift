import CTorch

// Reductions and scans. `dims: nil` reduces over every dimension.

extension Tensor {
    @inline(__always)
    func reduce(_ name: String, _ op: ct_reduce_op, _ dims: [Int]?, _ keepDim: Bool) -> Tensor {
        let d = (dims ?? []).map(Int64.init)
        return Engine.make(name) { ct_reduce($0, op, handle, d, Int64(d.count), keepDim) }
    }

    public func sum(dims: [Int]? = nil, keepDim: Bool = false) -> Tensor { reduce("sum", CT_SUM, dims, keepDim) }
    public func mean(dims: [Int]? = nil, keepDim: Bool = false) -> Tensor { reduce("mean", CT_MEAN, dims, keepDim) }
    public func max(dims: [Int]? = nil, keepDim: Bool = false) -> Tensor { reduce("amax", CT_AMAX, dims, keepDim) }
    public func min(dims: [Int]? = nil, keepDim: Bool = false) -> Tensor { reduce("amin", CT_AMIN, dims, keepDim) }
    public func prod(dims: [Int]? = nil, keepDim: Bool = false) -> Tensor { reduce("prod", CT_PROD, dims, keepDim) }
    /// Unbiased (n - 1) variance.
    public func variance(dims: [Int]? = nil, keepDim: Bool = false) -> Tensor { reduce("var", CT_VAR, dims, keepDim) }
    public func std(dims: [Int]? = nil, keepDim: Bool = false) -> Tensor { reduce("std", CT_STD, dims, keepDim) }
    /// Euclidean norm.
    public func norm(dims: [Int]? = nil, keepDim: Bool = false) -> Tensor { reduce("norm", CT_NORM, dims, keepDim) }
    public func any(dims: [Int]? = nil, keepDim: Bool = false) -> Tensor { reduce("any", CT_ANY, dims, keepDim) }
    public func all(dims: [Int]? = nil, keepDim: Bool = false) -> Tensor { reduce("all", CT_ALL, dims, keepDim) }

    public func argmax(dim: Int, keepDim: Bool = false) -> Tensor {
        Engine.make("argmax") { ct_argmax($0, handle, Int64(dim), keepDim) }
    }

    public func cumsum(dim: Int) -> Tensor { Engine.make("cumsum") { ct_cumsum($0, handle, Int64(dim)) } }
    public func cumprod(dim: Int) -> Tensor { Engine.make("cumprod") { ct_cumprod($0, handle, Int64(dim)) } }
    public func softmax(dim: Int) -> Tensor { Engine.make("softmax") { ct_softmax($0, handle, Int64(dim)) } }
}
