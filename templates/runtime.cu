// The library's non-kernel half: errors, device query, memory, random fill, events.
// Compiled into libsparsed.so next to the generated kernels (see codegen/build.ts).
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <atomic>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "sparsed.h"
#include "sparsed/status.cuh"
#include "sparsed/tma.cuh"
#include "sparsed/select_block_lse.cuh"

namespace sparsed {

static thread_local char g_last_error[1024] = "";

int fail(int code, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(g_last_error, sizeof g_last_error, fmt, ap);
  va_end(ap);
  return code;
}

static bool no_device_error(cudaError_t e) {
  return e == cudaErrorNoDevice || e == cudaErrorInsufficientDriver || e == cudaErrorInitializationError ||
         e == cudaErrorCompatNotSupportedOnDevice || e == cudaErrorSystemDriverMismatch ||
         e == cudaErrorDevicesUnavailable;
}

int check_cuda(cudaError_t e, const char* what) {
  if (e == cudaSuccess) return SPARSED_OK;
  cudaGetLastError();  // clear a sticky-free error so the next call starts clean
  if (no_device_error(e))
    return fail(SPARSED_ERR_NO_DEVICE, "no usable CUDA GPU or driver: %s: %s (%s)", what, cudaGetErrorString(e), cudaGetErrorName(e));
  return fail(SPARSED_ERR_CUDA, "%s: %s (%s)", what, cudaGetErrorString(e), cudaGetErrorName(e));
}

int current_device(const cudaDeviceProp** props) {
  static thread_local int cached_device = -1;
  static thread_local cudaDeviceProp cached;
  int dev = 0;
  SPARSED_TRY(check_cuda(cudaGetDevice(&dev), "no usable CUDA device (cudaGetDevice)"));
  if (dev != cached_device) {
    SPARSED_TRY(check_cuda(cudaGetDeviceProperties(&cached, dev), "cudaGetDeviceProperties"));
    cached_device = dev;
  }
  *props = &cached;
  return SPARSED_OK;
}

int require_family(int min_major, bool exact_sm90, const cudaDeviceProp** props) {
  SPARSED_TRY(current_device(props));
  const cudaDeviceProp* d = *props;
  if (exact_sm90 && (d->major != 9 || d->minor != 0))
    return fail(SPARSED_ERR_INVALID, "this kernel uses Hopper-only instructions (sm_90a: H100/H200); the device is %d.%d: use an sm80 variant", d->major, d->minor);
  if (d->major < min_major)
    return fail(SPARSED_ERR_NO_DEVICE, "this kernel needs compute capability %d.0 or newer; the device is %d.%d", min_major, d->major, d->minor);
  return SPARSED_OK;
}

static bool aligned16(uint64_t ptr) { return ptr % 16 == 0; }

int check_operand(const char* name, uint64_t ptr, const int64_t stride[3]) {
  if (ptr == 0) return fail(SPARSED_ERR_INVALID, "%s is a null pointer", name);
  if (!aligned16(ptr)) return fail(SPARSED_ERR_INVALID, "%s pointer 0x%llx is not 16-byte aligned", name, (unsigned long long)ptr);
  for (int i = 0; i < 3; ++i)
    if (stride[i] < 0 || stride[i] % 8 != 0)
      return fail(SPARSED_ERR_INVALID, "%s stride %d is %lld: strides must be non-negative multiples of 8 elements", name, i, (long long)stride[i]);
  return SPARSED_OK;
}

int validate_dense(const sparsed_dense_params* p, int head_dim, int dtype_code) {
  if (!p) return fail(SPARSED_ERR_INVALID, "params is a null pointer");
  if (p->batch < 1 || p->nq < 1 || p->nk < 1 || p->hq < 1 || p->hkv < 1)
    return fail(SPARSED_ERR_INVALID, "batch, nq, nk, hq, hkv must be >= 1 (got %d, %d, %d, %d, %d)", p->batch, p->nq, p->nk, p->hq, p->hkv);
  if (p->hq % p->hkv != 0) return fail(SPARSED_ERR_INVALID, "hq (%d) must be a multiple of hkv (%d)", p->hq, p->hkv);
  if (p->head_dim != head_dim) return fail(SPARSED_ERR_INVALID, "head_dim %d given to a kernel built for %d", p->head_dim, head_dim);
  if (p->dtype != dtype_code) return fail(SPARSED_ERR_INVALID, "dtype %d given to a kernel built for %d", p->dtype, dtype_code);
  if (!(p->scale > 0.f) || !isfinite(p->scale)) return fail(SPARSED_ERR_INVALID, "scale must be a positive finite number");
  SPARSED_TRY(check_operand("q", p->q, p->q_stride));
  SPARSED_TRY(check_operand("k", p->k, p->k_stride));
  SPARSED_TRY(check_operand("v", p->v, p->v_stride));
  SPARSED_TRY(check_operand("o", p->o, p->o_stride));
  if (p->lse && p->lse % 4 != 0) return fail(SPARSED_ERR_INVALID, "lse pointer is not 4-byte aligned");
  if (p->block_lse) {
    if (p->block_lse % 4 != 0) return fail(SPARSED_ERR_INVALID, "block_lse pointer is not 4-byte aligned");
    if (p->block_size != 32 && p->block_size != 64 && p->block_size != 128)
      return fail(SPARSED_ERR_INVALID, "block_size %d: block LSEs are written for blocks of 32, 64 or 128 keys", p->block_size);
  }
  return SPARSED_OK;
}

int validate_pattern(const sparsed_sparse_params* sp, int bm, int keys) {
  const sparsed_pattern& pt = sp->pattern;
  if (!pt.counts || !pt.indices) return fail(SPARSED_ERR_INVALID, "pattern counts/indices is a null pointer");
  if (pt.counts % 4 || pt.indices % 4) return fail(SPARSED_ERR_INVALID, "pattern arrays must be 4-byte aligned");
  if (pt.block_size < 1 || pt.block_size % bm || pt.block_size % keys)
    return fail(SPARSED_ERR_INVALID, "pattern block size %d is not a multiple of this kernel's tiles (blockM %d, key tiles copied %d keys at a time)", pt.block_size, bm, keys);
  const int nqb = (sp->attn.nq + pt.block_size - 1) / pt.block_size, nkb = (sp->attn.nk + pt.block_size - 1) / pt.block_size;
  if (pt.nqb != nqb || pt.nkb != nkb)
    return fail(SPARSED_ERR_INVALID, "pattern has %d x %d blocks; Nq = %d, Nk = %d with block size %d need %d x %d", pt.nqb, pt.nkb, sp->attn.nq, sp->attn.nk, pt.block_size, nqb, nkb);
  return SPARSED_OK;
}

__global__ void fill_uniform_kernel(uint16_t* dst, uint64_t n, int dtype, uint64_t seed, float lo, float hi) {
  for (uint64_t i = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x; i < n; i += (uint64_t)gridDim.x * blockDim.x) {
    uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ull ^ seed;  // splitmix64
    x ^= x >> 30; x *= 0xBF58476D1CE4E5B9ull; x ^= x >> 27; x *= 0x94D049BB133111EBull; x ^= x >> 31;
    const float u = lo + (hi - lo) * ((x >> 40) * (1.0f / 16777216.0f));
    if (dtype == SPARSED_BF16) { __nv_bfloat16 v = __float2bfloat16_rn(u); dst[i] = *reinterpret_cast<uint16_t*>(&v); }
    else { __half v = __float2half_rn(u); dst[i] = *reinterpret_cast<uint16_t*>(&v); }
  }
}

// The driver's tensor-map encoder, fetched once through the runtime (no link against libcuda).
using EncodeTiled = CUresult (*)(CUtensorMap*, CUtensorMapDataType, cuuint32_t, void*, const cuuint64_t*, const cuuint64_t*, const cuuint32_t*,
                                 const cuuint32_t*, CUtensorMapInterleave, CUtensorMapSwizzle, CUtensorMapL2promotion, CUtensorMapFloatOOBfill);
static int tensor_map_encoder(EncodeTiled* out) {
  static std::atomic<EncodeTiled> cached{nullptr};
  EncodeTiled fn = cached.load();
  if (!fn) {
    void* entry = nullptr;
    cudaDriverEntryPointQueryResult found = cudaDriverEntryPointSymbolNotFound;
    SPARSED_TRY(check_cuda(cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &entry, 12000, cudaEnableDefault, &found), "cudaGetDriverEntryPointByVersion(cuTensorMapEncodeTiled)"));
    if (found != cudaDriverEntryPointSuccess || !entry)
      return fail(SPARSED_ERR_NO_DEVICE, "the CUDA driver has no cuTensorMapEncodeTiled (TMA needs a CUDA 12 or newer driver): update the driver or use an sm80 variant");
    fn = reinterpret_cast<EncodeTiled>(entry);
    cached.store(fn);
  }
  *out = fn;
  return SPARSED_OK;
}

