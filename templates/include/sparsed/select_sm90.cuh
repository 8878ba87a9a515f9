// Isolated selection for Hopper (sm_90a): select.cuh's method and row-end (top-k, union, list), with
// the QK^T pass on warpgroup MMA (wgmma) and the exponentials of one key tile overlapped with the
// tensor-core work of the next.
//
// Why it is built this way: the selection does half of dense attention's matrix work (no P V) but as
// many exponentials, so the tensor cores and the exp unit (MUFU) each need about the same time per
// tile; run one after the other they cost ~2/3 of a dense pass. So each warpgroup issues the next
// tile's S = Q K^T (async) before it exponentiates the current one: two S accumulators, key tiles of
// BN = 64 (32 registers each), two tiles per step. A CTA takes BM = 64 * warpgroups query rows, i.e.
// BM / b whole query blocks (or b / 64 warpgroups share one), so each K tile fetched from L2 feeds BM rows.
// K tiles arrive by TMA (tma.cuh): one thread issues each tile's copy into a STAGES-deep ring and
// the warps wait on the stage's barrier, then release it. No CTA-wide barrier runs inside the loop:
// a warpgroup waits for the other only when it is about a tile ahead (the loading thread needs the
// stage back), so their exponentials and MMAs drift out of phase, and no thread spends instructions
// on copy addresses. Generation blocks need one exponential per score, not two: taken
// against the generation denominators, and scaled per row for the prompt part (bench/NOTES.md has
// the measured versions).
//
// The tiles run in up to three segments: [0, g*b) for the prompt part's row statistics when no LSE
// was given; [g*b, Nk) for the generation part's statistics (and the prompt part's, without LSE); then
// every key for the importance sums. With the LSE given and a short generation part (at most
// kDeferGen blocks) the second segment is skipped ("deferred"): the importance pass takes the
// generation keys first with an online row max, keeps each (row, generation block) sum in shared
// memory with the max it was taken against, and both parts' importances of those blocks are formed
// at the end against the final denominators. A kv block's sums are handed over once complete (after its last
// tile; a tile of BN > b keys completes BN / b blocks): each warp writes its sum to a slot, and after
// the warpgroup's next barrier one thread per (query block, kv block) adds its warps' slots in a fixed
// order into the warpgroup's importance row in shared memory; the warpgroups' rows are added, again
// in a fixed order, when the pattern row is written (deterministic, no atomics).
#pragma once
#include "sparsed/select.cuh"
#include "sparsed/tma.cuh"
#include "sparsed/wgmma.cuh"

