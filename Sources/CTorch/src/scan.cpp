// The MDFormer's selective scan (SPEC.md 4.3) as one fused CPU op with a hand-written backward.
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

// Where one scan pass reads and writes: B planes of E channels, each an H x W plane cut into M
// independent lines of L positions. Rows: line i is row i (positions 1 apart); columns: line i is
// column i (positions W apart). B and C are re-laid out as [B, H*W, padded] so a pixel's N values
// are adjacent; A as [1 or E, padded].
struct Geometry {
  int64_t batch = 0, channels = 0, states = 0, plane = 0;
  int64_t padded = 0, vectors = 0; // N rounded up to whole vectors, and their count
  int64_t lines = 0, length = 0, line_stride = 0, step_stride = 0;
  bool shared_a = true; // A is [N] (reference variant) rather than [E, N]

  int64_t pixel(int64_t line, int64_t step) const { return line * line_stride + step * step_stride; }
};

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

template <typename T> CT_INLINE T hsum(const Vec<T> &v) {
  T sum = 0;
  for (int64_t i = 0; i < lanes<T>; i++) sum += v[i];
  return sum;
}

// The kernels are compiled twice on x86-64, for the baseline ISA and for AVX2, and the loader picks
// one (an ifunc): the shim stays portable while machines with AVX2 run 8 float lanes per instruction.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define CT_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define CT_CLONES
#endif

// About 32k state updates per task: enough to amortise the scheduling, small enough to balance.
int64_t grain(const Geometry &g) { return std::max<int64_t>(1, 32768 / std::max<int64_t>(1, g.plane * g.padded)); }

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

// The kernels' inputs (in the layouts of `prepare`) and outputs.
template <typename T> struct Buffers {
  const T *u = nullptr, *dt = nullptr, *bt = nullptr, *ct = nullptr, *a = nullptr, *d = nullptr, *gy = nullptr;
  T *y = nullptr, *gu = nullptr, *gdt = nullptr, *gbt = nullptr, *gct = nullptr;
};

// Sums of the gradients that many tasks share (A and D in double; B and C straight into gbt, gct).
struct Totals {
  std::mutex merge;
  std::vector<double> ga, gd;
};

// Forward over the (batch, channel) tasks begin..<end.
template <typename T> CT_INLINE void forward_tasks(const Geometry &g, const Buffers<T> &x, int64_t begin, int64_t end) {
  using V = Vec<T>;
  const T *u = x.u, *dt = x.dt, *bt = x.bt, *ct = x.ct, *a = x.a, *d = x.d;
  T *y = x.y;
  const int64_t nv = g.vectors;
  {
    const V zero = {};
    V state[kMaxVectors];
    for (int64_t k = begin; k < end; k++) {
      const int64_t bi = k / g.channels, e = k % g.channels;
      const T *uk = u + k * g.plane, *dk = dt + k * g.plane;
      const V *bk = reinterpret_cast<const V *>(bt + bi * g.plane * g.padded);
      const V *ck = reinterpret_cast<const V *>(ct + bi * g.plane * g.padded);
      const V *ak = reinterpret_cast<const V *>(a + (g.shared_a ? 0 : e * g.padded));
      const T skip = d[e];
      T *yk = y + k * g.plane;
      for (int64_t line = 0; line < g.lines; line++) {
        for (int64_t v = 0; v < nv; v++) state[v] = zero;
        for (int64_t j = 0; j < g.length; j++) {
          const int64_t p = g.pixel(line, j);
          const T step = dk[p], input = uk[p], drive = step * input;
          const V *bp = bk + p * nv, *cp = ck + p * nv;
          V out = zero;
          for (int64_t v = 0; v < nv; v++) {
            state[v] = vexp(ak[v] * step) * state[v] + drive * bp[v];
            out += cp[v] * state[v];
          }
          yk[p] = hsum<T>(out) + skip * input;
        }
      }
    }
  }
}

