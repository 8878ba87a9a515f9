// Dense bidirectional attention forward, pre-Hopper tensor-core path (FlashAttention-2 style):
// one CTA owns BM query rows of one (batch, head); each warp owns 16 of them and keeps its Q
// fragments, output accumulators and softmax state in registers, while K and V tiles of BN keys
// stream through shared memory with cp.async (V_j loads under QK^T, K_{j+1} under softmax and PV).
// Semantics: shared/DESIGN.md section 1 ("Tensors").
#pragma once
#include <math.h>
#include "sparsed/common.cuh"
#include "sparsed/status.cuh"

namespace sparsed {

template <int D_, int BM_, int BN_, int WARPS_, typename DT_>
struct DenseConfig {
  static constexpr int D = D_, BM = BM_, BN = BN_, WARPS = WARPS_, THREADS = WARPS_ * 32;
  using DT = DT_;
  using Elem = typename DT_::elem;
  static_assert(BM == 16 * WARPS, "each warp owns 16 query rows");
  static_assert(D % 16 == 0 && BN % 16 == 0, "tiles are whole mma steps");
  static constexpr int kSmemBytes = (BM + 2 * BN) * D * 2;
};

// Online-softmax state of the two rows (g and g+8 of the warp's 16) that one thread holds.
struct RowState {
  float m[2] = {-INFINITY, -INFINITY};  // running max of raw scores
  float l[2] = {0.f, 0.f};              // this thread's part of the running denominator
};

template <typename C>
__global__ void __launch_bounds__(C::THREADS, 1) dense_fwd_kernel(const sparsed_dense_params p) {
  constexpr int D = C::D, BM = C::BM, BN = C::BN, NT = C::THREADS;
  using Elem = typename C::Elem;
  using DT = typename C::DT;
  using Tile = SwizzledTile<D>;
  extern __shared__ __align__(128) unsigned char smem_raw[];
  Elem* sQ = reinterpret_cast<Elem*>(smem_raw);
  Elem* sK = sQ + BM * D;
  Elem* sV = sK + BN * D;

  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
  const int g = lane / 4, t4 = lane % 4;
  const int m0 = blockIdx.x * BM, h = blockIdx.y, b = blockIdx.z;
  const int hk = h / (p.hq / p.hkv);

  const Elem* qg = reinterpret_cast<const Elem*>(p.q) + b * p.q_stride[0] + h * p.q_stride[2];
  const Elem* kg = reinterpret_cast<const Elem*>(p.k) + b * p.k_stride[0] + hk * p.k_stride[2];
  const Elem* vg = reinterpret_cast<const Elem*>(p.v) + b * p.v_stride[0] + hk * p.v_stride[2];
  Elem* og = reinterpret_cast<Elem*>(p.o) + b * p.o_stride[0] + h * p.o_stride[2];

  const int nblocks = (p.nk + BN - 1) / BN;
  const float sl2 = p.scale * 1.4426950408889634f;  // scale folded into exp2

  load_tile_async<BM, D, NT>(sQ, qg, p.q_stride[1], m0, p.nq, tid);
  load_tile_async<BN, D, NT>(sK, kg, p.k_stride[1], 0, p.nk, tid);
  cp_async_commit();

  uint32_t qf[D / 16][4];
  float o[D / 8][4];
#pragma unroll
  for (int i = 0; i < D / 8; ++i) o[i][0] = o[i][1] = o[i][2] = o[i][3] = 0.f;
  RowState st;

  const int qrow = warp * 16 + (lane % 16);  // ldmatrix row addressed by this lane for A tiles
  for (int j = 0; j < nblocks; ++j) {
    cp_async_wait<0>();
    __syncthreads();  // K_j landed; every warp is done with V_{j-1}
    if (j == 0) {
#pragma unroll
      for (int kk = 0; kk < D / 16; ++kk)
        ldmatrix_x4(qf[kk], smem_addr(sQ + Tile::offset(qrow, kk * 2 + lane / 16)));
    }
    load_tile_async<BN, D, NT>(sV, vg, p.v_stride[1], j * BN, p.nk, tid);
    cp_async_commit();

    // S = Q K_j^T for this warp's 16 rows: BN/8 accumulator tiles of 16x8.
    float s[BN / 8][4];
#pragma unroll
    for (int i = 0; i < BN / 8; ++i) s[i][0] = s[i][1] = s[i][2] = s[i][3] = 0.f;
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk) {
#pragma unroll
      for (int nn = 0; nn < BN / 16; ++nn) {
        uint32_t kf[4];
        const int krow = nn * 16 + (lane % 8) + (lane / 16) * 8;
        ldmatrix_x4(kf, smem_addr(sK + Tile::offset(krow, kk * 2 + (lane / 8) % 2)));
        DT::mma(s[2 * nn], qf[kk], kf[0], kf[1]);
        DT::mma(s[2 * nn + 1], qf[kk], kf[2], kf[3]);
      }
    }
    if ((j + 1) * BN > p.nk) {  // the tail block: keys past Nk do not exist
#pragma unroll
      for (int i = 0; i < BN / 8; ++i) {
        const int col = j * BN + i * 8 + 2 * t4;
        if (col >= p.nk) s[i][0] = s[i][2] = -INFINITY;
        if (col + 1 >= p.nk) s[i][1] = s[i][3] = -INFINITY;
      }
    }

    cp_async_wait<0>();
    __syncthreads();  // V_j landed; every warp is done with K_j
    if (j + 1 < nblocks) {
      load_tile_async<BN, D, NT>(sK, kg, p.k_stride[1], (j + 1) * BN, p.nk, tid);
      cp_async_commit();
    }

    // Online softmax over this block: new max, rescale what came before, exponentiate.
    float corr[2], mscaled[2];
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      float mx = st.m[r];
#pragma unroll
      for (int i = 0; i < BN / 8; ++i) mx = fmaxf(mx, fmaxf(s[i][2 * r], s[i][2 * r + 1]));
      mx = fmaxf(mx, __shfl_xor_sync(0xffffffff, mx, 1));
      mx = fmaxf(mx, __shfl_xor_sync(0xffffffff, mx, 2));
      mscaled[r] = mx * sl2;  // finite: every block holds at least one real key
      corr[r] = exp2f(st.m[r] * sl2 - mscaled[r]);
      st.m[r] = mx;
      st.l[r] *= corr[r];
    }
#pragma unroll
    for (int i = 0; i < D / 8; ++i) {
      o[i][0] *= corr[0]; o[i][1] *= corr[0];
      o[i][2] *= corr[1]; o[i][3] *= corr[1];
    }
    uint32_t pf[BN / 16][4];  // P as A fragments: accumulator tiles 2kk, 2kk+1 form k-step kk
#pragma unroll
    for (int i = 0; i < BN / 8; ++i) {
      const float p0 = exp2f(fmaf(s[i][0], sl2, -mscaled[0]));
      const float p1 = exp2f(fmaf(s[i][1], sl2, -mscaled[0]));
      const float p2 = exp2f(fmaf(s[i][2], sl2, -mscaled[1]));
      const float p3 = exp2f(fmaf(s[i][3], sl2, -mscaled[1]));
      st.l[0] += p0 + p1;
      st.l[1] += p2 + p3;
      pf[i / 2][(i % 2) * 2 + 0] = DT::pack(p0, p1);
      pf[i / 2][(i % 2) * 2 + 1] = DT::pack(p2, p3);
    }

