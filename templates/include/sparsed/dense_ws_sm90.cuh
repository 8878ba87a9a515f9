// Dense and block-sparse attention forward for Hopper (sm_90a), warp-specialized: one producer
// warpgroup copies Q, K and V by TMA (the sparse kernel's producer walks the row's kv block list), two
// consumer warpgroups of 64 query rows each compute. setmaxnreg moves registers from the producer
// (40 a thread) to the consumers (232), which hold O, one block of scores and P at once, so each
// consumer overlaps its softmax with its own matrix products: the next block's S = Q K^T and this
// block's O += P V are in flight on the tensor cores while the warps exponentiate the scores in
// between ("intra-warpgroup overlap"; the two consumers are not made to take turns: a ping-pong
// schedule measured no better, bench/NOTES.md). K and V have separate stage barriers: K_j's stage comes free
// as soon as S_j is done, V_j's after P_j V_j. One CTA an SM (its 160 KB of shared memory at hd128).
// Semantics: shared/DESIGN.md section 1; the softmax is dense_fwd.cuh's, in three pieces.
#pragma once
#include "sparsed/dense_fwd_sm90.cuh"  // prepare_tma_launch, and dense_fwd.cuh's softmax pieces

namespace sparsed {

template <int D_, int BN_, typename DT_, bool SPARSE_ = false>
struct DenseWsSm90Config {
  static constexpr int D = D_, BM = 128, BN = BN_, CONSUMERS = 2, THREADS = 128 * (CONSUMERS + 1);
  static constexpr bool kSparse = SPARSE_;
  using DT = DT_;
  using Elem = typename DT_::elem;
  static_assert(D % 64 == 0 && (BN == 64 || BN == 128), "wgmma tiles: 64-element rows, BN 64 or 128");
  static constexpr int kProducerRegs = 40, kConsumerRegs = 232;  // 128 * 40 + 256 * 232 <= 65536
  // Q (each consumer's 64 rows as D/64 column blocks of [64][64]), two K stages, two V stages, then
  // the barriers: K ring, V ring (full and empty, two stages each), Q; + slack to align to 1024 B.
  static constexpr int kQBytes = BM * D * 2, kTileBytes = BN * D * 2;
  static constexpr int kBarOffset = kQBytes + 4 * kTileBytes;
  static constexpr int kSmemBytes = kBarOffset + 2 * 32 + 8 + 1024;
  static constexpr int CTAS_PER_SM = 1;
};

template <typename C>
__global__ void __launch_bounds__(C::THREADS, 1)
    dense_ws_sm90_kernel(const sparsed_sparse_params sp, const __grid_constant__ CUtensorMap qmap, const __grid_constant__ CUtensorMap kmap,
                         const __grid_constant__ CUtensorMap vmap) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  const sparsed_dense_params& p = sp.attn;
  constexpr int D = C::D, BN = C::BN;
  using Elem = typename C::Elem;
  using DT = typename C::DT;
  extern __shared__ unsigned char smem_raw[];
  const uint32_t base = (smem_addr(smem_raw) + 1023) & ~1023u;  // swizzle atoms need 1024-B alignment
  unsigned char* const sbase = smem_raw + (base - smem_addr(smem_raw));
  const uint32_t sQ = base, sK = sQ + C::kQBytes, sV = sK + 2 * C::kTileBytes;
  const tma::Ring<2> ring_k(base + C::kBarOffset), ring_v(base + C::kBarOffset + 32);
  const uint32_t bar_q = base + C::kBarOffset + 64;

  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32, t4 = lane % 4;
  const int wg = sm90::warpgroup_index();
  const int m0 = blockIdx.x * C::BM, h = blockIdx.y, b = blockIdx.z;
  const int hk = kv_head(h, p.hq, p.hkv);
  const KeyTiles<C> tiles(sp, m0, b, h);
  const int n = tiles.count;

  if (tid == 0) {
    ring_k.init(4 * C::CONSUMERS);
    ring_v.init(4 * C::CONSUMERS);
    tma::init(bar_q, 1);
    tma::fence_init();
  }
  __syncthreads();  // the barriers are initialized before anyone waits on them

  if (wg == 0) {  // the producer: one thread issues every copy, in the order the consumers use them
    sm90::setmaxnreg_dec<C::kProducerRegs>();
    if (tid == 0) {
      tma::load_q_rows<D, C::CONSUMERS>(sQ, &qmap, bar_q, m0, h, b);
      for (int j = 0; j < n; ++j) {
        const int key0 = tiles.key0(j);
        const uint32_t bk = ring_k.acquire(j, C::kTileBytes), kst = sK + (j & 1) * C::kTileBytes;
#pragma unroll
        for (int cb = 0; cb < D / 64; ++cb) tma::load_4d(kst + cb * BN * 128, &kmap, bk, cb * 64, key0, hk, b);
        const uint32_t bv = ring_v.acquire(j, C::kTileBytes), vst = sV + (j & 1) * C::kTileBytes;
#pragma unroll
        for (int cb = 0; cb < D / 64; ++cb) tma::load_4d(vst + cb * BN * 128, &vmap, bv, cb * 64, key0, hk, b);
      }
    }
    return;
  }