// Reverse-time recursion per line: with ḡ_j the adjoint of the state after position j,
//   ḡ_j = gy_j C_j + exp(A dt_{j+1}) ḡ_{j+1},
// and every input's gradient is a local function of ḡ_j, the state before j and the inputs at j.
// The line's states and decays are recomputed first (L x N values, in cache), nothing is saved.
// B, C, D and A are shared across channels (or batch), so each task sums its share locally and
// adds it to the totals once, under a lock.
template <typename T>
CT_INLINE void backward_tasks(const Geometry &g, const Buffers<T> &x, Totals &totals, int64_t begin, int64_t end) {
  using V = Vec<T>;
  const T *u = x.u, *dt = x.dt, *bt = x.bt, *ct = x.ct, *a = x.a, *d = x.d, *gy = x.gy;
  T *gu = x.gu, *gdt = x.gdt, *gbt = x.gbt, *gct = x.gct;
  const int64_t nv = g.vectors, padded = g.padded;
  const int64_t a_size = static_cast<int64_t>(totals.ga.size());
  {
    const V zero = {};
    const int64_t b_first = begin / g.channels, b_count = (end - 1) / g.channels - b_first + 1;
    Scratch<V> gb_local(b_count * g.plane * nv), gc_local(b_count * g.plane * nv);
    Scratch<V> states(g.length * nv), decay(g.length * nv);
    std::vector<double> ga_local(a_size, 0.0), gd_local(g.channels, 0.0);
    V adjoint[kMaxVectors], ga_sum[kMaxVectors];
    for (int64_t k = begin; k < end; k++) {
      const int64_t bi = k / g.channels, e = k % g.channels;
      const T *uk = u + k * g.plane, *dk = dt + k * g.plane, *gyk = gy + k * g.plane;
      const V *bk = reinterpret_cast<const V *>(bt + bi * g.plane * padded);
      const V *ck = reinterpret_cast<const V *>(ct + bi * g.plane * padded);
      const V *ak = reinterpret_cast<const V *>(a + (g.shared_a ? 0 : e * padded));
      V *gbk = gb_local.data + (bi - b_first) * g.plane * nv, *gck = gc_local.data + (bi - b_first) * g.plane * nv;
      const T skip = d[e];
      T *guk = gu + k * g.plane, *gdtk = gdt + k * g.plane;
      double gd_sum = 0;
      for (int64_t v = 0; v < nv; v++) ga_sum[v] = zero;
      for (int64_t line = 0; line < g.lines; line++) {
        for (int64_t j = 0; j < g.length; j++) {
          const int64_t p = g.pixel(line, j);
          const T step = dk[p], drive = step * uk[p];
          const V *bp = bk + p * nv;
          V *sj = states.data + j * nv, *dj = decay.data + j * nv;
          for (int64_t v = 0; v < nv; v++) {
            dj[v] = vexp(ak[v] * step);
            sj[v] = (j ? dj[v] * sj[v - nv] : zero) + drive * bp[v];
          }
        }
        for (int64_t v = 0; v < nv; v++) adjoint[v] = zero;
        for (int64_t j = g.length - 1; j >= 0; j--) {
          const int64_t p = g.pixel(line, j);
          const T out = gyk[p], step = dk[p], input = uk[p], drive = step * input;
          const V *bp = bk + p * nv, *cp = ck + p * nv;
          const V *sj = states.data + j * nv, *dj = decay.data + j * nv;
          V *gbp = gbk + p * nv, *gcp = gck + p * nv;
          V through_b = zero, through_decay = zero;
          for (int64_t v = 0; v < nv; v++) {
            const V adj = adjoint[v] + out * cp[v];                  // ḡ_j
            const V before = j ? sj[v - nv] : zero;                  // s_{j-1}
            const V via_decay = adj * dj[v] * before;                // d/d(A dt) of exp(A dt) s_{j-1}
            gcp[v] += out * sj[v];
            gbp[v] += adj * drive;
            through_b += adj * bp[v];
            through_decay += via_decay * ak[v];
            ga_sum[v] += via_decay * step;
            adjoint[v] = adj * dj[v];                                 // carried to s_{j-1}
          }
          const T b_sum = hsum<T>(through_b);
          guk[p] = out * skip + b_sum * step;
          gdtk[p] = hsum<T>(through_decay) + b_sum * input;
          gd_sum += double(out) * double(input);
        }
      }
      gd_local[e] += gd_sum;
      double *gak = ga_local.data() + (g.shared_a ? 0 : e * padded);
      for (int64_t v = 0; v < nv; v++)
        for (int64_t lane = 0; lane < lanes<T>; lane++) gak[v * lanes<T> + lane] += double(ga_sum[v][lane]);
    }
    std::lock_guard<std::mutex> lock(totals.merge);
    V *gb_all = reinterpret_cast<V *>(gbt) + b_first * g.plane * nv, *gc_all = reinterpret_cast<V *>(gct) + b_first * g.plane * nv;
    for (int64_t i = 0; i < b_count * g.plane * nv; i++) {
      gb_all[i] += gb_local.data[i];
      gc_all[i] += gc_local.data[i];
    }
    for (int64_t i = 0; i < a_size; i++) totals.ga[i] += ga_local[i];
    for (int64_t i = 0; i < g.channels; i++) totals.gd[i] += gd_local[i];
  }
}

