// Isolated selection for Hopper (sm_90a), warp-specialized: select.cuh's method and row end (top-k,
// union, list) with a producer warpgroup and two or four consumer warpgroups, for the runtime's case:
// the dense pass's LSE given and a short generation part (deferred, as in select_sm90.cuh). Other
// calls (no LSE, a long generation part, more kv blocks than shared memory holds) run C::Fallback.
//
// Why it is built this way: per score the selection does half of attention's tensor work and the
// same one exponential, so at the tensor cores' rate the exp unit (MUFU) is as busy as they are, and
// every other instruction in the loop competes for the issue slots both need. So the loop holds only
// the method: one thread of the producer warpgroup issues every TMA copy (Q once, then the 128-key K
// tiles through a STAGES-deep ring), and the consumer warpgroups (64 query rows each) compute
// S = Q K^T and exponentiate it. With two consumers (setmaxnreg 232) each issues S_{t+1} before it
// exponentiates S_t (two S accumulators of 64 registers). With four (setmaxnreg 112, one accumulator
// each) two pairs of 128 rows take alternate key tiles, so each scheduler holds four consumer warps
// whose products and exponentials overlap one another's. Each warp keeps its own importance row [nkb]
// in shared memory: a complete kv block's sum over the warp's 16 rows goes straight there, so no
// barrier runs inside the loop; the rows are added, in a fixed order, when the pattern row is written
// (deterministic, no atomics). Tiles of the generation keys [g*b, Nk) come first, with an online row
// max (select_sm90.cuh's defer_gen_tile; with four consumers each pair's statistics cover its tiles
// and the row end joins them); then the prompt keys [0, g*b) against the dense LSE. Measured
// (bench/NOTES.md, sessions 5 and 6): with two consumers the tensor cores and MUFU are each about half
// busy (two warps a scheduler leave latency exposed); four consumers take 12-13% off at 64k.
#pragma once
#include <type_traits>
#include "sparsed/select_sm90.cuh"