int make_rows_tensor_map(CUtensorMap* map, const char* name, uint64_t ptr, const int64_t stride[3], int batch, int rows, int heads, int d, int box_rows) {
  EncodeTiled encode = nullptr;
  SPARSED_TRY(tensor_map_encoder(&encode));
  // Dimensions innermost first: (d, rows, heads, batch); strides in bytes for the outer three. A
  // dimension of extent 1 is never stepped, so it gets the packed stride (the map needs a valid one).
  const cuuint64_t dims[4] = {(cuuint64_t)d, (cuuint64_t)rows, (cuuint64_t)heads, (cuuint64_t)batch};
  cuuint64_t strides[3] = {(cuuint64_t)stride[1] * 2, (cuuint64_t)stride[2] * 2, (cuuint64_t)stride[0] * 2};
  for (int i = 0; i < 3; ++i) {
    if (dims[i + 1] == 1) strides[i] = (i == 0 ? dims[0] * 2 : strides[i - 1] * dims[i]);
    if (strides[i] == 0)
      return fail(SPARSED_ERR_INVALID, "%s: a stride of 0 over %llu %s is not supported by the TMA (sm90a) kernels: pass a materialized tensor or use an sm80 variant",
                  name, (unsigned long long)dims[i + 1], i == 0 ? "rows" : i == 1 ? "heads" : "batches");
  }
  const cuuint32_t box[4] = {64, (cuuint32_t)box_rows, 1, 1}, unit[4] = {1, 1, 1, 1};
  const CUresult r = encode(map, CU_TENSOR_MAP_DATA_TYPE_UINT16, 4, reinterpret_cast<void*>(ptr), dims, strides, box, unit, CU_TENSOR_MAP_INTERLEAVE_NONE,
                            CU_TENSOR_MAP_SWIZZLE_128B, CU_TENSOR_MAP_L2_PROMOTION_L2_128B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
  if (r != CUDA_SUCCESS)
    return fail(SPARSED_ERR_INVALID, "%s: the TMA tensor map was refused (CUresult %d) for dims (%d, %d, %d, %d) and byte strides (%llu, %llu, %llu): use an sm80 variant",
                name, (int)r, d, rows, heads, batch, (unsigned long long)strides[0], (unsigned long long)strides[1], (unsigned long long)strides[2]);
  return SPARSED_OK;
}

}  // namespace sparsed

