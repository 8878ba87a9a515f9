// Hopper warpgroup MMA (wgmma, sm_90a) wrappers and shared-memory matrix descriptors.
// The accumulator fragment of m64nNk16 gives each warp 16 rows laid out exactly like mma.sync's
// m16n8 C fragments over N/8 column tiles, so d is float[N/8][4] and the softmax code is shared.
// The operand lists below are long by nature (one register per accumulator element).
#pragma once
#include <stdint.h>
#include "sparsed/common.cuh"

namespace sparsed {
namespace sm90 {

__device__ inline void fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ inline void commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
template <int N>
__device__ inline void wait() { asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(N) : "memory"); }
// wait<N>() after register work that should run while the wgmmas still in flight do. ptxas hoists a wait
// above independent register code (it put the P V wait of dense_ws_sm90.cuh before the softmax, which
// then never ran under its own P V), but keeps shared-memory stores on their side of it, since wgmma
// reads shared memory. So `v`, a value that depends on all that work, is stored to the thread's own
// 4-byte `slot` (never read) before the wait: one store, and the work stays ahead of the wait.
template <int N>
__device__ inline void wait_after(uint32_t slot, float v) {
  asm volatile("st.shared.f32 [%0], %1;\n" ::"r"(slot), "f"(v) : "memory");
  wait<N>();
}
// `v` through a move ptxas cannot see through: what is derived from it is formed where this runs (e.g.
// once a tile) instead of being hoisted out of a loop and kept live across it (where it may spill).
__device__ inline uint32_t opaque(uint32_t v) {
  asm volatile("mov.b32 %0, %0;" : "+r"(v));
  return v;
}
// Shared memory written by ordinary stores or cp.async must be fenced before wgmma reads it.
// Pins accumulator registers in program order: the compiler may not move reads or writes of `d`
// across this point (the wait asm clobbers memory, not registers). Put it after a wait_group, so
// that code reading the retired accumulators cannot drift into a still-running MMA's stage (ptxas
// would then serialize the wgmmas, warnings C7514/C7515).
template <int N>
__device__ inline void fence_operand(float (&d)[N][4]) {
#pragma unroll
  for (int i = 0; i < N; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j) asm volatile("" : "+f"(d[i][j])::"memory");
}
__device__ inline void fence_proxy_async() { asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory"); }
// The registers a thread gets at launch, one CTA of `threads` an SM: 64K over the threads, in steps of 8.
// setmaxnreg.inc draws only on what the CTA's own setmaxnreg.dec released, so a warp-specialized
// kernel's split must fit threads * launch_regs(threads) (a larger one hangs the consumers).
constexpr int launch_regs(int threads) { return 65536 / threads / 8 * 8; }
// Warp specialization: a warpgroup lowers (producer) or raises (consumers) its register limit. Every
// warp of the warpgroup executes it; REGS is a multiple of 8 in [24, 256].
template <int REGS>
__device__ inline void setmaxnreg_dec() { asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\n" ::"n"(REGS) : "memory"); }
template <int REGS>
__device__ inline void setmaxnreg_inc() { asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\n" ::"n"(REGS) : "memory"); }

// Matrix descriptor of a tile stored in the 128-byte swizzle layout: rows of 64 elements (128 B),
// 8-row atoms of 1024 B (SBO; the base must be 1024-byte aligned), LBO in bytes. Kept as its low
// 32-bit word (start address / 16, LBO / 16): the high word (SBO, swizzle mode) is a constant, and a
// k-step or a stage adds its byte offset / 16 to the address field only (no carry: shared addresses
// stay below 2^18). Built from warp-uniform values (warpgroup_index(), loop counters), the words stay
// in uniform registers, so a wgmma needs no per-thread 64-bit add and no register-to-uniform move.
struct Sw128Desc {
  uint32_t lo;
  static constexpr uint32_t kHi = (1024u >> 4) | (1u << 30);  // SBO = 1024 B; bit 62: 128-byte swizzle
  __device__ Sw128Desc(uint32_t smem_addr, uint32_t lbo) : lo(((smem_addr & 0x3FFFF) >> 4) | (((lbo & 0x3FFFF) >> 4) << 16)) {}
  // The descriptor of the tile `byte_offset` bytes further on (a multiple of 16).
  __device__ uint64_t at(uint32_t byte_offset) const { return ((uint64_t)kHi << 32) | (lo + (byte_offset >> 4)); }
};

// This thread's warpgroup, broadcast from lane 0 so that the compiler knows it is warp-uniform
// (what is derived from it, e.g. a descriptor, can then live in uniform registers).
__device__ inline int warpgroup_index() { return __shfl_sync(0xffffffffu, (int)(threadIdx.x / 128), 0); }

// D (64 x 64) {=, +=} A (64 x 16, smem) * B (16 x 64, smem, K-major). bf16
__device__ inline void mma_ss_bf16_n64(float (&d)[8][4], uint64_t da, uint64_t db, int accumulate) {
  asm volatile(
      "{\n.reg .pred p;\n"
      "setp.ne.b32 p, %34, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 "
      "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, "
      "%32, %33, p, 1, 1, 0, 0;\n}\n"
      : "+f"(d[0][0]), "+f"(d[0][1]), "+f"(d[0][2]), "+f"(d[0][3]), "+f"(d[1][0]), "+f"(d[1][1]), "+f"(d[1][2]), "+f"(d[1][3]), "+f"(d[2][0]), "+f"(d[2][1]), "+f"(d[2][2]), "+f"(d[2][3]), "+f"(d[3][0]), "+f"(d[3][1]), "+f"(d[3][2]), "+f"(d[3][3]), "+f"(d[4][0]), "+f"(d[4][1]), "+f"(d[4][2]), "+f"(d[4][3]), "+f"(d[5][0]), "+f"(d[5][1]), "+f"(d[5][2]), "+f"(d[5][3]), "+f"(d[6][0]), "+f"(d[6][1]), "+f"(d[6][2]), "+f"(d[6][3]), "+f"(d[7][0]), "+f"(d[7][1]), "+f"(d[7][2]), "+f"(d[7][3])
      : "l"(da), "l"(db), "r"(accumulate));
}

// D (64 x 64) {=, +=} A (64 x 16, registers) * B (16 x 64, smem; TRANS_B 1: MN-major, 0: K-major). bf16
template <int TRANS_B>
__device__ inline void mma_rs_bf16_n64(float (&d)[8][4], const uint32_t (&a)[4], uint64_t db, int accumulate) {
  asm volatile(
      "{\n.reg .pred p;\n"
      "setp.ne.b32 p, %37, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 "
      "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, "
      "{%32, %33, %34, %35}, %36, p, 1, 1, %38;\n}\n"
      : "+f"(d[0][0]), "+f"(d[0][1]), "+f"(d[0][2]), "+f"(d[0][3]), "+f"(d[1][0]), "+f"(d[1][1]), "+f"(d[1][2]), "+f"(d[1][3]), "+f"(d[2][0]), "+f"(d[2][1]), "+f"(d[2][2]), "+f"(d[2][3]), "+f"(d[3][0]), "+f"(d[3][1]), "+f"(d[3][2]), "+f"(d[3][3]), "+f"(d[4][0]), "+f"(d[4][1]), "+f"(d[4][2]), "+f"(d[4][3]), "+f"(d[5][0]), "+f"(d[5][1]), "+f"(d[5][2]), "+f"(d[5][3]), "+f"(d[6][0]), "+f"(d[6][1]), "+f"(d[6][2]), "+f"(d[6][3]), "+f"(d[7][0]), "+f"(d[7][1]), "+f"(d[7][2]), "+f"(d[7][3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(db), "r"(accumulate), "n"(TRANS_B));
}

// D (64 x 128) {=, +=} A (64 x 16, smem) * B (16 x 128, smem, K-major). bf16
__device__ inline void mma_ss_bf16_n128(float (&d)[16][4], uint64_t da, uint64_t db, int accumulate) {
  asm volatile(
      "{\n.reg .pred p;\n"
      "setp.ne.b32 p, %66, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 "
      "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, "
      "%64, %65, p, 1, 1, 0, 0;\n}\n"
      : "+f"(d[0][0]), "+f"(d[0][1]), "+f"(d[0][2]), "+f"(d[0][3]), "+f"(d[1][0]), "+f"(d[1][1]), "+f"(d[1][2]), "+f"(d[1][3]), "+f"(d[2][0]), "+f"(d[2][1]), "+f"(d[2][2]), "+f"(d[2][3]), "+f"(d[3][0]), "+f"(d[3][1]), "+f"(d[3][2]), "+f"(d[3][3]), "+f"(d[4][0]), "+f"(d[4][1]), "+f"(d[4][2]), "+f"(d[4][3]), "+f"(d[5][0]), "+f"(d[5][1]), "+f"(d[5][2]), "+f"(d[5][3]), "+f"(d[6][0]), "+f"(d[6][1]), "+f"(d[6][2]), "+f"(d[6][3]), "+f"(d[7][0]), "+f"(d[7][1]), "+f"(d[7][2]), "+f"(d[7][3]), "+f"(d[8][0]), "+f"(d[8][1]), "+f"(d[8][2]), "+f"(d[8][3]), "+f"(d[9][0]), "+f"(d[9][1]), "+f"(d[9][2]), "+f"(d[9][3]), "+f"(d[10][0]), "+f"(d[10][1]), "+f"(d[10][2]), "+f"(d[10][3]), "+f"(d[11][0]), "+f"(d[11][1]), "+f"(d[11][2]), "+f"(d[11][3]), "+f"(d[12][0]), "+f"(d[12][1]), "+f"(d[12][2]), "+f"(d[12][3]), "+f"(d[13][0]), "+f"(d[13][1]), "+f"(d[13][2]), "+f"(d[13][3]), "+f"(d[14][0]), "+f"(d[14][1]), "+f"(d[14][2]), "+f"(d[14][3]), "+f"(d[15][0]), "+f"(d[15][1]), "+f"(d[15][2]), "+f"(d[15][3])
      : "l"(da), "l"(db), "r"(accumulate));
}

// D (64 x 128) {=, +=} A (64 x 16, registers) * B (16 x 128, smem; TRANS_B 1: MN-major, 0: K-major). bf16
template <int TRANS_B>
__device__ inline void mma_rs_bf16_n128(float (&d)[16][4], const uint32_t (&a)[4], uint64_t db, int accumulate) {
  asm volatile(
      "{\n.reg .pred p;\n"
      "setp.ne.b32 p, %69, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 "
      "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, "
      "{%64, %65, %66, %67}, %68, p, 1, 1, %70;\n}\n"
      : "+f"(d[0][0]), "+f"(d[0][1]), "+f"(d[0][2]), "+f"(d[0][3]), "+f"(d[1][0]), "+f"(d[1][1]), "+f"(d[1][2]), "+f"(d[1][3]), "+f"(d[2][0]), "+f"(d[2][1]), "+f"(d[2][2]), "+f"(d[2][3]), "+f"(d[3][0]), "+f"(d[3][1]), "+f"(d[3][2]), "+f"(d[3][3]), "+f"(d[4][0]), "+f"(d[4][1]), "+f"(d[4][2]), "+f"(d[4][3]), "+f"(d[5][0]), "+f"(d[5][1]), "+f"(d[5][2]), "+f"(d[5][3]), "+f"(d[6][0]), "+f"(d[6][1]), "+f"(d[6][2]), "+f"(d[6][3]), "+f"(d[7][0]), "+f"(d[7][1]), "+f"(d[7][2]), "+f"(d[7][3]), "+f"(d[8][0]), "+f"(d[8][1]), "+f"(d[8][2]), "+f"(d[8][3]), "+f"(d[9][0]), "+f"(d[9][1]), "+f"(d[9][2]), "+f"(d[9][3]), "+f"(d[10][0]), "+f"(d[10][1]), "+f"(d[10][2]), "+f"(d[10][3]), "+f"(d[11][0]), "+f"(d[11][1]), "+f"(d[11][2]), "+f"(d[11][3]), "+f"(d[12][0]), "+f"(d[12][1]), "+f"(d[12][2]), "+f"(d[12][3]), "+f"(d[13][0]), "+f"(d[13][1]), "+f"(d[13][2]), "+f"(d[13][3]), "+f"(d[14][0]), "+f"(d[14][1]), "+f"(d[14][2]), "+f"(d[14][3]), "+f"(d[15][0]), "+f"(d[15][1]), "+f"(d[15][2]), "+f"(d[15][3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(db), "r"(accumulate), "n"(TRANS_B));
}

// D (64 x 64) {=, +=} A (64 x 16, smem) * B (16 x 64, smem, K-major). fp16
__device__ inline void mma_ss_fp16_n64(float (&d)[8][4], uint64_t da, uint64_t db, int accumulate) {
  asm volatile(
      "{\n.reg .pred p;\n"
      "setp.ne.b32 p, %34, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n64k16.f32.f16.f16 "
      "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, "
      "%32, %33, p, 1, 1, 0, 0;\n}\n"
      : "+f"(d[0][0]), "+f"(d[0][1]), "+f"(d[0][2]), "+f"(d[0][3]), "+f"(d[1][0]), "+f"(d[1][1]), "+f"(d[1][2]), "+f"(d[1][3]), "+f"(d[2][0]), "+f"(d[2][1]), "+f"(d[2][2]), "+f"(d[2][3]), "+f"(d[3][0]), "+f"(d[3][1]), "+f"(d[3][2]), "+f"(d[3][3]), "+f"(d[4][0]), "+f"(d[4][1]), "+f"(d[4][2]), "+f"(d[4][3]), "+f"(d[5][0]), "+f"(d[5][1]), "+f"(d[5][2]), "+f"(d[5][3]), "+f"(d[6][0]), "+f"(d[6][1]), "+f"(d[6][2]), "+f"(d[6][3]), "+f"(d[7][0]), "+f"(d[7][1]), "+f"(d[7][2]), "+f"(d[7][3])
      : "l"(da), "l"(db), "r"(accumulate));
}

// D (64 x 64) {=, +=} A (64 x 16, registers) * B (16 x 64, smem; TRANS_B 1: MN-major, 0: K-major). fp16
template <int TRANS_B>
__device__ inline void mma_rs_fp16_n64(float (&d)[8][4], const uint32_t (&a)[4], uint64_t db, int accumulate) {
  asm volatile(
      "{\n.reg .pred p;\n"
      "setp.ne.b32 p, %37, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n64k16.f32.f16.f16 "
      "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, "
      "{%32, %33, %34, %35}, %36, p, 1, 1, %38;\n}\n"
      : "+f"(d[0][0]), "+f"(d[0][1]), "+f"(d[0][2]), "+f"(d[0][3]), "+f"(d[1][0]), "+f"(d[1][1]), "+f"(d[1][2]), "+f"(d[1][3]), "+f"(d[2][0]), "+f"(d[2][1]), "+f"(d[2][2]), "+f"(d[2][3]), "+f"(d[3][0]), "+f"(d[3][1]), "+f"(d[3][2]), "+f"(d[3][3]), "+f"(d[4][0]), "+f"(d[4][1]), "+f"(d[4][2]), "+f"(d[4][3]), "+f"(d[5][0]), "+f"(d[5][1]), "+f"(d[5][2]), "+f"(d[5][3]), "+f"(d[6][0]), "+f"(d[6][1]), "+f"(d[6][2]), "+f"(d[6][3]), "+f"(d[7][0]), "+f"(d[7][1]), "+f"(d[7][2]), "+f"(d[7][3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(db), "r"(accumulate), "n"(TRANS_B));
}

// D (64 x 128) {=, +=} A (64 x 16, smem) * B (16 x 128, smem, K-major). fp16
__device__ inline void mma_ss_fp16_n128(float (&d)[16][4], uint64_t da, uint64_t db, int accumulate) {
  asm volatile(
      "{\n.reg .pred p;\n"
      "setp.ne.b32 p, %66, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16 "
      "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, "
      "%64, %65, p, 1, 1, 0, 0;\n}\n"
      : "+f"(d[0][0]), "+f"(d[0][1]), "+f"(d[0][2]), "+f"(d[0][3]), "+f"(d[1][0]), "+f"(d[1][1]), "+f"(d[1][2]), "+f"(d[1][3]), "+f"(d[2][0]), "+f"(d[2][1]), "+f"(d[2][2]), "+f"(d[2][3]), "+f"(d[3][0]), "+f"(d[3][1]), "+f"(d[3][2]), "+f"(d[3][3]), "+f"(d[4][0]), "+f"(d[4][1]), "+f"(d[4][2]), "+f"(d[4][3]), "+f"(d[5][0]), "+f"(d[5][1]), "+f"(d[5][2]), "+f"(d[5][3]), "+f"(d[6][0]), "+f"(d[6][1]), "+f"(d[6][2]), "+f"(d[6][3]), "+f"(d[7][0]), "+f"(d[7][1]), "+f"(d[7][2]), "+f"(d[7][3]), "+f"(d[8][0]), "+f"(d[8][1]), "+f"(d[8][2]), "+f"(d[8][3]), "+f"(d[9][0]), "+f"(d[9][1]), "+f"(d[9][2]), "+f"(d[9][3]), "+f"(d[10][0]), "+f"(d[10][1]), "+f"(d[10][2]), "+f"(d[10][3]), "+f"(d[11][0]), "+f"(d[11][1]), "+f"(d[11][2]), "+f"(d[11][3]), "+f"(d[12][0]), "+f"(d[12][1]), "+f"(d[12][2]), "+f"(d[12][3]), "+f"(d[13][0]), "+f"(d[13][1]), "+f"(d[13][2]), "+f"(d[13][3]), "+f"(d[14][0]), "+f"(d[14][1]), "+f"(d[14][2]), "+f"(d[14][3]), "+f"(d[15][0]), "+f"(d[15][1]), "+f"(d[15][2]), "+f"(d[15][3])
      : "l"(da), "l"(db), "r"(accumulate));
}

// D (64 x 128) {=, +=} A (64 x 16, registers) * B (16 x 128, smem; TRANS_B 1: MN-major, 0: K-major). fp16
template <int TRANS_B>
__device__ inline void mma_rs_fp16_n128(float (&d)[16][4], const uint32_t (&a)[4], uint64_t db, int accumulate) {
  asm volatile(
      "{\n.reg .pred p;\n"
      "setp.ne.b32 p, %69, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16 "
      "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, "
      "{%64, %65, %66, %67}, %68, p, 1, 1, %70;\n}\n"
      : "+f"(d[0][0]), "+f"(d[0][1]), "+f"(d[0][2]), "+f"(d[0][3]), "+f"(d[1][0]), "+f"(d[1][1]), "+f"(d[1][2]), "+f"(d[1][3]), "+f"(d[2][0]), "+f"(d[2][1]), "+f"(d[2][2]), "+f"(d[2][3]), "+f"(d[3][0]), "+f"(d[3][1]), "+f"(d[3][2]), "+f"(d[3][3]), "+f"(d[4][0]), "+f"(d[4][1]), "+f"(d[4][2]), "+f"(d[4][3]), "+f"(d[5][0]), "+f"(d[5][1]), "+f"(d[5][2]), "+f"(d[5][3]), "+f"(d[6][0]), "+f"(d[6][1]), "+f"(d[6][2]), "+f"(d[6][3]), "+f"(d[7][0]), "+f"(d[7][1]), "+f"(d[7][2]), "+f"(d[7][3]), "+f"(d[8][0]), "+f"(d[8][1]), "+f"(d[8][2]), "+f"(d[8][3]), "+f"(d[9][0]), "+f"(d[9][1]), "+f"(d[9][2]), "+f"(d[9][3]), "+f"(d[10][0]), "+f"(d[10][1]), "+f"(d[10][2]), "+f"(d[10][3]), "+f"(d[11][0]), "+f"(d[11][1]), "+f"(d[11][2]), "+f"(d[11][3]), "+f"(d[12][0]), "+f"(d[12][1]), "+f"(d[12][2]), "+f"(d[12][3]), "+f"(d[13][0]), "+f"(d[13][1]), "+f"(d[13][2]), "+f"(d[13][3]), "+f"(d[14][0]), "+f"(d[14][1]), "+f"(d[14][2]), "+f"(d[14][3]), "+f"(d[15][0]), "+f"(d[15][1]), "+f"(d[15][2]), "+f"(d[15][3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(db), "r"(accumulate), "n"(TRANS_B));
}

// Dispatch on element type and N so that kernels are written once.
// N = 192 (B rows 0-127, then 128-191: 16 KB further on in a K-major sw128 tile of 128-B rows) is
// two instructions, N = 128 and 64, into the accumulator's first 16 and last 8 column tiles.
template <typename DT, int N>
__device__ inline void mma_ss(float (&d)[N / 8][4], uint64_t da, uint64_t db, int accumulate) {
  static_assert(N == 64 || N == 128 || N == 192, "wgmma wrappers exist for N = 64 and 128 (192 = 128 + 64)");
  if constexpr (N == 192) {
    mma_ss<DT, 128>(*reinterpret_cast<float(*)[16][4]>(&d[0]), da, db, accumulate);
    mma_ss<DT, 64>(*reinterpret_cast<float(*)[8][4]>(&d[16]), da, db + (128 * 128 >> 4), accumulate);
  } else if constexpr (DT::code == 0 && N == 64) mma_ss_bf16_n64(d, da, db, accumulate);
  else if constexpr (DT::code == 0 && N == 128) mma_ss_bf16_n128(d, da, db, accumulate);
  else if constexpr (N == 64) mma_ss_fp16_n64(d, da, db, accumulate);
  else mma_ss_fp16_n128(d, da, db, accumulate);
}

// O += P V (B = V, MN-major); with TRANS_B = 0 and `accumulate`, S {=, +=} Q K^T from Q in registers.
template <typename DT, int N, int TRANS_B = 1>
__device__ inline void mma_rs(float (&d)[N / 8][4], const uint32_t (&a)[4], uint64_t db, int accumulate = 1) {
  static_assert(N == 64 || N == 128, "wgmma wrappers exist for N = 64 and 128");
  if constexpr (DT::code == 0 && N == 64) mma_rs_bf16_n64<TRANS_B>(d, a, db, accumulate);
  else if constexpr (DT::code == 0 && N == 128) mma_rs_bf16_n128<TRANS_B>(d, a, db, accumulate);
  else if constexpr (N == 64) mma_rs_fp16_n64<TRANS_B>(d, a, db, accumulate);
  else mma_rs_fp16_n128<TRANS_B>(d, a, db, accumulate);
}

}  // namespace sm90

// Offset in bytes of 16-byte chunk c of row r in a [ROWS][D] tile stored as D/64 column blocks of
// [ROWS][64] elements with the 128-byte swizzle (chunk index XOR row % 8 within each 1024-byte atom).
template <int ROWS>
__device__ inline uint32_t sw128_offset(int r, int c) {
  return (c / 8) * ROWS * 128 + r * 128 + (((c % 8) ^ (r % 8)) << 4);
}

template <int ROWS, int D, int THREADS, typename Elem>
__device__ inline void load_tile_sw128(uint32_t smem, const Elem* gbase, int64_t row_stride, int row0, int limit, int tid) {
  load_rows_async<ROWS, D, THREADS>(smem, [](int r, int c) { return sw128_offset<ROWS>(r, c); }, gbase, row_stride, row0, limit, tid);
}

}  // namespace sparsed
