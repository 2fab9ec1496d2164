// Multi-process data parallelism on libtorch's c10d: a TCPStore rendezvous, a Gloo (CPU) or NCCL
// (CUDA) backend, and gradient buckets all-reduced while backward is still running.
//
// c10d::Reducer (what DistributedDataParallel uses) is internal to libtorch, so the bucketing is
// done here: parameters are grouped, in reverse order of registration (roughly the order backward
// produces their gradients), into flat buckets of about `bucket_bytes`. A hook on each parameter
// copies its gradient into its bucket's slice; when a bucket is full it is all-reduced
// asynchronously, so communication overlaps the rest of backward. Buckets are launched strictly in
// index order (a bucket that fills early waits for the ones before it), so every rank issues the
// same collectives in the same order whatever the order of its hooks. After backward,
// ct_grad_sync_finish waits for every bucket, divides by the world size and writes the averages
// back into the parameters' .grad.
#define USE_C10D_GLOO 1
#include "internal.h"
#include <ATen/Context.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/zeros.h>
#include <c10/core/impl/DeviceGuardImplInterface.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <chrono>
#include <mutex>

namespace ctorch {
// Defined in cuda/nccl.cpp, which only a CUDA build (SEGMADIFF_CUDA=1) compiles and links: a CPU
// build never references NCCL or any CUDA library, and this weak symbol is then null.
__attribute__((weak)) c10::intrusive_ptr<c10d::Backend>
make_nccl_backend(const c10::intrusive_ptr<c10d::Store> &store, int rank, int size, std::chrono::milliseconds timeout);
} // namespace ctorch

struct ct_process_group_s {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::Backend> backend;
  int rank;
  int size;
  std::chrono::milliseconds timeout;
};

using namespace ctorch;

namespace {

bool is_loopback(const std::string &host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

// Throws the failure of `work` (Gloo reports a dead peer or a timeout through it).
void wait_for(const c10::intrusive_ptr<c10d::Work> &work, std::chrono::milliseconds timeout) {
  work->wait(timeout);
  if (work->exception()) std::rethrow_exception(work->exception());
}

} // namespace

struct ct_grad_sync_s {
  struct Bucket {
    at::Tensor flat;
    std::vector<size_t> members;   // indices into params
    std::vector<int64_t> offsets;  // element offset of each member in flat
    size_t pending = 0;            // members whose gradient has not arrived this step
    c10::intrusive_ptr<c10d::Work> work;
  };

  ct_process_group group;
  std::vector<at::Tensor> params;
  std::vector<unsigned> hooks;
  std::vector<Bucket> buckets;
  std::vector<size_t> bucket_of, slot_of;
  std::vector<bool> arrived;
  size_t next_launch = 0;
  std::mutex mutex;
  std::string hook_error;

  void reset_step() {
    for (auto &b : buckets) {
      b.pending = b.members.size();
      b.work.reset();
    }
    std::fill(arrived.begin(), arrived.end(), false);
    next_launch = 0;
  }

  // Launches every consecutive full bucket from next_launch on (called with the mutex held).
  void launch_ready() {
    while (next_launch < buckets.size() && buckets[next_launch].pending == 0) {
      auto &b = buckets[next_launch];
      std::vector<at::Tensor> tensors{b.flat};
      b.work = group->backend->allreduce(tensors);
      next_launch++;
    }
  }

