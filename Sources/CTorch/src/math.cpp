// Element-wise maths, reductions and shape operations.
#include "internal.h"
#include <ATen/ops/abs.h>
#include <ATen/ops/amax.h>
#include <ATen/ops/amin.h>
#include <ATen/ops/any.h>
#include <ATen/ops/all.h>
#include <ATen/ops/argmax.h>
#include <ATen/ops/atan2.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/ceil.h>
#include <ATen/ops/clamp.h>
#include <ATen/ops/clamp_max.h>
#include <ATen/ops/clamp_min.h>
#include <ATen/ops/neg.h>
#include <ATen/ops/cos.h>
#include <ATen/ops/cumprod.h>
#include <ATen/ops/cumsum.h>
#include <ATen/ops/exp.h>
#include <ATen/ops/expm1.h>
#include <ATen/ops/flip.h>
#include <ATen/ops/floor.h>
#include <ATen/ops/gelu.h>
#include <ATen/ops/index_select.h>
#include <ATen/ops/isfinite.h>
#include <ATen/ops/log.h>
#include <ATen/ops/log1p.h>
#include <ATen/ops/logical_and.h>
#include <ATen/ops/logical_not.h>
#include <ATen/ops/logical_or.h>
#include <ATen/ops/maximum.h>
#include <ATen/ops/mean.h>
#include <ATen/ops/minimum.h>
#include <ATen/ops/norm.h>
#include <ATen/ops/pow.h>
#include <ATen/ops/prod.h>
#include <ATen/ops/reciprocal.h>
#include <ATen/ops/relu.h>
#include <ATen/ops/remainder.h>
#include <ATen/ops/round.h>
#include <ATen/ops/rsqrt.h>
#include <ATen/ops/sigmoid.h>
#include <ATen/ops/sign.h>
#include <ATen/ops/silu.h>
#include <ATen/ops/sin.h>
#include <ATen/ops/softmax.h>
#include <ATen/ops/softplus.h>
#include <ATen/ops/sqrt.h>
#include <ATen/ops/square.h>
#include <ATen/ops/stack.h>
#include <ATen/ops/std.h>
#include <ATen/ops/sum.h>
#include <ATen/ops/tanh.h>
#include <ATen/ops/var.h>
#include <ATen/ops/where.h>
#include <ATen/ops/scalar_tensor.h>

using namespace ctorch;

static at::Tensor binary(ct_binary_op op, const at::Tensor &a, const at::Tensor &b) {
  switch (op) {
  case CT_ADD: return a + b;
  case CT_SUB: return a - b;
  case CT_MUL: return a * b;
  case CT_DIV: return a / b;
  case CT_POW: return at::pow(a, b);
  case CT_MAXIMUM: return at::maximum(a, b);
  case CT_MINIMUM: return at::minimum(a, b);
  case CT_ATAN2: return at::atan2(a, b);
  case CT_REMAINDER: return at::remainder(a, b);
  case CT_EQ: return a.eq(b);
  case CT_NE: return a.ne(b);
  case CT_LT: return a.lt(b);
  case CT_LE: return a.le(b);
  case CT_GT: return a.gt(b);
  case CT_GE: return a.ge(b);
  case CT_LOGICAL_AND: return at::logical_and(a, b);
  case CT_LOGICAL_OR: return at::logical_or(a, b);
  }
  TORCH_CHECK(false, "unknown binary op ", static_cast<int>(op));
}

static at::Tensor binary_scalar(ct_binary_op op, const at::Tensor &a, const at::Scalar &s) {
  switch (op) {
  case CT_ADD: return a + s;
  case CT_SUB: return a - s;
  case CT_MUL: return a * s;
  case CT_DIV: return a / s;
  case CT_POW: return at::pow(a, s);
  case CT_REMAINDER: return at::remainder(a, s);
  case CT_EQ: return a.eq(s);
  case CT_NE: return a.ne(s);
  case CT_LT: return a.lt(s);
  case CT_LE: return a.le(s);
  case CT_GT: return a.gt(s);
  case CT_GE: return a.ge(s);
  case CT_MAXIMUM: return at::clamp_min(a, s);
  case CT_MINIMUM: return at::clamp_max(a, s);
  default: break;
  }
  return binary(op, a, at::scalar_tensor(s, a.options()));
}

