// Handles, creation, conversion and copies.
#include "internal.h"
#include <ATen/ops/arange.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/from_blob.h>
#include <ATen/ops/full.h>
#include <ATen/ops/linspace.h>
#include <ATen/ops/rand.h>
#include <ATen/ops/randint.h>
#include <ATen/ops/randn.h>
#include <ATen/ops/randperm.h>
#if __has_include(<torch/headeronly/version.h>)
#include <torch/headeronly/version.h>
#else
#include <torch/csrc/api/include/torch/version.h>
#endif
#include <cstring>

using namespace ctorch;

static at::MemoryFormat memory_format(int32_t f) {
  switch (f) {
  case 1: return at::MemoryFormat::ChannelsLast;
  case 2: return at::MemoryFormat::Preserve;
  default: return at::MemoryFormat::Contiguous;
  }
}

extern "C" {

void ct_free(ct_tensor t) { delete t; }
ct_tensor ct_undefined(void) { return wrap(at::Tensor()); }
bool ct_defined(ct_tensor t) { return t && t->t.defined(); }
const char *ct_version(void) { return TORCH_VERSION; }

ct_error ct_shape(ct_tensor t, int64_t *sizes, int64_t *ndim) {
  return guarded([&] {
    auto s = T(t).sizes();
    TORCH_CHECK(s.size() <= CT_MAX_DIMS, "tensor has more than ", CT_MAX_DIMS, " dimensions");
    *ndim = static_cast<int64_t>(s.size());
    std::copy(s.begin(), s.end(), sizes);
  });
}

ct_error ct_strides(ct_tensor t, int64_t *strides, int64_t *ndim) {
  return guarded([&] {
    auto s = T(t).strides();
    TORCH_CHECK(s.size() <= CT_MAX_DIMS, "tensor has more than ", CT_MAX_DIMS, " dimensions");
    *ndim = static_cast<int64_t>(s.size());
    std::copy(s.begin(), s.end(), strides);
  });
}

ct_error ct_options_of(ct_tensor t, ct_options *out) {
  return guarded([&] {
    const auto &x = T(t);
    out->dtype = static_cast<int32_t>(x.scalar_type());
    out->device_type = x.is_cuda() ? CT_DEVICE_CUDA : CT_DEVICE_CPU;
    out->device_index = x.device().index();
  });
}

ct_error ct_is_contiguous(ct_tensor t, int32_t f, bool *out) {
  return guarded([&] { *out = T(t).is_contiguous(memory_format(f)); });
}

ct_error ct_from_data(ct_tensor *out, const void *data, const int64_t *shape, int64_t ndim, ct_options o) {
  return guarded([&] {
    auto cpu = at::TensorOptions().dtype(static_cast<at::ScalarType>(o.dtype));
    auto view = at::from_blob(const_cast<void *>(data), dims(shape, ndim), cpu);
    *out = wrap(view.to(device(o), /*non_blocking=*/false, /*copy=*/true));
  });
}

ct_error ct_full(ct_tensor *out, const int64_t *shape, int64_t ndim, double value, ct_options o) {
  return guarded([&] { *out = wrap(at::full(dims(shape, ndim), value, options(o))); });
}

ct_error ct_empty(ct_tensor *out, const int64_t *shape, int64_t ndim, ct_options o) {
  return guarded([&] { *out = wrap(at::empty(dims(shape, ndim), options(o))); });
}

ct_error ct_arange(ct_tensor *out, double start, double end, double step, ct_options o) {
  return guarded([&] { *out = wrap(at::arange(start, end, step, options(o))); });
}

ct_error ct_linspace(ct_tensor *out, double start, double end, int64_t steps, ct_options o) {
  return guarded([&] { *out = wrap(at::linspace(start, end, steps, options(o))); });
}

ct_error ct_rand(ct_tensor *out, const int64_t *shape, int64_t ndim, ct_generator g, ct_options o) {
  return guarded([&] { *out = wrap(at::rand(dims(shape, ndim), gen(g), options(o))); });
}

ct_error ct_randn(ct_tensor *out, const int64_t *shape, int64_t ndim, ct_generator g, ct_options o) {
  return guarded([&] { *out = wrap(at::randn(dims(shape, ndim), gen(g), options(o))); });
}

ct_error ct_randint(ct_tensor *out, int64_t low, int64_t high, const int64_t *shape, int64_t ndim,
                    ct_generator g, ct_options o) {
  return guarded([&] { *out = wrap(at::randint(low, high, dims(shape, ndim), gen(g), options(o))); });
}

ct_error ct_randperm(ct_tensor *out, int64_t n, ct_generator g, ct_options o) {
  return guarded([&] { *out = wrap(at::randperm(n, gen(g), options(o))); });
}

ct_error ct_to(ct_tensor *out, ct_tensor t, ct_options o, bool copy) {
  return guarded([&] {
    *out = wrap(T(t).to(device(o), static_cast<at::ScalarType>(o.dtype), /*non_blocking=*/false, copy));
  });
}

ct_error ct_contiguous(ct_tensor *out, ct_tensor t, int32_t f) {
  return guarded([&] { *out = wrap(T(t).contiguous(memory_format(f))); });
}

ct_error ct_clone(ct_tensor *out, ct_tensor t) {
  return guarded([&] { *out = wrap(T(t).clone()); });
}

ct_error ct_copy_out(ct_tensor t, void *dst, size_t nbytes) {
  return guarded([&] {
    auto c = T(t).detach().to(at::kCPU).contiguous();
    TORCH_CHECK(c.nbytes() == nbytes, "copy_out: tensor has ", c.nbytes(), " bytes, buffer ", nbytes);
    if (nbytes) std::memcpy(dst, c.data_ptr(), nbytes);
  });
}

ct_error ct_item(ct_tensor t, double *out) {
  return guarded([&] { *out = T(t).item<double>(); });
}

ct_error ct_copy_(ct_tensor dst, ct_tensor src) {
  return guarded([&] {
    at::NoGradGuard no_grad;
    dst->t.copy_(T(src));
  });
}

ct_error ct_fill_(ct_tensor t, double value) {
  return guarded([&] {
    at::NoGradGuard no_grad;
    t->t.fill_(value);
  });
}

ct_error ct_shallow(ct_tensor *out, ct_tensor t) {
  return guarded([&] { *out = wrap(T(t)); });
}

} // extern "C"
