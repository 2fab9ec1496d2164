// Shared by the shim's translation units: handle wrapping and the exception guard.
#pragma once
#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/core/Generator.h>
#include <ATen/core/grad_mode.h>
#include <c10/util/Exception.h>
#include <string>
#include <vector>
#include "../include/ctorch.h"

struct ct_tensor_s { at::Tensor t; };
struct ct_generator_s { at::Generator g; };

namespace ctorch {

// Runs `body`; any exception becomes the returned message (thread-local storage).
template <class F> ct_error guarded(F &&body) noexcept {
  thread_local std::string message;
  try {
    body();
    return nullptr;
  } catch (const c10::Error &e) {
    message = e.what_without_backtrace();
  } catch (const std::exception &e) {
    message = e.what();
  } catch (...) {
    message = "unknown C++ exception";
  }
  return message.c_str();
}

inline ct_tensor wrap(at::Tensor t) { return new ct_tensor_s{std::move(t)}; }
inline const at::Tensor &T(ct_tensor h) {
  TORCH_CHECK(h != nullptr, "null tensor handle");
  return h->t;
}
inline std::optional<at::Tensor> opt(ct_tensor h) {
  return h ? std::optional<at::Tensor>(h->t) : std::nullopt;
}
inline at::IntArrayRef dims(const int64_t *p, int64_t n) { return at::IntArrayRef(p, static_cast<size_t>(n)); }
inline std::vector<at::Tensor> list(const ct_tensor *ts, int64_t n) {
  std::vector<at::Tensor> v;
  v.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; i++) v.push_back(T(ts[i]));
  return v;
}
inline at::Device device(const ct_options &o) {
  return at::Device(o.device_type == CT_DEVICE_CUDA ? at::kCUDA : at::kCPU,
                    static_cast<c10::DeviceIndex>(o.device_index));
}
inline at::TensorOptions options(const ct_options &o) {
  return at::TensorOptions().dtype(static_cast<at::ScalarType>(o.dtype)).device(device(o));
}
inline std::optional<at::Generator> gen(ct_generator g) {
  return g ? std::optional<at::Generator>(g->g) : std::nullopt;
}

} // namespace ctorch
