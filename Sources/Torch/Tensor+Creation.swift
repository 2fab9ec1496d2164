import CTorch

extension Tensor {
    /// A tensor holding a copy of `values` with the given shape (default: one dimension).
    public convenience init<T: TensorScalar>(_ values: [T], shape: [Int]? = nil, on device: Device = .cpu) {
        let shape = shape ?? [values.count]
        precondition(shape.reduce(1, *) == values.count, "Tensor: \(values.count) values do not fill shape \(shape)")
        self.init(handle: values.withUnsafeBytes { Tensor.copy($0, dtype: T.dtype, shape: shape, on: device) })
    }

    /// A 0-dimensional tensor.
    public convenience init<T: TensorScalar>(scalar: T, on device: Device = .cpu) {
        self.init([scalar], shape: [], on: device)
    }

    /// A tensor copied from raw little-endian element bytes of any dtype.
    public convenience init(bytes: UnsafeRawBufferPointer, dtype: DType, shape: [Int], on device: Device = .cpu) {
        precondition(bytes.count == shape.reduce(1, *) * dtype.size,
                     "Tensor: \(bytes.count) bytes do not fill shape \(shape) of \(dtype)")
        self.init(handle: Tensor.copy(bytes, dtype: dtype, shape: shape, on: device))
    }

    private static func copy(_ bytes: UnsafeRawBufferPointer, dtype: DType, shape: [Int], on device: Device) -> ct_tensor {
        let dims = shape.map(Int64.init)
        return Engine.makeHandle("from_data") {
            ct_from_data($0, bytes.baseAddress, dims, Int64(dims.count), TensorOptions(dtype, on: device).c)
        }
    }

    public static func full(_ shape: [Int], _ value: Double, _ options: TensorOptions = .init()) -> Tensor {
        let dims = shape.map(Int64.init)
        return Engine.make("full") { ct_full($0, dims, Int64(dims.count), value, options.c) }
    }

    public static func zeros(_ shape: [Int], _ options: TensorOptions = .init()) -> Tensor {
        full(shape, 0, options)
    }

    public static func ones(_ shape: [Int], _ options: TensorOptions = .init()) -> Tensor {
        full(shape, 1, options)
    }

    public static func empty(_ shape: [Int], _ options: TensorOptions = .init()) -> Tensor {
        let dims = shape.map(Int64.init)
        return Engine.make("empty") { ct_empty($0, dims, Int64(dims.count), options.c) }
    }

    /// Values from `start` up to (not including) `end`.
    public static func arange(_ start: Double = 0, _ end: Double, step: Double = 1,
                              _ options: TensorOptions = .init(.int64)) -> Tensor {
        Engine.make("arange") { ct_arange($0, start, end, step, options.c) }
    }

    public static func linspace(_ start: Double, _ end: Double, count: Int,
                                _ options: TensorOptions = .init()) -> Tensor {
        Engine.make("linspace") { ct_linspace($0, start, end, Int64(count), options.c) }
    }

    /// Uniform on [0, 1).
    public static func rand(_ shape: [Int], generator: Generator? = nil, _ options: TensorOptions = .init()) -> Tensor {
        let dims = shape.map(Int64.init)
        return withExtendedLifetime(generator) {
            Engine.make("rand") { ct_rand($0, dims, Int64(dims.count), generator?.handle, options.c) }
        }
    }

    /// Standard normal.
    public static func randn(_ shape: [Int], generator: Generator? = nil, _ options: TensorOptions = .init()) -> Tensor {
        let dims = shape.map(Int64.init)
        return withExtendedLifetime(generator) {
            Engine.make("randn") { ct_randn($0, dims, Int64(dims.count), generator?.handle, options.c) }
        }
    }

    /// Uniform integers in [low, high).
    public static func randint(_ low: Int, _ high: Int, _ shape: [Int], generator: Generator? = nil,
                               _ options: TensorOptions = .init(.int64)) -> Tensor {
        let dims = shape.map(Int64.init)
        return withExtendedLifetime(generator) {
            Engine.make("randint") {
                ct_randint($0, Int64(low), Int64(high), dims, Int64(dims.count), generator?.handle, options.c)
            }
        }
    }

    /// A random permutation of 0..<n.
    public static func randperm(_ n: Int, generator: Generator? = nil, _ options: TensorOptions = .init(.int64)) -> Tensor {
        withExtendedLifetime(generator) {
            Engine.make("randperm") { ct_randperm($0, Int64(n), generator?.handle, options.c) }
        }
    }

    public static func zeros(like other: Tensor) -> Tensor {
        zeros(other.shape, TensorOptions(other.dtype, on: other.device))
    }

    public static func ones(like other: Tensor) -> Tensor {
        ones(other.shape, TensorOptions(other.dtype, on: other.device))
    }

    public static func randn(like other: Tensor, generator: Generator? = nil) -> Tensor {
        randn(other.shape, generator: generator, TensorOptions(other.dtype, on: other.device))
    }
}

/// A seeded CPU random generator whose state can be saved and restored (for exact resume).
public final class Generator: @unchecked Sendable {
    let handle: ct_generator

    public init(seed: UInt64) {
        var made: ct_generator?
        Engine.check("generator", ct_generator_new(&made, seed))
        handle = made!
    }

    deinit { ct_generator_free(handle) }

    /// The generator's full state as a uint8 tensor.
    public var state: Tensor {
        get { Engine.make("generator_get_state") { ct_generator_get_state(handle, $0) } }
        set { Engine.check("generator_set_state", ct_generator_set_state(handle, newValue.handle)) }
    }
}