namespace sparsed {

// STAGES: the depth of the ring of 128-key K tiles (codegen/variants.ts: 2 to 4). NC: consumer
// warpgroups, 2 (each 64 of the 128 rows, every key tile) or 4 (two such pairs, pair kp taking the
// tiles t with t % 2 == kp). Tag: see Fallback.
template <int D_, int BS_, int STAGES_, typename DT_, int NC_ = 2, typename Tag = void>
struct SelectWsSm90Config {
  static constexpr int D = D_, BS = BS_, BM = 128, BN = 128, STAGES = STAGES_, NC = NC_;
  static constexpr int KS = NC / 2;                          // consumer pairs; pair kp takes the tiles t with t % KS == kp
  static constexpr int WARPS = 4 * NC, NT = 128 * NC, THREADS = NT + 128;  // consumer warps and threads; + the producer warpgroup
  static constexpr int kPairWarps = 8;                       // the warps that read one key tile (a pair: 128 rows)
  static constexpr int kQueryBlocks = BM / BS;               // query blocks per CTA
  static constexpr int SUB = BN / BS, kColsPerSub = BS / 8;  // kv blocks a key tile holds; 8-column groups per block
  static constexpr int kDeferGen = 16;                       // at most this many generation blocks (else the fallback)
  // setmaxnreg.inc takes registers only from what the CTA's setmaxnreg.dec released, so the split
  // must fit the launch's allocation: THREADS times the registers a thread gets at launch (168 for
  // 384 threads, 96 for 640). A larger consumer count hangs the consumers.
  static constexpr int kProducerRegs = NC == 2 ? 40 : 32, kConsumerRegs = NC == 2 ? 232 : 112;
  static constexpr int CTAS_PER_SM = 1;
  static constexpr int kQBytes = BM * D * 2, kTileBytes = BN * D * 2;
  using DT = DT_;
  using Elem = typename DT_::elem;
  // What runs a call this kernel does not take (not its case, or shared memory too small for it):
  // with four consumers the two-consumer kernel (half the importance rows), with two the bm128
  // kernel. Tagged with this config so that each is an instantiation of its own, not the one another
  // variant's library unit holds (the linker would merge their kernels' shared-memory opt-in flags,
  // and a launch would skip its own opt-in).
  static constexpr bool kFallbackWs = NC == 4;
  using Fallback = std::conditional_t<NC == 4, SelectWsSm90Config<D_, BS_, 3, DT_, 2, SelectWsSm90Config>,
                                      SelectSm90Config<D_, BS_, 128, 4, DT_, SelectWsSm90Config>>;
  static_assert(BS == 32 || BS == 64 || BS == 128, "pattern block sizes 32, 64, 128");
  static_assert(D % 64 == 0, "wgmma rows of 64-element column blocks");
  static_assert(STAGES >= 2 && STAGES <= 4, "2 to 4 stages of 128-key tiles (codegen/variants.ts's range)");
  static_assert(NC == 2 || NC == 4, "two or four consumer warpgroups");
  static_assert(128 * kProducerRegs + NT * kConsumerRegs <= THREADS * sm90::launch_regs(THREADS), "the register split exceeds the launch's allocation");
};

namespace sel {

// Whether a call takes the warp-specialized path: the dense LSE given and the generation part short
// enough to defer (else C::Fallback).
template <typename C>
bool ws_applies(const sparsed_select_params* p, const SelectPlan& s) {
  return p->lse != 0 && s.ngen <= C::kDeferGen;
}

// Shared memory, from the 1024-byte-aligned base: Q [BM][D] (swizzled); STAGES K tiles, whose bytes
// later hold the sort keys; the ring's full and empty barriers and Q's; the warps' importance rows
// part_p [KS][8][nkb] (pair, warp's row group); the generation blocks' importance [kQueryBlocks][ngen]
// for the prompt part, then for the generation part (part_g); the entries [BM][kDeferGen] and each
// row's two log2 denominators [KS][BM] (float2, one per pair); flags [nkb]; wcount [WARPS]. Offsets
// are from the base.
template <typename C>
int64_t make_plan_ws(const sparsed_select_params* p, SelectPlan* s) {
  plan_counts(p, C::BS, s);
  int64_t off = C::kQBytes;
  off += round_up(std::max<int64_t>((int64_t)C::STAGES * C::kTileBytes, 8LL * s->sort_n), 1024);
  s->q_off = 0;
  s->slot_off = -1;
  s->bar_off = clamp_offset(off);
  off += 16 * C::STAGES + 16;
  s->part_p_off = clamp_offset(off);
  off += round_up(4LL * C::WARPS * s->nkb, 16);
  s->part_g_off = clamp_offset(off);
  off += round_up(8LL * C::kQueryBlocks * s->ngen, 16);
  s->defer_off = clamp_offset(off);
  off += 8LL * C::BM * (C::kDeferGen + C::KS);
  return finish_plan_sm90(s, off, C::WARPS);
}

// log2(2^a + 2^b): a row's generation denominator from the two pairs' (-inf where a pair took no
// generation tile; +inf, a row past Nq, stays +inf).
__device__ inline float log2_add(float a, float b) {
  const float m = fmaxf(a, b);
  if (isinf(m)) return m;
  return m + log2f(fast_exp2(a - m) + fast_exp2(b - m));
}

template <typename C>
__global__ void __launch_bounds__(C::THREADS, 1) select_ws_sm90_kernel(const sparsed_select_params p, const SelectPlan plan,
                                                                       const __grid_constant__ CUtensorMap qmap, const __grid_constant__ CUtensorMap kmap) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  constexpr int D = C::D, BS = C::BS, BM = C::BM, BN = C::BN, ST = C::STAGES, NT = C::NT;
  constexpr int QB = C::kQueryBlocks, SUB = C::SUB, CPS = C::kColsPerSub, KD = C::kDeferGen, KS = C::KS;
  using DT = typename C::DT;
  extern __shared__ unsigned char smem_raw[];
  const uint32_t base = (smem_addr(smem_raw) + 1023) & ~1023u;  // swizzle atoms need 1024-B alignment
  unsigned char* const sbase = smem_raw + (base - smem_addr(smem_raw));
  const uint32_t sQ = base, sK = base + C::kQBytes;  // tile t in stage t % ST
  const tma::Ring<ST> ring(base + plan.bar_off);
  const uint32_t bar_q = base + plan.bar_off + 16 * ST;

  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32, t4 = lane % 4;
  const int wg = sm90::warpgroup_index();
  const int qb0 = blockIdx.x * QB, h = blockIdx.y, b = blockIdx.z;
  const int m0 = qb0 * BS, hk = kv_head(h, p.hq, p.hkv);
  const int nkb = plan.nkb, gblk = plan.g, ngen = plan.ngen;
  // The generation keys [gk, Nk) first (tG tiles), then the prompt keys [0, gk).
  const int gk = (int64_t)gblk * BS < p.nk ? gblk * BS : p.nk;
  const int tG = (p.nk - gk + BN - 1) / BN, steps = tG + (gk + BN - 1) / BN;
  auto key0_of = [&](int t) { return t < tG ? gk + t * BN : (t - tG) * BN; };

