// A flat C interface over libtorch (ATen, autograd, random generators, fused optimizers).
//
// Every function that can fail returns `ct_error`: NULL on success, or libtorch's message. The message
// lives in thread-local storage until the next failing call on the same thread; copy it at once.
// No C++ exception ever crosses this boundary. Tensors are opaque owning handles: free each with
// ct_free. Dtypes are c10::ScalarType codes; devices are (type, index) with type 0 = CPU, 1 = CUDA.
#ifndef CTORCH_H
#define CTORCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ct_tensor_s *ct_tensor;
typedef struct ct_generator_s *ct_generator;
typedef const char *ct_error;

enum { CT_MAX_DIMS = 16 };
enum { CT_DEVICE_CPU = 0, CT_DEVICE_CUDA = 1 };

typedef struct {
  int32_t dtype;        // c10::ScalarType code
  int32_t device_type;  // CT_DEVICE_*
  int32_t device_index; // -1 = current
} ct_options;

// ---- lifetime, info ------------------------------------------------------------------------------
void ct_free(ct_tensor t);
ct_tensor ct_undefined(void); // a handle to an undefined tensor (a placeholder after a failure)
bool ct_defined(ct_tensor t);
ct_error ct_shape(ct_tensor t, int64_t *sizes /* CT_MAX_DIMS */, int64_t *ndim);
ct_error ct_strides(ct_tensor t, int64_t *strides /* CT_MAX_DIMS */, int64_t *ndim);
ct_error ct_options_of(ct_tensor t, ct_options *out);
ct_error ct_is_contiguous(ct_tensor t, int32_t memory_format, bool *out);
const char *ct_version(void);

// ---- creation ------------------------------------------------------------------------------------
ct_error ct_from_data(ct_tensor *out, const void *data, const int64_t *shape, int64_t ndim, ct_options o);
ct_error ct_full(ct_tensor *out, const int64_t *shape, int64_t ndim, double value, ct_options o);
ct_error ct_empty(ct_tensor *out, const int64_t *shape, int64_t ndim, ct_options o);
ct_error ct_arange(ct_tensor *out, double start, double end, double step, ct_options o);
ct_error ct_linspace(ct_tensor *out, double start, double end, int64_t steps, ct_options o);
// gen may be NULL (the device's default generator).
ct_error ct_rand(ct_tensor *out, const int64_t *shape, int64_t ndim, ct_generator gen, ct_options o);
ct_error ct_randn(ct_tensor *out, const int64_t *shape, int64_t ndim, ct_generator gen, ct_options o);
ct_error ct_randint(ct_tensor *out, int64_t low, int64_t high, const int64_t *shape, int64_t ndim,
                    ct_generator gen, ct_options o);
ct_error ct_randperm(ct_tensor *out, int64_t n, ct_generator gen, ct_options o);

// ---- conversion, copies --------------------------------------------------------------------------
ct_error ct_to(ct_tensor *out, ct_tensor t, ct_options o, bool copy);
// memory_format: 0 = contiguous, 1 = channels-last, 2 = preserve
ct_error ct_contiguous(ct_tensor *out, ct_tensor t, int32_t memory_format);
ct_error ct_clone(ct_tensor *out, ct_tensor t);
ct_error ct_copy_out(ct_tensor t, void *dst, size_t nbytes);
ct_error ct_item(ct_tensor t, double *out);
ct_error ct_copy_(ct_tensor dst, ct_tensor src); // in place, keeps dst's identity (and autograd leaf)
ct_error ct_fill_(ct_tensor t, double value);
ct_error ct_shallow(ct_tensor *out, ct_tensor t); // a second handle to the same tensor