static at::Tensor unary(ct_unary_op op, const at::Tensor &a) {
  switch (op) {
  case CT_NEG: return -a;
  case CT_EXP: return at::exp(a);
  case CT_LOG: return at::log(a);
  case CT_SQRT: return at::sqrt(a);
  case CT_RSQRT: return at::rsqrt(a);
  case CT_SIN: return at::sin(a);
  case CT_COS: return at::cos(a);
  case CT_TANH: return at::tanh(a);
  case CT_SIGMOID: return at::sigmoid(a);
  case CT_SILU: return at::silu(a);
  case CT_SOFTPLUS: return at::softplus(a);
  case CT_ABS: return at::abs(a);
  case CT_EXPM1: return at::expm1(a);
  case CT_LOG1P: return at::log1p(a);
  case CT_RELU: return at::relu(a);
  case CT_GELU: return at::gelu(a);
  case CT_SQUARE: return at::square(a);
  case CT_FLOOR: return at::floor(a);
  case CT_CEIL: return at::ceil(a);
  case CT_ROUND: return at::round(a);
  case CT_SIGN: return at::sign(a);
  case CT_RECIPROCAL: return at::reciprocal(a);
  case CT_LOGICAL_NOT: return at::logical_not(a);
  case CT_ISFINITE: return at::isfinite(a);
  }
  TORCH_CHECK(false, "unknown unary op ", static_cast<int>(op));
}