  void on_grad(size_t index, const at::TensorBase &grad) {
    std::lock_guard<std::mutex> lock(mutex);
    try {
      if (arrived[index]) return; // a second backward before finish: the first gradient counts
      auto &b = buckets[bucket_of[index]];
      auto slice = b.flat.narrow(0, b.offsets[slot_of[index]], grad.numel()).view(grad.sizes());
      slice.copy_(at::Tensor(grad));
      arrived[index] = true;
      b.pending--;
      launch_ready();
    } catch (const c10::Error &e) {
      if (hook_error.empty()) hook_error = e.what_without_backtrace();
    } catch (const std::exception &e) {
      if (hook_error.empty()) hook_error = e.what();
    }
  }
};

extern "C" {

ct_error ct_dist_init(ct_process_group *out, const char *master_addr, int32_t master_port, int32_t rank,
                      int32_t world_size, int32_t device_type, double timeout_seconds) {
  return guarded([&] {
    TORCH_CHECK(world_size >= 1 && rank >= 0 && rank < world_size, "rank ", rank, " is outside a world of ",
                world_size, " processes");
    TORCH_CHECK(master_port > 0 && master_port < 65536, "MASTER_PORT ", master_port, " is not a TCP port");
    auto timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout_seconds * 1000));
    c10d::TCPStoreOptions store_options;
    store_options.port = static_cast<uint16_t>(master_port);
    store_options.isServer = rank == 0;
    store_options.numWorkers = static_cast<size_t>(world_size);
    store_options.waitWorkers = true;
    store_options.timeout = timeout;
    std::string host(master_addr);
    auto tcp = c10::make_intrusive<c10d::TCPStore>(host, store_options);
    auto store = c10::make_intrusive<c10d::PrefixStore>("segmadiff", tcp);

    c10::intrusive_ptr<c10d::Backend> backend;
    if (device_type == CT_DEVICE_CUDA) {
      TORCH_CHECK(at::globalContext().hasCUDA(), "CUDA training needs a CUDA libtorch and a GPU");
      TORCH_CHECK(make_nccl_backend != nullptr,
                  "this segmadiff was built without NCCL; rebuild the shim with SEGMADIFF_CUDA=1");
      backend = make_nccl_backend(store, rank, world_size, timeout);
    } else {
      auto options = c10d::ProcessGroupGloo::Options::create(timeout);
      if (const char *interface = std::getenv("GLOO_SOCKET_IFNAME"); interface && *interface) {
        options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(interface));
      } else if (is_loopback(host)) {
        options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
      } else {
        options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      }
      options->threads = 2;
      backend = c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, world_size, options);
    }
    *out = new ct_process_group_s{tcp, backend, rank, world_size, timeout};
  });
}

void ct_dist_free(ct_process_group group) { delete group; }

ct_error ct_dist_broadcast(ct_process_group group, const ct_tensor *tensors, int64_t n, int32_t root) {
  return guarded([&] {
    at::NoGradGuard no_grad;
    c10d::BroadcastOptions options;
    options.rootRank = root;
    for (int64_t i = 0; i < n; i++) {
      std::vector<at::Tensor> one{T(tensors[i]).detach()};
      wait_for(group->backend->broadcast(one, options), group->timeout);
    }
  });
}

ct_error ct_dist_allreduce_sum(ct_process_group group, ct_tensor tensor) {
  return guarded([&] {
    at::NoGradGuard no_grad;
    std::vector<at::Tensor> one{T(tensor).detach()};
    wait_for(group->backend->allreduce(one), group->timeout);
  });
}

ct_error ct_dist_barrier(ct_process_group group) {
  return guarded([&] {
    // A one-element all-reduce, not Backend::barrier: NCCL's barrier guesses a device.
    auto options = at::TensorOptions().dtype(at::kFloat);
    if (group->backend->getBackendName() == "nccl") options = options.device(at::kCUDA, -1);
    std::vector<at::Tensor> one{at::zeros({1}, options)};
    wait_for(group->backend->allreduce(one), group->timeout);
  });
}

