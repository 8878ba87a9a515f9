// Hopper (sm_90a) bulk tensor copies (TMA) and the shared-memory barriers (mbarrier) they complete on:
// the pieces of a load pipeline in which one thread issues a whole tile's copy and consumers wait on
// the tile's "full" barrier instead of a CTA-wide __syncthreads, then release its stage on an "empty"
// barrier that the loading thread waits on before it refills the stage.
#pragma once
#include <cuda.h>  // CUtensorMap (the type only; the encoder is fetched from the driver at run time)
#include <stdint.h>

namespace sparsed {

// Host: a tensor map over a [batch, rows, heads, d] 16-bit operand (strides in elements, ordered
// batch, sequence, head; the last dimension contiguous) whose box is `box_rows` rows x 64 elements of
// one head, stored with the 128-byte swizzle that wgmma's sw128 descriptors read (wgmma.cuh). Rows at
// or past `rows` arrive as zeros. Coordinates: (column, row, head, batch). `name` is for errors.
int make_rows_tensor_map(CUtensorMap* map, const char* name, uint64_t ptr, const int64_t stride[3], int batch, int rows, int heads, int d, int box_rows);

namespace tma {

__device__ inline void init(uint32_t bar, int count) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(bar), "r"(count) : "memory");
}
// After the inits, before any other thread or the copy engine uses the barriers (then a CTA barrier).
__device__ inline void fence_init() { asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory"); }
// One arrival that also tells the barrier to expect `bytes` more from copies completing on it.
__device__ inline void arrive_expect_tx(uint32_t bar, int bytes) {
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(bar), "r"(bytes) : "memory");
}
__device__ inline void arrive(uint32_t bar) { asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" ::"r"(bar) : "memory"); }
// Waits until the phase of parity `parity` has completed (phases alternate 0, 1, 0, ...).
__device__ inline void wait(uint32_t bar, int parity) {
  uint32_t done;
  do {
    asm volatile(
        "{\n .reg .pred p;\n mbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\n selp.u32 %0, 1, 0, p;\n}\n"
        : "=r"(done)
        : "r"(bar), "r"(parity)
        : "memory");
  } while (!done);
}
// Copies the box at (c0, c1, c2, c3) of `map` to shared memory at dst (1024-byte aligned for the
// swizzle); its bytes complete on `bar`.
__device__ inline void load_4d(uint32_t dst, const CUtensorMap* map, uint32_t bar, int c0, int c1, int c2, int c3) {
  asm volatile(
      "cp.async.bulk.tensor.4d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3, %4, %5}], [%6];\n" ::"r"(dst),
      "l"(reinterpret_cast<uint64_t>(map)), "r"(c0), "r"(c1), "r"(c2), "r"(c3), "r"(bar)
      : "memory");
}
// The producer's copy of a warp-specialized kernel's Q: CONSUMERS warpgroups of 64 rows, rows
// [m0 + 64c, m0 + 64c + 64) at sq + c * 64 * D * 2 as D/64 column blocks of [64][64] (swizzled, as
// wgmma reads them); arms `bar` for all of it. Rows past the map's end arrive as zeros.
template <int D, int CONSUMERS>
__device__ inline void load_q_rows(uint32_t sq, const CUtensorMap* qmap, uint32_t bar, int m0, int h, int b) {
  arrive_expect_tx(bar, CONSUMERS * 64 * D * 2);
#pragma unroll
  for (int c = 0; c < CONSUMERS; ++c)
#pragma unroll
    for (int cb = 0; cb < D / 64; ++cb) load_4d(sq + c * 64 * D * 2 + cb * 64 * 128, qmap, bar, cb * 64, m0 + c * 64, h, b);
}

// A ring of STAGES shared-memory stages filled by TMA, tile t in stage t % STAGES, each stage with a
// "full" barrier (the copy's bytes landed; phase t / STAGES) and an "empty" one (every consumer warp
// released the stage). `bars` points at 2 * STAGES 8-byte barriers: full ones first.
template <int STAGES>
struct Ring {
  uint32_t full, empty;
  __device__ explicit Ring(uint32_t bars) : full(bars), empty(bars + 8 * STAGES) {}
  // One thread, before anyone uses the ring (then a CTA barrier).
  __device__ void init(int consumer_warps) const {
    for (int s = 0; s < STAGES; ++s) {
      tma::init(full + 8 * s, 1);
      tma::init(empty + 8 * s, consumer_warps);
    }
    fence_init();
  }
  // The loading thread, before copying tile t: waits until tile t - STAGES was released, arms the full
  // barrier for `bytes`, and returns the barrier the copies complete on. In two steps for a loader that
  // writes what describes the stage to shared memory in between: the arrival releases those writes
  // to the threads that wait_full(t).
  __device__ void wait_free(int t) const {
    if (t >= STAGES) wait(empty + 8 * (t % STAGES), (t / STAGES + 1) & 1);
  }
  __device__ uint32_t arm(int t, int bytes) const {
    arrive_expect_tx(full + 8 * (t % STAGES), bytes);
    return full + 8 * (t % STAGES);
  }
  __device__ uint32_t acquire(int t, int bytes) const {
    wait_free(t);
    return arm(t, bytes);
  }
  __device__ void wait_full(int t) const { wait(full + 8 * (t % STAGES), (t / STAGES) & 1); }
  // One lane of each consumer warp, once the warp's reads of tile t (its MMAs) have completed.
  __device__ void release(int t) const { arrive(empty + 8 * (t % STAGES)); }
};

// A ring of STAGES stages that the consumers refill themselves: the last consumer warp to release a
// stage copies the tile STAGES further on into it, at once. No thread ever waits for a free stage
// (Ring's loading thread does, and its warp with it), and a copy goes out the moment its stage is
// free, not when a loading thread next looks. `bars` (shared memory) holds STAGES 8-byte "full"
// barriers followed by STAGES release counters (4 of their 8 bytes used). A counter only grows:
// tile t's releases take it to (t / STAGES + 1) * warps.
template <int STAGES>
struct RefillRing {
  uint32_t full;  // shared address of the first barrier
  int* counts;
  __device__ explicit RefillRing(unsigned char* bars)
      : full((uint32_t)__cvta_generic_to_shared(bars)), counts(reinterpret_cast<int*>(bars + 8 * STAGES)) {}
  // One thread, before anyone uses the ring (then a CTA barrier).
  __device__ void init() const {
    for (int s = 0; s < STAGES; ++s) {
      tma::init(full + 8 * s, 1);
      counts[2 * s] = 0;
    }
    fence_init();
  }
  // The copying thread: arms tile t's barrier for `bytes` and returns it for the copies.
  __device__ uint32_t arm(int t, int bytes) const {
    arrive_expect_tx(full + 8 * (t % STAGES), bytes);
    return full + 8 * (t % STAGES);
  }
  __device__ void wait_full(int t) const { wait(full + 8 * (t % STAGES), (t / STAGES) & 1); }
  // One lane of each of the `warps` consumer warps, once the warp's reads of tile t (its MMAs) have
  // completed. True for the last one, which then refills the stage. acq_rel: the other warps' reads
  // happen before the copy that the last one issues.
  __device__ bool release(int t, int warps) const {
    int old;
    asm volatile("atom.acq_rel.cta.shared::cta.add.u32 %0, [%1], 1;\n"
                 : "=r"(old)
                 : "r"((uint32_t)__cvta_generic_to_shared(counts + 2 * (t % STAGES)))
                 : "memory");
    return old == (t / STAGES + 1) * warps - 1;
  }
};

// A barrier among the 128 threads of warpgroup wg < WGS only (id 1 + wg; 0 is __syncthreads'). The
// ids are immediates, so the kernel reserves WGS + 1 hardware barriers, not all 16.
template <int WGS>
__device__ inline void sync_warpgroup(int wg) {
  static_assert(WGS >= 1 && WGS <= 4, "up to four warpgroups");
  if (wg == 0) asm volatile("bar.sync 1, 128;\n" ::: "memory");
  if constexpr (WGS > 1) if (wg == 1) asm volatile("bar.sync 2, 128;\n" ::: "memory");
  if constexpr (WGS > 2) if (wg == 2) asm volatile("bar.sync 3, 128;\n" ::: "memory");
  if constexpr (WGS > 3) if (wg == 3) asm volatile("bar.sync 4, 128;\n" ::: "memory");
}

}  // namespace tma
}  // namespace sparsed