  if (tid == 0) {
    ring.init(C::kPairWarps);
    tma::init(bar_q, 1);
    tma::fence_init();
  }
  __syncthreads();  // the barriers are initialized before anyone waits on them

  if (wg == 0) {  // the producer: one thread issues every copy, in the order the consumers use them
    sm90::setmaxnreg_dec<C::kProducerRegs>();
    if (tid == 0) {
      tma::load_q_rows<D, BM / 64>(sQ, &qmap, bar_q, m0, h, b);  // rows past Nq arrive as zeros
      for (int t = 0; t < steps; ++t) {
        const uint32_t bar = ring.acquire(t, C::kTileBytes), stage = sK + (t % ST) * C::kTileBytes;
#pragma unroll
        for (int cb = 0; cb < D / 64; ++cb) tma::load_4d(stage + cb * BN * 128, &kmap, bar, cb * 64, key0_of(t), hk, b);
      }
    }
    return;
  }

  // A consumer: rows [half * 64, half * 64 + 64) of the CTA's, this warp's 16 of them (row group rw),
  // the key tiles t with t % KS == kp.
  sm90::setmaxnreg_inc<C::kConsumerRegs>();
  const int c = wg - 1, half = c % 2, kp = c / 2;
  const int rw = half * 4 + warp % 4;        // the warp's 16-row group among the CTA's 8
  const int row0 = m0 + rw * 16 + lane / 4;  // this thread's rows: row0 and row0 + 8
  const bool row_ok[2] = {row0 < p.nq, row0 + 8 < p.nq};
  const int64_t stat_base = ((int64_t)b * p.hq + h) * p.nq;  // LSE [B, Hq, Nq]
  const float sl2 = p.sel_scale * kLog2e;
  float lse2[2] = {INFINITY, INFINITY};  // +inf: the row does not exist (its terms are zero)
#pragma unroll
  for (int r = 0; r < 2; ++r)
    if (row_ok[r]) lse2[r] = reinterpret_cast<const float*>(p.lse)[stat_base + row0 + 8 * r] * kLog2e;
  float* const imp_w = reinterpret_cast<float*>(sbase + plan.part_p_off);  // [KS][8][nkb]
  float2* const entry = reinterpret_cast<float2*>(sbase + plan.defer_off);  // [BM][KD]
  float2* const den = entry + BM * KD;                                        // [KS][BM]
  const int pend = gblk < nkb ? gblk : nkb;  // the prompt tiles' blocks: [0, pend)
  RowStats gen;

