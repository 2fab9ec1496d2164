import CTorch

// Views, reshapes, joins and splits. Negative dimensions count from the end, as in libtorch.

extension Tensor {
    public func reshaped(_ shape: [Int]) -> Tensor {
        let d = shape.map(Int64.init)
        return Engine.make("reshape") { ct_reshape($0, handle, d, Int64(d.count)) }
    }

    public func reshaped(_ shape: Int...) -> Tensor { reshaped(shape) }

    /// Broadcasts size-1 dimensions to `shape` without copying.
    public func expanded(to shape: [Int]) -> Tensor {
        let d = shape.map(Int64.init)
        return Engine.make("expand") { ct_expand($0, handle, d, Int64(d.count)) }
    }

    public func permuted(_ dims: Int...) -> Tensor { permuted(dims) }

    public func permuted(_ dims: [Int]) -> Tensor {
        let d = dims.map(Int64.init)
        return Engine.make("permute") { ct_permute($0, handle, d, Int64(d.count)) }
    }

    public func transposed(_ a: Int, _ b: Int) -> Tensor {
        Engine.make("transpose") { ct_transpose($0, handle, Int64(a), Int64(b)) }
    }

    public func unsqueezed(_ dim: Int) -> Tensor { Engine.make("unsqueeze") { ct_unsqueeze($0, handle, Int64(dim)) } }
    public func squeezed(_ dim: Int) -> Tensor { Engine.make("squeeze") { ct_squeeze($0, handle, Int64(dim)) } }

    public func narrowed(dim: Int, start: Int, length: Int) -> Tensor {
        Engine.make("narrow") { ct_narrow($0, handle, Int64(dim), Int64(start), Int64(length)) }
    }

    public func sliced(dim: Int, start: Int = 0, end: Int = Int.max, step: Int = 1) -> Tensor {
        Engine.make("slice") { ct_slice($0, handle, Int64(dim), Int64(start), Int64(end), Int64(step)) }
    }

    /// The slice at `index` along `dim`, with that dimension removed.
    public func selected(dim: Int, index: Int) -> Tensor {
        Engine.make("select") { ct_select($0, handle, Int64(dim), Int64(index)) }
    }

    public func indexSelect(dim: Int, index: Tensor) -> Tensor {
        Engine.make("index_select") { ct_index_select($0, handle, Int64(dim), index.handle) }
    }

    public func repeated(_ counts: [Int]) -> Tensor {
        let d = counts.map(Int64.init)
        return Engine.make("repeat") { ct_repeat($0, handle, d, Int64(d.count)) }
    }

    public func flipped(_ dims: [Int]) -> Tensor {
        let d = dims.map(Int64.init)
        return Engine.make("flip") { ct_flip($0, handle, d, Int64(d.count)) }
    }

    /// Splits into `count` nearly equal parts along `dim` (fewer when the size is smaller).
    public func chunked(_ count: Int, dim: Int = 0) -> [Tensor] {
        var outs = [ct_tensor?](repeating: nil, count: count)
        var made: Int64 = 0
        if let error = ct_chunk(&outs, &made, handle, Int64(count), Int64(dim)) {
            Engine.fail("chunk", error)
            return (0..<count).map { _ in Tensor(handle: ct_undefined()) }
        }
        return outs.prefix(Int(made)).map { Tensor(handle: $0!) }
    }

    public static func cat(_ tensors: [Tensor], dim: Int = 0) -> Tensor {
        let handles = tensors.map { Optional($0.handle) }
        return withExtendedLifetime(tensors) {
            Engine.make("cat") { ct_cat($0, handles, Int64(handles.count), Int64(dim)) }
        }
    }

    public static func stack(_ tensors: [Tensor], dim: Int = 0) -> Tensor {
        let handles = tensors.map { Optional($0.handle) }
        return withExtendedLifetime(tensors) {
            Engine.make("stack") { ct_stack($0, handles, Int64(handles.count), Int64(dim)) }
        }
    }
}