  // A consumer: rows [c * 64, c * 64 + 64) of the tile, this warp's 16 of them.
  sm90::setmaxnreg_inc<C::kConsumerRegs>();
  const int c = wg - 1, cw = warp - 4;  // consumer index, warp index among the consumers
  const float sl2 = p.scale * 1.4426950408889634f;
  const sm90::Sw128Desc dq(sQ + c * 64 * D * 2, 16);
  auto issue_s = [&](float(&s)[BN / 8][4], int j) {
    const sm90::Sw128Desc dk(sK + (j & 1) * C::kTileBytes, 16);
    sm90::fence();
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk) {
      const uint32_t koff = (kk % 4) * 32;
      sm90::mma_ss<DT, BN>(s, dq.at((kk / 4) * 64 * 128 + koff), dk.at((kk / 4) * BN * 128 + koff), kk > 0);
    }
    sm90::commit();
  };
  float o[D / 8][4];
  auto issue_pv = [&](const uint32_t(&pf)[BN / 16][4], int j) {
    const sm90::Sw128Desc dv(sV + (j & 1) * C::kTileBytes, BN * 128);
    sm90::fence();
#pragma unroll
    for (int kk = 0; kk < BN / 16; ++kk) sm90::mma_rs<DT, D>(o, pf[kk], dv.at(kk * 16 * 128));
    sm90::commit();
  };
  auto mask = [&](float(&s)[BN / 8][4], int key0) {
    if (key0 + BN > p.nk) mask_tail<BN>(s, key0, p.nk, t4);
  };
#pragma unroll
  for (int i = 0; i < D / 8; ++i) o[i][0] = o[i][1] = o[i][2] = o[i][3] = 0.f;
  RowState st;
  float s[BN / 8][4];
  uint32_t pf[BN / 16][4];
  float corr[2];
  tma::wait(bar_q, 0);

  if (n > 0) {
    int key0 = tiles.key0(0);
    ring_k.wait_full(0);
    issue_s(s, 0);
    sm90::wait<0>();
    if (lane == 0) ring_k.release(0);
    sm90::fence_operand<BN / 8>(s);
    mask(s, key0);
    softmax_exp<BN>(s, st, sl2, corr);  // o is zero: no rescale
    pack_p<BN, DT>(s, pf);
    for (int j = 1; j < n; ++j) {
      key0 = tiles.key0(j);
      // S_j and O += P_{j-1} V_{j-1} in flight; the softmax of S_j runs under P V.
      ring_k.wait_full(j);
      ring_v.wait_full(j - 1);
      issue_s(s, j);
      issue_pv(pf, j - 1);
      sm90::wait<1>();  // S_j is done (P V may still run)
      if (lane == 0) ring_k.release(j);
      sm90::fence_operand<BN / 8>(s);
      mask(s, key0);
      softmax_exp<BN>(s, st, sl2, corr);
      sm90::wait<0>();  // P_{j-1} V_{j-1} is done: O and pf are free again
      if (lane == 0) ring_v.release(j - 1);
      sm90::fence_operand<D / 8>(o);
      // Once the row maxima settle most blocks leave them unchanged (corr = 1 exactly): the warp then
      // skips the multiplies, which changes no value.
      if (__any_sync(0xffffffffu, corr[0] != 1.f || corr[1] != 1.f)) rescale_o<D>(o, corr);
      pack_p<BN, DT>(s, pf);
    }
    ring_v.wait_full(n - 1);
    issue_pv(pf, n - 1);
    sm90::wait<0>();
    if (lane == 0) ring_v.release(n - 1);
    sm90::fence_operand<D / 8>(o);
  }

  // Epilogue (dense_fwd.cuh's), staging O over this consumer's own Q rows once its four warps are
  // done reading them.
  tma::sync_warpgroup<3>(wg);
  Elem* og = head_slice<Elem>(p.o, p.o_stride, b, h);
  Elem* stage = reinterpret_cast<Elem*>(sbase);
  write_warp_rows<D, DT>(o, st, stage, cw * 16, og, m0, p, b, h, lane);
#else
  __trap();  // built for a target without wgmma; launch_dense_ws_sm90 refuses such devices first
#endif
}

template <typename C, typename Params>
int launch_dense_ws_sm90(const Params* p, uint64_t stream) {
  sparsed_sparse_params sp;
  CUtensorMap qmap, kmap, vmap;
  SPARSED_TRY((prepare_tma_launch<C, Params>(p, &sp, &kmap, &vmap)));
  const sparsed_dense_params& a = sp.attn;
  SPARSED_TRY(make_rows_tensor_map(&qmap, "q", a.q, a.q_stride, a.batch, a.nq, a.hq, C::D, 64));
  return launch_kernel<C>(dense_ws_sm90_kernel<C>, &sp, stream, qmap, kmap, vmap);
}

}  // namespace sparsed