  auto wait_k = [&](int t) {
    if (t < steps) ring.wait_full(t);
  };
  auto release_k = [&](int t) {
    if (t < steps && lane == 0) ring.release(t);
  };
  const sm90::Sw128Desc dq(sQ + half * 64 * D * 2, 16), dk(sK, 16);
  auto issue_qk = [&](float(&s)[BN / 8][4], int t) {
    const uint32_t stage = (t % ST) * C::kTileBytes;
    sm90::fence();
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk) {
      const uint32_t koff = (kk % 4) * 32;
      sm90::mma_ss<DT, BN>(s, dq.at((kk / 4) * 64 * 128 + koff), dk.at(stage + (kk / 4) * BN * 128 + koff), kk > 0);
    }
    sm90::commit();
  };
  // Tile t's scores: a generation tile's statistics and entries, or a prompt tile's block sums over
  // the warp's rows, to the warp's importance row.
  auto fold = [&](int t, float(&s)[BN / 8][4]) {
    const int key0 = key0_of(t);
    if (t < tG) {
      if (key0 + BN > p.nk) mask_tail<BN>(s, key0, p.nk, t4);
      float acc[2] = {0.f, 0.f};  // BN >= BS: a block never spans tiles
      defer_gen_tile<BN, BS, KD>(s, gen, acc, true, key0, gblk, ngen, sl2, entry + (rw * 16 + lane / 4) * KD, t4);
      return;
    }
    if (key0 + BN > gk) mask_tail<BN>(s, key0, gk, t4);
#pragma unroll
    for (int sub = 0; sub < SUB; ++sub) {
      const int j = key0 / BS + sub;
      if (SUB > 1 && j >= pend) break;
      float rs[2];
      row_masses<BN>(s, lse2, sl2, rs, sub * CPS, (sub + 1) * CPS);
      const float v = warp_sum(rs[0] + rs[1]);
      if (lane == 0) imp_w[(kp * 8 + rw) * nkb + j] = v;
    }
  };

  if constexpr (KS == 1) {
    // Two tiles per step, as in select_sm90.cuh: issue t+1 into sb and fold t (in sa) under it, then
    // issue t+2 into sa and fold t+1 under that. Nothing stays in flight across steps (ptxas cannot
    // follow a wgmma group across the loop's back edge and then serializes every wgmma, C7514); every
    // wgmma is issued unconditionally (past the end: a stale stage that no copy writes any more, result
    // unused): a wgmma on one branch only makes ptxas serialize all of them (C7515).
    float sa[BN / 8][4], sb[BN / 8][4];
    tma::wait(bar_q, 0);
    wait_k(0);
    issue_qk(sa, 0);
    sm90::wait<0>();
    release_k(0);
    sm90::fence_operand<BN / 8>(sa);
    for (int t = 0; t < steps; t += 2) {
      const int tu = __shfl_sync(0xffffffffu, t, 0);  // warp-uniform: the stage descriptors stay in uniform registers
      wait_k(t + 1);
      issue_qk(sb, tu + 1);
      sm90::fence_operand<BN / 8>(sa);
      fold(t, sa);
      sm90::wait<0>();
      release_k(t + 1);
      sm90::fence_operand<BN / 8>(sb);
      wait_k(t + 2);
      issue_qk(sa, tu + 2);
      if (t + 1 < steps) fold(t + 1, sb);
      sm90::wait<0>();
      release_k(t + 2);
      sm90::fence_operand<BN / 8>(sa);
    }
  } else {
    // One accumulator (112 registers hold no second): each tile's product is waited for, then
    // exponentiated; the other three consumers' products and exponentials run meanwhile.
    float s[BN / 8][4];
    tma::wait(bar_q, 0);
    for (int t = kp; t < steps; t += KS) {
      const int tu = __shfl_sync(0xffffffffu, t, 0);
      ring.wait_full(tu);
      issue_qk(s, tu);
      sm90::wait<0>();
      release_k(tu);
      sm90::fence_operand<BN / 8>(s);
      fold(tu, s);
    }
  }

