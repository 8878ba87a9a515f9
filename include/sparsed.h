/*
 * sparsed.h: the C ABI of libsparsed.so (see shared/DESIGN.md, "The C ABI").
 *
 * Rules that hold for every exported function:
 *  - extern "C", returns an int status: SPARSED_OK (0) or one of the codes below;
 *    after a failure, sparsed_last_error() returns a message for the calling thread.
 *  - Kernels take a pointer to a plain parameter struct (never a struct by value) and a stream
 *    (0 = the default stream), both as 64-bit integers.
 *  - Device pointers cross as uint64_t.
 * Kernel symbols are generated: one per variant, named sparsed_<variant id>; generated/manifest.json
 * lists them with their head dim, dtype, tile sizes and arch.
 */
#ifndef SPARSED_H
#define SPARSED_H
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum sparsed_status {
  SPARSED_OK = 0,
  SPARSED_ERR_INVALID = 1, /* bad argument: shape, stride, alignment, null pointer */
  SPARSED_ERR_CUDA = 2,    /* a CUDA runtime call failed; the message carries CUDA's */
  SPARSED_ERR_NO_DEVICE = 3 /* no usable GPU or driver */
};

enum sparsed_dtype { SPARSED_BF16 = 0, SPARSED_FP16 = 1 };

/* Dense bidirectional attention forward.
 * Q [B, Nq, Hq, D], K/V [B, Nk, Hkv, D], O [B, Nq, Hq, D] in the same 16-bit dtype, the last
 * dimension contiguous; strides are in elements, ordered (batch, sequence, head).
 * LSE [B, Hq, Nq] fp32 contiguous: natural log of each row's softmax denominator, scale included;
 * lse = 0 skips it. Pointers must be 16-byte aligned and strides multiples of 8 elements. */
typedef struct sparsed_dense_params {
  uint64_t q, k, v, o, lse;
  int64_t q_stride[3];
  int64_t k_stride[3];
  int64_t v_stride[3];
  int64_t o_stride[3];
  int32_t batch, nq, nk, hq, hkv, head_dim;
  float scale; /* softmax scale, usually 1/sqrt(D) */
  int32_t dtype; /* enum sparsed_dtype; checked against the variant */
  /* Optional (0 = off): each row's log-sum-exp over each kv block of block_size keys (32, 64 or 128),
   * fp32 [B, Hq, ceil(Nk / block_size), Nq] contiguous: log sum over keys c of block j of
   * exp(scale * q . k_c). sparsed_select_block_lse builds the pattern from it. Only the
   * warp-specialized sm90a dense kernels at blockN 128 or 192 write it; others refuse a non-zero pointer. */
  uint64_t block_lse;
  int32_t block_size;
  int32_t reserved; /* 0 */
} sparsed_dense_params;

/* A block-sparse pattern on the device (shared/DESIGN.md section 1, "Pattern selection"):
 * counts int32 [B, Hq, nqb]; indices int32 [B, Hq, nqb, nkb], each row's first counts[] entries the
 * ascending kv block indices it keeps, the rest -1. nqb = ceil(Nq / block_size), nkb = ceil(Nk / block_size). */
typedef struct sparsed_pattern {
  uint64_t counts, indices;
  int32_t block_size, nqb, nkb, reserved;
} sparsed_pattern;

/* Block-sparse attention forward: dense attention with every key outside the row's kept blocks
 * masked out. The kernel's query tile must divide block_size (one kv list per CTA). */
typedef struct sparsed_sparse_params {
  sparsed_dense_params attn;
  sparsed_pattern pattern;
} sparsed_sparse_params;

/* Isolated selection: builds the pattern from Q and K (the attention tensors' layout and strides).
 * lse: fp32 [B, Hq, Nq] written by the dense kernel with scale == sel_scale, or 0 to compute the
 * row statistics first into workspace (fp32, at least B * Hq * Nq * 4 bytes; 0 when lse is given).
 * The kernel's tiles are one pattern block (blockM = blockN = block_size). */
typedef struct sparsed_select_params {
  uint64_t q, k, lse, workspace;
  int64_t q_stride[3];
  int64_t k_stride[3];
  int32_t batch, nq, nk, hq, hkv, head_dim;
  int32_t gen_length; /* G: tokens being generated, at the end of the sequence */
  float select;       /* keep ratio in (0, 1] */
  float sel_scale;    /* softmax scale of the selection; default 1/sqrt(D) */
  int32_t dtype;
  sparsed_pattern pattern; /* output; block_size, nqb, nkb and both pointers set by the caller */
} sparsed_select_params;

/* Isolated selection from block LSEs (a dense call's block_lse output, same scale as sel_scale):
 * importance(i, j) = sum over the rows r of query block i of exp(block_lse[r, j] - lse[r]), the
 * generation part's the same over its own denominators; O(Nq * nkb) work, no Q K^T. sel.lse is
 * required; sel.q and sel.k are checked as for the selection but not read; sel.workspace is unused. */
typedef struct sparsed_block_select_params {
  sparsed_select_params sel;
  uint64_t block_lse; /* fp32 [B, Hq, nkb, Nq] contiguous, nkb = ceil(Nk / sel.pattern.block_size) */
} sparsed_block_select_params;

typedef struct sparsed_device_info {
  char name[256];
  int32_t cc_major, cc_minor;
  int32_t sm_count;
  int32_t l2_bytes;
  int64_t global_mem_bytes;
  int32_t max_smem_per_block_optin;
  int32_t driver_version, runtime_version;
} sparsed_device_info;

const char* sparsed_last_error(void);
int sparsed_abi_version(void);

int sparsed_device_count(int32_t* count);
int sparsed_device_get(sparsed_device_info* info);

int sparsed_malloc(uint64_t* ptr, uint64_t bytes);
int sparsed_free(uint64_t ptr);
int sparsed_memcpy_htod(uint64_t dst, const void* src, uint64_t bytes);
int sparsed_memcpy_dtoh(void* dst, uint64_t src, uint64_t bytes);
int sparsed_memcpy_dtod(uint64_t dst, uint64_t src, uint64_t bytes, uint64_t stream);
int sparsed_memset(uint64_t dst, int32_t byte, uint64_t bytes, uint64_t stream);
/* Fill n 16-bit values (dtype) with uniform random numbers in [lo, hi), deterministic per seed. */
int sparsed_fill_uniform(uint64_t dst, uint64_t n, int32_t dtype, uint64_t seed, float lo, float hi, uint64_t stream);
int sparsed_synchronize(void);

/* CUDA events, for timing launches from any FFI. */
int sparsed_event_create(uint64_t* event);
int sparsed_event_destroy(uint64_t event);
int sparsed_event_record(uint64_t event, uint64_t stream);
int sparsed_event_elapsed_ms(float* ms, uint64_t start, uint64_t end);

/* The selection from a dense call's block LSEs (sparsed_block_select_params). */
int sparsed_select_block_lse(const sparsed_block_select_params* p, uint64_t stream);

#define SPARSED_ABI_VERSION 3

#ifdef __cplusplus
}
#endif
#endif
