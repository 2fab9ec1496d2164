import CTorch

// Dtype and device conversion, memory layout, copies.

public enum MemoryFormat: Int32, Sendable {
    case contiguous = 0, channelsLast = 1, preserve = 2
}

extension Tensor {
    public func to(_ dtype: DType) -> Tensor { to(TensorOptions(dtype, on: device)) }
    public func to(_ device: Device) -> Tensor { to(TensorOptions(dtype, on: device)) }

    public func to(_ options: TensorOptions, copy: Bool = false) -> Tensor {
        Engine.make("to") { ct_to($0, handle, options.c, copy) }
    }

    public func contiguous(_ format: MemoryFormat = .contiguous) -> Tensor {
        Engine.make("contiguous") { ct_contiguous($0, handle, format.rawValue) }
    }

    public func isContiguous(_ format: MemoryFormat = .contiguous) -> Bool {
        var result = false
        Engine.check("is_contiguous", ct_is_contiguous(handle, format.rawValue, &result))
        return result
    }

    public func clone() -> Tensor { Engine.make("clone") { ct_clone($0, handle) } }

    /// Copies `source` into this tensor in place (no autograd record); shapes must broadcast.
    public func copy(from source: Tensor) { Engine.check("copy_", ct_copy_(handle, source.handle)) }

    /// Sets every element in place (no autograd record).
    public func fill(_ value: Double) { Engine.check("fill_", ct_fill_(handle, value)) }
}
