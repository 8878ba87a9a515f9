// Isolated selection from block LSEs (shared/DESIGN.md section 1, "Pattern selection"): the same
// pattern as select.cuh's kernels, from what a dense call at the switch step already computed. The dense
// kernel writes, per row r and kv block j, z[r, j] = log sum over the block's keys of exp(scale q_r . k)
// (dense_ws_sm90.cuh, store_block_lse); with the row's LSE, the block's softmax mass is exp(z - lse),
// so block (i, j)'s importance is the sum of exp(z[r, j] - lse[r]) over the rows r of query block i.
// The generation part's denominators are the log-sum-exp of z over the blocks j >= g. So the selection
// costs O(Nq * nkb) reads and exponentials instead of a Q K^T pass (O(Nq * Nk * D)).
//
// One CTA of 128 threads per (query block i, head h, batch b): each lane owns the rows lane + 32 k of
// the block (its two denominators in registers); warp w adds up blocks j = w, w + 4, ... (coalesced
// loads of z[., j], rows contiguous); then select.cuh's write_pattern_row takes the top kA / kB and
// writes the union, as every selection kernel does.
#pragma once
#include "sparsed/select.cuh"

namespace sparsed {

template <int BS_>
struct BlockLseSelectConfig {
  static constexpr int BS = BS_, THREADS = 128, WARPS = 4, kQueryBlocks = 1;
};

namespace sel {

// Shared memory: the sort keys [sort_n] (uint64), then the importances of the prompt part [nkb] and
// of the generation part [ngen] (fp32), the kept flags [nkb] (bytes), the compaction's per-warp counts.
inline int64_t make_plan_block_lse(const sparsed_select_params* p, int bs, SelectPlan* s) {
  plan_counts(p, bs, s);
  int64_t off = 8LL * s->sort_n;
  s->part_p_off = clamp_offset(off);
  off += round_up(4LL * s->nkb, 16);
  s->part_g_off = clamp_offset(off);
  off += round_up(4LL * s->ngen, 16);
  s->flags_off = clamp_offset(off);
  off += round_up(s->nkb, 16);
  s->wcount_off = clamp_offset(off);
  off += 16 * 4;
  s->smem_bytes = clamp_offset(off);
  return off;
}

template <typename C>
__global__ void __launch_bounds__(C::THREADS) select_block_lse_kernel(const sparsed_select_params p, const SelectPlan plan, const float* __restrict__ zs) {
  constexpr int BS = C::BS, NT = C::THREADS, WARPS = C::WARPS, RPL = BS / 32;  // rows a lane
  extern __shared__ __align__(128) unsigned char smem_raw[];
  uint64_t* keys = reinterpret_cast<uint64_t*>(smem_raw);
  float* imp_p = reinterpret_cast<float*>(smem_raw + plan.part_p_off);
  float* imp_g = reinterpret_cast<float*>(smem_raw + plan.part_g_off);
  unsigned char* flags = smem_raw + plan.flags_off;
  int* wcount = reinterpret_cast<int*>(smem_raw + plan.wcount_off);
  const int qb = blockIdx.x, h = blockIdx.y, b = blockIdx.z;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int nkb = plan.nkb, g = plan.g, ngen = plan.ngen;
  const int64_t head = (int64_t)b * p.hq + h;
  const float* const z = zs + head * nkb * (int64_t)p.nq;  // [nkb][Nq]
  const float* const lse = reinterpret_cast<const float*>(p.lse) + head * p.nq;

  // Each row's log2 denominators: the prompt part's from the LSE, the generation part's the log-sum-exp
  // of its blocks' z (max first). Rows past Nq count zero: +inf.
  float l2[RPL], lg2[RPL];
#pragma unroll
  for (int k = 0; k < RPL; ++k) {
    const int row = qb * BS + 32 * k + lane;
    l2[k] = lg2[k] = INFINITY;
    if (row >= p.nq) continue;
    l2[k] = lse[row] * kLog2e;
    if (ngen == 0) continue;
    float mx = -INFINITY;
    for (int j = g; j < nkb; ++j) mx = fmaxf(mx, z[(int64_t)j * p.nq + row]);
    if (mx == -INFINITY) continue;  // no generation key has any mass: its terms are zero
    float sum = 0.f;
    for (int j = g; j < nkb; ++j) sum += fast_exp2((z[(int64_t)j * p.nq + row] - mx) * kLog2e);
    lg2[k] = mx * kLog2e + log2f(sum);
  }

  for (int j = warp; j < nkb; j += WARPS) {
    float vp = 0.f, vg = 0.f;
#pragma unroll
    for (int k = 0; k < RPL; ++k) {
      const int row = qb * BS + 32 * k + lane;
      if (row >= p.nq) continue;
      const float zz = z[(int64_t)j * p.nq + row] * kLog2e;
      vp += fast_exp2(zz - l2[k]);
      if (j >= g) vg += fast_exp2(zz - lg2[k]);  // only generation blocks have a generation importance
    }
    vp = warp_sum(vp);
    if (lane == 0) imp_p[j] = vp;
    if (j >= g) {
      vg = warp_sum(vg);
      if (lane == 0) imp_g[j - g] = vg;
    }
  }
  __syncthreads();
  write_pattern_row<NT>(p, plan, qb, b, h, keys, flags, wcount, [&](int idx) { return imp_p[idx]; }, [&](int idx) { return imp_g[idx]; });
}

}  // namespace sel

template <int BS>
int launch_select_block_lse_bs(const sparsed_block_select_params* bp, uint64_t stream) {
  using C = BlockLseSelectConfig<BS>;
  const sparsed_select_params* p = &bp->sel;
  const cudaDeviceProp* props = nullptr;
  SPARSED_TRY(current_device(&props));
  sel::SelectPlan plan;
  const int64_t smem = sel::make_plan_block_lse(p, BS, &plan);
  if (smem > (int64_t)props->sharedMemPerBlockOptin)
    return fail(SPARSED_ERR_INVALID, "selection at block size %d needs %lld bytes of shared memory for %d kv blocks (Nk = %d); the device allows %lld: use a larger block size",
                BS, (long long)smem, plan.nkb, p->nk, (long long)props->sharedMemPerBlockOptin);
  return launch_select_planned<C>(sel::select_block_lse_kernel<C>, plan, props, p, stream, reinterpret_cast<const float*>(bp->block_lse));
}

inline int launch_select_block_lse(const sparsed_block_select_params* bp, uint64_t stream) {
  if (!bp) return fail(SPARSED_ERR_INVALID, "params is a null pointer");
  const sparsed_select_params* p = &bp->sel;
  const int bs = p->pattern.block_size;
  if (bs != 32 && bs != 64 && bs != 128) return fail(SPARSED_ERR_INVALID, "pattern block_size %d: block LSEs come in blocks of 32, 64 or 128 keys", bs);
  SPARSED_TRY(sel::validate(p, p->head_dim, bs, p->dtype));
  if (p->lse == 0) return fail(SPARSED_ERR_INVALID, "lse is a null pointer: the selection from block LSEs needs the dense call's LSE");
  if (bp->block_lse == 0 || bp->block_lse % 4 != 0) return fail(SPARSED_ERR_INVALID, "block_lse must be a non-null, 4-byte aligned pointer");
  if (bs == 32) return launch_select_block_lse_bs<32>(bp, stream);
  if (bs == 64) return launch_select_block_lse_bs<64>(bp, stream);
  return launch_select_block_lse_bs<128>(bp, stream);
}

}  // namespace sparsed