namespace sparsed {

// STAGES: the depth of the K tile ring (codegen/variants.ts picks it per variant: by default 4 up to
// two warpgroups, what two CTAs an SM leave room for, else 6).
// Tag: void, or the config of a kernel that falls back to this one (a distinct instantiation).
template <int D_, int BS_, int BM_, int STAGES_, typename DT_, typename Tag_ = void>
struct SelectSm90Config {
  static constexpr int D = D_, BS = BS_, BM = BM_, BN = 64;
  static constexpr int WARPS = BM / 16, THREADS = WARPS * 32, WGS = BM / 64;
  static constexpr int STAGES = STAGES_;
  // Two tiles per step: step t waits for tile t+1 before it issues the copy of tile t+ST-1, and for
  // tile t+2 before that of t+ST. With fewer than 3 stages a tile is waited for before its copy was
  // issued (deadlock).
  static_assert(STAGES >= 3, "the select ring needs at least 3 stages: below 3 its two-tiles-per-step loop deadlocks");
  static_assert(STAGES <= 8, "at most 8 stages (codegen/variants.ts's range)");
  static constexpr int kQueryBlocks = BM / BS;                 // query blocks per CTA
  static constexpr int kWgQueryBlocks = BS < 64 ? 64 / BS : 1;  // query blocks a warpgroup's rows meet
  static constexpr int kWarpsPerSum = BS < 64 ? BS / 16 : 4;    // a warpgroup's warps in one query block
  static constexpr int SUB = BN > BS ? BN / BS : 1;             // kv blocks a key tile touches
  static constexpr int kColsPerSub = (BN > BS ? BS : BN) / 8;   // 8-column accumulator groups per kv block
  using DT = DT_;
  using Elem = typename DT_::elem;
  static_assert(BM % 64 == 0 && BM % BS == 0 && BS % 16 == 0, "whole warpgroups of whole query blocks");
  static_assert(BS % BN == 0 || BN % BS == 0, "key tiles and kv blocks nest");
  static_assert(D % 64 == 0, "wgmma rows of 64-element column blocks");
  static constexpr int kQBytes = BM * D * 2, kTileBytes = BN * D * 2;
  // The deferred generation part: at most this many blocks, float2 (sum, max) per row and block.
  static constexpr int kDeferGen = 8192 / (8 * BM);
  // Up to two warpgroups: two CTAs an SM (128 registers a thread), whose barriers fall at different times.
  static constexpr int CTAS_PER_SM = THREADS <= 256 ? 2 : 1;
};

namespace sel {

// A tile of generation keys when the generation part is deferred (segment G, see the header): the
// generation statistics as in stats_update (an online row max), and each (row, generation block) sum
// of 2^(s sl2 - m) with the running max m it was taken against, written to the entries [row][KD] once
// the block is complete. A block of several tiles (BS > BN) carries its sums in acc, rescaled when the
// max grows; `flush` marks its last tile. row_entry: the entries of the thread's first row (its
// second row's are 8 rows on). Every tile holds a real key, so the max is finite.
template <int BN, int BS, int KD>
__device__ inline void defer_gen_tile(const float (&cur)[BN / 8][4], RowStats& gen, float (&acc)[2], bool flush, int key0, int gblk, int ngen, float sl2,
                                      float2* row_entry, int t4) {
  constexpr int SUB = BN > BS ? BN / BS : 1, CPS = (BN > BS ? BS : BN) / 8, TPB = BS > BN ? BS / BN : 1;
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const float mx = row_max<BN>(cur, r, gen.m[r]);
    const float ms = mx * sl2;
    const float rescale = fast_exp2(gen.m[r] * sl2 - ms);  // 0 on the first tile (m = -inf)
    gen.m[r] = mx;
    gen.l[r] *= rescale;
    acc[r] *= rescale;
#pragma unroll
    for (int sub = 0; sub < SUB; ++sub) {
      float part = 0.f;
#pragma unroll
      for (int i = sub * CPS; i < (sub + 1) * CPS; ++i) part += fast_exp2(fmaf(cur[i][2 * r], sl2, -ms)) + fast_exp2(fmaf(cur[i][2 * r + 1], sl2, -ms));
      gen.l[r] += part;
      if constexpr (TPB > 1) {
        acc[r] += part;
        if (!flush) continue;
        part = acc[r];
        acc[r] = 0.f;
      }
      part += __shfl_xor_sync(0xffffffffu, part, 1);
      part += __shfl_xor_sync(0xffffffffu, part, 2);
      const int jg = key0 / BS + sub - gblk;
      if (t4 == 0 && jg < ngen) row_entry[8 * r * KD + jg] = make_float2(part, ms);
    }
  }
}

// At the row end of a deferred generation part: the thread's two rows' log2 denominators, the
// prompt part's (lse2) and the generation part's (from gen), to den_row (its first row; the second
// is 8 rows on); +inf for a row past Nq. The shuffles need the whole warp.
__device__ inline void write_row_denominators(float2* den_row, const RowStats& gen, const float (&lse2)[2], const bool (&row_ok)[2], float sl2, float scale, int t4) {
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    float nat;
    const float v = row_log2_denominator(gen, r, sl2, &nat, scale);
    if (t4 == 0) den_row[8 * r] = make_float2(lse2[r], row_ok[r] ? v : INFINITY);
  }
}

// Generation block jg's importance over rows [r0, r1), rows in order: each row's entry against its
// prompt-part denominator (.x of the result) and its generation-part one (.y).
template <int KD>
__device__ inline float2 deferred_block_masses(const float2* entry, const float2* den, int r0, int r1, int jg) {
  float vp = 0.f, vg = 0.f;
  for (int rr = r0; rr < r1; ++rr) {
    const float2 e = entry[rr * KD + jg], d = den[rr];
    vp += e.x * fast_exp2(e.y - d.x);
    vg += e.x * fast_exp2(e.y - d.y);
  }
  return make_float2(vp, vg);
}