using namespace sparsed;

extern "C" {

const char* sparsed_last_error(void) { return g_last_error; }
int sparsed_abi_version(void) { return SPARSED_ABI_VERSION; }

int sparsed_device_count(int32_t* count) {
  if (!count) return fail(SPARSED_ERR_INVALID, "count is a null pointer");
  *count = 0;
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) return check_cuda(e, "cudaGetDeviceCount");
  *count = n;
  return SPARSED_OK;
}

int sparsed_device_get(sparsed_device_info* info) {
  if (!info) return fail(SPARSED_ERR_INVALID, "info is a null pointer");
  const cudaDeviceProp* p = nullptr;
  SPARSED_TRY(current_device(&p));
  memset(info, 0, sizeof *info);
  strncpy(info->name, p->name, sizeof info->name - 1);
  info->cc_major = p->major;
  info->cc_minor = p->minor;
  info->sm_count = p->multiProcessorCount;
  info->l2_bytes = p->l2CacheSize;
  info->global_mem_bytes = (int64_t)p->totalGlobalMem;
  info->max_smem_per_block_optin = (int32_t)p->sharedMemPerBlockOptin;
  cudaDriverGetVersion(&info->driver_version);
  cudaRuntimeGetVersion(&info->runtime_version);
  return SPARSED_OK;
}

int sparsed_malloc(uint64_t* ptr, uint64_t bytes) {
  if (!ptr) return fail(SPARSED_ERR_INVALID, "ptr is a null pointer");
  if (bytes == 0) return fail(SPARSED_ERR_INVALID, "cannot allocate 0 bytes");
  void* p = nullptr;
  SPARSED_TRY(check_cuda(cudaMalloc(&p, bytes), "cudaMalloc"));
  *ptr = reinterpret_cast<uint64_t>(p);
  return SPARSED_OK;
}

