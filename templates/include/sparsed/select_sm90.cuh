// Isolated selection for Hopper (sm_90a): select.cuh's method and row-end (top-k, union, list), with
// the QK^T pass on warpgroup MMA (wgmma) and the exponentials of one key tile overlapped with the
// tensor-core work of the next.
//
// Why it is built this way: the selection does half of dense attention's matrix work (no P V) but as
// many exponentials, so the tensor cores and the exp unit (MUFU) each need about the same time per
// tile; run one after the other they cost ~2/3 of a dense pass. So each warpgroup issues the next
// tile's S = Q K^T (async) before it exponentiates the current one: two S accumulators, key tiles of
// BN = 64 (32 registers each), four cp.async stages, two tiles per barrier. A CTA takes BM = 64 *
// warpgroups query rows, i.e. BM / b whole query blocks, so each K tile fetched from L2 feeds BM rows.
// Generation blocks need one exponential per score, not two: taken against the generation
// denominators, and scaled per row for the prompt part (bench/NOTES.md has the measured versions).
//
// The tiles run in up to three segments: [0, g*b) for the prompt part's row statistics when no LSE
// was given; [g*b, Nk) for the generation part's statistics (and the prompt part's, without LSE); then
// every key for the importance sums. A kv block's sums are handed over once complete (after its last
// tile; a tile of BN > b keys completes BN / b blocks): each warp writes its sum to a slot, and after
// the next barrier one thread per (query block, kv block) adds its warps' slots in a fixed order
// (deterministic, no atomics) into the block's importance in shared memory.
#pragma once
#include "sparsed/select.cuh"
#include "sparsed/wgmma.cuh"