// ---- element-wise --------------------------------------------------------------------------------
typedef enum {
  CT_ADD, CT_SUB, CT_MUL, CT_DIV, CT_POW, CT_MAXIMUM, CT_MINIMUM, CT_ATAN2, CT_REMAINDER,
  CT_EQ, CT_NE, CT_LT, CT_LE, CT_GT, CT_GE, CT_LOGICAL_AND, CT_LOGICAL_OR
} ct_binary_op;
typedef enum {
  CT_NEG, CT_EXP, CT_LOG, CT_SQRT, CT_RSQRT, CT_SIN, CT_COS, CT_TANH, CT_SIGMOID, CT_SILU,
  CT_SOFTPLUS, CT_ABS, CT_EXPM1, CT_LOG1P, CT_RELU, CT_GELU, CT_SQUARE, CT_FLOOR, CT_CEIL, CT_ROUND,
  CT_SIGN, CT_RECIPROCAL, CT_LOGICAL_NOT, CT_ISFINITE
} ct_unary_op;
ct_error ct_binary(ct_tensor *out, ct_binary_op op, ct_tensor a, ct_tensor b);
// reversed = false: a op s; reversed = true: s op a
ct_error ct_binary_scalar(ct_tensor *out, ct_binary_op op, ct_tensor a, double s, bool reversed);
ct_error ct_unary(ct_tensor *out, ct_unary_op op, ct_tensor a);
ct_error ct_clamp(ct_tensor *out, ct_tensor a, double lo, double hi, bool has_lo, bool has_hi);
ct_error ct_where(ct_tensor *out, ct_tensor cond, ct_tensor a, ct_tensor b);

// ---- reductions ----------------------------------------------------------------------------------
typedef enum { CT_SUM, CT_MEAN, CT_AMAX, CT_AMIN, CT_PROD, CT_VAR, CT_STD, CT_NORM, CT_ANY, CT_ALL } ct_reduce_op;
// ndims = 0 reduces over all dimensions.
ct_error ct_reduce(ct_tensor *out, ct_reduce_op op, ct_tensor a, const int64_t *dims, int64_t ndims, bool keepdim);
ct_error ct_argmax(ct_tensor *out, ct_tensor a, int64_t dim, bool keepdim);
ct_error ct_cumsum(ct_tensor *out, ct_tensor a, int64_t dim);
ct_error ct_cumprod(ct_tensor *out, ct_tensor a, int64_t dim);
ct_error ct_softmax(ct_tensor *out, ct_tensor a, int64_t dim);

// ---- shape ---------------------------------------------------------------------------------------
ct_error ct_reshape(ct_tensor *out, ct_tensor a, const int64_t *shape, int64_t ndim);
ct_error ct_expand(ct_tensor *out, ct_tensor a, const int64_t *shape, int64_t ndim);
ct_error ct_permute(ct_tensor *out, ct_tensor a, const int64_t *dims, int64_t ndim);
ct_error ct_transpose(ct_tensor *out, ct_tensor a, int64_t d0, int64_t d1);
ct_error ct_unsqueeze(ct_tensor *out, ct_tensor a, int64_t dim);
ct_error ct_squeeze(ct_tensor *out, ct_tensor a, int64_t dim);
ct_error ct_narrow(ct_tensor *out, ct_tensor a, int64_t dim, int64_t start, int64_t length);
ct_error ct_slice(ct_tensor *out, ct_tensor a, int64_t dim, int64_t start, int64_t end, int64_t step);
ct_error ct_select(ct_tensor *out, ct_tensor a, int64_t dim, int64_t index);
ct_error ct_index_select(ct_tensor *out, ct_tensor a, int64_t dim, ct_tensor index);
ct_error ct_repeat(ct_tensor *out, ct_tensor a, const int64_t *repeats, int64_t ndim);
ct_error ct_flip(ct_tensor *out, ct_tensor a, const int64_t *dims, int64_t ndim);
ct_error ct_cat(ct_tensor *out, const ct_tensor *ts, int64_t n, int64_t dim);
ct_error ct_stack(ct_tensor *out, const ct_tensor *ts, int64_t n, int64_t dim);
// outs must hold `chunks` handles; *count receives how many were made (may be fewer).
ct_error ct_chunk(ct_tensor *outs, int64_t *count, ct_tensor a, int64_t chunks, int64_t dim);

// ---- linear algebra, neural-network layers -------------------------------------------------------
ct_error ct_matmul(ct_tensor *out, ct_tensor a, ct_tensor b);
ct_error ct_linear(ct_tensor *out, ct_tensor x, ct_tensor w, ct_tensor b /* nullable */);
ct_error ct_conv2d(ct_tensor *out, ct_tensor x, ct_tensor w, ct_tensor b /* nullable */,
                   int64_t stride_h, int64_t stride_w, int64_t pad_h, int64_t pad_w,
                   int64_t dilation, int64_t groups);
