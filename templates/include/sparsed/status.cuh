// Host-side status helpers shared by the runtime and every generated entry point.
#pragma once
#include <cuda_runtime.h>
#include <atomic>
#include "sparsed.h"

namespace sparsed {
// Record a message for sparsed_last_error() (thread-local) and return `code`.
int fail(int code, const char* fmt, ...);
// SPARSED_OK when e == cudaSuccess, else SPARSED_ERR_CUDA (or NO_DEVICE) with "what: CUDA's message".
int check_cuda(cudaError_t e, const char* what);
// Ensures a usable device is current; fills the cached properties of the current device.
int current_device(const cudaDeviceProp** props);
// current_device, then the kernel family's requirement: compute capability >= min_major, and exactly
// 9.0 for kernels built with Hopper-only instructions (sm_90a).
int require_family(int min_major, bool exact_sm90, const cudaDeviceProp** props);
// A Q/K/V/O operand pointer and its strides: non-null, 16-byte aligned, strides non-negative multiples of 8.
int check_operand(const char* name, uint64_t ptr, const int64_t stride[3]);
}  // namespace sparsed

#define SPARSED_TRY(expr)            \
  do {                               \
    int sparsed_status_ = (expr);    \
    if (sparsed_status_ != SPARSED_OK) return sparsed_status_; \
  } while (0)

namespace sparsed {
// Opts `kernel` in to `bytes` of dynamic shared memory, once per device (Tag: one flag set per kernel
// configuration; launches still ask only for what they use).
template <typename Tag, typename Kernel>
int opt_in_shared_memory(Kernel kernel, int bytes) {
  static std::atomic<bool> done[64];  // zero-initialized: static storage
  int dev = 0;
  SPARSED_TRY(check_cuda(cudaGetDevice(&dev), "cudaGetDevice"));
  if (dev < 0 || dev >= 64 || !done[dev].load()) {
    SPARSED_TRY(check_cuda(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes), "cudaFuncSetAttribute"));
    if (dev >= 0 && dev < 64) done[dev].store(true);
  }
  return SPARSED_OK;
}
}  // namespace sparsed
