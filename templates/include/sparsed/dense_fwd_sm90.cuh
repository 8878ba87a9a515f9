// Dense bidirectional attention forward for Hopper (sm_90a): warpgroup MMA (wgmma) instead of
// mma.sync. Each warpgroup owns 64 query rows; Q, K and V tiles sit in shared memory in the
// 128-byte swizzle layout that wgmma reads directly (no ldmatrix), S = Q K^T takes both operands
// from shared memory, and O += P V takes P from registers (the S accumulator layout is already the
// A-operand layout) and V transposed from shared memory. K/V stream through two stages filled by
// TMA (tma.cuh's RefillRing): the last warp to release a stage copies the tile two further on into
// it, the warps wait on the stage's barrier (no CTA-wide barrier inside the loop, no thread waiting
// for a free stage, no per-thread copy addresses). dense_ws_sm90.cuh is the warp-specialized kernel.
// Semantics: shared/DESIGN.md section 1 ("Tensors"); the softmax is dense_fwd.cuh's.
#pragma once
#include "sparsed/dense_fwd.cuh"
#include "sparsed/tma.cuh"
#include "sparsed/wgmma.cuh"

namespace sparsed {

template <int D_, int BM_, int BN_, typename DT_, bool SPARSE_ = false>
struct DenseSm90Config {
  static constexpr int D = D_, BM = BM_, BN = BN_, WARPGROUPS = BM_ / 64, THREADS = WARPGROUPS * 128;
  static constexpr bool kSparse = SPARSE_;  // walk the row's kv block list instead of every key
  using DT = DT_;
  using Elem = typename DT_::elem;
  static_assert(BM % 64 == 0 && D % 64 == 0 && (BN == 64 || BN == 128), "wgmma tiles: 64-row groups, 64-element rows");
  // Q, two stages of (K, V), the stages' full and empty barriers; + slack to align to 1024 B.
  static constexpr int kBarOffset = (BM + 4 * BN) * D * 2;
  static constexpr int kSmemBytes = kBarOffset + 32 + 1024;
  // Two CTAs per SM where their shared memory fits (227 KB) and 128 registers a thread can hold the
  // tile (up to 2 warpgroups): their warpgroups drift out of phase, so one CTA's softmax runs under
  // the other's MMAs, which one CTA's lock-stepped warpgroups do not get.
  static constexpr int CTAS_PER_SM = (2 * kSmemBytes <= 227 * 1024 && WARPGROUPS <= 2) ? 2 : 1;
};

template <typename C>
__global__ void __launch_bounds__(C::THREADS, C::CTAS_PER_SM)
    dense_fwd_sm90_kernel(const sparsed_sparse_params sp, const __grid_constant__ CUtensorMap kmap, const __grid_constant__ CUtensorMap vmap) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  const sparsed_dense_params& p = sp.attn;
  constexpr int D = C::D, BM = C::BM, BN = C::BN, NT = C::THREADS;
  using Elem = typename C::Elem;
  using DT = typename C::DT;
  extern __shared__ unsigned char smem_raw[];
  const uint32_t base = (smem_addr(smem_raw) + 1023) & ~1023u;  // swizzle atoms need 1024-B alignment
  unsigned char* const sbase = smem_raw + (base - smem_addr(smem_raw));
  const uint32_t sQ = base;
  const uint32_t sKV = sQ + BM * D * 2;  // stage t: K at sKV + t * 2 * BN * D * 2, V right after
  constexpr uint32_t kTileKV = BN * D * 2;
  const tma::RefillRing<2> ring(sbase + C::kBarOffset);  // the K/V stages

  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
  const int t4 = lane % 4;
  const int m0 = blockIdx.x * BM, h = blockIdx.y, b = blockIdx.z;
  const int hk = kv_head(h, p.hq, p.hkv);

  const Elem* qg = head_slice<const Elem>(p.q, p.q_stride, b, h);
  Elem* og = head_slice<Elem>(p.o, p.o_stride, b, h);

  const KeyTiles<C> tiles(sp, m0, b, h);
  const int nblocks = tiles.count;
  const float sl2 = p.scale * 1.4426950408889634f;