    // O += P V_j
#pragma unroll
    for (int kk = 0; kk < BN / 16; ++kk) {
#pragma unroll
      for (int dd = 0; dd < D / 16; ++dd) {
        uint32_t vf[4];
        const int vrow = kk * 16 + (lane % 8) + ((lane / 8) % 2) * 8;
        ldmatrix_x4_trans(vf, smem_addr(sV + Tile::offset(vrow, dd * 2 + lane / 16)));
        DT::mma(o[2 * dd], pf[kk], vf[0], vf[1]);
        DT::mma(o[2 * dd + 1], pf[kk], vf[2], vf[3]);
      }
    }
  }

  // Epilogue: full row denominators, normalize, LSE, stage O through this warp's rows of sQ.
  float inv[2];
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    float l = st.l[r];
    l += __shfl_xor_sync(0xffffffff, l, 1);
    l += __shfl_xor_sync(0xffffffff, l, 2);
    inv[r] = 1.f / l;
    const int row = m0 + warp * 16 + g + 8 * r;
    if (p.lse && t4 == 0 && row < p.nq)
      reinterpret_cast<float*>(p.lse)[((int64_t)b * p.hq + h) * p.nq + row] = st.m[r] * p.scale + logf(l);
  }
#pragma unroll
  for (int i = 0; i < D / 8; ++i) {
    const int r0 = warp * 16 + g, chunk = i, within = 2 * t4;
    *reinterpret_cast<uint32_t*>(sQ + Tile::offset(r0, chunk) + within) = DT::pack(o[i][0] * inv[0], o[i][1] * inv[0]);
    *reinterpret_cast<uint32_t*>(sQ + Tile::offset(r0 + 8, chunk) + within) = DT::pack(o[i][2] * inv[1], o[i][3] * inv[1]);
  }
  __syncwarp();
  constexpr int kChunks = D / 8;