ct_error ct_group_norm(ct_tensor *out, ct_tensor x, int64_t groups, ct_tensor w, ct_tensor b, double eps);
ct_error ct_layer_norm(ct_tensor *out, ct_tensor x, const int64_t *shape, int64_t ndim, ct_tensor w,
                       ct_tensor b, double eps);
// scale <= 0 uses 1/sqrt(head_dim).
ct_error ct_sdpa(ct_tensor *out, ct_tensor q, ct_tensor k, ct_tensor v, ct_tensor mask /* nullable */,
                 bool causal, double scale);
typedef enum { CT_NEAREST, CT_NEAREST_EXACT, CT_BILINEAR, CT_BILINEAR_AA, CT_BICUBIC } ct_interp_mode;
ct_error ct_interpolate(ct_tensor *out, ct_tensor x, ct_interp_mode mode, int64_t out_h, int64_t out_w,
                        bool align_corners);
// Antialiased bilinear resizing of uint8 planes [..., H, W] (PIL's BILINEAR), for image loading:
// *out = round(resized) * scale + offset, float32 [..., out_h, out_w]. Runs on the calling thread.
ct_error ct_resize_u8_bilinear_aa(ct_tensor *out, ct_tensor x, int64_t out_h, int64_t out_w, double scale,
                                  double offset);
// Nearest resizing of integer label maps [..., H, W] (PIL's NEAREST): *out int64 [..., out_h, out_w].
ct_error ct_resize_labels_nearest(ct_tensor *out, ct_tensor x, int64_t out_h, int64_t out_w);
typedef enum { CT_REDUCTION_NONE = 0, CT_REDUCTION_MEAN = 1, CT_REDUCTION_SUM = 2 } ct_reduction;
ct_error ct_mse_loss(ct_tensor *out, ct_tensor a, ct_tensor b, ct_reduction reduction);
ct_error ct_one_hot(ct_tensor *out, ct_tensor labels, int64_t classes);

// ---- autograd ------------------------------------------------------------------------------------
ct_error ct_set_requires_grad(ct_tensor t, bool on);
ct_error ct_requires_grad(ct_tensor t, bool *out);
ct_error ct_backward(ct_tensor t, ct_tensor grad /* nullable */);
// *out is NULL when the tensor has no gradient.
ct_error ct_grad(ct_tensor *out, ct_tensor t);
ct_error ct_zero_grad(ct_tensor t); // drops the gradient (set_to_none)
ct_error ct_detach(ct_tensor *out, ct_tensor t);
bool ct_set_grad_enabled(bool on); // returns the previous state (thread-local)
bool ct_is_grad_enabled(void);

// ---- random generators ---------------------------------------------------------------------------
ct_error ct_manual_seed(uint64_t seed);
ct_error ct_generator_new(ct_generator *out, uint64_t seed);
void ct_generator_free(ct_generator g);
ct_error ct_generator_get_state(ct_generator g, ct_tensor *out); // uint8 tensor
ct_error ct_generator_set_state(ct_generator g, ct_tensor state);

// ---- threads, devices, precision -----------------------------------------------------------------
void ct_set_num_threads(int32_t n);
int32_t ct_get_num_threads(void);
// The threads of the calling thread's own parallel ops (for ops run on several threads at once).
void ct_set_thread_local_threads(int32_t n);
bool ct_cuda_available(void);
int32_t ct_cuda_device_count(void);
ct_error ct_cuda_synchronize(int32_t device_index);
ct_error ct_set_autocast(int32_t device_type, bool enabled, int32_t dtype);
void ct_autocast_clear_cache(void);
// Records every op libtorch runs (name, thread, start, duration) until ct_profile_stop, which
// writes them to `path` as a Chrome trace.
ct_error ct_profile_start(const char *path);
ct_error ct_profile_stop(void);

// ---- optimisation --------------------------------------------------------------------------------
// One fused AdamW update over n parameters (torch.optim.AdamW(fused=True)); `steps` are float32
// scalars, advanced by one here before the update (the kernel itself only reads them). A
// `grad_divisor` (0-d float32, may be null) divides every gradient inside the update.
ct_error ct_fused_adamw(const ct_tensor *params, const ct_tensor *grads, const ct_tensor *exp_avgs,
                        const ct_tensor *exp_avg_sqs, const ct_tensor *steps, int64_t n, double lr,
                        double beta1, double beta2, double weight_decay, double eps, ct_tensor grad_divisor);