CT_CLONES void forward_clone(const Geometry &g, const Buffers<float> &x, int64_t begin, int64_t end) {
  forward_tasks(g, x, begin, end);
}
CT_CLONES void forward_clone(const Geometry &g, const Buffers<double> &x, int64_t begin, int64_t end) {
  forward_tasks(g, x, begin, end);
}
CT_CLONES void backward_clone(const Geometry &g, const Buffers<float> &x, Totals &totals, int64_t begin, int64_t end) {
  backward_tasks(g, x, totals, begin, end);
}
CT_CLONES void backward_clone(const Geometry &g, const Buffers<double> &x, Totals &totals, int64_t begin, int64_t end) {
  backward_tasks(g, x, totals, begin, end);
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

// Checks the shapes and makes the layouts the kernels read: u, dt [B,E,H,W] contiguous; B, C as
// [B, H*W, padded] and A as [1 or E, padded], zero-padded; D contiguous.
struct Prepared {
  Geometry g;
  at::Tensor u, dt, bt, ct, a, d;
};

Prepared prepare(const at::Tensor &u, const at::Tensor &dt, const at::Tensor &b, const at::Tensor &c,
                 const at::Tensor &a, const at::Tensor &d, int64_t dim) {
  TORCH_CHECK(dim == 2 || dim == 3, "selective_scan: dim must be 2 (columns) or 3 (rows), got ", dim);
  TORCH_CHECK(u.dim() == 4 && b.dim() == 4, "selective_scan: u and b must be [B,E,H,W] and [B,N,H,W]");
  const auto type = u.scalar_type();
  TORCH_CHECK(type == at::kFloat || type == at::kDouble, "selective_scan: float32 or float64 only, got ", type);
  for (const at::Tensor *t : {&u, &dt, &b, &c, &a, &d}) {
    TORCH_CHECK(t->scalar_type() == type, "selective_scan: all inputs must have u's dtype");
    TORCH_CHECK(t->device().is_cpu(), "selective_scan: CPU tensors only");
  }
  Geometry g;
  g.batch = u.size(0);
  g.channels = u.size(1);
  g.states = b.size(1);
  const int64_t height = u.size(2), width = u.size(3);
  g.plane = height * width;
  TORCH_CHECK(dt.sizes() == u.sizes(), "selective_scan: dt must have u's shape");
  TORCH_CHECK(b.sizes() == at::IntArrayRef({g.batch, g.states, height, width}) && c.sizes() == b.sizes(),
              "selective_scan: b and c must be [B,N,H,W] matching u");
  TORCH_CHECK(d.dim() == 1 && d.size(0) == g.channels, "selective_scan: d must be [E]");
  g.shared_a = a.dim() == 1;
  TORCH_CHECK((a.dim() == 1 && a.size(0) == g.states) ||
                  (a.dim() == 2 && a.size(0) == g.channels && a.size(1) == g.states),
              "selective_scan: a must be [N] or [E,N]");
  if (dim == 3) {
    g.lines = height, g.length = width, g.line_stride = width, g.step_stride = 1;
  } else {
    g.lines = width, g.length = height, g.line_stride = 1, g.step_stride = width;
  }
  const int64_t width_lanes = kVectorBytes / static_cast<int64_t>(u.element_size());
  g.vectors = (g.states + width_lanes - 1) / width_lanes;
  g.padded = g.vectors * width_lanes;
  TORCH_CHECK(g.vectors <= kMaxVectors, "selective_scan: at most ", kMaxVectors * width_lanes, " states");
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
    ctx->save_for_backward({u, dt, b, c, a, d});
    ctx->saved_data["dim"] = dim;
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx,
                                                 torch::autograd::variable_list outputs) {
    auto saved = ctx->get_saved_variables();
    Prepared x = prepare(saved[0], saved[1], saved[2], saved[3], saved[4], saved[5], ctx->saved_data["dim"].toInt());
    const Geometry &g = x.g;
    // sum().backward() hands in an expanded (stride 0) gradient: materialise it.
    at::Tensor gy = outputs[0].to(x.u.scalar_type()).contiguous();
    at::Tensor gu = at::empty_like(x.u), gdt = at::empty_like(x.dt);
    at::Tensor gbt = at::empty_like(x.bt), gct = at::empty_like(x.ct);
    at::Tensor ga = at::empty_like(x.a), gd = at::empty_like(x.d); // ga: [1 or E, padded]
    AT_DISPATCH_FLOATING_TYPES(x.u.scalar_type(), "selective_scan_backward", [&] {
      Buffers<scalar_t> buffers = inputs<scalar_t>(x);
      buffers.gy = gy.data_ptr<scalar_t>();
      buffers.gu = gu.data_ptr<scalar_t>(), buffers.gdt = gdt.data_ptr<scalar_t>();
      buffers.gbt = gbt.data_ptr<scalar_t>(), buffers.gct = gct.data_ptr<scalar_t>();
      scan_backward(g, buffers, ga.data_ptr<scalar_t>(), gd.data_ptr<scalar_t>());
    });
    const int64_t height = x.u.size(2), width = x.u.size(3);
    auto channel_major = [&](const at::Tensor &t) {
      return t.view({g.batch, height, width, g.padded}).narrow(3, 0, g.states).permute({0, 3, 1, 2}).contiguous();
    };
    at::Tensor ga_real = ga.narrow(1, 0, g.states).reshape(saved[4].sizes()).contiguous();
    return {gu, gdt, channel_major(gbt), channel_major(gct), ga_real, gd, at::Tensor()};
  }
};

} // namespace

extern "C" ct_error ct_selective_scan(ct_tensor *out, ct_tensor u, ct_tensor dt, ct_tensor b, ct_tensor c,
                                      ct_tensor a, ct_tensor d, int64_t dim) {
  return ctorch::guarded([&] {
    *out = ctorch::wrap(SelectiveScanFunction::apply(ctorch::T(u), ctorch::T(dt), ctorch::T(b), ctorch::T(c),
                                                     ctorch::T(a), ctorch::T(d), dim));
  });
}
