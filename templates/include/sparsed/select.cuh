// Isolated selection (shared/DESIGN.md section 1, "Pattern selection"; CPU reference: selectPattern in
// src/selection.ts), pre-Hopper tensor-core path (mma.sync/ldmatrix/cp.async; runs on sm_80 and later).
//
// One CTA per (query block i, head h, batch b), with the block's b rows: each of the b/16 warps keeps
// 16 rows of Q as mma fragments in registers, while K tiles of one pattern block (b keys) stream
// through two cp.async stages (block t+1 loads while block t is computed, as in dense_fwd.cuh). The
// steps run over the kv blocks in up to two passes:
//   pass 1, row statistics (online max and sum): over the generation blocks j >= g for the
//     generation part's own denominators, and over every block when no LSE was given (the prompt
//     part's denominators, also written to the workspace as each row's natural-log LSE);
//   pass 2, importance: over every block, P = exp(sel_scale*s - lse) summed over the tile's rows and
//     columns (rows and columns past the end count zero), and for j >= g the same with the
//     generation denominators; each warp's sums go to its own slot of a [warps][nkb] array.
// Then the CTA adds the warps' partials (in a fixed order), takes the top kA of the prompt part and
// the top kB of the generation part with a bitonic sort of (importance, index) keys (ties: the lower
// index first, as in the CPU reference), and writes the union as an ascending list, its count, and -1
// in the unused slots. Shared memory is O(nkb) per CTA; nothing of size Nq x Nk exists.
// The division of the importance by b*b is left out: a constant factor changes no ranking.
#pragma once
#include <math.h>
#include <stdint.h>
#include <algorithm>
#include <cmath>
#include <cstddef>
#include "sparsed/common.cuh"
#include "sparsed/status.cuh"

// The TypeScript wrapper (src/select.ts) writes this struct byte by byte: keep the two in step.
static_assert(sizeof(sparsed_select_params) == 152, "src/select.ts writes sparsed_select_params as 152 bytes");
static_assert(offsetof(sparsed_select_params, gen_length) == 104 && offsetof(sparsed_select_params, dtype) == 116 &&
                  offsetof(sparsed_select_params, pattern) == 120,
              "src/select.ts's field offsets");

