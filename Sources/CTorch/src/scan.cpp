// The MDFormer's selective scan (docs/python-reference.md §4.3) as one fused CPU op with a hand-written backward.
// Batched tensor ops spend their time streaming [B,E,L,N] temporaries through memory; here each
// (batch, channel) pair keeps its N-float state (and, in backward, one line of states) in cache.
#include "internal.h"
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/empty_like.h>
#include <ATen/ops/zeros.h>
#include <torch/csrc/autograd/custom_function.h>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <mutex>

// Vector values only pass between functions of this file, all forced inline into each clone, so
// GCC's note that 32-byte vector arguments have an ISA-dependent ABI does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace {

#define CT_INLINE __attribute__((always_inline)) inline

// Where the scan reads and writes: B planes of E channels, each an H x W plane of `plane` pixels. B
// and C are re-laid out as [B, H*W, padded] so a pixel's N values are adjacent; A as [1 or E, padded].
// The op runs one pass or two (rows, then columns of the rows' output, with the same dt, B, C, A, D).
struct Pass {
  // M independent lines of L positions. Rows: line i is row i (positions 1 apart); columns: line i is
  // column i (positions W apart).
  int64_t lines = 0, length = 0, line_stride = 0, step_stride = 0;

  int64_t pixel(int64_t line, int64_t step) const { return line * line_stride + step * step_stride; }
};

struct Geometry {
  int64_t batch = 0, channels = 0, states = 0, height = 0, width = 0, plane = 0;
  int64_t padded = 0, vectors = 0; // N rounded up to whole vectors, and their count
  bool shared_a = true;            // A is [N] (reference variant) rather than [E, N]
  int passes = 1;
  Pass pass[2];
};

// dim 3: rows; dim 2: columns.
Pass along(int64_t dim, int64_t height, int64_t width) {
  return dim == 3 ? Pass{height, width, width, 1} : Pass{width, height, 1, width};
}


// An 8-wide Cephes-style float exp in GCC vector extensions: glibc's scalar expf would dominate the
// scan (exp(A dt) is its only transcendental work). Accurate to about 2 ulp; arguments are clamped
// to the normal range, so exp of a very negative number gives ~1e-38 rather than a denormal or 0.
typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));

