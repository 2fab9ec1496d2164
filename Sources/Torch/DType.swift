import CTorch

/// Element types, with libtorch's `c10::ScalarType` codes as raw values.
public enum DType: Int32, Sendable, CustomStringConvertible {
    case uint8 = 0, int8 = 1, int16 = 2, int32 = 3, int64 = 4
    case float16 = 5, float32 = 6, float64 = 7
    case bool = 11, bfloat16 = 15, uint16 = 27

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .uint8, .int8, .bool: 1
        case .int16, .uint16, .float16, .bfloat16: 2
        case .int32, .float32: 4
        case .int64, .float64: 8
        }
    }

    public var isFloatingPoint: Bool {
        switch self {
        case .float16, .float32, .float64, .bfloat16: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case .uint8: "uint8"
        case .int8: "int8"
        case .int16: "int16"
        case .uint16: "uint16"
        case .int32: "int32"
        case .int64: "int64"
        case .float16: "float16"
        case .float32: "float32"
        case .float64: "float64"
        case .bool: "bool"
        case .bfloat16: "bfloat16"
        }
    }
}

/// Where a tensor lives.
public enum Device: Equatable, Hashable, Sendable, CustomStringConvertible {
    case cpu
    case cuda(Int)

    public var description: String {
        switch self {
        case .cpu: "cpu"
        case .cuda(let index): "cuda:\(index)"
        }
    }

    var cType: Int32 {
        if case .cuda = self { return Int32(CT_DEVICE_CUDA) }
        return Int32(CT_DEVICE_CPU)
    }

    var cIndex: Int32 {
        if case .cuda(let index) = self { return Int32(index) }
        return -1
    }
}

/// The element type and device of a new tensor.
public struct TensorOptions: Sendable {
    public var dtype: DType
    public var device: Device

    public init(_ dtype: DType = .float32, on device: Device = .cpu) {
        self.dtype = dtype
        self.device = device
    }

    var c: ct_options { ct_options(dtype: dtype.rawValue, device_type: device.cType, device_index: device.cIndex) }
}