// Shared memory, from the 1024-byte-aligned base: Q [BM][D] (swizzled); STAGES K tiles, whose bytes
// later hold the sort keys; per warpgroup importance imp_p [WGS][kWgQueryBlocks][nkb] and imp_g
// [WGS][kWgQueryBlocks][ngen] (fp32); the slot arrays [WGS][4][4 warps][SUB] for each part; the
// stages' full and empty barriers; when deferred, entries [BM][kDeferGen] and each row's two log2
// denominators [BM] (float2); flags [nkb]; wcount [WARPS]. Offsets are from the base.
template <typename C>
int64_t make_plan_sm90(const sparsed_select_params* p, SelectPlan* s) {
  plan_counts(p, C::BS, s);
  constexpr int kRows = C::WGS * C::kWgQueryBlocks;  // importance rows
  int64_t off = C::kQBytes;
  off += round_up(std::max<int64_t>((int64_t)C::STAGES * C::kTileBytes, 8LL * s->sort_n), 128);
  s->part_p_off = clamp_offset(off);
  off += round_up(4LL * kRows * s->nkb, 16);
  s->part_g_off = clamp_offset(off);
  off += round_up(4LL * kRows * s->ngen, 16);
  s->slot_off = clamp_offset(off);
  s->q_off = 0;
  off += 2 * 4 * C::WGS * 4 * 4 * C::SUB;  // prompt and generation: [WGS][4 sets][4 warps][SUB] floats
  s->bar_off = clamp_offset(off);
  off += 2 * 8 * C::STAGES;
  s->defer_off = -1;
  if (p->lse != 0 && s->ngen > 0 && s->ngen <= C::kDeferGen) {
    s->defer_off = clamp_offset(off);
    off += 8LL * C::BM * (C::kDeferGen + 1);
  }
  return finish_plan_sm90(s, off, C::WARPS);
}