namespace sparsed {

template <int D_, int BM_, int BN_, int WARPS_, typename DT_>
struct SelectConfig {
  static constexpr int D = D_, BS = BM_, WARPS = WARPS_, THREADS = WARPS_ * 32;
  using DT = DT_;
  using Elem = typename DT_::elem;
  static_assert(BM_ == BN_, "a select tile is one pattern block: blockM == blockN");
  static_assert(BS == 16 * WARPS, "each warp owns 16 query rows of the block");
  static_assert(D % 16 == 0 && BS % 16 == 0, "tiles are whole mma steps");
  static constexpr int kTileBytes = BS * D * 2;  // one BS x D tile of 16-bit elements
  static constexpr int kQueryBlocks = 1;          // query blocks per CTA
};

namespace sel {

// Everything the host derives once per call: the method's counts and the shared-memory layout.
struct SelectPlan {
  int nqb, nkb;
  int g;              // generation boundary: a query block index, applied to kv blocks too
  int ngen;           // kv blocks of the generation part, nkb - g, or 0 when g >= nkb
  int kA, kB;         // blocks kept by the prompt part (before dropping j >= g) and the generation part
  int j1, n1;         // pass 1 covers kv blocks [j1, j1 + n1)
  int sort_n;         // next power of two >= nkb: the prompt part's sort size
  int sort_gen;       // next power of two >= ngen (1 when ngen = 0)
  int q_off;          // byte offsets into dynamic shared memory (see make_plan / make_plan_sm90)
  int part_p_off, part_g_off, flags_off, wcount_off;
  int slot_off;       // sm90a: the per-tile slot arrays
  int bar_off;        // sm90a: the stages' full and empty barriers
  int defer_off;      // sm90a: per-(row, generation block) sums when the generation part is deferred, else -1
  int smem_bytes;
};

constexpr float kLog2e = 1.4426950408889634f;

inline int next_pow2(int n) {
  int p = 1;
  while (p < n) p <<= 1;
  return p;
}

inline int64_t round_up(int64_t x, int64_t a) { return (x + a - 1) / a * a; }

// kA = min(n, floor(n * select) + 1), in double from the float the struct carries (the TS wrapper
// picks that float so that these equal its float64 counts; see selectFloat32 in src/select.ts).
inline int keep_count(int n, float select) {
  return (int)std::min<double>((double)n, std::floor((double)n * (double)select) + 1.0);
}

// The method's counts for one call (shared by both kernel families): block counts, the generation
// boundary, kA and kB, and the sort sizes. bs is the pattern block size.
inline void plan_counts(const sparsed_select_params* p, int bs, SelectPlan* s) {
  s->nqb = (int)(((int64_t)p->nq + bs - 1) / bs);
  s->nkb = (int)(((int64_t)p->nk + bs - 1) / bs);
  // The first query block i with Nq - i*b <= G (i*b >= Nq - G), else nqb - 1.
  const int64_t need = (int64_t)p->nq - p->gen_length;
  const int64_t g = need <= 0 ? 0 : (need + bs - 1) / bs;
  s->g = (int)std::min<int64_t>(g, s->nqb - 1);
  s->ngen = s->nkb > s->g ? s->nkb - s->g : 0;
  s->kA = keep_count(s->nkb, p->select);
  s->kB = s->ngen > 0 ? keep_count(s->ngen, p->select) : 0;
  s->j1 = p->lse ? s->g : 0;
  s->n1 = p->lse ? s->ngen : s->nkb;
  s->sort_n = next_pow2(s->nkb);
  s->sort_gen = next_pow2(s->ngen);
  s->slot_off = 0;
}

inline int32_t clamp_offset(int64_t off) { return (int32_t)std::min<int64_t>(off, INT32_MAX); }

// The end of the sm90a kernels' shared-memory plans: from `off`, the kept flags [nkb] (bytes) and the
// compaction's per-warp counts [warps] (int32), then the slack that aligns the base to 1024 bytes.
// Returns the total.
inline int64_t finish_plan_sm90(SelectPlan* s, int64_t off, int warps) {
  s->flags_off = clamp_offset(off);
  off += round_up(s->nkb, 16);
  s->wcount_off = clamp_offset(off);
  off += round_up(4LL * warps, 16);
  const int64_t total = off + 1024;
  s->smem_bytes = clamp_offset(total);
  return total;
}

// Shared memory (bytes from the start of the dynamic allocation):
//   [0, A)          region A: the two K stages (2 tiles) while the passes run, then the sort keys
//                   (uint64, sort_n of them); A = max(2 tiles, 8 * sort_n)
//   [q_off, end)    region B: the Q tile until its fragments are in registers, then the per-warp
//                   importance partials part_p [warps][nkb] and part_g [warps][ngen] (fp32), the
//                   kept flags [nkb] (bytes) and the compaction's per-warp counts [warps] (int32)
// Returns the total, in int64 so that a huge nkb reports an error instead of overflowing.
template <typename C>
int64_t make_plan(const sparsed_select_params* p, SelectPlan* s) {
  plan_counts(p, C::BS, s);
  const int64_t region_a = std::max<int64_t>(2LL * C::kTileBytes, 8LL * s->sort_n);
  int64_t off = round_up(region_a, 128);
  const int64_t q_off = off;
  s->part_p_off = clamp_offset(off);
  off += round_up(4LL * C::WARPS * s->nkb, 16);
  s->part_g_off = clamp_offset(off);
  off += round_up(4LL * C::WARPS * s->ngen, 16);
  s->flags_off = clamp_offset(off);
  off += round_up(s->nkb, 16);
  s->wcount_off = clamp_offset(off);
  off += round_up(4LL * C::WARPS, 16);
  const int64_t total = std::max<int64_t>(off, q_off + C::kTileBytes);
  s->q_off = clamp_offset(q_off);
  s->smem_bytes = clamp_offset(total);
  return total;
}

// Online softmax statistics of the two rows (g and g+8 of the warp's 16) that one thread holds:
// the running max of the raw scores (exact across the row's 4 lanes) and this thread's part of the
// denominator relative to it.
struct RowStats {
  float m[2] = {-INFINITY, -INFINITY};
  float l[2] = {0.f, 0.f};
};

// S = Q K^T for the warp's 16 rows and the tile's BN keys (fragments as in dense_fwd.cuh).
template <int BN, int D, typename DT, typename Elem>
__device__ inline void qk_tile(float (&s)[BN / 8][4], const uint32_t (&qf)[D / 16][4], const Elem* sK, int lane) {
  using Tile = SwizzledTile<D>;
#pragma unroll
  for (int i = 0; i < BN / 8; ++i) s[i][0] = s[i][1] = s[i][2] = s[i][3] = 0.f;
#pragma unroll
  for (int kk = 0; kk < D / 16; ++kk) {
#pragma unroll
    for (int nn = 0; nn < BN / 16; ++nn) {
      uint32_t kf[4];
      ldmatrix_x4(kf, smem_addr(sK + Tile::offset(nn * 16 + (lane % 8) + (lane / 16) * 8, kk * 2 + (lane / 8) % 2)));
      DT::mma(s[2 * nn], qf[kk], kf[0], kf[1]);
      DT::mma(s[2 * nn + 1], qf[kk], kf[2], kf[3]);
    }
  }
}

template <int BN>
__device__ inline void stats_update(const float (&s)[BN / 8][4], RowStats& st, float sl2) {
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const float mx = row_max<BN>(s, r, st.m[r]);
    const float ms = mx * sl2;  // finite: every block holds at least one real key
    float l = st.l[r] * exp2f(st.m[r] * sl2 - ms);  // 0 on the first block (m = -inf)
#pragma unroll
    for (int i = 0; i < BN / 8; ++i) l += fast_exp2(fmaf(s[i][2 * r], sl2, -ms)) + fast_exp2(fmaf(s[i][2 * r + 1], sl2, -ms));
    st.m[r] = mx;
    st.l[r] = l;
  }
}

// log2 of the row's denominator (scale included), from the statistics; all four lanes of the row
// take part (the shuffles), so call it from warp-uniform code.
__device__ inline float row_log2_denominator(const RowStats& st, int r, float sl2, float* lse_natural, float scale) {
  float l = st.l[r];
  l += __shfl_xor_sync(0xffffffffu, l, 1);
  l += __shfl_xor_sync(0xffffffffu, l, 2);
  *lse_natural = st.m[r] * scale + logf(l);
  return st.m[r] * sl2 + log2f(l);
}

// At the start of the importance pass: the log2 denominators of the thread's two rows, for the
// prompt part (from the dense pass's LSE, or from the row statistics, then also written to the
// workspace as each row's natural-log LSE) and for the generation part; rows past the end keep
// +inf. The shuffles inside need the whole warp.
__device__ inline void row_denominators(const sparsed_select_params& p, const RowStats& all, const RowStats& gen, int ngen, int64_t stat_base, int row0,
                                        const bool (&row_ok)[2], int t4, float sl2, float (&lse2)[2], float (&lse_g2)[2]) {
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    float lse_nat;
    if (p.lse == 0) {
      const float v = row_log2_denominator(all, r, sl2, &lse_nat, p.sel_scale);
      if (row_ok[r]) {
        lse2[r] = v;
        if (t4 == 0) reinterpret_cast<float*>(p.workspace)[stat_base + row0 + 8 * r] = lse_nat;
      }
    } else if (row_ok[r]) {
      lse2[r] = reinterpret_cast<const float*>(p.lse)[stat_base + row0 + 8 * r] * kLog2e;
    }
    if (ngen > 0) {
      const float v = row_log2_denominator(gen, r, sl2, &lse_nat, p.sel_scale);
      if (row_ok[r]) lse_g2[r] = v;
    }
  }
}

