import CTorch

/// An n-dimensional array in libtorch, owned by this object and freed with it.
///
/// Operators and methods make model code read like the maths (`conv1(norm1(x).silu())`); none of
/// them throws: see `Engine` for how failures are handled.
public final class Tensor: @unchecked Sendable {
    let handle: ct_tensor

    init(handle: ct_tensor) { self.handle = handle }

    deinit { ct_free(handle) }

    /// False only for the placeholder left by a failed call inside `Engine.catching`.
    public var isDefined: Bool { ct_defined(handle) }

    public var shape: [Int] {
        var sizes = [Int64](repeating: 0, count: Int(CT_MAX_DIMS))
        var rank: Int64 = 0
        let error = ct_shape(handle, &sizes, &rank)
        if let error {
            Engine.fail("shape", error)
            return []
        }
        return sizes.prefix(Int(rank)).map { Int($0) }
    }

    public var strides: [Int] {
        var values = [Int64](repeating: 0, count: Int(CT_MAX_DIMS))
        var rank: Int64 = 0
        Engine.check("strides", ct_strides(handle, &values, &rank))
        return values.prefix(Int(rank)).map { Int($0) }
    }

    public var rank: Int { shape.count }
    public var count: Int { shape.reduce(1, *) }

    private var options: ct_options {
        var options = ct_options(dtype: DType.float32.rawValue, device_type: 0, device_index: -1)
        Engine.check("options", ct_options_of(handle, &options))
        return options
    }

    public var dtype: DType { DType(rawValue: options.dtype) ?? .float32 }

    public var device: Device {
        let o = options
        return o.device_type == CT_DEVICE_CUDA ? .cuda(Int(Swift.max(0, o.device_index))) : .cpu
    }

    /// The value of a one-element tensor (a host sync on GPUs).
    public var item: Double {
        var value = 0.0
        Engine.check("item", ct_item(handle, &value))
        return value
    }

    public var float: Float { Float(item) }

    /// The elements in row-major order, converted to `T`'s dtype.
    public func scalars<T: TensorScalar>(as type: T.Type = T.self) -> [T] {
        let source = dtype == T.dtype ? self : to(T.dtype)
        let n = source.count
        return [T](unsafeUninitializedCapacity: n) { buffer, initialized in
            Engine.check("copy_out", ct_copy_out(source.handle, buffer.baseAddress, n * MemoryLayout<T>.stride))
            initialized = n
        }
    }

    /// Bytes of the elements in row-major order.
    public var byteCount: Int { count * dtype.size }

    /// Copies the raw bytes of the elements in row-major order into `buffer` (at least `byteCount`
    /// long): lets a writer reuse one buffer for many tensors instead of allocating each.
    public func copyBytes(into buffer: UnsafeMutableRawPointer) {
        let n = byteCount
        if n > 0 { Engine.check("copy_out", ct_copy_out(handle, buffer, n)) }
    }

    /// The raw bytes of the elements in row-major order (any dtype).
    public func bytes() -> [UInt8] {
        let n = count * dtype.size
        return [UInt8](unsafeUninitializedCapacity: n) { buffer, initialized in
            Engine.check("copy_out", ct_copy_out(handle, buffer.baseAddress, n))
            initialized = n
        }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        guard isDefined else { return "Tensor(undefined)" }
        let dims = shape.map(String.init).joined(separator: "x")
        return "Tensor(\(dims.isEmpty ? "scalar" : dims), \(dtype), \(device))"
    }
}

/// Swift element types that map to a libtorch dtype.
public protocol TensorScalar {
    static var dtype: DType { get }
}

extension Float: TensorScalar { public static var dtype: DType { .float32 } }
extension Double: TensorScalar { public static var dtype: DType { .float64 } }
extension Int64: TensorScalar { public static var dtype: DType { .int64 } }
extension Int32: TensorScalar { public static var dtype: DType { .int32 } }
extension Int16: TensorScalar { public static var dtype: DType { .int16 } }
extension UInt16: TensorScalar { public static var dtype: DType { .uint16 } }
extension UInt8: TensorScalar { public static var dtype: DType { .uint8 } }
extension Int8: TensorScalar { public static var dtype: DType { .int8 } }
extension Bool: TensorScalar { public static var dtype: DType { .bool } }