extern "C" {

ct_error ct_binary(ct_tensor *out, ct_binary_op op, ct_tensor a, ct_tensor b) {
  return guarded([&] { *out = wrap(binary(op, T(a), T(b))); });
}

ct_error ct_binary_scalar(ct_tensor *out, ct_binary_op op, ct_tensor a, double s, bool reversed) {
  return guarded([&] {
    const auto &x = T(a);
    if (!reversed) {
      *out = wrap(binary_scalar(op, x, s));
    } else if (op == CT_SUB) {
      *out = wrap(at::neg(x) + s); // s - x
    } else if (op == CT_DIV) {
      *out = wrap(at::reciprocal(x) * s); // s / x
    } else {
      *out = wrap(binary(op, at::scalar_tensor(s, x.options()), x));
    }
  });
}

ct_error ct_unary(ct_tensor *out, ct_unary_op op, ct_tensor a) {
  return guarded([&] { *out = wrap(unary(op, T(a))); });
}

ct_error ct_clamp(ct_tensor *out, ct_tensor a, double lo, double hi, bool has_lo, bool has_hi) {
  return guarded([&] {
    std::optional<at::Scalar> l = has_lo ? std::optional<at::Scalar>(lo) : std::nullopt;
    std::optional<at::Scalar> h = has_hi ? std::optional<at::Scalar>(hi) : std::nullopt;
    *out = wrap(at::clamp(T(a), l, h));
  });
}

ct_error ct_where(ct_tensor *out, ct_tensor cond, ct_tensor a, ct_tensor b) {
  return guarded([&] { *out = wrap(at::where(T(cond), T(a), T(b))); });
}

ct_error ct_reduce(ct_tensor *out, ct_reduce_op op, ct_tensor a, const int64_t *d, int64_t nd, bool keepdim) {
  return guarded([&] {
    const auto &x = T(a);
    std::vector<int64_t> all;
    if (nd == 0) {
      for (int64_t i = 0; i < x.dim(); i++) all.push_back(i);
      d = all.data();
      nd = static_cast<int64_t>(all.size());
    }
    auto ds = dims(d, nd);
    switch (op) {
    case CT_SUM: *out = wrap(at::sum(x, ds, keepdim)); return;
    case CT_MEAN: *out = wrap(at::mean(x, ds, keepdim)); return;
    case CT_AMAX: *out = wrap(at::amax(x, ds, keepdim)); return;
    case CT_AMIN: *out = wrap(at::amin(x, ds, keepdim)); return;
    case CT_VAR: *out = wrap(at::var(x, at::OptionalIntArrayRef(ds), /*correction=*/1, keepdim)); return;
    case CT_STD: *out = wrap(at::std(x, at::OptionalIntArrayRef(ds), /*correction=*/1, keepdim)); return;
    case CT_NORM: *out = wrap(at::norm(x, 2, ds, keepdim)); return;
    case CT_PROD: {
      auto r = x;
      for (int64_t i = nd - 1; i >= 0; i--) r = at::prod(r, ds[i], keepdim);
      *out = wrap(r);
      return;
    }
    case CT_ANY: *out = wrap(at::any(x, at::OptionalIntArrayRef(ds), keepdim)); return;
    case CT_ALL: *out = wrap(at::all(x, at::OptionalIntArrayRef(ds), keepdim)); return;
    }
    TORCH_CHECK(false, "unknown reduction ", static_cast<int>(op));
  });
}

ct_error ct_argmax(ct_tensor *out, ct_tensor a, int64_t dim, bool keepdim) {
  return guarded([&] { *out = wrap(at::argmax(T(a), dim, keepdim)); });
}

ct_error ct_cumsum(ct_tensor *out, ct_tensor a, int64_t dim) {
  return guarded([&] { *out = wrap(at::cumsum(T(a), dim)); });
}

ct_error ct_cumprod(ct_tensor *out, ct_tensor a, int64_t dim) {
  return guarded([&] { *out = wrap(at::cumprod(T(a), dim)); });
}

ct_error ct_softmax(ct_tensor *out, ct_tensor a, int64_t dim) {
  return guarded([&] { *out = wrap(at::softmax(T(a), dim)); });
}

ct_error ct_reshape(ct_tensor *out, ct_tensor a, const int64_t *shape, int64_t ndim) {
  return guarded([&] { *out = wrap(T(a).reshape(dims(shape, ndim))); });
}

ct_error ct_expand(ct_tensor *out, ct_tensor a, const int64_t *shape, int64_t ndim) {
  return guarded([&] { *out = wrap(T(a).expand(dims(shape, ndim))); });
}

ct_error ct_permute(ct_tensor *out, ct_tensor a, const int64_t *d, int64_t nd) {
  return guarded([&] { *out = wrap(T(a).permute(dims(d, nd))); });
}

ct_error ct_transpose(ct_tensor *out, ct_tensor a, int64_t d0, int64_t d1) {
  return guarded([&] { *out = wrap(T(a).transpose(d0, d1)); });
}

ct_error ct_unsqueeze(ct_tensor *out, ct_tensor a, int64_t dim) {
  return guarded([&] { *out = wrap(T(a).unsqueeze(dim)); });
}

ct_error ct_squeeze(ct_tensor *out, ct_tensor a, int64_t dim) {
  return guarded([&] { *out = wrap(T(a).squeeze(dim)); });
}

ct_error ct_narrow(ct_tensor *out, ct_tensor a, int64_t dim, int64_t start, int64_t length) {
  return guarded([&] { *out = wrap(T(a).narrow(dim, start, length)); });
}

ct_error ct_slice(ct_tensor *out, ct_tensor a, int64_t dim, int64_t start, int64_t end, int64_t step) {
  return guarded([&] { *out = wrap(T(a).slice(dim, start, end, step)); });
}

ct_error ct_select(ct_tensor *out, ct_tensor a, int64_t dim, int64_t index) {
  return guarded([&] { *out = wrap(T(a).select(dim, index)); });
}

ct_error ct_index_select(ct_tensor *out, ct_tensor a, int64_t dim, ct_tensor index) {
  return guarded([&] { *out = wrap(at::index_select(T(a), dim, T(index))); });
}

ct_error ct_repeat(ct_tensor *out, ct_tensor a, const int64_t *r, int64_t n) {
  return guarded([&] { *out = wrap(T(a).repeat(dims(r, n))); });
}

ct_error ct_flip(ct_tensor *out, ct_tensor a, const int64_t *d, int64_t n) {
  return guarded([&] { *out = wrap(at::flip(T(a), dims(d, n))); });
}

ct_error ct_cat(ct_tensor *out, const ct_tensor *ts, int64_t n, int64_t dim) {
  return guarded([&] { *out = wrap(at::cat(list(ts, n), dim)); });
}

ct_error ct_stack(ct_tensor *out, const ct_tensor *ts, int64_t n, int64_t dim) {
  return guarded([&] { *out = wrap(at::stack(list(ts, n), dim)); });
}

ct_error ct_chunk(ct_tensor *outs, int64_t *count, ct_tensor a, int64_t chunks, int64_t dim) {
  return guarded([&] {
    auto parts = T(a).chunk(chunks, dim);
    *count = static_cast<int64_t>(parts.size());
    for (size_t i = 0; i < parts.size(); i++) outs[i] = wrap(parts[i]);
  });
}

} // extern "C"