  // The row end, by the NT consumer threads (named barrier 1: the producer warps have exited).
  const int ctid = tid - 128;
  if (ngen > 0) write_row_denominators(den + kp * BM + rw * 16 + lane / 4, gen, lse2, row_ok, sl2, p.sel_scale, t4);  // for the entries
  threads_sync<NT, 128>();  // the importance rows, entries and denominators are written; every copy has landed
  float* const gimp_p = reinterpret_cast<float*>(sbase + plan.part_g_off);  // [QB][ngen]
  float* const gimp_g = gimp_p + QB * ngen;
  if (ngen > 0) {  // the generation blocks' importance per query block: rows in order
    if constexpr (KS > 1) {  // each row's generation denominator over both pairs' tiles, once a row
      for (int rr = ctid; rr < BM; rr += NT) den[rr].y = log2_add(den[rr].y, den[BM + rr].y);
      threads_sync<NT, 128>();
    }
    for (int idx = ctid; idx < QB * ngen; idx += NT) {
      const float2 m = deferred_block_masses<KD>(entry, den, (idx / ngen) * BS, (idx / ngen + 1) * BS, idx % ngen);
      gimp_p[idx] = m.x;
      gimp_g[idx] = m.y;
    }
    threads_sync<NT, 128>();
  }

  // A query block's importance: its warps' rows added in order (prompt blocks), or the generation
  // blocks' sums.
  uint64_t* keys = reinterpret_cast<uint64_t*>(sbase + C::kQBytes);  // over the stages
  unsigned char* flags = sbase + plan.flags_off;
  int* wcount = reinterpret_cast<int*>(sbase + plan.wcount_off);
  constexpr int WPB = BS / 16;  // row groups a query block
  for (int q = 0; q < QB && qb0 + q < plan.nqb; ++q)
    write_pattern_row<NT, 128>(
        p, plan, qb0 + q, b, h, keys, flags, wcount,
        [&](int idx) {
          if (idx >= pend) return gimp_p[q * ngen + idx - gblk];
          const float* rows = imp_w + ((tG + idx / SUB) % KS) * 8 * nkb;  // the pair that took the block's tile
          float v = 0.f;
#pragma unroll
          for (int w = q * WPB; w < (q + 1) * WPB; ++w) v += rows[w * nkb + idx];
          return v;
        },
        [&](int idx) { return gimp_g[q * ngen + idx]; });
#else
  __trap();  // built for a target without wgmma; launch_select_ws_sm90 refuses such devices first
#endif
}

}  // namespace sel

template <typename C>
int launch_select_ws_sm90(const sparsed_select_params* p, uint64_t stream) {
  sel::SelectPlan plan;
  const cudaDeviceProp* props = nullptr;
  bool fits = false;
  SPARSED_TRY(prepare_select<C>(sel::make_plan_ws<C>, p, 9, true, &plan, &props, &fits));  // before the maps are built from p
  if (!sel::ws_applies<C>(p, plan) || !fits) {
    if constexpr (C::kFallbackWs) return launch_select_ws_sm90<typename C::Fallback>(p, stream);
    else return launch_select_sm90<typename C::Fallback>(p, stream);
  }
  CUtensorMap qmap, kmap;
  SPARSED_TRY(make_rows_tensor_map(&qmap, "q", p->q, p->q_stride, p->batch, p->nq, p->hq, C::D, 64));
  SPARSED_TRY(make_rows_tensor_map(&kmap, "k", p->k, p->k_stride, p->batch, p->nk, p->hkv, C::D, C::BN));
  return launch_select_planned<C>(sel::select_ws_sm90_kernel<C>, plan, props, p, stream, qmap, kmap);
}

}  // namespace sparsed
