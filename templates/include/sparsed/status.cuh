// Host-side status helpers shared by the runtime and every generated entry point.
#pragma once
#include <cuda_runtime.h>
#include "sparsed.h"

namespace sparsed {
// Record a message for sparsed_last_error() (thread-local) and return `code`.
int fail(int code, const char* fmt, ...);
// SPARSED_OK when e == cudaSuccess, else SPARSED_ERR_CUDA (or NO_DEVICE) with "what: CUDA's message".
int check_cuda(cudaError_t e, const char* what);
// Ensures a usable device is current; fills the cached properties of the current device.
int current_device(const cudaDeviceProp** props);
}  // namespace sparsed

#define SPARSED_TRY(expr)            \
  do {                               \
    int sparsed_status_ = (expr);    \
    if (sparsed_status_ != SPARSED_OK) return sparsed_status_; \
  } while (0)