#pragma unroll
  for (int i = 0; i < 16 * kChunks / 32; ++i) {
    const int idx = lane + i * 32;
    const int r = warp * 16 + idx / kChunks, c = idx % kChunks;
    if (m0 + r < p.nq)
      *reinterpret_cast<uint4*>(og + (int64_t)(m0 + r) * p.o_stride[1] + c * 8) =
          *reinterpret_cast<const uint4*>(sQ + Tile::offset(r, c));
  }
}

// Checks what a caller from any FFI could get wrong, so that bad input is an error, never a fault.
int validate_dense(const sparsed_dense_params* p, int head_dim, int dtype_code);

template <typename C>
int launch_dense(const sparsed_dense_params* p, uint64_t stream) {
  SPARSED_TRY(validate_dense(p, C::D, C::DT::code));
  const cudaDeviceProp* props = nullptr;
  SPARSED_TRY(current_device(&props));
  if (props->major < 8) return fail(SPARSED_ERR_NO_DEVICE, "this kernel needs compute capability 8.0 or newer; the device is %d.%d", props->major, props->minor);
  if (C::kSmemBytes > (int)props->sharedMemPerBlockOptin)
    return fail(SPARSED_ERR_INVALID, "kernel needs %d bytes of shared memory; the device allows %d", C::kSmemBytes, (int)props->sharedMemPerBlockOptin);
  static bool attr_set = false;  // idempotent, so a race here only repeats the call
  if (!attr_set) {
    SPARSED_TRY(check_cuda(cudaFuncSetAttribute(dense_fwd_kernel<C>, cudaFuncAttributeMaxDynamicSharedMemorySize, C::kSmemBytes), "cudaFuncSetAttribute"));
    attr_set = true;
  }
  dim3 grid((p->nq + C::BM - 1) / C::BM, p->hq, p->batch);
  if (grid.y > 65535 || grid.z > 65535) return fail(SPARSED_ERR_INVALID, "Hq (%d) and batch (%d) must each be at most 65535", p->hq, p->batch);
  dense_fwd_kernel<C><<<grid, C::THREADS, C::kSmemBytes, reinterpret_cast<cudaStream_t>(stream)>>>(*p);
  return check_cuda(cudaGetLastError(), "dense_fwd launch");
}

}  // namespace sparsed