// This thread's part of each of its two rows' mass over the tile's columns [8*i0, 8*i1):
// rs[r] = sum exp2(s * sl2 - lse2[r]); rows past the end carry lse2 = +inf (zero terms). The bounds
// fold away where the caller's are compile-time constants (after unrolling).
template <int BN>
__device__ inline void row_masses(const float (&s)[BN / 8][4], const float (&lse2)[2], float sl2, float (&rs)[2], int i0 = 0, int i1 = BN / 8) {
  float a[4] = {0.f, 0.f, 0.f, 0.f};  // four independent add chains (latency, not throughput, bound them)
#pragma unroll
  for (int i = 0; i < BN / 8; ++i)
    if (i >= i0 && i < i1)
#pragma unroll
      for (int c = 0; c < 4; ++c) a[c] += fast_exp2(fmaf(s[i][c], sl2, -lse2[c / 2]));
  rs[0] = a[0] + a[1];
  rs[1] = a[2] + a[3];
}

// The sum over the warp, in every lane.
__device__ inline float warp_sum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

// The tile's mass over the warp's 16 rows (see row_masses).
template <int BN>
__device__ inline float tile_mass(const float (&s)[BN / 8][4], const float (&lse2)[2], float sl2) {
  float rs[2];
  row_masses<BN>(s, lse2, sl2, rs);
  return warp_sum(rs[0] + rs[1]);
}