int sparsed_free(uint64_t ptr) { return check_cuda(cudaFree(reinterpret_cast<void*>(ptr)), "cudaFree"); }

int sparsed_memcpy_htod(uint64_t dst, const void* src, uint64_t bytes) {
  if (!dst || !src) return fail(SPARSED_ERR_INVALID, "memcpy with a null pointer");
  return check_cuda(cudaMemcpy(reinterpret_cast<void*>(dst), src, bytes, cudaMemcpyHostToDevice), "cudaMemcpy HtoD");
}

int sparsed_memcpy_dtoh(void* dst, uint64_t src, uint64_t bytes) {
  if (!dst || !src) return fail(SPARSED_ERR_INVALID, "memcpy with a null pointer");
  return check_cuda(cudaMemcpy(dst, reinterpret_cast<void*>(src), bytes, cudaMemcpyDeviceToHost), "cudaMemcpy DtoH");
}

int sparsed_memcpy_dtod(uint64_t dst, uint64_t src, uint64_t bytes, uint64_t stream) {
  if (!dst || !src) return fail(SPARSED_ERR_INVALID, "memcpy with a null pointer");
  return check_cuda(cudaMemcpyAsync(reinterpret_cast<void*>(dst), reinterpret_cast<void*>(src), bytes,
                                    cudaMemcpyDeviceToDevice, reinterpret_cast<cudaStream_t>(stream)),
                    "cudaMemcpy DtoD");
}

int sparsed_memset(uint64_t dst, int32_t byte, uint64_t bytes, uint64_t stream) {
  if (!dst) return fail(SPARSED_ERR_INVALID, "memset of a null pointer");
  return check_cuda(cudaMemsetAsync(reinterpret_cast<void*>(dst), byte, bytes, reinterpret_cast<cudaStream_t>(stream)), "cudaMemset");
}

int sparsed_fill_uniform(uint64_t dst, uint64_t n, int32_t dtype, uint64_t seed, float lo, float hi, uint64_t stream) {
  if (!dst) return fail(SPARSED_ERR_INVALID, "fill of a null pointer");
  if (dtype != SPARSED_BF16 && dtype != SPARSED_FP16) return fail(SPARSED_ERR_INVALID, "unknown dtype %d", dtype);
  if (n == 0) return SPARSED_OK;
  const cudaDeviceProp* p = nullptr;
  SPARSED_TRY(current_device(&p));
  fill_uniform_kernel<<<p->multiProcessorCount * 8, 256, 0, reinterpret_cast<cudaStream_t>(stream)>>>(
      reinterpret_cast<uint16_t*>(dst), n, dtype, seed, lo, hi);
  return check_cuda(cudaGetLastError(), "fill_uniform launch");
}

int sparsed_select_block_lse(const sparsed_block_select_params* p, uint64_t stream) { return launch_select_block_lse(p, stream); }

int sparsed_synchronize(void) { return check_cuda(cudaDeviceSynchronize(), "cudaDeviceSynchronize"); }

int sparsed_event_create(uint64_t* event) {
  if (!event) return fail(SPARSED_ERR_INVALID, "event is a null pointer");
  cudaEvent_t e;
  SPARSED_TRY(check_cuda(cudaEventCreate(&e), "cudaEventCreate"));
  *event = reinterpret_cast<uint64_t>(e);
  return SPARSED_OK;
}
int sparsed_event_destroy(uint64_t event) {
  return check_cuda(cudaEventDestroy(reinterpret_cast<cudaEvent_t>(event)), "cudaEventDestroy");
}
int sparsed_event_record(uint64_t event, uint64_t stream) {
  return check_cuda(cudaEventRecord(reinterpret_cast<cudaEvent_t>(event), reinterpret_cast<cudaStream_t>(stream)), "cudaEventRecord");
}
int sparsed_event_elapsed_ms(float* ms, uint64_t start, uint64_t end) {
  if (!ms) return fail(SPARSED_ERR_INVALID, "ms is a null pointer");
  SPARSED_TRY(check_cuda(cudaEventSynchronize(reinterpret_cast<cudaEvent_t>(end)), "cudaEventSynchronize"));
  return check_cuda(cudaEventElapsedTime(ms, reinterpret_cast<cudaEvent_t>(start), reinterpret_cast<cudaEvent_t>(end)), "cudaEventElapsedTime");
}

}  // extern "C"