// Scales the gradients of `params` so that their global L2 norm is at most max_norm (as
// torch.nn.utils.clip_grad_norm_); *total receives the norm before clipping as a 0-d tensor.
ct_error ct_clip_grad_norm(ct_tensor *total, const ct_tensor *params, int64_t n, double max_norm);
// The same norm, and the divisor that clipping amounts to (1 / the factor above), for
// ct_fused_adamw to apply inside its update; the gradients are left as they are.
ct_error ct_grad_clip_divisor(ct_tensor *total, ct_tensor *divisor, const ct_tensor *params, int64_t n,
                              double max_norm);
// a[i] += alpha * b[i]; a[i] *= s; a[i] = lerp(a[i], b[i], w) — in place over lists.
ct_error ct_foreach_add_(const ct_tensor *a, const ct_tensor *b, int64_t n, double alpha);
ct_error ct_foreach_mul_scalar_(const ct_tensor *a, int64_t n, double s);
ct_error ct_foreach_lerp_(const ct_tensor *a, const ct_tensor *b, int64_t n, double weight);

// ---- the MDFormer's selective scan ---------------------------------------------------------------
// One pass of the selective scan (docs/python-reference.md §4.3) as a fused CPU kernel with its own backward (the
// result takes part in autograd like any op): for every line, s := 0, then at each position
//   s = exp(a dt) * s + dt u b,   y = sum_n c s + d u.
// u, dt: [B,E,H,W]; b, c: [B,N,H,W]; a: [N] or [E,N]; d: [E]; all float32 or all float64, on the CPU.
// dim 3 scans each row left to right, dim 2 each column top to bottom. *out: y [B,E,H,W].
ct_error ct_selective_scan(ct_tensor *out, ct_tensor u, ct_tensor dt, ct_tensor b, ct_tensor c, ct_tensor a,
                           ct_tensor d, int64_t dim);
// Both passes of the MDFormer in one op: rows (dim 3), then columns (dim 2) of the rows' output, with
// the same dt, b, c, a, d. Each (batch, channel) plane runs both passes in cache, and exp(a dt) is
// computed once for both. Same inputs and *out as ct_selective_scan.
ct_error ct_selective_scan_two_pass(ct_tensor *out, ct_tensor u, ct_tensor dt, ct_tensor b, ct_tensor c, ct_tensor a,
                                    ct_tensor d);

// ---- distributed data parallel (c10d) ------------------------------------------------------------
// One process per device. ct_dist_init joins the group through a TCPStore at master_addr:master_port
// (rank 0 hosts it and waits for the others) and makes a Gloo backend (device_type CPU) or an NCCL
// one (CUDA; only in a shim built with SEGMADIFF_CUDA=1). Every collective fails with c10d's message
// when a peer dies or does not answer within timeout_seconds, instead of waiting forever.
typedef struct ct_process_group_s *ct_process_group;
typedef struct ct_grad_sync_s *ct_grad_sync;
ct_error ct_dist_init(ct_process_group *out, const char *master_addr, int32_t master_port, int32_t rank,
                      int32_t world_size, int32_t device_type, double timeout_seconds);
void ct_dist_free(ct_process_group group);
ct_error ct_dist_broadcast(ct_process_group group, const ct_tensor *tensors, int64_t n, int32_t root);
ct_error ct_dist_allreduce_sum(ct_process_group group, ct_tensor tensor); // in place, blocking
ct_error ct_dist_barrier(ct_process_group group);
// Gradient averaging over the group for `params` (hooks on the tensors; see distributed.cpp):
// buckets of about bucket_bytes are all-reduced while backward runs; after backward,
// ct_grad_sync_finish waits for them and leaves each .grad holding the average over all ranks.
ct_error ct_grad_sync_new(ct_grad_sync *out, ct_process_group group, const ct_tensor *params, int64_t n,
                          int64_t bucket_bytes);
int64_t ct_grad_sync_bucket_count(ct_grad_sync sync);
ct_error ct_grad_sync_finish(ct_grad_sync sync);
void ct_grad_sync_free(ct_grad_sync sync); // removes the hooks
ct_error ct_cuda_set_device(int32_t index);  // the current CUDA device of this thread

#ifdef __cplusplus
}
#endif
#endif