// A sort key: larger importance first, then the lower block index (keys are unique). The float's
// bits are mapped so that unsigned order is float order; 0 is below every real key (padding).
__device__ inline uint64_t importance_key(float v, int j) {
  uint32_t u = __float_as_uint(v);
  u = (u & 0x80000000u) ? ~u : (u | 0x80000000u);
  return (uint64_t(u) << 32) | uint64_t(0xFFFFFFFFu - uint32_t(j));
}
__device__ inline int key_block(uint64_t key) { return int(0xFFFFFFFFu - uint32_t(key)); }

// A barrier among the NT threads [FIRST, FIRST + NT) of the CTA: __syncthreads when they are the
// whole CTA (FIRST = 0), else named barrier 1 (a warp-specialized kernel's consumers, whose producer
// warps have exited).
template <int NT, int FIRST>
__device__ inline void threads_sync() {
  if constexpr (FIRST == 0) __syncthreads();
  else asm volatile("bar.sync 1, %0;\n" ::"n"(NT) : "memory");
}

// Bitonic sort of n (a power of two) keys in shared memory, descending, by threads [FIRST, FIRST + NT)
// (tid counted from FIRST). Each phase's n/2 compare-exchanges touch disjoint pairs; a barrier ends
// every phase (the last one included).
template <int NT, int FIRST = 0>
__device__ inline void bitonic_sort_desc(uint64_t* keys, int n, int tid) {
  for (int k = 2; k <= n; k <<= 1)
    for (int jj = k >> 1; jj > 0; jj >>= 1) {
      for (int t = tid; t < n / 2; t += NT) {
        const int i = ((t & ~(jj - 1)) << 1) | (t & (jj - 1));  // bit jj of i clear
        const int m = i | jj;
        const uint64_t a = keys[i], c = keys[m];
        if (((i & k) == 0) == (a < c)) {  // descending runs where bit k of i is clear, ascending elsewhere
          keys[i] = c;
          keys[m] = a;
        }
      }
      threads_sync<NT, FIRST>();
    }
}

// The end of a pattern row (both kernel families): the top kA of the prompt part (then dropping
// j >= g) and the top kB of the generation part, by a bitonic sort of (importance, index) keys (ties:
// the lower index first, as in the CPU reference), written as an ascending list, its count, and -1 in
// the unused slots. importance_p(j) for j in [0, nkb) and importance_g(j - g) for j in [g, nkb) give
// the row's block sums. The NT threads [FIRST, FIRST + NT) call it (threads_sync); keys holds sort_n
// entries, flags nkb bytes, wcount one int per warp. Returns after a barrier, so the caller may reuse
// every buffer.
template <int NT, int FIRST = 0, typename ImpP, typename ImpG>
__device__ inline void write_pattern_row(const sparsed_select_params& p, const SelectPlan& plan, int qb, int b, int h, uint64_t* keys,
                                         unsigned char* flags, int* wcount, ImpP importance_p, ImpG importance_g) {
  constexpr int WARPS = NT / 32;
  const int tid = threadIdx.x - FIRST, warp = tid / 32, lane = tid % 32;
  const int nkb = plan.nkb, gblk = plan.g, ngen = plan.ngen;
  for (int idx = tid; idx < plan.sort_n; idx += NT) keys[idx] = idx < nkb ? importance_key(importance_p(idx), idx) : 0;
  for (int jb = tid; jb < nkb; jb += NT) flags[jb] = 0;
  threads_sync<NT, FIRST>();
  bitonic_sort_desc<NT, FIRST>(keys, plan.sort_n, tid);
  for (int idx = tid; idx < plan.kA; idx += NT) {
    const int jb = key_block(keys[idx]);
    if (jb < gblk) flags[jb] = 1;  // the prompt part drops blocks j >= g
  }
  if (plan.kB > 0) {
    threads_sync<NT, FIRST>();  // the prompt keys are read; the generation part's keys replace them
    for (int idx = tid; idx < plan.sort_gen; idx += NT) keys[idx] = idx < ngen ? importance_key(importance_g(idx), gblk + idx) : 0;
    threads_sync<NT, FIRST>();
    bitonic_sort_desc<NT, FIRST>(keys, plan.sort_gen, tid);
    for (int idx = tid; idx < plan.kB; idx += NT) flags[key_block(keys[idx])] = 1;
  }
  threads_sync<NT, FIRST>();

  // The union as an ascending list: per chunk of NT blocks, a ballot gives each kept block its rank.
  const int64_t prow = ((int64_t)b * p.hq + h) * plan.nqb + qb;
  int* out_idx = reinterpret_cast<int*>(p.pattern.indices) + prow * nkb;
  int total = 0;
  for (int base = 0; base < nkb; base += NT) {
    const int jb = base + tid;
    const bool keep = jb < nkb && flags[jb] != 0;
    const unsigned ballot = __ballot_sync(0xffffffffu, keep);
    if (lane == 0) wcount[warp] = __popc(ballot);
    threads_sync<NT, FIRST>();
    int before = total, chunk = 0;
#pragma unroll
    for (int w = 0; w < WARPS; ++w) {
      const int c = wcount[w];
      if (w < warp) before += c;
      chunk += c;
    }
    if (keep) out_idx[before + __popc(ballot & ((1u << lane) - 1u))] = jb;
    total += chunk;
    threads_sync<NT, FIRST>();  // wcount is rewritten by the next chunk
  }
  for (int n = total + tid; n < nkb; n += NT) out_idx[n] = -1;
  if (tid == 0) reinterpret_cast<int*>(p.pattern.counts)[prow] = total;
}

