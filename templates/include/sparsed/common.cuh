// Shared device code for the pre-Hopper tensor-core path (mma.sync m16n8k16, ldmatrix, cp.async).
// Runs on sm_80 and later; Hopper-only kernels get their own headers.
#pragma once
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <math.h>
#include <stdint.h>

namespace sparsed {

// The two 16-bit element types and how a pair of floats packs into one 32-bit register of them.
struct bf16_t {
  using elem = __nv_bfloat16;
  static constexpr int code = 0;  // SPARSED_BF16
  __device__ static inline uint32_t pack(float a, float b) {
    __nv_bfloat162 v = __floats2bfloat162_rn(a, b);
    return *reinterpret_cast<uint32_t*>(&v);
  }
  __device__ static inline void mma(float c[4], const uint32_t a[4], uint32_t b0, uint32_t b1) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
        "{%0,%1,%2,%3};\n"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
  }
};

struct fp16_t {
  using elem = __half;
  static constexpr int code = 1;  // SPARSED_FP16
  __device__ static inline uint32_t pack(float a, float b) {
    __half2 v = __floats2half2_rn(a, b);
    return *reinterpret_cast<uint32_t*>(&v);
  }
  __device__ static inline void mma(float c[4], const uint32_t a[4], uint32_t b0, uint32_t b1) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
        "{%0,%1,%2,%3};\n"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
  }
};

__device__ inline uint32_t smem_addr(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

__device__ inline void ldmatrix_x4(uint32_t r[4], uint32_t addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr));
}

__device__ inline void ldmatrix_x4_trans(uint32_t r[4], uint32_t addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr));
}

// 16-byte global->shared copy; src_bytes = 0 writes zeros (used for rows past the end).
__device__ inline void cp_async_16(uint32_t dst, const void* src, int src_bytes) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src), "r"(src_bytes));
}
__device__ inline void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N>
__device__ inline void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}

// The first element of (batch b, head h) of a [B, N, H, D] operand with strides {batch, token, head}
// (in elements); GQA: query head h reads kv head kv_head(h, Hq, Hkv).
template <typename Elem>
__device__ inline Elem* head_slice(uint64_t ptr, const int64_t (&stride)[3], int b, int h) {
  return reinterpret_cast<Elem*>(ptr) + b * stride[0] + h * stride[2];
}
__device__ inline int kv_head(int h, int hq, int hkv) { return h / (hq / hkv); }

// A [rows][D] tile of 16-bit elements in shared memory, stored in 16-byte chunks whose index is
// XOR-swizzled with the row, so that the 8 rows one ldmatrix phase reads hit 8 distinct bank groups.
template <int D>
struct SwizzledTile {
  static constexpr int kChunks = D / 8;  // 16-byte chunks per row
  __device__ static inline int offset(int row, int chunk) {  // in elements
    return row * D + ((chunk ^ (row & 7)) << 3);
  }
};

// Copy rows [row0, row0 + ROWS) of a row-strided global matrix (D 16-bit elements a row) into shared
// memory at smem + offset(r, c) bytes for 16-byte chunk c of row r. Rows at or past `limit` are
// zero-filled, so that masked keys never contribute NaN through V.
template <int ROWS, int D, int THREADS, typename Offset, typename Elem>
__device__ inline void load_rows_async(uint32_t smem, Offset offset, const Elem* gbase, int64_t row_stride, int row0, int limit, int tid) {
  constexpr int kChunks = D / 8;
  constexpr int kTotal = ROWS * kChunks;
#pragma unroll
  for (int i = 0; i < (kTotal + THREADS - 1) / THREADS; ++i) {
    const int idx = tid + i * THREADS;
    if (kTotal % THREADS != 0 && idx >= kTotal) break;
    const int r = idx / kChunks, c = idx % kChunks;
    const bool valid = row0 + r < limit;
    const Elem* src = valid ? gbase + (int64_t)(row0 + r) * row_stride + c * 8 : gbase;
    cp_async_16(smem + offset(r, c), src, valid ? 16 : 0);
  }
}

// The same into a SwizzledTile<D>.
template <int ROWS, int D, int THREADS, typename Elem>
__device__ inline void load_tile_async(Elem* smem, const Elem* gbase, int64_t row_stride, int row0, int limit, int tid) {
  load_rows_async<ROWS, D, THREADS>(smem_addr(smem), [](int r, int c) { return (uint32_t)SwizzledTile<D>::offset(r, c) * 2; }, gbase, row_stride, row0, limit, tid);
}

// The running max of row r (0: the thread's first row, 1: its row + 8) after tile s (16 x BN
// accumulator tiles), in all four lanes of the row (the shuffles: call it from warp-uniform code).
// The selection's statistics and the attention softmax share it.
template <int BN>
__device__ inline float row_max(const float (&s)[BN / 8][4], int r, float running) {
  float mx = running;
#pragma unroll
  for (int i = 0; i < BN / 8; ++i) mx = fmaxf(mx, fmaxf(s[i][2 * r], s[i][2 * r + 1]));
  mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
  return fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
}

// 2^x with one MUFU.EX2: results below 2^-126 flush to zero (exp2f's exact path adds a range check
// and two multiplies per call, which doubles the FP32 work of an exp-bound loop). -inf gives 0, +inf
// gives +inf, NaN stays NaN.
__device__ inline float fast_exp2(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
  return y;
}

// Keys at or past nk (the tail of the last tile) do not exist: their scores become -inf, so that they
// count zero in every sum. s is a 16-row accumulator (mma.sync m16n8 C fragments, or one warp's part
// of a wgmma m64nN accumulator): c0, c1 are row g, columns 2*t4 and 2*t4+1 of each 8-wide column tile;
// c2, c3 the same columns of row g+8. The tile is NCH chunks of BN / NCH keys, chunk q starting at
// key0[q] (a sparse tile cut from several kv blocks, dense_fwd.cuh's KeyTiles); mask_tail: one chunk.
template <int BN, int NCH>
__device__ inline void mask_tail_chunks(float (&s)[BN / 8][4], const int (&key0)[NCH], int nk, int t4) {
  constexpr int kTiles = BN / NCH / 8;  // accumulator column tiles a chunk
#pragma unroll
  for (int i = 0; i < BN / 8; ++i) {
    const int col = key0[i / kTiles] + (i % kTiles) * 8 + 2 * t4;
    if (col >= nk) s[i][0] = s[i][2] = -INFINITY;
    if (col + 1 >= nk) s[i][1] = s[i][3] = -INFINITY;
  }
}
template <int BN>
__device__ inline void mask_tail(float (&s)[BN / 8][4], int key0, int nk, int t4) {
  const int k[1] = {key0};
  mask_tail_chunks<BN, 1>(s, k, nk, t4);
}

}  // namespace sparsed