namespace sparsed {

template <int D_, int BS_, int BM_, typename DT_>
struct SelectSm90Config {
  static constexpr int D = D_, BS = BS_, BM = BM_, BN = 64, STAGES = 4;
  static constexpr int WARPS = BM / 16, THREADS = WARPS * 32;
  static constexpr int kQueryBlocks = BM / BS;                 // query blocks per CTA
  static constexpr int SUB = BN > BS ? BN / BS : 1;             // kv blocks a key tile touches
  static constexpr int kColsPerSub = (BN > BS ? BS : BN) / 8;   // 8-column accumulator groups per kv block
  using DT = DT_;
  using Elem = typename DT_::elem;
  static_assert(BM % 64 == 0 && BM % BS == 0 && BS % 16 == 0, "whole warpgroups of whole query blocks");
  static_assert(BS % BN == 0 || BN % BS == 0, "key tiles and kv blocks nest");
  static_assert(D % 64 == 0, "wgmma rows of 64-element column blocks");
  static constexpr int kQBytes = BM * D * 2, kTileBytes = BN * D * 2;
  // Up to two warpgroups: two CTAs an SM (128 registers a thread), whose barriers fall at different times.
  static constexpr int CTAS_PER_SM = THREADS <= 256 ? 2 : 1;
};

namespace sel {

// Shared memory, from the 1024-byte-aligned base: Q [BM][D] (swizzled); STAGES K tiles, whose bytes
// later hold the sort keys; importance imp_p [QB][nkb], imp_g [QB][ngen] (fp32); the slot arrays
// [4][WARPS][SUB] for each part; flags [nkb]; wcount [WARPS]. Offsets are from the base.
template <typename C>
int64_t make_plan_sm90(const sparsed_select_params* p, SelectPlan* s) {
  plan_counts(p, C::BS, s);
  int64_t off = C::kQBytes;
  off += round_up(std::max<int64_t>((int64_t)C::STAGES * C::kTileBytes, 8LL * s->sort_n), 128);
  s->part_p_off = clamp_offset(off);
  off += round_up(4LL * C::kQueryBlocks * s->nkb, 16);
  s->part_g_off = clamp_offset(off);
  off += round_up(4LL * C::kQueryBlocks * s->ngen, 16);
  s->slot_off = clamp_offset(off);
  s->q_off = 0;
  off += 2 * 4 * 4 * C::WARPS * C::SUB;  // 4 sets, prompt and generation
  s->flags_off = clamp_offset(off);
  off += round_up(s->nkb, 16);
  s->wcount_off = clamp_offset(off);
  off += round_up(4LL * C::WARPS, 16);
  const int64_t total = off + 1024;  // slack to align the base
  s->smem_bytes = clamp_offset(total);
  return total;
}

template <typename C>
__global__ void __launch_bounds__(C::THREADS, C::CTAS_PER_SM) select_sm90_kernel(const sparsed_select_params p, const SelectPlan plan) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  constexpr int D = C::D, BS = C::BS, BM = C::BM, BN = C::BN, NT = C::THREADS, WARPS = C::WARPS, ST = C::STAGES;
  constexpr int QB = C::kQueryBlocks, SUB = C::SUB, CPS = C::kColsPerSub;
  using Elem = typename C::Elem;
  using DT = typename C::DT;
  extern __shared__ unsigned char smem_raw[];
  const uint32_t base = (smem_addr(smem_raw) + 1023) & ~1023u;  // swizzle atoms need 1024-B alignment
  unsigned char* const sbase = smem_raw + (base - smem_addr(smem_raw));
  const uint32_t sQ = base, sK = base + C::kQBytes;  // tile t in stage t % ST
  uint64_t* keys = reinterpret_cast<uint64_t*>(sbase + C::kQBytes);  // after the passes (over the stages)
  float* imp_p = reinterpret_cast<float*>(sbase + plan.part_p_off);
  float* imp_g = reinterpret_cast<float*>(sbase + plan.part_g_off);
  float* slot_p = reinterpret_cast<float*>(sbase + plan.slot_off);  // [4][WARPS][SUB]
  float* slot_g = slot_p + 4 * WARPS * SUB;
  unsigned char* flags = sbase + plan.flags_off;
  int* wcount = reinterpret_cast<int*>(sbase + plan.wcount_off);

  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32, t4 = lane % 4, wg = warp / 4;
  const int qb0 = blockIdx.x * QB, h = blockIdx.y, b = blockIdx.z;
  const int hk = kv_head(h, p.hq, p.hkv);
  const int nkb = plan.nkb, gblk = plan.g, ngen = plan.ngen;
  const int m0 = qb0 * BS;
  const int row0 = m0 + warp * 16 + lane / 4;  // this thread's rows: row0 and row0 + 8
  const bool row_ok[2] = {row0 < p.nq, row0 + 8 < p.nq};
  const int64_t stat_base = ((int64_t)b * p.hq + h) * p.nq;  // LSE / workspace [B, Hq, Nq]
  const Elem* qg = head_slice<const Elem>(p.q, p.q_stride, b, h);
  const Elem* kg = head_slice<const Elem>(p.k, p.k_stride, b, hk);
  const float sl2 = p.sel_scale * kLog2e;
  const bool have_lse = p.lse != 0;

  // The three segments (see the header): A = [0, gk) prompt statistics (no LSE only), B = [gk, Nk)
  // generation statistics, C = [0, Nk) importance.
  const int gk = (int64_t)gblk * BS < p.nk ? gblk * BS : p.nk;
  const int tA = have_lse ? 0 : (gk + BN - 1) / BN;
  const int tB = (ngen > 0 || !have_lse) ? (p.nk - gk + BN - 1) / BN : 0;
  const int t2 = tA + tB, steps = t2 + (p.nk + BN - 1) / BN;
  auto key0_of = [&](int t) { return t < tA ? t * BN : t < t2 ? gk + (t - tA) * BN : (t - t2) * BN; };
  const Sw128TileLoader<BN, D, NT> kload(tid);
  auto load_k = [&](int t) {
    if (t < steps) kload.load(sK + (t % ST) * C::kTileBytes, kg, p.k_stride[1], key0_of(t), p.nk);
    cp_async_commit();  // one group per tile slot, empty past the end, so that the wait counts hold
  };
  // Descriptors of this warpgroup's Q rows and of stage 0; a k-step or a stage adds its byte offset / 16
  // to the address field (no carry: shared addresses stay below 2^18).
  const uint64_t da0 = sm90::desc_sw128(sQ + wg * 64 * 128, 16, 1024), db0 = sm90::desc_sw128(sK, 16, 1024);
  auto issue_qk = [&](float(&s)[BN / 8][4], int t) {
    const uint64_t db_t = db0 + (uint64_t)(((t % ST) * C::kTileBytes) >> 4);
    sm90::fence();
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk) {
      const uint32_t koff = (kk % 4) * 32;
      sm90::mma_ss<DT, BN>(s, da0 + (((kk / 4) * BM * 128 + koff) >> 4), db_t + (((kk / 4) * BN * 128 + koff) >> 4), kk > 0);
    }
    sm90::commit();
  };