template <typename C>
__global__ void __launch_bounds__(C::THREADS, 1) select_kernel(const sparsed_select_params p, const SelectPlan plan) {
  constexpr int D = C::D, BS = C::BS, NT = C::THREADS, WARPS = C::WARPS;
  using Elem = typename C::Elem;
  using DT = typename C::DT;
  using Tile = SwizzledTile<D>;
  extern __shared__ __align__(128) unsigned char smem_raw[];
  Elem* sK = reinterpret_cast<Elem*>(smem_raw);                       // stage t at sK + t * BS * D
  Elem* sQ = reinterpret_cast<Elem*>(smem_raw + plan.q_off);
  uint64_t* keys = reinterpret_cast<uint64_t*>(smem_raw);              // after the passes (over sK)
  float* part_p = reinterpret_cast<float*>(smem_raw + plan.part_p_off);  // pass 2 on (over sQ)
  float* part_g = reinterpret_cast<float*>(smem_raw + plan.part_g_off);
  unsigned char* flags = smem_raw + plan.flags_off;
  int* wcount = reinterpret_cast<int*>(smem_raw + plan.wcount_off);

  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32, t4 = lane % 4;
  const int qb = blockIdx.x, h = blockIdx.y, b = blockIdx.z;
  const int hk = kv_head(h, p.hq, p.hkv);
  const int nkb = plan.nkb, gblk = plan.g, ngen = plan.ngen;
  const int row0 = qb * BS + warp * 16 + lane / 4;  // this thread's rows: row0 and row0 + 8
  const bool row_ok[2] = {row0 < p.nq, row0 + 8 < p.nq};
  const int64_t stat_base = ((int64_t)b * p.hq + h) * p.nq;  // LSE / workspace [B, Hq, Nq]

  const Elem* qg = head_slice<const Elem>(p.q, p.q_stride, b, h);
  const Elem* kg = head_slice<const Elem>(p.k, p.k_stride, b, hk);
  const float sl2 = p.sel_scale * kLog2e;  // scale folded into exp2
  const bool have_lse = p.lse != 0;
  const int n1 = plan.n1, j1 = plan.j1, steps = plan.n1 + nkb;

  auto block_at = [&](int t) { return t < n1 ? j1 + t : t - n1; };
  auto load_k = [&](int t) { load_tile_async<BS, D, NT>(sK + (t & 1) * BS * D, kg, p.k_stride[1], block_at(t) * BS, p.nk, tid); };
  load_tile_async<BS, D, NT>(sQ, qg, p.q_stride[1], qb * BS, p.nq, tid);  // rows past Nq are zeros
  load_k(0);
  cp_async_commit();

  uint32_t qf[D / 16][4];
  RowStats all, gen;
  float lse2[2] = {INFINITY, INFINITY}, lse_g2[2] = {INFINITY, INFINITY};  // +inf: the row does not exist

  for (int t = 0; t < steps; ++t) {
    cp_async_wait<0>();
    __syncthreads();  // block t landed; every warp is done with block t-1, whose stage is now free
    if (t == 0) {
#pragma unroll
      for (int kk = 0; kk < D / 16; ++kk) ldmatrix_x4(qf[kk], smem_addr(sQ + Tile::offset(warp * 16 + lane % 16, kk * 2 + lane / 16)));
      __syncthreads();  // every warp has its Q fragments: sQ's bytes now belong to the partials
    }
    if (t + 1 < steps) {
      load_k(t + 1);  // a whole step ahead
      cp_async_commit();
    }
    const int j = block_at(t);
    float s[BS / 8][4];
    qk_tile<BS, D, DT>(s, qf, sK + (t & 1) * BS * D, lane);
    if ((j + 1) * BS > p.nk) mask_tail<BS>(s, j * BS, p.nk, t4);

    if (t < n1) {  // pass 1: row statistics
      if (!have_lse) stats_update<BS>(s, all, sl2);
      if (j >= gblk) stats_update<BS>(s, gen, sl2);
      continue;
    }
    if (t == n1) row_denominators(p, all, gen, ngen, stat_base, row0, row_ok, t4, sl2, lse2, lse_g2);  // pass 2 begins
    const float mass = tile_mass<BS>(s, lse2, sl2);
    if (lane == 0) part_p[warp * nkb + j] = mass;
    if (j >= gblk) {
      const float mass_g = tile_mass<BS>(s, lse_g2, sl2);
      if (lane == 0) part_g[warp * ngen + (j - gblk)] = mass_g;
    }
  }

  // Top-k. The barrier: every warp is done with the K stages (the keys overlay them) and has written
  // its partials. No cp.async is in flight: the last step issued none and waited for the rest.
  __syncthreads();
  write_pattern_row<NT>(
      p, plan, qb, b, h, keys, flags, wcount,
      [&](int idx) {
        float v = 0.f;
#pragma unroll
        for (int w = 0; w < WARPS; ++w) v += part_p[w * nkb + idx];
        return v;
      },
      [&](int idx) {
        float v = 0.f;
#pragma unroll
        for (int w = 0; w < WARPS; ++w) v += part_g[w * ngen + idx];
        return v;
      });
}

