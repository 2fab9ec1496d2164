// Autograd, random generators, threads, devices, autocast and the fused optimizer kernels.
#include "internal.h"
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <ATen/ops/_foreach_add.h>
#include <ATen/ops/_foreach_lerp.h>
#include <ATen/ops/_foreach_mul.h>
#include <ATen/ops/_foreach_norm.h>
#include <ATen/ops/_fused_adamw.h>
#include <ATen/ops/clamp_max.h>
#include <ATen/ops/stack.h>
#include <ATen/ops/linalg_vector_norm.h>
#include <ATen/ops/ones.h>
#include <ATen/ops/zeros.h>
#include <torch/csrc/autograd/profiler_legacy.h>
#include <cstdlib>
#include <cstring>
#include <memory>
#ifdef __GLIBC__
#include <malloc.h>
#endif

using namespace ctorch;

// ---- memory ----
// glibc serves each block above its mmap threshold (128 KiB at first, raised only as big blocks are
// freed) with a fresh mapping and hands free memory at the top of the heap back to the kernel. A
// training step or a sampling step allocates and frees tensors by the hundred, so every step paid
// page faults and zeroing for memory it had just released: eval_many spent 17% of its CPU time in
// the kernel (2.8 M page faults for 16 images). Fixed thresholds keep blocks up to 32 MiB (glibc's
// largest) on the heap and let up to 256 MiB of free memory stay mapped; larger tensors are still
// mapped and unmapped on their own. Set when the engine loads, before libtorch allocates; a user's
// own GLIBC_TUNABLES for malloc are left in charge.
__attribute__((constructor)) static void keep_freed_memory() {
#ifdef __GLIBC__
  const char *tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables && std::strstr(tunables, "glibc.malloc.")) return;
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}

