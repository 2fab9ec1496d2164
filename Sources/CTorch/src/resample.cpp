// Resizing for the data loader, on the calling thread, as PIL does it for the reference:
// - antialiased bilinear for 8-bit images (PIL's BILINEAR). libtorch's uint8 kernel widens every
//   grey pixel to four channels and spends most of its time doing so; here each plane is resized by
//   a vertical pass (whole rows combined, vectorised along the row) and a horizontal pass with a
//   fixed tap count;
// - nearest for label maps (PIL's NEAREST: source pixel floor((i + 0.5) * in / out)), straight
//   into the int64 labels the loader hands out.
#include "internal.h"
#include <ATen/ops/empty.h>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <vector>

namespace {

// The kernels are compiled for the baseline ISA and for AVX2 (as in scan.cpp); the loader picks one.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define CT_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define CT_CLONES
#endif

// Which inputs make output i along one axis, and with what weights. The triangle filter is
// stretched by the downscaling factor (that is the antialiasing) and its weights normalised to
// sum 1. Every output gets the same tap count `taps`: a short window is shifted to stay inside the
// input and padded with zero weights, so the inner loops have a fixed trip count.
struct Taps {
  int64_t taps = 0;
  std::vector<int64_t> first;  // first input of each output's window
  std::vector<float> weights;  // [outputs, taps]

  Taps(int64_t input, int64_t output) {
    const double scale = double(input) / double(output), stretch = std::max(scale, 1.0);
    std::vector<int64_t> lo(output), hi(output);
    for (int64_t i = 0; i < output; i++) {
      const double center = (double(i) + 0.5) * scale;
      lo[i] = std::max<int64_t>(int64_t(center - stretch + 0.5), 0);
      hi[i] = std::min<int64_t>(int64_t(center + stretch + 0.5), input);
      taps = std::max(taps, hi[i] - lo[i]);
    }
    first.resize(output);
    weights.assign(size_t(output * taps), 0.f);
    for (int64_t i = 0; i < output; i++) {
      const double center = (double(i) + 0.5) * scale;
      auto triangle = [&](int64_t j) { return std::max(0.0, 1.0 - std::fabs((double(j) - center + 0.5) / stretch)); };
      double total = 0;
      for (int64_t j = lo[i]; j < hi[i]; j++) total += triangle(j);
      first[i] = std::min(lo[i], input - taps);
      for (int64_t j = lo[i]; j < hi[i]; j++)
        weights[size_t(i * taps + j - first[i])] = total > 0 ? float(triangle(j) / total) : 0.f;
    }
  }
};

// One plane: rows [H, W] -> [OH, OW]. `between` holds OH x W floats. Outputs are rounded to whole
// sample values (PIL's 8-bit result), then mapped by `scale` and `offset`.
CT_CLONES void resize_plane(const uint8_t *source, int64_t width, const Taps &rows, const Taps &columns,
                            float *between, float *target, int64_t out_height, int64_t out_width,
                            float scale, float offset) {
  for (int64_t y = 0; y < out_height; y++) {
    float *line = between + y * width;
    const float *weight = &rows.weights[size_t(y * rows.taps)];
    const uint8_t *top = source + rows.first[y] * width;
    for (int64_t x = 0; x < width; x++) line[x] = weight[0] * float(top[x]);
    for (int64_t k = 1; k < rows.taps; k++) {
      const uint8_t *next = top + k * width;
      const float w = weight[k];
      for (int64_t x = 0; x < width; x++) line[x] += w * float(next[x]);
    }
  }
  for (int64_t y = 0; y < out_height; y++) {
    const float *line = between + y * width;
    float *out = target + y * out_width;
    for (int64_t x = 0; x < out_width; x++) {
      const float *weight = &columns.weights[size_t(x * columns.taps)];
      const float *in = line + columns.first[x];
      float sum = 0;
      for (int64_t k = 0; k < columns.taps; k++) sum += weight[k] * in[k];
      out[x] = std::nearbyint(sum) * scale + offset;
    }
  }
}

// Source index of each output along one axis, for nearest resizing. The position is accumulated
// step by step in double precision, as PIL does, so that outputs falling exactly on a pixel border
// pick the pixel PIL picks.
std::vector<int64_t> nearest_sources(int64_t input, int64_t output) {
  std::vector<int64_t> sources(output);
  const double scale = double(input) / double(output);
  double position = scale * 0.5;
  for (int64_t i = 0; i < output; i++, position += scale) sources[i] = std::min<int64_t>(int64_t(position), input - 1);
  return sources;
}

template <typename Label>
void nearest_planes(const Label *from, int64_t planes, int64_t height, int64_t width, int64_t *to,
                    int64_t out_height, int64_t out_width) {
  const auto rows = nearest_sources(height, out_height), columns = nearest_sources(width, out_width);
  for (int64_t p = 0; p < planes; p++) {
    const Label *plane = from + p * height * width;
    for (int64_t y = 0; y < out_height; y++) {
      const Label *line = plane + rows[y] * width;
      int64_t *out = to + (p * out_height + y) * out_width;
      for (int64_t x = 0; x < out_width; x++) out[x] = int64_t(line[columns[x]]);
    }
  }
}

// The output [..., out_height, out_width] in `type` for the planes `source` [..., H, W], after
// checking that neither side is empty.
at::Tensor empty_resized(const char *op, const at::Tensor &source, int64_t out_height, int64_t out_width,
                         at::ScalarType type) {
  TORCH_CHECK(out_height > 0 && out_width > 0, op, ": empty output size");
  TORCH_CHECK(source.size(-2) > 0 && source.size(-1) > 0, op, ": empty input");
  auto shape = source.sizes().vec();
  shape[shape.size() - 2] = out_height;
  shape[shape.size() - 1] = out_width;
  return at::empty(shape, source.options().dtype(type));
}

} // namespace