// Checks what a caller from any FFI could get wrong, so that bad input is an error, never a fault.
inline int validate(const sparsed_select_params* p, int head_dim, int block, int dtype_code) {
  if (!p) return fail(SPARSED_ERR_INVALID, "params is a null pointer");
  if (p->batch < 1 || p->nq < 1 || p->nk < 1 || p->hq < 1 || p->hkv < 1)
    return fail(SPARSED_ERR_INVALID, "batch, nq, nk, hq, hkv must be >= 1 (got %d, %d, %d, %d, %d)", p->batch, p->nq, p->nk, p->hq, p->hkv);
  if (p->hq % p->hkv != 0) return fail(SPARSED_ERR_INVALID, "hq (%d) must be a multiple of hkv (%d)", p->hq, p->hkv);
  if (p->hq > 65535 || p->batch > 65535) return fail(SPARSED_ERR_INVALID, "Hq (%d) and batch (%d) must each be at most 65535", p->hq, p->batch);
  if (p->head_dim != head_dim) return fail(SPARSED_ERR_INVALID, "head_dim %d given to a selection kernel built for %d", p->head_dim, head_dim);
  if (p->dtype != dtype_code) return fail(SPARSED_ERR_INVALID, "dtype %d given to a selection kernel built for %d", p->dtype, dtype_code);
  SPARSED_TRY(check_operand("q", p->q, p->q_stride));
  SPARSED_TRY(check_operand("k", p->k, p->k_stride));
  if (p->lse % 4 != 0) return fail(SPARSED_ERR_INVALID, "lse pointer is not 4-byte aligned");
  if (p->lse == 0 && p->workspace == 0)
    return fail(SPARSED_ERR_INVALID, "workspace is a null pointer: without lse the selection computes each row's LSE into a fp32 workspace of B*Hq*Nq");
  if (p->workspace % 4 != 0) return fail(SPARSED_ERR_INVALID, "workspace pointer is not 4-byte aligned");
  if (p->gen_length < 0) return fail(SPARSED_ERR_INVALID, "gen_length is %d; it must be >= 0", p->gen_length);
  if (!(p->select > 0.f && p->select <= 1.f)) return fail(SPARSED_ERR_INVALID, "select is %g; it must be in (0, 1]", (double)p->select);
  if (!(p->sel_scale > 0.f) || !std::isfinite(p->sel_scale))
    return fail(SPARSED_ERR_INVALID, "sel_scale is %g; it must be a positive finite number", (double)p->sel_scale);
  const sparsed_pattern& pt = p->pattern;
  if (pt.counts == 0 || pt.indices == 0) return fail(SPARSED_ERR_INVALID, "pattern counts or indices is a null pointer");
  if (pt.counts % 4 != 0 || pt.indices % 4 != 0) return fail(SPARSED_ERR_INVALID, "pattern pointers must be 4-byte aligned");
  if (pt.block_size != block)
    return fail(SPARSED_ERR_INVALID, "pattern block_size %d given to a selection kernel built for block size %d", pt.block_size, block);
  const int64_t nqb = ((int64_t)p->nq + block - 1) / block, nkb = ((int64_t)p->nk + block - 1) / block;
  if (pt.nqb != nqb || pt.nkb != nkb)
    return fail(SPARSED_ERR_INVALID, "pattern nqb/nkb are %d/%d; Nq = %d and Nk = %d at block size %d need %lld/%lld", pt.nqb, pt.nkb, p->nq, p->nk, block,
                (long long)nqb, (long long)nkb);
  return SPARSED_OK;
}

}  // namespace sel