CT_INLINE v8f exp8(const v8f &input) {
  v8f x = input;
  const v8f hi = v8f{} + 88.3762626647949f, lo = v8f{} - 87.3365478515625f;
  x = x > hi ? hi : x;
  x = x < lo ? lo : x;
  // n = round(x / ln 2) by the 1.5 * 2^23 trick (round-to-nearest mode, which libtorch never changes).
  const float magic = 12582912.0f;
  v8f n = (x * 1.44269504088896341f + magic) - magic;
  v8f r = x - n * 0.693359375f + n * 2.12194440e-4f; // x - n ln2, ln2 split in two for precision
  v8f p = r * 1.9875691500e-4f + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  v8i bits = (__builtin_convertvector(n, v8i) + 127) << 23; // 2^n
  v8f scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

// Lanes of one 32-byte vector: 8 floats or 4 doubles, one AVX register (two SSE registers in the
// baseline build). The state's N values are padded with zeros to whole vectors (B = C = 0 keeps a
// padded state at 0; A = 0 only multiplies that 0 by 1), so every inner loop runs over whole vectors.
template <typename T> struct Lanes;
template <> struct Lanes<float> { typedef float V __attribute__((vector_size(32))); };
template <> struct Lanes<double> { typedef double V __attribute__((vector_size(32))); };
template <typename T> using Vec = typename Lanes<T>::V;
template <typename T> constexpr int64_t lanes = 32 / sizeof(T);
constexpr int64_t kVectorBytes = 32;
// Per-thread state arrays live on the stack: N up to 512 (float) or 256 (double).
constexpr int64_t kMaxVectors = 64;

CT_INLINE Vec<float> vexp(const Vec<float> &x) { return exp8(x); }
CT_INLINE Vec<double> vexp(const Vec<double> &x) { return Vec<double>{std::exp(x[0]), std::exp(x[1]), std::exp(x[2]), std::exp(x[3])}; }

// Horizontal sums as a tree of halves (a chain of 8 scalar adds would sit on every pixel's path).
CT_INLINE float hsum(const Vec<float> &v) {
  typedef float V4 __attribute__((vector_size(16)));
  const V4 quad = __builtin_shufflevector(v, v, 0, 1, 2, 3) + __builtin_shufflevector(v, v, 4, 5, 6, 7);
  const V4 pair = quad + __builtin_shufflevector(quad, quad, 2, 3, 0, 1);
  return pair[0] + pair[1];
}
CT_INLINE double hsum(const Vec<double> &v) {
  typedef double V2 __attribute__((vector_size(16)));
  const V2 pair = __builtin_shufflevector(v, v, 0, 1) + __builtin_shufflevector(v, v, 2, 3);
  return pair[0] + pair[1];
}

// The kernels are compiled twice on x86-64, for the baseline ISA and for AVX2, and the loader picks
// one (an ifunc): the shim stays portable while machines with AVX2 run 8 float lanes per instruction.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define CT_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define CT_CLONES
#endif

// About 32k state updates per task: enough to amortise the scheduling, small enough to balance.
int64_t grain(const Geometry &g) {
  return std::max<int64_t>(1, 32768 / std::max<int64_t>(1, g.passes * g.plane * g.padded));
}

// A zero-filled buffer of vectors, aligned for them. Not std::vector: its out-of-line helpers would
// pass vector values between code built for different ISAs (see CT_CLONES).
template <typename V> struct Scratch {
  V *data;
  explicit Scratch(int64_t count) {
    const size_t bytes = (static_cast<size_t>(std::max<int64_t>(count, 1)) * sizeof(V) + 63) / 64 * 64;
    data = static_cast<V *>(std::aligned_alloc(64, bytes));
    TORCH_CHECK(data != nullptr, "selective_scan: out of memory");
    std::memset(static_cast<void *>(data), 0, bytes);
  }
  ~Scratch() { std::free(data); }
  Scratch(const Scratch &) = delete;
  Scratch &operator=(const Scratch &) = delete;
};

// The kernels' inputs (in the layouts of `prepare`) and outputs. gy may have any strides (sum()'s
// backward hands in a stride-0 expanded gradient): gy_stride is [B, E, H, W] in elements.
template <typename T> struct Buffers {
  const T *u = nullptr, *dt = nullptr, *bt = nullptr, *ct = nullptr, *a = nullptr, *d = nullptr, *gy = nullptr;
  int64_t gy_stride[4] = {0, 0, 0, 0};
  T *y = nullptr, *gu = nullptr, *gdt = nullptr, *gbt = nullptr, *gct = nullptr;
};

// Sums of the gradients that many tasks share (A and D in double; B and C straight into gbt, gct).
struct Totals {
  std::mutex merge;
  std::vector<double> ga, gd;
};

// What one pass reads for one (batch, channel) plane besides its input: the step sizes, B and C at
// every pixel, A, and D.
template <typename T> struct Plane {
  const T *dt;
  const Vec<T> *b, *c, *a;
  T skip;
};

// One pass over a plane: for every line, s := 0, then s = exp(A dt) s + dt x B, y = Σ C s + D x.
// kDecay: compute exp(A dt) and store it at `decay` (else read it there: both passes share dt).
// kStates: keep the state after every pixel at `states`. kOutput: write y to `out`.
template <typename T, bool kDecay, bool kStates, bool kOutput>
CT_INLINE void forward_pass(const Pass &pass, int64_t nv, const Plane<T> &x, const T *in, T *out, Vec<T> *decay,
                            Vec<T> *states) {
  using V = Vec<T>;
  const V zero = {};
  V state[kMaxVectors];
  for (int64_t line = 0; line < pass.lines; line++) {
    for (int64_t v = 0; v < nv; v++) state[v] = zero;
    for (int64_t j = 0; j < pass.length; j++) {
      const int64_t p = pass.pixel(line, j);
      const T step = x.dt[p], input = in[p], drive = step * input;
      const V *bp = x.b + p * nv, *cp = x.c + p * nv;
      V *dp = decay + p * nv, *sp = kStates ? states + p * nv : nullptr;
      V sum = zero;
      #pragma GCC unroll 8
      for (int64_t v = 0; v < nv; v++) {
        V dv;
        if constexpr (kDecay) {
          dv = vexp(x.a[v] * step);
          dp[v] = dv;
        } else {
          dv = dp[v];
        }
        state[v] = dv * state[v] + drive * bp[v];
        if constexpr (kStates) sp[v] = state[v];
        if constexpr (kOutput) sum += cp[v] * state[v];
      }
      if constexpr (kOutput) out[p] = hsum(sum) + x.skip * input;
    }
  }
}

// The reverse-time recursion of one pass over a plane, with ḡ_j the adjoint of the state after
// position j of a line:  ḡ_j = gy_j C_j + exp(A dt_{j+1}) ḡ_{j+1}.
// Every input's gradient is a local function of ḡ_j, the state before j and the inputs at j. Needs
// the pass's decays and states (`forward_pass`). Writes gin (the gradient of the pass's input) and
// gdt (adds to it when kAddStep); adds to gb, gc (this plane's batch), ga and gd.
template <typename T, bool kAddStep>
CT_INLINE void backward_pass(const Pass &pass, int64_t nv, const Plane<T> &x, const T *in, const T *gy,
                             const Vec<T> *decay, const Vec<T> *states, T *gin, T *gdt, Vec<T> *gb, Vec<T> *gc,
                             Vec<T> *ga, double &gd) {
  using V = Vec<T>;
  const V zero = {};
  V adjoint[kMaxVectors];
  double gd_sum = 0;
  for (int64_t line = 0; line < pass.lines; line++) {
    for (int64_t v = 0; v < nv; v++) adjoint[v] = zero;
    for (int64_t j = pass.length - 1; j >= 0; j--) {
      const int64_t p = pass.pixel(line, j);
      const T out = gy[p], step = x.dt[p], input = in[p], drive = step * input;
      const V *bp = x.b + p * nv, *cp = x.c + p * nv;
      const V *sp = states + p * nv, *dp = decay + p * nv;
      const V *before = j ? states + (p - pass.step_stride) * nv : sp; // read only when j > 0
      V *gbp = gb + p * nv, *gcp = gc + p * nv;
      V through_b = zero, through_decay = zero;
      #pragma GCC unroll 8
      for (int64_t v = 0; v < nv; v++) {
        const V adj = adjoint[v] + out * cp[v];                    // ḡ_j
        const V previous = j ? before[v] : zero;                   // s_{j-1}
        const V via_decay = adj * dp[v] * previous;                // d/d(A dt) of exp(A dt) s_{j-1}
        gcp[v] += out * sp[v];
        gbp[v] += adj * drive;
        through_b += adj * bp[v];
        through_decay += via_decay * x.a[v];
        ga[v] += via_decay * step;
        adjoint[v] = adj * dp[v];                                   // carried to s_{j-1}
      }
      const T b_sum = hsum(through_b);
      gin[p] = out * x.skip + b_sum * step;
      const T g_step = hsum(through_decay) + b_sum * input;
      gdt[p] = kAddStep ? gdt[p] + g_step : g_step;
      gd_sum += double(out) * double(input);
    }
  }
  gd += gd_sum;
}

// This task's (batch, channel) plane.
template <typename T> CT_INLINE Plane<T> plane_of(const Geometry &g, const Buffers<T> &x, int64_t k) {
  using V = Vec<T>;
  const int64_t bi = k / g.channels, e = k % g.channels;
  return {x.dt + k * g.plane, reinterpret_cast<const V *>(x.bt + bi * g.plane * g.padded),
          reinterpret_cast<const V *>(x.ct + bi * g.plane * g.padded),
          reinterpret_cast<const V *>(x.a + (g.shared_a ? 0 : e * g.padded)), x.d[e]};
}

// Forward over the (batch, channel) tasks begin..<end: each plane's passes run one after the other
// in cache (the decays of the first pass serve the second).
// kVectors: the vectors per state when known at compile time (then the inner loops unroll and the state
// stays in registers), 0 when not.
template <typename T, int kVectors>
CT_INLINE void forward_tasks(const Geometry &g, const Buffers<T> &x, int64_t begin, int64_t end) {
  using V = Vec<T>;
  const int64_t nv = kVectors ? kVectors : g.vectors;
  Scratch<V> decay(g.plane * nv);
  Scratch<T> middle(g.plane);
  for (int64_t k = begin; k < end; k++) {
    const Plane<T> plane = plane_of(g, x, k);
    const T *uk = x.u + k * g.plane;
    T *yk = x.y + k * g.plane;
    if (g.passes == 1) {
      forward_pass<T, true, false, true>(g.pass[0], nv, plane, uk, yk, decay.data, nullptr);
    } else {
      forward_pass<T, true, false, true>(g.pass[0], nv, plane, uk, middle.data, decay.data, nullptr);
      forward_pass<T, false, false, true>(g.pass[1], nv, plane, middle.data, yk, decay.data, nullptr);
    }
  }
}

// Backward over the tasks begin..<end. Each plane's decays, states and (for two passes) the first
// pass's output are recomputed in cache, nothing is saved by the forward. B, C, D and A are shared
// across channels (or batch), so each task range sums its share locally and adds it to the totals
// once, under a lock.
template <typename T, int kVectors>
CT_INLINE void backward_tasks(const Geometry &g, const Buffers<T> &x, Totals &totals, int64_t begin, int64_t end) {
  using V = Vec<T>;
  const int64_t nv = kVectors ? kVectors : g.vectors, padded = g.padded, plane_size = g.plane;
  const int64_t a_size = static_cast<int64_t>(totals.ga.size());
  const int64_t b_first = begin / g.channels, b_count = (end - 1) / g.channels - b_first + 1;
  Scratch<V> gb_local(b_count * plane_size * nv), gc_local(b_count * plane_size * nv);
  Scratch<V> decay(plane_size * nv), states(g.passes * plane_size * nv);
  Scratch<T> middle(plane_size), g_middle(plane_size), gy(plane_size);
  std::vector<double> ga_local(a_size, 0.0), gd_local(g.channels, 0.0);
  V ga_sum[kMaxVectors];
  for (int64_t k = begin; k < end; k++) {
    const int64_t bi = k / g.channels, e = k % g.channels;
    const Plane<T> plane = plane_of(g, x, k);
    const T *uk = x.u + k * plane_size;
    T *guk = x.gu + k * plane_size, *gdtk = x.gdt + k * plane_size;
    V *gbk = gb_local.data + (bi - b_first) * plane_size * nv, *gck = gc_local.data + (bi - b_first) * plane_size * nv;
    // This plane's output gradient, gathered from whatever strides it has.
    const T *gyk = x.gy + bi * x.gy_stride[0] + e * x.gy_stride[1];
    for (int64_t h = 0, p = 0; h < g.height; h++)
      for (int64_t w = 0; w < g.width; w++, p++) gy.data[p] = gyk[h * x.gy_stride[2] + w * x.gy_stride[3]];
    for (int64_t v = 0; v < nv; v++) ga_sum[v] = V{};
    double gd_sum = 0;
    if (g.passes == 1) {
      forward_pass<T, true, true, false>(g.pass[0], nv, plane, uk, nullptr, decay.data, states.data);
      backward_pass<T, false>(g.pass[0], nv, plane, uk, gy.data, decay.data, states.data, guk, gdtk, gbk, gck,
                              ga_sum, gd_sum);
    } else {
      V *first = states.data, *second = states.data + plane_size * nv;
      forward_pass<T, true, true, true>(g.pass[0], nv, plane, uk, middle.data, decay.data, first);
      forward_pass<T, false, true, false>(g.pass[1], nv, plane, middle.data, nullptr, decay.data, second);
      backward_pass<T, false>(g.pass[1], nv, plane, middle.data, gy.data, decay.data, second, g_middle.data, gdtk,
                              gbk, gck, ga_sum, gd_sum);
      backward_pass<T, true>(g.pass[0], nv, plane, uk, g_middle.data, decay.data, first, guk, gdtk, gbk, gck,
                             ga_sum, gd_sum);
    }
    gd_local[e] += gd_sum;
    double *gak = ga_local.data() + (g.shared_a ? 0 : e * padded);
    for (int64_t v = 0; v < nv; v++)
      for (int64_t lane = 0; lane < lanes<T>; lane++) gak[v * lanes<T> + lane] += double(ga_sum[v][lane]);
  }
  std::lock_guard<std::mutex> lock(totals.merge);
  V *gb_all = reinterpret_cast<V *>(x.gbt) + b_first * plane_size * nv;
  V *gc_all = reinterpret_cast<V *>(x.gct) + b_first * plane_size * nv;
  for (int64_t i = 0; i < b_count * plane_size * nv; i++) {
    gb_all[i] += gb_local.data[i];
    gc_all[i] += gc_local.data[i];
  }
  for (int64_t i = 0; i < a_size; i++) totals.ga[i] += ga_local[i];
  for (int64_t i = 0; i < g.channels; i++) totals.gd[i] += gd_local[i];
}

// The model's 16 states are 2 vectors of floats or 4 of doubles.
template <typename T> CT_INLINE void forward_any(const Geometry &g, const Buffers<T> &x, int64_t begin, int64_t end) {
  switch (g.vectors) {
  case 1: return forward_tasks<T, 1>(g, x, begin, end);
  case 2: return forward_tasks<T, 2>(g, x, begin, end);
  case 4: return forward_tasks<T, 4>(g, x, begin, end);
  default: return forward_tasks<T, 0>(g, x, begin, end);
  }
}
template <typename T>
CT_INLINE void backward_any(const Geometry &g, const Buffers<T> &x, Totals &totals, int64_t begin, int64_t end) {
  switch (g.vectors) {
  case 1: return backward_tasks<T, 1>(g, x, totals, begin, end);
  case 2: return backward_tasks<T, 2>(g, x, totals, begin, end);
  case 4: return backward_tasks<T, 4>(g, x, totals, begin, end);
  default: return backward_tasks<T, 0>(g, x, totals, begin, end);
  }
}

CT_CLONES void forward_clone(const Geometry &g, const Buffers<float> &x, int64_t begin, int64_t end) {
  forward_any(g, x, begin, end);
}
CT_CLONES void forward_clone(const Geometry &g, const Buffers<double> &x, int64_t begin, int64_t end) {
  forward_any(g, x, begin, end);
}
CT_CLONES void backward_clone(const Geometry &g, const Buffers<float> &x, Totals &totals, int64_t begin, int64_t end) {
  backward_any(g, x, totals, begin, end);
}
CT_CLONES void backward_clone(const Geometry &g, const Buffers<double> &x, Totals &totals, int64_t begin, int64_t end) {
  backward_any(g, x, totals, begin, end);
}

template <typename T> void scan_forward(const Geometry &g, const Buffers<T> &x) {
  at::parallel_for(0, g.batch * g.channels, grain(g),
                   [&](int64_t begin, int64_t end) { forward_clone(g, x, begin, end); });
}

// ga: [1 or E, padded]; gd: [E].
template <typename T> void scan_backward(const Geometry &g, const Buffers<T> &x, T *ga, T *gd) {
  Totals totals;
  totals.ga.assign((g.shared_a ? 1 : g.channels) * g.padded, 0.0);
  totals.gd.assign(g.channels, 0.0);
  std::fill(x.gbt, x.gbt + g.batch * g.plane * g.padded, T(0));
  std::fill(x.gct, x.gct + g.batch * g.plane * g.padded, T(0));
  at::parallel_for(0, g.batch * g.channels, grain(g),
                   [&](int64_t begin, int64_t end) { backward_clone(g, x, totals, begin, end); });
  for (size_t i = 0; i < totals.ga.size(); i++) ga[i] = T(totals.ga[i]);
  for (int64_t i = 0; i < g.channels; i++) gd[i] = T(totals.gd[i]);
}

// The geometry of u [B,E,H,W] with N states; dim 3: rows, 2: columns, -1: rows, then columns.
Geometry geometry(const at::Tensor &u, int64_t states, bool shared_a, int64_t dim) {
  Geometry g;
  g.batch = u.size(0), g.channels = u.size(1), g.height = u.size(2), g.width = u.size(3);
  g.plane = g.height * g.width;
  g.states = states;
  g.shared_a = shared_a;
  if (dim == -1) {
    g.passes = 2, g.pass[0] = along(3, g.height, g.width), g.pass[1] = along(2, g.height, g.width);
  } else {
    g.passes = 1, g.pass[0] = along(dim, g.height, g.width);
  }
  const int64_t width_lanes = kVectorBytes / static_cast<int64_t>(u.element_size());
  g.vectors = (g.states + width_lanes - 1) / width_lanes;
  g.padded = g.vectors * width_lanes;
  return g;
}

// Checks the shapes and makes the layouts the kernels read: u, dt [B,E,H,W] contiguous; B, C as
// [B, H*W, padded] and A as [1 or E, padded], zero-padded; D contiguous. dim: 3 rows, 2 columns,
// -1 both (rows, then columns).
struct Prepared {
  Geometry g;
  at::Tensor u, dt, bt, ct, a, d;
};

Prepared prepare(const at::Tensor &u, const at::Tensor &dt, const at::Tensor &b, const at::Tensor &c,
                 const at::Tensor &a, const at::Tensor &d, int64_t dim) {
  TORCH_CHECK(dim == 2 || dim == 3 || dim == -1,
              "selective_scan: dim must be 2 (columns), 3 (rows) or -1 (rows, then columns), got ", dim);
  TORCH_CHECK(u.dim() == 4 && b.dim() == 4, "selective_scan: u and b must be [B,E,H,W] and [B,N,H,W]");
  const auto type = u.scalar_type();
  TORCH_CHECK(type == at::kFloat || type == at::kDouble, "selective_scan: float32 or float64 only, got ", type);
  for (const at::Tensor *t : {&u, &dt, &b, &c, &a, &d}) {
    TORCH_CHECK(t->scalar_type() == type, "selective_scan: all inputs must have u's dtype");
    TORCH_CHECK(t->device().is_cpu(), "selective_scan: CPU tensors only");
  }
  const Geometry g = geometry(u, b.size(1), a.dim() == 1, dim);
  const int64_t height = g.height, width = g.width;
  TORCH_CHECK(dt.sizes() == u.sizes(), "selective_scan: dt must have u's shape");
  TORCH_CHECK(b.sizes() == at::IntArrayRef({g.batch, g.states, height, width}) && c.sizes() == b.sizes(),
              "selective_scan: b and c must be [B,N,H,W] matching u");
  TORCH_CHECK(d.dim() == 1 && d.size(0) == g.channels, "selective_scan: d must be [E]");
  TORCH_CHECK((a.dim() == 1 && a.size(0) == g.states) ||
                  (a.dim() == 2 && a.size(0) == g.channels && a.size(1) == g.states),
              "selective_scan: a must be [N] or [E,N]");
  TORCH_CHECK(g.vectors <= kMaxVectors, "selective_scan: at most ", kMaxVectors * kVectorBytes / static_cast<int64_t>(u.element_size()), " states");
  auto pixel_major = [&](const at::Tensor &t) {
    at::Tensor out = at::zeros({g.batch, height, width, g.padded}, u.options());
    out.narrow(3, 0, g.states).copy_(t.permute({0, 2, 3, 1}));
    return out.view({g.batch, g.plane, g.padded});
  };
  const int64_t a_rows = g.shared_a ? 1 : g.channels;
  at::Tensor a_padded = at::zeros({a_rows, g.padded}, u.options());
  a_padded.narrow(1, 0, g.states).copy_(a.reshape({a_rows, g.states}));
  return {g, u.contiguous(), dt.contiguous(), pixel_major(b), pixel_major(c), a_padded, d.contiguous()};
}

template <typename T> Buffers<T> inputs(const Prepared &x) {
  Buffers<T> b;
  b.u = x.u.data_ptr<T>(), b.dt = x.dt.data_ptr<T>(), b.bt = x.bt.data_ptr<T>(), b.ct = x.ct.data_ptr<T>();
  b.a = x.a.data_ptr<T>(), b.d = x.d.data_ptr<T>();
  return b;
}

struct SelectiveScanFunction : public torch::autograd::Function<SelectiveScanFunction> {
  static at::Tensor forward(torch::autograd::AutogradContext *ctx, const at::Tensor &u, const at::Tensor &dt,
                            const at::Tensor &b, const at::Tensor &c, const at::Tensor &a, const at::Tensor &d,
                            int64_t dim) {
    Prepared x = prepare(u, dt, b, c, a, d, dim);
    at::Tensor y = at::empty(u.sizes(), u.options());
    AT_DISPATCH_FLOATING_TYPES(u.scalar_type(), "selective_scan", [&] {
      Buffers<scalar_t> buffers = inputs<scalar_t>(x);
      buffers.y = y.data_ptr<scalar_t>();
      scan_forward(x.g, buffers);
    });
    // The kernels' layouts are kept (B and C re-laid out are small), so backward does not redo them.
    ctx->save_for_backward({x.u, x.dt, x.bt, x.ct, x.a, x.d});
    ctx->saved_data["dim"] = dim;
    ctx->saved_data["states"] = x.g.states;
    ctx->saved_data["a_shape"] = a.sizes().vec();
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx,
                                                 torch::autograd::variable_list outputs) {
    auto saved = ctx->get_saved_variables();
    const std::vector<int64_t> a_shape = ctx->saved_data["a_shape"].toIntVector();
    const Geometry g = geometry(saved[0], ctx->saved_data["states"].toInt(), a_shape.size() == 1,
                                ctx->saved_data["dim"].toInt());
    const Prepared x{g, saved[0], saved[1], saved[2], saved[3], saved[4], saved[5]};
    at::Tensor gy = outputs[0].to(x.u.scalar_type());
    TORCH_CHECK(gy.sizes() == x.u.sizes(), "selective_scan: the output gradient must have the output's shape");
    at::Tensor gu = at::empty_like(x.u), gdt = at::empty_like(x.dt);
    at::Tensor gbt = at::empty_like(x.bt), gct = at::empty_like(x.ct);
    at::Tensor ga = at::empty_like(x.a), gd = at::empty_like(x.d); // ga: [1 or E, padded]
    AT_DISPATCH_FLOATING_TYPES(x.u.scalar_type(), "selective_scan_backward", [&] {
      Buffers<scalar_t> buffers = inputs<scalar_t>(x);
      buffers.gy = gy.data_ptr<scalar_t>();
      for (int i = 0; i < 4; i++) buffers.gy_stride[i] = gy.stride(i);
      buffers.gu = gu.data_ptr<scalar_t>(), buffers.gdt = gdt.data_ptr<scalar_t>();
      buffers.gbt = gbt.data_ptr<scalar_t>(), buffers.gct = gct.data_ptr<scalar_t>();
      scan_backward(g, buffers, ga.data_ptr<scalar_t>(), gd.data_ptr<scalar_t>());
    });
    auto channel_major = [&](const at::Tensor &t) {
      return t.view({g.batch, g.height, g.width, g.padded}).narrow(3, 0, g.states).permute({0, 3, 1, 2}).contiguous();
    };
    at::Tensor ga_real = ga.narrow(1, 0, g.states).reshape(a_shape).contiguous();
    return {gu, gdt, channel_major(gbt), channel_major(gct), ga_real, gd, at::Tensor()};
  }
};

} // namespace

extern "C" ct_error ct_selective_scan(ct_tensor *out, ct_tensor u, ct_tensor dt, ct_tensor b, ct_tensor c,
                                      ct_tensor a, ct_tensor d, int64_t dim) {
  return ctorch::guarded([&] {
    TORCH_CHECK(dim == 2 || dim == 3, "selective_scan: dim must be 2 (columns) or 3 (rows), got ", dim);
    *out = ctorch::wrap(SelectiveScanFunction::apply(ctorch::T(u), ctorch::T(dt), ctorch::T(b), ctorch::T(c),
                                                     ctorch::T(a), ctorch::T(d), dim));
  });
}

extern "C" ct_error ct_selective_scan_two_pass(ct_tensor *out, ct_tensor u, ct_tensor dt, ct_tensor b, ct_tensor c,
                                               ct_tensor a, ct_tensor d) {
  return ctorch::guarded([&] {
    *out = ctorch::wrap(SelectiveScanFunction::apply(ctorch::T(u), ctorch::T(dt), ctorch::T(b), ctorch::T(c),
                                                     ctorch::T(a), ctorch::T(d), -1));
  });
}