  RowStats all, gen;
  float lse2[2] = {INFINITY, INFINITY}, lse_g2[2] = {INFINITY, INFINITY};  // +inf: the row does not exist
  float gen_to_all[2] = {0.f, 0.f};
  float acc_p = 0.f, acc_g = 0.f;  // BS > BN: this thread's sums over the current kv block's tiles

  // The importance is handed over in units: a kv block when BS >= BN (written by its last tile), a
  // tile (SUB blocks) when BS < BN. Unit u's per-warp sums go to slot set u % 4 (two pairs of steps
  // are in flight: one writing, the previous one being folded).
  constexpr int TPB = BS > BN ? BS / BN : 1;  // tiles per kv block
  auto completes_unit = [&](int t) { return t >= t2 && t < steps && ((t - t2 + 1) % TPB == 0 || t == steps - 1); };
  auto slot_set = [&](int t) { return ((t - t2) / TPB) % 4 * WARPS * SUB; };

  // Adds the warps' slots of the unit tile t completed to the query blocks' sums: one thread per
  // (query block, kv block of the unit), warps in a fixed order (deterministic, no atomics).
  auto fold_slots = [&](int t) {
    if (!completes_unit(t) || tid >= QB * SUB) return;
    const int qbl = tid / SUB, sub = tid % SUB;
    const int j = (t - t2) * BN / BS + sub;
    if (j >= nkb) return;
    const float* sp = slot_p + slot_set(t);
    const float* sg = slot_g + slot_set(t);
    float vp = 0.f, vg = 0.f;
    for (int w = qbl * (BS / 16); w < (qbl + 1) * (BS / 16); ++w) {
      vp += sp[w * SUB + sub];
      vg += sg[w * SUB + sub];
    }
    imp_p[qbl * nkb + j] = vp;
    if (j >= gblk) imp_g[qbl * ngen + (j - gblk)] = vg;
  };

  // Folds tile t's scores into the row statistics (segments A, B) or the importance (C).
  auto fold_tile = [&](int t, float(&cur)[BN / 8][4]) {
    const int key0 = key0_of(t);
    const int limit = t < tA ? gk : p.nk;
    if (key0 + BN > limit) mask_tail<BN>(cur, key0, limit, t4);
    if (t < t2) {  // row statistics
      if (!have_lse) stats_update<BN>(cur, all, sl2);
      if (t >= tA) stats_update<BN>(cur, gen, sl2);
      return;
    }
    if (t == t2) {  // the importance segment begins: each row's log2 denominators
      row_denominators(p, all, gen, ngen, stat_base, row0, row_ok, t4, sl2, lse2, lse_g2);
#pragma unroll
      for (int r = 0; r < 2; ++r)
        if (row_ok[r] && ngen > 0) gen_to_all[r] = fast_exp2(lse_g2[r] - lse2[r]);
    }
    const bool flush = completes_unit(t);
    float* sp = slot_p + slot_set(t) + warp * SUB;
    float* sg = slot_g + slot_set(t) + warp * SUB;
#pragma unroll
    for (int sub = 0; sub < SUB; ++sub) {
      // A generation block's terms are taken against the generation denominators (each <= 1) and
      // scaled by gen_to_all = 2^(lse_g - lse) <= 1 for the prompt part: one exponential per score.
      const bool gen_block = key0 / BS + sub >= gblk;
      const float base[2] = {gen_block ? lse_g2[0] : lse2[0], gen_block ? lse_g2[1] : lse2[1]};
      float rs[2];
      row_masses<BN>(cur, base, sl2, rs, sub * CPS, (sub + 1) * CPS);
      float part_p = rs[0] + rs[1], part_g = 0.f;
      if (gen_block) {
        part_g = part_p;
        part_p = fmaf(rs[0], gen_to_all[0], rs[1] * gen_to_all[1]);
      }
      if constexpr (TPB > 1) {
        acc_p += part_p;
        acc_g += part_g;
        if (!flush) continue;
        part_p = acc_p;
        part_g = acc_g;
        acc_p = acc_g = 0.f;
      }
      const float mp = warp_sum(part_p), mg = gen_block ? warp_sum(part_g) : 0.f;
      if (lane == 0) {
        sp[sub] = mp;
        sg[sub] = mg;
      }
    }
  };