// The checks before a selection launch, for every kernel family: the parameters, the device (compute
// capability >= min_major, exactly 9.0 for sm_90a kernels), then the plan (make_plan fills it and returns
// the shared memory it needs). A kernel with no fallback also needs the plan to fit: `fits` says
// whether it does (null: an error when it does not).
template <typename C, typename MakePlan>
int prepare_select(MakePlan make_plan, const sparsed_select_params* p, int min_major, bool exact_sm90, sel::SelectPlan* plan, const cudaDeviceProp** props,
                   bool* fits = nullptr) {
  SPARSED_TRY(sel::validate(p, C::D, C::BS, C::DT::code));
  SPARSED_TRY(require_family(min_major, exact_sm90, props));
  const int64_t smem = make_plan(p, plan);
  const int64_t limit = (int64_t)(*props)->sharedMemPerBlockOptin;
  if (fits) *fits = smem <= limit;
  else if (smem > limit)
    return fail(SPARSED_ERR_INVALID,
                "selection at block size %d needs %lld bytes of shared memory for %d kv blocks (Nk = %d); the device allows %lld: use a larger block size or fewer keys",
                C::BS, (long long)smem, plan->nkb, p->nk, (long long)limit);
  return SPARSED_OK;
}

// The per-device shared-memory opt-in and the launch of a prepared plan: the grid is (CTAs along the
// query blocks, Hq, batch), each CTA covering C::kQueryBlocks query blocks; `extra` follows (params, plan).
template <typename C, typename Kernel, typename... Extra>
int launch_select_planned(Kernel kernel, const sel::SelectPlan& plan, const cudaDeviceProp* props, const sparsed_select_params* p, uint64_t stream,
                          const Extra&... extra) {
  // The device's whole shared memory (the plan's need varies with Nk; launches ask only for theirs).
  SPARSED_TRY(opt_in_shared_memory<C>(kernel, (int)props->sharedMemPerBlockOptin));
  dim3 grid((plan.nqb + C::kQueryBlocks - 1) / C::kQueryBlocks, p->hq, p->batch);
  kernel<<<grid, C::THREADS, plan.smem_bytes, reinterpret_cast<cudaStream_t>(stream)>>>(*p, plan, extra...);
  return check_cuda(cudaGetLastError(), "selection kernel launch");
}

template <typename C>
int launch_select(const sparsed_select_params* p, uint64_t stream) {
  sel::SelectPlan plan;
  const cudaDeviceProp* props = nullptr;
  SPARSED_TRY(prepare_select<C>(sel::make_plan<C>, p, 8, false, &plan, &props));
  return launch_select_planned<C>(sel::select_kernel<C>, plan, props, p, stream);
}

}  // namespace sparsed