ct_error ct_resize_u8_bilinear_aa(ct_tensor *out, ct_tensor x, int64_t out_height, int64_t out_width,
                                  double scale, double offset) {
  return ctorch::guarded([&] {
    const auto &input = ctorch::T(x);
    TORCH_CHECK(input.scalar_type() == at::kByte && input.dim() >= 2 && input.device().is_cpu(),
                "resize_u8_bilinear_aa: needs a CPU uint8 tensor [..., H, W], not ", input.toString(), " ", input.sizes());
    const auto source = input.contiguous();
    auto result = empty_resized("resize_u8_bilinear_aa", source, out_height, out_width, at::kFloat);
    const int64_t height = source.size(-2), width = source.size(-1);
    const Taps rows(height, out_height), columns(width, out_width);
    std::vector<float> between(size_t(out_height * width));
    const int64_t planes = source.numel() / (height * width);
    const uint8_t *from = source.data_ptr<uint8_t>();
    float *to = result.data_ptr<float>();
    for (int64_t p = 0; p < planes; p++)
      resize_plane(from + p * height * width, width, rows, columns, between.data(), to + p * out_height * out_width,
                   out_height, out_width, float(scale), float(offset));
    *out = ctorch::wrap(std::move(result));
  });
}

ct_error ct_resize_labels_nearest(ct_tensor *out, ct_tensor x, int64_t out_height, int64_t out_width) {
  return ctorch::guarded([&] {
    const auto &input = ctorch::T(x);
    TORCH_CHECK(input.dim() >= 2 && input.device().is_cpu() && !input.is_floating_point() && !input.is_complex(),
                "resize_labels_nearest: needs a CPU integer tensor [..., H, W], not ", input.toString(), " ", input.sizes());
    // uint8 label maps are read as they are; other integer types go through int64.
    const auto source = input.scalar_type() == at::kByte ? input.contiguous() : input.to(at::kLong).contiguous();
    auto result = empty_resized("resize_labels_nearest", source, out_height, out_width, at::kLong);
    const int64_t height = source.size(-2), width = source.size(-1);
    const int64_t planes = source.numel() / (height * width);
    if (source.scalar_type() == at::kByte)
      nearest_planes(source.data_ptr<uint8_t>(), planes, height, width, result.data_ptr<int64_t>(), out_height, out_width);
    else
      nearest_planes(source.data_ptr<int64_t>(), planes, height, width, result.data_ptr<int64_t>(), out_height, out_width);
    *out = ctorch::wrap(std::move(result));
  });
}