ct_error ct_grad_sync_new(ct_grad_sync *out, ct_process_group group, const ct_tensor *params, int64_t n,
                          int64_t bucket_bytes) {
  return guarded([&] {
    auto sync = std::make_unique<ct_grad_sync_s>();
    sync->group = group;
    sync->params = list(params, n);
    sync->bucket_of.assign(static_cast<size_t>(n), 0);
    sync->slot_of.assign(static_cast<size_t>(n), 0);
    sync->arrived.assign(static_cast<size_t>(n), false);
    // Reverse registration order: backward produces the last layers' gradients first.
    int64_t bytes = 0;
    for (int64_t i = n - 1; i >= 0; i--) {
      const auto &p = sync->params[static_cast<size_t>(i)];
      TORCH_CHECK(p.requires_grad(), "gradient sync: parameter ", i, " does not require a gradient");
      auto &buckets = sync->buckets;
      bool fits = !buckets.empty() && bytes + static_cast<int64_t>(p.nbytes()) <= bucket_bytes &&
                  buckets.back().flat.scalar_type() == p.scalar_type() && buckets.back().flat.device() == p.device();
      if (!fits) {
        buckets.emplace_back();
        buckets.back().flat = at::empty({0}, p.options());
        bytes = 0;
      }
      auto &b = buckets.back();
      sync->bucket_of[static_cast<size_t>(i)] = buckets.size() - 1;
      sync->slot_of[static_cast<size_t>(i)] = b.members.size();
      b.offsets.push_back(b.members.empty() ? 0 : b.offsets.back() + sync->params[b.members.back()].numel());
      b.members.push_back(static_cast<size_t>(i));
      bytes += static_cast<int64_t>(p.nbytes());
    }
    for (auto &b : sync->buckets) {
      int64_t total = b.offsets.back() + sync->params[b.members.back()].numel();
      b.flat = at::zeros({total}, b.flat.options().requires_grad(false));
    }
    sync->reset_step();
    auto *raw = sync.get();
    for (int64_t i = 0; i < n; i++) {
      size_t index = static_cast<size_t>(i);
      sync->hooks.push_back(sync->params[index].register_hook(
          [raw, index](const at::TensorBase &grad) { raw->on_grad(index, grad); }));
    }
    *out = sync.release();
  });
}

int64_t ct_grad_sync_bucket_count(ct_grad_sync sync) { return static_cast<int64_t>(sync->buckets.size()); }

ct_error ct_grad_sync_finish(ct_grad_sync sync) {
  return guarded([&] {
    at::NoGradGuard no_grad;
    std::unique_lock<std::mutex> lock(sync->mutex);
    struct Reset {
      ct_grad_sync_s *s;
      ~Reset() { s->reset_step(); }
    } reset{sync};
    if (!sync->hook_error.empty()) {
      auto message = std::move(sync->hook_error);
      sync->hook_error.clear();
      TORCH_CHECK(false, message);
    }
    // Parameters that took no part in this step's loss contribute zeros (all ranks must reduce
    // every bucket); their gradient is then the average of the other ranks'.
    for (size_t i = 0; i < sync->params.size(); i++) {
      if (sync->arrived[i]) continue;
      auto &b = sync->buckets[sync->bucket_of[i]];
      b.flat.narrow(0, b.offsets[sync->slot_of[i]], sync->params[i].numel()).zero_();
      sync->arrived[i] = true;
      b.pending--;
    }
    sync->launch_ready();
    double world = static_cast<double>(sync->group->size);
    for (auto &b : sync->buckets) {
      wait_for(b.work, sync->group->timeout);
      b.flat.div_(world);
      for (size_t slot = 0; slot < b.members.size(); slot++) {
        auto &p = sync->params[b.members[slot]];
        auto average = b.flat.narrow(0, b.offsets[slot], p.numel()).view(p.sizes());
        auto &grad = p.mutable_grad();
        if (grad.defined()) {
          grad.copy_(average);
        } else {
          grad = average.clone(at::MemoryFormat::Preserve).contiguous(p.suggest_memory_format());
        }
      }
    }
  });
}

void ct_grad_sync_free(ct_grad_sync sync) {
  if (!sync) return;
  for (size_t i = 0; i < sync->hooks.size(); i++) {
    try {
      sync->params[i].remove_hook(sync->hooks[i]);
    } catch (...) {
    }
  }
  delete sync;
}

ct_error ct_cuda_set_device(int32_t index) {
  return guarded([&] {
    TORCH_CHECK(at::globalContext().hasCUDA(), "no CUDA device");
    c10::impl::getDeviceGuardImpl(at::kCUDA)->setDevice(at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(index)));
  });
}

} // extern "C"