extern "C" {

// ---- autograd ----
ct_error ct_set_requires_grad(ct_tensor t, bool on) {
  return guarded([&] { t->t.requires_grad_(on); });
}

ct_error ct_requires_grad(ct_tensor t, bool *out) {
  return guarded([&] { *out = T(t).requires_grad(); });
}

ct_error ct_backward(ct_tensor t, ct_tensor grad) {
  return guarded([&] { T(t).backward(grad ? T(grad) : at::Tensor()); });
}

ct_error ct_grad(ct_tensor *out, ct_tensor t) {
  return guarded([&] {
    const auto &g = T(t).grad();
    *out = g.defined() ? wrap(g) : nullptr;
  });
}

ct_error ct_zero_grad(ct_tensor t) {
  return guarded([&] { t->t.mutable_grad().reset(); });
}

ct_error ct_detach(ct_tensor *out, ct_tensor t) {
  return guarded([&] { *out = wrap(T(t).detach()); });
}

bool ct_set_grad_enabled(bool on) {
  bool previous = at::GradMode::is_enabled();
  at::GradMode::set_enabled(on);
  return previous;
}

bool ct_is_grad_enabled(void) { return at::GradMode::is_enabled(); }

// ---- random generators ----
ct_error ct_manual_seed(uint64_t seed) {
  return guarded([&] {
    auto g = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(g.mutex());
    g.set_current_seed(seed);
  });
}

ct_error ct_generator_new(ct_generator *out, uint64_t seed) {
  return guarded([&] { *out = new ct_generator_s{at::detail::createCPUGenerator(seed)}; });
}

void ct_generator_free(ct_generator g) { delete g; }

ct_error ct_generator_get_state(ct_generator g, ct_tensor *out) {
  return guarded([&] {
    std::lock_guard<std::mutex> lock(g->g.mutex());
    *out = wrap(g->g.get_state());
  });
}

ct_error ct_generator_set_state(ct_generator g, ct_tensor state) {
  return guarded([&] {
    std::lock_guard<std::mutex> lock(g->g.mutex());
    g->g.set_state(T(state));
  });
}

// ---- threads, devices, precision ----
void ct_set_num_threads(int32_t n) { at::set_num_threads(n); }
int32_t ct_get_num_threads(void) { return at::get_num_threads(); }

// OpenMP's team size is a per-thread setting; ATen copies the global count into each new thread on
// its first parallel op, so that copy is made first and then overridden for this thread alone.
extern "C" void omp_set_num_threads(int);
void ct_set_thread_local_threads(int32_t n) {
  (void)at::get_num_threads();
  omp_set_num_threads(n < 1 ? 1 : n);
}
bool ct_cuda_available(void) { return at::globalContext().hasCUDA(); }
int32_t ct_cuda_device_count(void) {
  return at::globalContext().hasCUDA() ? at::detail::getCUDAHooks().deviceCount() : 0;
}

ct_error ct_cuda_synchronize(int32_t device_index) {
  return guarded([&] { at::detail::getCUDAHooks().deviceSynchronize(static_cast<c10::DeviceIndex>(device_index)); });
}

ct_error ct_set_autocast(int32_t device_type, bool enabled, int32_t dtype) {
  return guarded([&] {
    auto d = device_type == CT_DEVICE_CUDA ? at::kCUDA : at::kCPU;
    at::autocast::set_autocast_enabled(d, enabled);
    at::autocast::set_autocast_dtype(d, static_cast<at::ScalarType>(dtype));
  });
}

void ct_autocast_clear_cache(void) { at::autocast::clear_cache(); }

// ---- profiling ----
// One recording at a time; libtorch writes the trace (Chrome's JSON) when the recording ends.
static std::unique_ptr<torch::autograd::profiler::RecordProfile> profile;

ct_error ct_profile_start(const char *path) {
  return guarded([&] { profile = std::make_unique<torch::autograd::profiler::RecordProfile>(std::string(path)); });
}

ct_error ct_profile_stop(void) {
  return guarded([&] { profile.reset(); });
}

// ---- optimisation ----
ct_error ct_fused_adamw(const ct_tensor *params, const ct_tensor *grads, const ct_tensor *exp_avgs,
                        const ct_tensor *exp_avg_sqs, const ct_tensor *steps, int64_t n, double lr, double beta1,
                        double beta2, double weight_decay, double eps, ct_tensor grad_divisor) {
  return guarded([&] {
    at::NoGradGuard no_grad;
    auto p = list(params, n), g = list(grads, n), m = list(exp_avgs, n), v = list(exp_avg_sqs, n),
         s = list(steps, n);
    at::_foreach_add_(s, 1);
    at::_fused_adamw_(p, g, m, v, /*max_exp_avg_sqs=*/{}, s, lr, beta1, beta2, weight_decay, eps,
                      /*amsgrad=*/false, /*maximize=*/false, opt(grad_divisor));
  });
}

// The gradients of `params` that exist, their global L2 norm and min(1, max_norm / (norm + 1e-6)),
// the factor torch.nn.utils.clip_grad_norm_ scales them by (computed without a host sync).
struct Clipping {
  std::vector<at::Tensor> grads;
  at::Tensor norm, coef;
};

static Clipping clipping(const ct_tensor *params, int64_t n, double max_norm) {
  Clipping c;
  for (int64_t i = 0; i < n; i++) {
    const auto &g = T(params[i]).grad();
    if (g.defined()) c.grads.push_back(g);
  }
  if (c.grads.empty()) {
    c.norm = at::zeros({}, at::kFloat);
    c.coef = at::ones({}, at::kFloat);
    return c;
  }
  c.norm = at::linalg_vector_norm(at::stack(at::_foreach_norm(c.grads, 2)), 2);
  c.coef = at::clamp_max(max_norm / (c.norm + 1e-6), 1.0);
  return c;
}

ct_error ct_clip_grad_norm(ct_tensor *total, const ct_tensor *params, int64_t n, double max_norm) {
  return guarded([&] {
    at::NoGradGuard no_grad;
    auto c = clipping(params, n, max_norm);
    if (!c.grads.empty()) at::_foreach_mul_(c.grads, c.coef);
    *total = wrap(c.norm);
  });
}

ct_error ct_grad_clip_divisor(ct_tensor *total, ct_tensor *divisor, const ct_tensor *params, int64_t n,
                              double max_norm) {
  return guarded([&] {
    at::NoGradGuard no_grad;
    auto c = clipping(params, n, max_norm);
    *total = wrap(c.norm);
    *divisor = wrap(c.coef.reciprocal());
  });
}

ct_error ct_foreach_add_(const ct_tensor *a, const ct_tensor *b, int64_t n, double alpha) {
  return guarded([&] {
    at::NoGradGuard no_grad;
    auto x = list(a, n);
    at::_foreach_add_(x, list(b, n), alpha);
  });
}

ct_error ct_foreach_mul_scalar_(const ct_tensor *a, int64_t n, double s) {
  return guarded([&] {
    at::NoGradGuard no_grad;
    auto x = list(a, n);
    at::_foreach_mul_(x, s);
  });
}

ct_error ct_foreach_lerp_(const ct_tensor *a, const ct_tensor *b, int64_t n, double weight) {
  return guarded([&] {
    at::NoGradGuard no_grad;
    auto x = list(a, n);
    at::_foreach_lerp_(x, list(b, n), weight);
  });
}

} // extern "C"