  // Tile j's first key: key0 holds tile j's, key0_next tile j+1's (then j+2's once tile j is done);
  // the list entry of tile j+2 is read a step before it is needed (a sparse row's list lives in global
  // memory). The stages refill themselves (tma.cuh's RefillRing): the last warp to release tile j copies
  // tile j+2 into its stage (rows past Nk arrive as zeros).
  auto copy_kv = [&](int j, int key0) {
    const uint32_t bar = ring.arm(j, 2 * kTileKV), stage = sKV + (j & 1) * 2 * kTileKV;
#pragma unroll
    for (int c = 0; c < D / 64; ++c) {
      tma::load_4d(stage + c * BN * 128, &kmap, bar, c * 64, key0, hk, b);
      tma::load_4d(stage + kTileKV + c * BN * 128, &vmap, bar, c * 64, key0, hk, b);
    }
  };
  if (tid == 0) ring.init();
  __syncthreads();  // the barriers are initialized before anyone waits on them
  int key0 = nblocks > 0 ? tiles.key0(0) : 0;
  int key0_next = nblocks > 1 ? tiles.key0(1) : 0;
  load_tile_sw128<BM, D, NT>(sQ, qg, p.q_stride[1], m0, p.nq, tid);
  cp_async_commit();
  if (tid == 0)
    for (int j = 0; j < 2 && j < nblocks; ++j) copy_kv(j, j == 0 ? key0 : key0_next);
  int entry_after = nblocks > 2 ? tiles.entry(2) : 0;
  cp_async_wait<0>();
  sm90::fence_proxy_async();  // this thread's Q copies, visible to wgmma after the barrier
  __syncthreads();

  const sm90::Sw128Desc da(sQ + sm90::warpgroup_index() * 64 * 128, 16);  // this warpgroup's Q rows
  float o[D / 8][4];
#pragma unroll
  for (int i = 0; i < D / 8; ++i) o[i][0] = o[i][1] = o[i][2] = o[i][3] = 0.f;
  RowState st;

  for (int j = 0; j < nblocks; ++j) {
    ring.wait_full(j);  // tile j landed
    const int entry_j2 = entry_after;
    if (j + 3 < nblocks) entry_after = tiles.entry(j + 3);  // lands while this tile computes
    const uint32_t sK = sKV + (j & 1) * 2 * kTileKV, sV = sK + kTileKV;

    // S = Q K^T: A = this warpgroup's 64 Q rows, B = K (K-major); k-steps of 16 walk 32 B within a
    // 128-B row and jump a whole column block every 4 steps.
    float s[BN / 8][4];
    const sm90::Sw128Desc db(sK, 16), dv(sV, BN * 128);
    sm90::fence();
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk) {
      const uint32_t koff = (kk % 4) * 32;
      sm90::mma_ss<DT, BN>(s, da.at((kk / 4) * BM * 128 + koff), db.at((kk / 4) * BN * 128 + koff), kk > 0);
    }
    sm90::commit();
    sm90::wait<0>();

    uint32_t pf[BN / 16][4];
    if (key0 + BN > p.nk) mask_tail<BN>(s, key0, p.nk, t4);
    softmax_step<BN, D, DT>(s, st, o, pf, sl2);

    // O += P V: B = V as [keys][d] (d contiguous, so MN-major: transposed); 16 keys per k-step =
    // two 1024-B atoms; LBO steps between 64-wide column blocks of d.
    sm90::fence();
#pragma unroll
    for (int kk = 0; kk < BN / 16; ++kk)
      sm90::mma_rs<DT, D>(o, pf[kk], dv.at(kk * 16 * 128));
    sm90::commit();
    sm90::wait<0>();
    key0 = key0_next;
    key0_next = tiles.key0_at(j + 2, entry_j2);
    if (lane == 0 && ring.release(j, NT / 32) && j + 2 < nblocks) copy_kv(j + 2, key0_next);  // this warp is done with tile j
  }

  // Epilogue (dense_fwd.cuh's), staging O over Q once every warpgroup is done reading Q.
  __syncthreads();
  Elem* stage = reinterpret_cast<Elem*>(sbase);
  write_warp_rows<D, DT>(o, st, stage, warp * 16, og, m0, p, b, h, lane);
#else
  __trap();  // built for a target without wgmma; launch_dense_sm90 refuses such devices first
#endif
}

// Host, for both sm90a attention kernels: the entry points' checks, then the K and V tensor maps
// (boxes of BN rows, or of the kernel's key chunk: KeyChunk).
template <typename C, typename Params>
int prepare_tma_launch(const Params* p, sparsed_sparse_params* sp, CUtensorMap* kmap, CUtensorMap* vmap) {
  SPARSED_TRY((prepare_launch<C, Params>(p, sp, 9, true)));
  const sparsed_dense_params& a = sp->attn;
  SPARSED_TRY(make_rows_tensor_map(kmap, "k", a.k, a.k_stride, a.batch, a.nk, a.hkv, C::D, KeyChunk<C>::value));
  return make_rows_tensor_map(vmap, "v", a.v, a.v_stride, a.batch, a.nk, a.hkv, C::D, KeyChunk<C>::value);
}

template <typename C, typename Params>
int launch_dense_sm90(const Params* p, uint64_t stream) {
  sparsed_sparse_params sp;
  CUtensorMap kmap, vmap;
  SPARSED_TRY((prepare_tma_launch<C, Params>(p, &sp, &kmap, &vmap)));
  return launch_kernel<C>(dense_fwd_sm90_kernel<C>, &sp, stream, kmap, vmap);
}

}  // namespace sparsed
