import CTorch

// Neural-network functions on tensors; the layers in Layers/ hold their parameters.

public enum InterpolationMode: Sendable {
    /// torch's "nearest" (floor of the scaled index; used by diffusers' Upsample2D).
    case nearest
    /// torch's "nearest-exact" (PIL's NEAREST).
    case nearestExact
    case bilinear
    /// Antialiased bilinear (PIL's BILINEAR when downsampling).
    case bilinearAntialias
    case bicubic

    var c: ct_interp_mode {
        switch self {
        case .nearest: CT_NEAREST
        case .nearestExact: CT_NEAREST_EXACT
        case .bilinear: CT_BILINEAR
        case .bilinearAntialias: CT_BILINEAR_AA
        case .bicubic: CT_BICUBIC
        }
    }
}

public enum Reduction: Sendable {
    case none, mean, sum

    var c: ct_reduction {
        switch self {
        case .none: CT_REDUCTION_NONE
        case .mean: CT_REDUCTION_MEAN
        case .sum: CT_REDUCTION_SUM
        }
    }
}

extension Tensor {
    public func matmul(_ other: Tensor) -> Tensor {
        Engine.make("matmul") { ct_matmul($0, handle, other.handle) }
    }

    /// x W^T + b.
    public func linear(weight: Tensor, bias: Tensor?) -> Tensor {
        withExtendedLifetime(bias) {
            Engine.make("linear") { ct_linear($0, handle, weight.handle, bias?.handle) }
        }
    }

    /// Cross-correlation over NCHW input with an [out, in/groups, kh, kw] weight.
    public func conv2d(weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0, dilation: Int = 1,
                       groups: Int = 1) -> Tensor {
        withExtendedLifetime(bias) {
            Engine.make("conv2d") {
                ct_conv2d($0, handle, weight.handle, bias?.handle, Int64(stride), Int64(stride), Int64(padding),
                          Int64(padding), Int64(dilation), Int64(groups))
            }
        }
    }

    public func groupNorm(groups: Int, weight: Tensor?, bias: Tensor?, eps: Double = 1e-5) -> Tensor {
        withExtendedLifetime((weight, bias)) {
            Engine.make("group_norm") { ct_group_norm($0, handle, Int64(groups), weight?.handle, bias?.handle, eps) }
        }
    }

    public func layerNorm(_ shape: [Int], weight: Tensor?, bias: Tensor?, eps: Double = 1e-5) -> Tensor {
        let d = shape.map(Int64.init)
        return withExtendedLifetime((weight, bias)) {
            Engine.make("layer_norm") { ct_layer_norm($0, handle, d, Int64(d.count), weight?.handle, bias?.handle, eps) }
        }
    }

    /// softmax(q k^T * scale + mask) v over [..., L, E] inputs; scale defaults to 1/sqrt(E).
    public static func scaledDotProductAttention(query: Tensor, key: Tensor, value: Tensor, mask: Tensor? = nil,
                                                 causal: Bool = false, scale: Double? = nil) -> Tensor {
        withExtendedLifetime(mask) {
            Engine.make("scaled_dot_product_attention") {
                ct_sdpa($0, query.handle, key.handle, value.handle, mask?.handle, causal, scale ?? 0)
            }
        }
    }

    /// Resizes the last two dimensions of an NCHW tensor.
    public func interpolated(height: Int, width: Int, mode: InterpolationMode, alignCorners: Bool = false) -> Tensor {
        Engine.make("interpolate") {
            ct_interpolate($0, handle, mode.c, Int64(height), Int64(width), alignCorners)
        }
    }

    /// uint8 planes [..., H, W] resized with PIL's antialiased bilinear filter and rounded to whole
    /// values as PIL's 8-bit result is, then mapped to value · scale + offset: float32 [..., height, width].
    /// Runs on the calling thread (meant for data-loading workers).
    public func resizedUInt8(height: Int, width: Int, scale: Double = 1, offset: Double = 0) -> Tensor {
        Engine.make("resize_u8_bilinear_aa") {
            ct_resize_u8_bilinear_aa($0, handle, Int64(height), Int64(width), scale, offset)
        }
    }

    /// Integer label maps [..., H, W] resized with PIL's NEAREST (source pixel ⌊(i + ½)·in/out⌋),
    /// as int64 [..., height, width]. Runs on the calling thread.
    public func resizedLabels(height: Int, width: Int) -> Tensor {
        Engine.make("resize_labels_nearest") { ct_resize_labels_nearest($0, handle, Int64(height), Int64(width)) }
    }

    public func mseLoss(_ target: Tensor, reduction: Reduction = .mean) -> Tensor {
        Engine.make("mse_loss") { ct_mse_loss($0, handle, target.handle, reduction.c) }
    }

    /// One-hot encoding of an integer tensor, as a new last dimension of size `classes`.
    public func oneHot(classes: Int) -> Tensor {
        Engine.make("one_hot") { ct_one_hot($0, handle, Int64(classes)) }
    }
}
