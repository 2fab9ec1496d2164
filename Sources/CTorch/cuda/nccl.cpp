// The NCCL backend of ct_dist_init, compiled only for a CUDA shim (make SEGMADIFF_CUDA=1 shim, or
// make gpu-bundle): it needs nccl.h from the nvidia-nccl wheel and links libtorch_cuda. A CPU
// shim leaves ctorch::make_nccl_backend undefined (a weak symbol in distributed.cpp).
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#include <chrono>

namespace ctorch {

c10::intrusive_ptr<c10d::Backend>
make_nccl_backend(const c10::intrusive_ptr<c10d::Store> &store, int rank, int size, std::chrono::milliseconds timeout) {
  auto options = c10d::ProcessGroupNCCL::Options::create();
  options->timeout = timeout;
  return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, size, options);
}

} // namespace ctorch
