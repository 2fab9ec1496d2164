// Neural-network layers: matmul, linear, conv, norms, attention, resampling, losses.
#include "internal.h"
#include <ATen/ops/_upsample_bilinear2d_aa.h>
#include <ATen/ops/_upsample_nearest_exact2d.h>
#include <ATen/ops/conv2d.h>
#include <ATen/ops/group_norm.h>
#include <ATen/ops/layer_norm.h>
#include <ATen/ops/linear.h>
#include <ATen/ops/matmul.h>
#include <ATen/ops/mse_loss.h>
#include <ATen/ops/one_hot.h>
#include <ATen/ops/scaled_dot_product_attention.h>
#include <ATen/ops/upsample_bicubic2d.h>
#include <ATen/ops/upsample_bilinear2d.h>
#include <ATen/ops/upsample_nearest2d.h>

using namespace ctorch;

extern "C" {

ct_error ct_matmul(ct_tensor *out, ct_tensor a, ct_tensor b) {
  return guarded([&] { *out = wrap(at::matmul(T(a), T(b))); });
}

ct_error ct_linear(ct_tensor *out, ct_tensor x, ct_tensor w, ct_tensor b) {
  return guarded([&] { *out = wrap(at::linear(T(x), T(w), opt(b))); });
}

ct_error ct_conv2d(ct_tensor *out, ct_tensor x, ct_tensor w, ct_tensor b, int64_t sh, int64_t sw, int64_t ph,
                   int64_t pw, int64_t dilation, int64_t groups) {
  return guarded([&] {
    int64_t stride[2] = {sh, sw}, pad[2] = {ph, pw}, dil[2] = {dilation, dilation};
    *out = wrap(at::conv2d(T(x), T(w), opt(b), stride, pad, dil, groups));
  });
}

ct_error ct_group_norm(ct_tensor *out, ct_tensor x, int64_t groups, ct_tensor w, ct_tensor b, double eps) {
  return guarded([&] { *out = wrap(at::group_norm(T(x), groups, opt(w), opt(b), eps)); });
}

ct_error ct_layer_norm(ct_tensor *out, ct_tensor x, const int64_t *shape, int64_t ndim, ct_tensor w, ct_tensor b,
                       double eps) {
  return guarded([&] { *out = wrap(at::layer_norm(T(x), dims(shape, ndim), opt(w), opt(b), eps)); });
}

ct_error ct_sdpa(ct_tensor *out, ct_tensor q, ct_tensor k, ct_tensor v, ct_tensor mask, bool causal, double scale) {
  return guarded([&] {
    std::optional<double> s = scale > 0 ? std::optional<double>(scale) : std::nullopt;
    *out = wrap(at::scaled_dot_product_attention(T(q), T(k), T(v), opt(mask), 0.0, causal, s));
  });
}

ct_error ct_interpolate(ct_tensor *out, ct_tensor x, ct_interp_mode mode, int64_t oh, int64_t ow,
                        bool align_corners) {
  return guarded([&] {
    int64_t size[2] = {oh, ow};
    const auto &t = T(x);
    switch (mode) {
    case CT_NEAREST: *out = wrap(at::upsample_nearest2d(t, size)); return;
    case CT_NEAREST_EXACT: *out = wrap(at::_upsample_nearest_exact2d(t, size)); return;
    case CT_BILINEAR: *out = wrap(at::upsample_bilinear2d(t, size, align_corners)); return;
    case CT_BILINEAR_AA: *out = wrap(at::_upsample_bilinear2d_aa(t, size, align_corners)); return;
    case CT_BICUBIC: *out = wrap(at::upsample_bicubic2d(t, size, align_corners)); return;
    }
    TORCH_CHECK(false, "unknown interpolation mode ", static_cast<int>(mode));
  });
}

ct_error ct_mse_loss(ct_tensor *out, ct_tensor a, ct_tensor b, ct_reduction reduction) {
  return guarded([&] { *out = wrap(at::mse_loss(T(a), T(b), static_cast<int64_t>(reduction))); });
}

ct_error ct_one_hot(ct_tensor *out, ct_tensor labels, int64_t classes) {
  return guarded([&] { *out = wrap(at::one_hot(T(labels), classes)); });
}

} // extern "C"