template <typename C>
__global__ void __launch_bounds__(C::THREADS, C::CTAS_PER_SM)
    select_sm90_kernel(const sparsed_select_params p, const SelectPlan plan, const __grid_constant__ CUtensorMap kmap) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  constexpr int D = C::D, BS = C::BS, BM = C::BM, BN = C::BN, NT = C::THREADS, ST = C::STAGES, WGS = C::WGS;
  constexpr int QB = C::kQueryBlocks, QBW = C::kWgQueryBlocks, WPS = C::kWarpsPerSum, SUB = C::SUB, CPS = C::kColsPerSub;
  using DT = typename C::DT;
  extern __shared__ unsigned char smem_raw[];
  const uint32_t base = (smem_addr(smem_raw) + 1023) & ~1023u;  // swizzle atoms need 1024-B alignment
  unsigned char* const sbase = smem_raw + (base - smem_addr(smem_raw));
  const uint32_t sQ = base, sK = base + C::kQBytes;  // tile t in stage t % ST
  const tma::RefillRing<ST> ring(sbase + plan.bar_off);  // the K tiles
  uint64_t* keys = reinterpret_cast<uint64_t*>(sbase + C::kQBytes);  // after the passes (over the stages)
  unsigned char* flags = sbase + plan.flags_off;
  int* wcount = reinterpret_cast<int*>(sbase + plan.wcount_off);

  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32, t4 = lane % 4, wg = warp / 4, wl = warp % 4;
  const int qb0 = blockIdx.x * QB, h = blockIdx.y, b = blockIdx.z;
  const int hk = kv_head(h, p.hq, p.hkv);
  const int nkb = plan.nkb, gblk = plan.g, ngen = plan.ngen;
  const int m0 = qb0 * BS;
  const int row0 = m0 + warp * 16 + lane / 4;  // this thread's rows: row0 and row0 + 8
  const bool row_ok[2] = {row0 < p.nq, row0 + 8 < p.nq};
  const int64_t stat_base = ((int64_t)b * p.hq + h) * p.nq;  // LSE / workspace [B, Hq, Nq]
  const auto* qg = head_slice<const typename C::Elem>(p.q, p.q_stride, b, h);
  const float sl2 = p.sel_scale * kLog2e;
  const bool have_lse = p.lse != 0, deferred = plan.defer_off >= 0;
  constexpr int KD = C::kDeferGen;
  float2* const entry = reinterpret_cast<float2*>(sbase + (deferred ? plan.defer_off : 0));  // [BM][KD]
  float2* const den = entry + BM * KD;                                                          // [BM]
  // This warpgroup's importance rows and slots (see make_plan_sm90).
  float* const imp_all_p = reinterpret_cast<float*>(sbase + plan.part_p_off);
  float* const imp_all_g = reinterpret_cast<float*>(sbase + plan.part_g_off);
  float* const imp_p = imp_all_p + wg * QBW * nkb;
  float* const imp_g = imp_all_g + wg * QBW * ngen;
  float* const slot_p = reinterpret_cast<float*>(sbase + plan.slot_off) + wg * 4 * 4 * SUB;  // [4][4][SUB]
  float* const slot_g = slot_p + WGS * 4 * 4 * SUB;

  // The segments (see the header): A = [0, gk) prompt statistics (no LSE only), B = [gk, Nk)
  // generation statistics (not when deferred), then the importance: G = [gk, Nk) first when deferred,
  // and P = [0, Nk), or [0, gk) when deferred.
  const int gk = (int64_t)gblk * BS < p.nk ? gblk * BS : p.nk;
  const int tA = have_lse ? 0 : (gk + BN - 1) / BN;
  const int tB = !deferred && (ngen > 0 || !have_lse) ? (p.nk - gk + BN - 1) / BN : 0;
  const int t2 = tA + tB, t3 = t2 + (deferred ? (p.nk - gk + BN - 1) / BN : 0);
  const int plimit = deferred ? gk : p.nk;  // the end of segment P
  const int steps = t3 + (plimit + BN - 1) / BN;
  auto key0_of = [&](int t) { return t < tA ? t * BN : t < t3 ? gk + (t - (t < t2 ? tA : t2)) * BN : (t - t3) * BN; };
  // The pipeline: the K tiles stream through a ring of ST stages that the warps refill themselves
  // (tma.cuh's RefillRing): each warp waits for a tile's bytes and releases it after its MMA on the
  // tile has completed; the last warp to release it copies tile t + ST into its stage at once, so no
  // warp ever waits for a stage to come free, and the warpgroups drift up to the ring's depth apart.
  // Thread 0 copies the first ST tiles. Nothing is copied, waited for or released past the last tile
  // (the MMAs issued there read a stale stage and their results are unused).
  auto copy_k = [&](int t) {
    const uint32_t bar = ring.arm(t, C::kTileBytes), stage = sK + (t % ST) * C::kTileBytes;
#pragma unroll
    for (int c = 0; c < D / 64; ++c) tma::load_4d(stage + c * BN * 128, &kmap, bar, c * 64, key0_of(t), hk, b);
  };
  auto wait_k = [&](int t) {
    if (t < steps) ring.wait_full(t);
  };
  auto release_k = [&](int t) {
    if (t < steps && lane == 0 && ring.release(t, C::WARPS) && t + ST < steps) copy_k(t + ST);
  };
  // Descriptors of this warpgroup's Q rows and of stage 0 (uniform: wgmma.cuh); a k-step or a stage
  // adds its byte offset.
  const sm90::Sw128Desc da(sQ + sm90::warpgroup_index() * 64 * 128, 16), db(sK, 16);
  auto issue_qk = [&](float(&s)[BN / 8][4], int t) {
    const uint32_t stage = (t % ST) * C::kTileBytes;
    sm90::fence();
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk) {
      const uint32_t koff = (kk % 4) * 32;
      sm90::mma_ss<DT, BN>(s, da.at((kk / 4) * BM * 128 + koff), db.at(stage + (kk / 4) * BN * 128 + koff), kk > 0);
    }
    sm90::commit();
  };

  RowStats all, gen;
  float lse2[2] = {INFINITY, INFINITY}, lse_g2[2] = {INFINITY, INFINITY};  // +inf: the row does not exist
  float gen_to_all[2] = {0.f, 0.f};
  float acc_p = 0.f, acc_g = 0.f;  // BS > BN: this thread's sums over the current kv block's tiles

  // The importance is handed over in units: a kv block when BS >= BN (written by its last tile), a
  // tile (SUB blocks) when BS < BN. Segment P's unit u's per-warp sums go to the warpgroup's slot set
  // u % 4 (two pairs of steps are in flight: one writing, the previous one being folded); segment G's
  // go to the entries.
  constexpr int TPB = BS > BN ? BS / BN : 1;  // tiles per kv block
  auto completes_unit = [&](int t) { return t >= t3 && t < steps && ((t - t3 + 1) % TPB == 0 || t == steps - 1); };
  auto slot_set = [&](int t) { return ((t - t3) / TPB) % 4 * 4 * SUB; };

  // Adds the slots of the unit tile t completed into the warpgroup's importance rows: one thread per
  // (query block, kv block of the unit), the warps in a fixed order (deterministic, no atomics).
  auto fold_slots = [&](int t) {
    const int l = tid % 128;
    if (l >= QBW * SUB || !completes_unit(t)) return;
    const int q = l / SUB, sub = l % SUB;
    const int j = (t - t3) * BN / BS + sub;
    if (j >= nkb) return;
    const float* sp = slot_p + slot_set(t);
    const float* sg = slot_g + slot_set(t);
    float vp = 0.f, vg = 0.f;
    for (int w = q * WPS; w < (q + 1) * WPS; ++w) {
      vp += sp[w * SUB + sub];
      vg += sg[w * SUB + sub];
    }
    imp_p[q * nkb + j] = vp;
    if (j >= gblk) imp_g[q * ngen + (j - gblk)] = vg;
  };

  // Folds tile t's scores into the row statistics (segments A, B) or the importance (G, P).
  auto fold_tile = [&](int t, float(&cur)[BN / 8][4]) {
    const int key0 = key0_of(t);
    const int limit = t < tA || t >= t3 ? (t < tA ? gk : plimit) : p.nk;
    if (key0 + BN > limit) mask_tail<BN>(cur, key0, limit, t4);
    if (t < t2) {  // row statistics
      if (!have_lse) stats_update<BN>(cur, all, sl2);
      if (t >= tA) stats_update<BN>(cur, gen, sl2);
      return;
    }
    if (t < t3) {  // segment G
      float acc[2] = {acc_p, acc_g};  // BS > BN: the two rows' running sums of the current block
      const bool flush = (t - t2 + 1) % TPB == 0 || t == t3 - 1;
      defer_gen_tile<BN, BS, KD>(cur, gen, acc, flush, key0, gblk, ngen, sl2, entry + (warp * 16 + lane / 4) * KD, t4);
      acc_p = acc[0];
      acc_g = acc[1];
      return;
    }
    if (t == t3) {  // segment P begins: each row's log2 denominators (the generation part's: not deferred)
      row_denominators(p, all, gen, deferred ? 0 : ngen, stat_base, row0, row_ok, t4, sl2, lse2, lse_g2);
#pragma unroll
      for (int r = 0; r < 2; ++r)
        if (row_ok[r] && ngen > 0 && !deferred) gen_to_all[r] = fast_exp2(lse_g2[r] - lse2[r]);
    }
    const bool flush = completes_unit(t);
    float* sp = slot_p + slot_set(t) + wl * SUB;
    float* sg = slot_g + slot_set(t) + wl * SUB;
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

  // Two tiles per step: tile t's scores are in sa (its MMA completed at the end of the last step).
  // Issue t+1 into sb and fold t under it, then issue t+2 into sa and fold t+1 under that. Every
  // wgmma is issued unconditionally (past the end: a stale stage, result unused): a wgmma on one
  // branch only makes ptxas serialize all of them (C7515).
  float sa[BN / 8][4], sb[BN / 8][4];
  auto pair = [&](int t) {
    const int tu = __shfl_sync(0xffffffffu, t, 0);  // warp-uniform: the stage descriptors stay in uniform registers
    tma::sync_warpgroup<WGS>(wg);  // this warpgroup's slots of the last step are written
    wait_k(t + 1);
    issue_qk(sb, tu + 1);
    sm90::fence_operand<BN / 8>(sa);
    fold_tile(t, sa);
    fold_slots(t - 2);  // after the issue: the few threads doing it would hold back their warpgroup's MMA
    sm90::wait<0>();
    release_k(t + 1);
    sm90::fence_operand<BN / 8>(sb);
    wait_k(t + 2);
    issue_qk(sa, tu + 2);
    if (t + 1 < steps) fold_tile(t + 1, sb);
    fold_slots(t - 1);
    sm90::wait<0>();  // nothing stays in flight across steps
    release_k(t + 2);
    sm90::fence_operand<BN / 8>(sa);
  };

  if (tid == 0) ring.init();
  __syncthreads();  // the barriers are initialized before anyone waits on them
  load_tile_sw128<BM, D, NT>(sQ, qg, p.q_stride[1], m0, p.nq, tid);  // rows past Nq are zeros
  cp_async_commit();
  if (tid == 0)
    for (int t = 0; t < ST && t < steps; ++t) copy_k(t);
  cp_async_wait<0>();
  sm90::fence_proxy_async();
  __syncthreads();  // Q is in place
  wait_k(0);
  issue_qk(sa, 0);
  sm90::wait<0>();
  release_k(0);
  sm90::fence_operand<BN / 8>(sa);
  for (int t = 0; t < steps; t += 2) pair(t);
  __syncthreads();  // the last units' slots are written; every copy has landed (each was waited for)
  const int last = steps - 1 - (steps - 1) % 2;  // the last step's first tile
  fold_slots(last);
  fold_slots(last + 1);
  if (deferred) {  // each row's two log2 denominators, for the entries
    if (t3 == steps) row_denominators(p, all, gen, 0, stat_base, row0, row_ok, t4, sl2, lse2, lse_g2);  // no segment P (g = 0)
    write_row_denominators(den + warp * 16 + lane / 4, gen, lse2, row_ok, sl2, p.sel_scale, t4);
  }
  __syncthreads();
  if (deferred) {  // the generation blocks' importance rows: per warpgroup and query block, rows in order
    for (int idx = tid; idx < WGS * QBW * ngen; idx += NT) {
      const int wq = idx / ngen, jg = idx % ngen, w = wq / QBW, q = wq % QBW;
      const int r0 = w * 64 + (BS >= 64 ? 0 : q * BS), nr = BS >= 64 ? 64 : BS;
      const float2 m = deferred_block_masses<KD>(entry, den, r0, r0 + nr, jg);
      imp_all_p[wq * nkb + gblk + jg] = m.x;
      imp_all_g[wq * ngen + jg] = m.y;
    }
    __syncthreads();
  }

  // A query block's importance: its warpgroups' rows, added in a fixed order.
  constexpr int WG_PER_QB = BS >= 64 ? BS / 64 : 1;
  for (int qbl = 0; qbl < QB && qb0 + qbl < plan.nqb; ++qbl) {
    const int wg0 = BS >= 64 ? qbl * WG_PER_QB : qbl / QBW, q = BS >= 64 ? 0 : qbl % QBW;
    auto sum_rows = [&](const float* imp, int n, int idx) {
      float v = 0.f;
#pragma unroll
      for (int w = wg0; w < wg0 + WG_PER_QB; ++w) v += imp[(w * QBW + q) * n + idx];
      return v;
    };
    write_pattern_row<NT>(
        p, plan, qb0 + qbl, b, h, keys, flags, wcount, [&](int idx) { return sum_rows(imp_all_p, nkb, idx); },
        [&](int idx) { return sum_rows(imp_all_g, ngen, idx); });
  }
#else
  __trap();  // built for a target without wgmma; launch_select_sm90 refuses such devices first
#endif
}

}  // namespace sel

template <typename C>
int launch_select_sm90(const sparsed_select_params* p, uint64_t stream) {
  sel::SelectPlan plan;
  const cudaDeviceProp* props = nullptr;
  SPARSED_TRY(prepare_select<C>(sel::make_plan_sm90<C>, p, 9, true, &plan, &props));  // before the map is built from p
  CUtensorMap kmap;
  SPARSED_TRY(make_rows_tensor_map(&kmap, "k", p->k, p->k_stride, p->batch, p->nk, p->hkv, C::D, C::BN));
  return launch_select_planned<C>(sel::select_sm90_kernel<C>, plan, props, p, stream, kmap);
}

}  // namespace sparsed