  // Two tiles per barrier: tile t's scores are in sa (waited for at the end of the last pair); tiles
  // t+1 and t+2 are resident. Issue t+1 into sb and fold t under it, then issue t+2 into sa and fold
  // t+1 under that. Every wgmma is issued unconditionally (past the end: a stale stage, result
  // unused): a wgmma on one branch only makes ptxas serialize all of them (C7515).
  float sa[BN / 8][4], sb[BN / 8][4];
  auto pair = [&](int t) {
    cp_async_wait<0>();         // tiles <= t+2 landed (this thread's copies)
    sm90::fence_proxy_async();  // visible to wgmma after the barrier
    __syncthreads();            // everyone's copies landed; tiles t-1, t are no longer read; pair t-2's slots are written
    load_k(t + 3);              // into the stages of tiles t-1 and t
    load_k(t + 4);
    issue_qk(sb, t + 1);
    sm90::fence_operand<BN / 8>(sa);
    fold_tile(t, sa);
    fold_slots(t - 2);  // after the issue: the few threads doing it would hold back their warpgroup's MMA
    sm90::wait<0>();
    sm90::fence_operand<BN / 8>(sb);
    issue_qk(sa, t + 2);
    if (t + 1 < steps) fold_tile(t + 1, sb);
    fold_slots(t - 1);
    sm90::wait<0>();  // nothing stays in flight across pairs
    sm90::fence_operand<BN / 8>(sa);
  };

  load_tile_sw128<BM, D, NT>(sQ, qg, p.q_stride[1], m0, p.nq, tid);  // rows past Nq are zeros
  for (int t = 0; t < ST - 1; ++t) load_k(t);  // Q joins tile 0's group
  cp_async_wait<0>();
  sm90::fence_proxy_async();
  __syncthreads();
  issue_qk(sa, 0);
  sm90::wait<0>();
  sm90::fence_operand<BN / 8>(sa);
  for (int t = 0; t < steps; t += 2) pair(t);
  cp_async_wait<0>();
  __syncthreads();  // the last units' slots are written; the stages are free (no copy in flight)
  const int last = steps - 1 - (steps - 1) % 2;  // the last pair's first tile
  fold_slots(last);
  fold_slots(last + 1);
  __syncthreads();

  for (int qbl = 0; qbl < QB && qb0 + qbl < plan.nqb; ++qbl)
    write_pattern_row<NT>(
        p, plan, qb0 + qbl, b, h, keys, flags, wcount, [&](int idx) { return imp_p[qbl * nkb + idx]; },
        [&](int idx) { return imp_g[qbl * ngen + idx]; });
#else
  __trap();  // built for a target without wgmma; launch_select_sm90 refuses such devices first
#endif
}

}  // namespace sel

template <typename C>
int launch_select_sm90(const sparsed_select_params* p, uint64_t stream) {
  return launch_select_kernel<C>(sel::select_sm90_kernel<C>, sel::make_plan_sm90<C>, p, stream, 9, true);
}

}  // namespace sparsed
