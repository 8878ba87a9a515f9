// Dense bidirectional attention forward, pre-Hopper tensor-core path (FlashAttention-2 style):
// one CTA owns BM query rows of one (batch, head); each warp owns 16 or 32 of them and keeps its
// output accumulators and softmax state in registers, while K and V tiles of BN keys stream
// through two shared-memory stages with cp.async (block j+1 loads while block j is computed, so
// one barrier per block suffices).
// Semantics: shared/DESIGN.md section 1 ("Tensors").
#pragma once
#include <math.h>
#include <algorithm>
#include <type_traits>
#include "sparsed/common.cuh"
#include "sparsed/status.cuh"

namespace sparsed {

template <int D_, int BM_, int BN_, int WARPS_, typename DT_, bool SPARSE_ = false>
struct DenseConfig {
  static constexpr int D = D_, BM = BM_, BN = BN_, WARPS = WARPS_, THREADS = WARPS_ * 32;
  static constexpr bool kSparse = SPARSE_;  // walk the row's kv block list instead of every key
  using DT = DT_;
  using Elem = typename DT_::elem;
  static constexpr int MT = BM / (16 * WARPS);  // 16-row mma tiles per warp
  static_assert(MT == 1 || MT == 2, "each warp owns 16 or 32 query rows");
  static_assert(D % 16 == 0 && BN % 16 == 0, "tiles are whole mma steps");
  // One tile per warp: Q fragments stay in registers. Two: registers are needed for the second
  // accumulator, so Q is re-read from shared memory (K/V fragments then feed twice the mma work).
  static constexpr bool kQInRegs = MT == 1;
  static constexpr int kSmemBytes = (BM + 4 * BN) * D * 2;  // Q + two stages of (K, V)
};

// Online-softmax state of the two rows (g and g+8 of a 16-row tile) that one thread holds.
struct RowState {
  float m[2] = {-INFINITY, -INFINITY};  // running max of raw scores
  float l[2] = {0.f, 0.f};              // this thread's part of the running denominator
};

// s <- 2^(s sl2 - m_r) (m0, m1: rows g and g+8's maxima, already times sl2), each row's terms added into
// acc[q] for the q-th of P column ranges of BN / P keys each (P = 1: one sum of the whole block). The
// caller sets acc's start: zeros for sums of their own, or the running denominator to add into it.
template <int BN, int P>
__device__ inline void exp_sums(float (&s)[BN / 8][4], float sl2, float m0, float m1, float (&acc)[P][2]) {
  static_assert(P > 0 && (BN / 8) % P == 0, "whole 8-key column tiles a range");
#pragma unroll
  for (int i = 0; i < BN / 8; ++i) {
    s[i][0] = fast_exp2(fmaf(s[i][0], sl2, -m0));
    s[i][1] = fast_exp2(fmaf(s[i][1], sl2, -m0));
    s[i][2] = fast_exp2(fmaf(s[i][2], sl2, -m1));
    s[i][3] = fast_exp2(fmaf(s[i][3], sl2, -m1));
    constexpr int kTiles = BN / 8 / P;  // column tiles a range; P = 1 indexes a constant (the one-sum code as before)
    acc[P == 1 ? 0 : i / kTiles][0] += s[i][0] + s[i][1];
    acc[P == 1 ? 0 : i / kTiles][1] += s[i][2] + s[i][3];
  }
}

// The softmax of one block of raw scores s (16 x BN accumulator tiles), in place: the new running
// max, s <- 2^(s sl2 - m sl2) (exp2, scale folded in), l rescaled and summed; corr gets each row's
// factor for O (2^(m_old sl2 - m_new sl2)), which a caller may apply later (after an MMA still
// accumulating into O has completed).
// PARTS > 0: also the sums of the block's PARTS column ranges of BN / PARTS keys each, per row, in
// parts (the same additions grouped per range: block LSEs, dense_ws_sm90.cuh).
template <int BN, int PARTS = 0>
__device__ inline void softmax_exp(float (&s)[BN / 8][4], RowState& st, float sl2, float (&corr)[2], float (*parts)[2] = nullptr) {
  float mscaled[2];
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const float mx = row_max<BN>(s, r, st.m[r]);
    // -inf only while every key so far was masked (a sparse row whose first listed block is invalid):
    // then nothing has accumulated, and exp2(-inf - 0) = 0 keeps it that way instead of NaN.
    mscaled[r] = mx == -INFINITY ? 0.f : mx * sl2;
    corr[r] = fast_exp2(st.m[r] * sl2 - mscaled[r]);
    st.m[r] = mx;
    st.l[r] *= corr[r];
  }
  if constexpr (PARTS == 0) {
    float l[1][2] = {{st.l[0], st.l[1]}};  // the terms added into l itself
    exp_sums<BN, 1>(s, sl2, mscaled[0], mscaled[1], l);
    st.l[0] = l[0][0];
    st.l[1] = l[0][1];
  } else {
    float part[PARTS][2] = {};
    exp_sums<BN, PARTS>(s, sl2, mscaled[0], mscaled[1], part);
#pragma unroll
    for (int q = 0; q < PARTS; ++q)
#pragma unroll
      for (int r = 0; r < 2; ++r) {
        st.l[r] += part[q][r];
        parts[q][r] = part[q][r];
      }
  }
}

// The softmax of one block against the max the rows already hold, without a row max: s <- 2^(s sl2 - m sl2)
// and summed. Exact whenever no exponential exceeds kHeldBound (then the held max is as good a reference as
// the new one: O, l and the LSE are the same sums, P is at most kHeldBound instead of 1), and it needs no
// rescale of O or l. Each lane checks its share of its two rows' sums (a sum of non-negative terms bounds
// each of them; inf and NaN fail), the warp votes: false when any lane failed (a row's max rose by more
// than log2 kHeldBound / sl2, the first block of a row, non-finite scores), and then s is lost and st
// unchanged: the caller recomputes the scores and takes softmax_exp.
// PARTS > 0: also the sums of PARTS column ranges, as softmax_exp's (block LSEs against the held max).
constexpr float kHeldBound = 256.f;
// veto: a lane may fail the vote for a reason of its own (dense_ws_sm90.cuh: the key tile needs the mask, which its
// caller leaves to the fallback so that no mask runs on the common path; in its sparse kernel only lane 0 knows).
template <int BN, int PARTS = 0>
__device__ inline bool softmax_held(float (&s)[BN / 8][4], RowState& st, float sl2, float (*parts)[2] = nullptr, bool veto = false) {
  const float m0 = st.m[0] * sl2, m1 = st.m[1] * sl2;  // -inf (no key yet): every exponential is inf or NaN
  constexpr int P = PARTS > 0 ? PARTS : 1;
  float part[P][2] = {};
  exp_sums<BN, P>(s, sl2, m0, m1, part);
  float a0 = part[0][0], a1 = part[0][1];
#pragma unroll
  for (int q = 1; q < P; ++q) {
    a0 += part[q][0];
    a1 += part[q][1];
  }
  if (!__all_sync(0xffffffffu, !veto && a0 <= kHeldBound && a1 <= kHeldBound)) return false;
  st.l[0] += a0;
  st.l[1] += a1;
  if constexpr (PARTS > 0)
#pragma unroll
    for (int q = 0; q < PARTS; ++q) parts[q][0] = part[q][0], parts[q][1] = part[q][1];
  return true;
}

template <int D>
__device__ inline void rescale_o(float (&o)[D / 8][4], const float (&corr)[2]) {
#pragma unroll
  for (int i = 0; i < D / 8; ++i) {
    o[i][0] *= corr[0]; o[i][1] *= corr[0];
    o[i][2] *= corr[1]; o[i][3] *= corr[1];
  }
}

// P as MMA A fragments: accumulator tiles 2kk, 2kk+1 form the A operand of k-step kk.
template <int BN, typename DT>
__device__ inline void pack_p(const float (&s)[BN / 8][4], uint32_t (&pf)[BN / 16][4]) {
#pragma unroll
  for (int i = 0; i < BN / 8; ++i) {
    pf[i / 2][(i % 2) * 2 + 0] = DT::pack(s[i][0], s[i][1]);
    pf[i / 2][(i % 2) * 2 + 1] = DT::pack(s[i][2], s[i][3]);
  }
}

// Fold one block of raw scores into the running softmax: new max, rescale o and l, exponentiate,
// and pack P.
template <int BN, int D, typename DT>
__device__ inline void softmax_step(float (&s)[BN / 8][4], RowState& st, float (&o)[D / 8][4], uint32_t (&pf)[BN / 16][4], float sl2) {
  float corr[2];
  softmax_exp<BN>(s, st, sl2, corr);
  rescale_o<D>(o, corr);
  pack_p<BN, DT>(s, pf);
}

// Epilogue of one warp's 16-row tile: full row denominators, normalize O, write the LSE, and stage O
// as 16-bit values into rows [r0, r0 + 16) of a swizzled [rows][D] shared tile (for 16-byte stores).
// The thread's two rows' 1 / denominator (full row sums over the quad), and their LSE written.
__device__ inline void row_inverses(const RowState& st, float (&inv)[2], int r0, int m0, const sparsed_dense_params& p, int b, int h, int lane) {
  const int g = lane / 4, t4 = lane % 4;
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    float l = st.l[r];
    l += __shfl_xor_sync(0xffffffff, l, 1);
    l += __shfl_xor_sync(0xffffffff, l, 2);
    inv[r] = l == 0.f ? 0.f : 1.f / l;  // l = 0 only for a sparse row with no kept key: O = 0 (NaN stays NaN)
    const int row = m0 + r0 + g + 8 * r;
    if (p.lse && t4 == 0 && row < p.nq)
      reinterpret_cast<float*>(p.lse)[((int64_t)b * p.hq + h) * p.nq + row] = l == 0.f ? -INFINITY : st.m[r] * p.scale + logf(l);
  }
}

template <int D, typename DT>
__device__ inline void finish_tile(const float (&o)[D / 8][4], const RowState& st, typename DT::elem* stage, int r0, int m0,
                                   const sparsed_dense_params& p, int b, int h, int lane) {
  using Tile = SwizzledTile<D>;
  const int g = lane / 4, t4 = lane % 4;
  float inv[2];
  row_inverses(st, inv, r0, m0, p, b, h, lane);
#pragma unroll
  for (int i = 0; i < D / 8; ++i) {
    *reinterpret_cast<uint32_t*>(stage + Tile::offset(r0 + g, i) + 2 * t4) = DT::pack(o[i][0] * inv[0], o[i][1] * inv[0]);
    *reinterpret_cast<uint32_t*>(stage + Tile::offset(r0 + g + 8, i) + 2 * t4) = DT::pack(o[i][2] * inv[1], o[i][3] * inv[1]);
  }
}

// Copy ROWS staged rows starting at r0 to O with 16-byte stores (one warp; rows past Nq are skipped).
template <int D, int ROWS, typename Elem>
__device__ inline void store_rows(const Elem* stage, int r0, Elem* og, int m0, const sparsed_dense_params& p, int lane) {
  using Tile = SwizzledTile<D>;
  constexpr int kChunks = D / 8;
#pragma unroll
  for (int i = 0; i < ROWS * kChunks / 32; ++i) {
    const int idx = lane + i * 32;
    const int r = r0 + idx / kChunks, c = idx % kChunks;
    if (m0 + r < p.nq)
      *reinterpret_cast<uint4*>(og + (int64_t)(m0 + r) * p.o_stride[1] + c * 8) = *reinterpret_cast<const uint4*>(stage + Tile::offset(r, c));
  }
}

// The sm90a epilogue of one warp's 16 rows [r0, r0 + 16): finish_tile into `stage`, then store_rows to
// O. The caller has freed those rows of `stage` (dense_fwd_sm90.cuh's overlay Q: a barrier first).
template <int D, typename DT>
__device__ inline void write_warp_rows(const float (&o)[D / 8][4], const RowState& st, typename DT::elem* stage, int r0, typename DT::elem* og, int m0,
                                       const sparsed_dense_params& p, int b, int h, int lane) {
  finish_tile<D, DT>(o, st, stage, r0, m0, p, b, h, lane);
  __syncwarp();
  store_rows<D, 16>(stage, r0, og, m0, p, lane);
}

// The epilogue of one warp's 16 rows [r0, r0 + 16) without a stage: each thread stores its own O
// pairs (4 bytes each; a kernel whose shared memory holds no stage, rows past Nq skipped).
template <int D, typename DT>
__device__ inline void store_warp_rows_direct(const float (&o)[D / 8][4], const RowState& st, int r0, typename DT::elem* og, int m0,
                                              const sparsed_dense_params& p, int b, int h, int lane) {
  const int g = lane / 4, t4 = lane % 4;
  float inv[2];
  row_inverses(st, inv, r0, m0, p, b, h, lane);
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const int row = m0 + r0 + g + 8 * r;
    if (row >= p.nq) continue;
    typename DT::elem* orow = og + (int64_t)row * p.o_stride[1] + 2 * t4;
#pragma unroll
    for (int i = 0; i < D / 8; ++i) *reinterpret_cast<uint32_t*>(orow + i * 8) = DT::pack(o[i][2 * r] * inv[r], o[i][2 * r + 1] * inv[r]);
  }
}

// Keys a copy of a key tile: BN, or C::kChunk where a config sets it (the sparse warp-specialized
// kernel at BN 192 copies a tile as three 64-key chunks, each from its own kv block).
template <typename C, typename = void>
struct KeyChunk : std::integral_constant<int, C::BN> {};
template <typename C>
struct KeyChunk<C, std::void_t<decltype(C::kChunk)>> : std::integral_constant<int, C::kChunk> {};

// The key tiles of BN keys one CTA visits: all of them (dense), or those of the kv blocks its query
// block keeps (sparse; the query tile divides the pattern block, so one list serves every row). A
// sparse row's kept keys, block after block, are cut into chunks of CH = KeyChunk keys (CH divides
// the block) and a tile takes BN / CH chunks in a row; chunk indices below are c = t * BN / CH + q.
// A block index outside [0, nkb), or a chunk past the row's last, is sent past the end, where loads
// zero-fill and scores are masked. With CH = BN (every kernel but one) chunk c is tile c.
template <typename C>
struct KeyTiles {
  static constexpr int CH = KeyChunk<C>::value, CPT = C::BN / CH;  // keys a chunk, chunks a tile
  static_assert(C::BN % CH == 0 && (CPT == 1 || C::kSparse), "a dense tile is one copy");
  const int* list = nullptr;
  int count, nchunks = 0, per = 1, block = 0, nkb = 0;
  __device__ KeyTiles(const sparsed_sparse_params& sp, int m0, int b, int h) {
    if constexpr (C::kSparse) {
      const sparsed_pattern& pt = sp.pattern;
      const int64_t row = ((int64_t)b * sp.attn.hq + h) * pt.nqb + m0 / pt.block_size;
      list = reinterpret_cast<const int*>(pt.indices) + row * pt.nkb;
      per = pt.block_size / CH;
      block = pt.block_size;
      nkb = pt.nkb;
      nchunks = min(max(reinterpret_cast<const int*>(pt.counts)[row], 0), pt.nkb) * per;
      count = (nchunks + CPT - 1) / CPT;
    } else {
      count = (sp.attn.nk + C::BN - 1) / C::BN;
    }
  }
  // The list entry behind chunk c (sparse; a global load, which a caller can issue a step early).
  __device__ int entry(int c) const {
    if constexpr (C::kSparse) return CPT == 1 || c < nchunks ? list[c / per] : -1;
    else return 0;
  }
  // The first key of chunk c, given its entry.
  __device__ int key0_at(int c, int blk) const {
    if constexpr (C::kSparse) {
      if (blk < 0 || blk >= nkb) blk = nkb;
      return blk * block + (c % per) * CH;
    } else {
      return c * CH;
    }
  }
  __device__ int key0(int c) const { return key0_at(c, entry(c)); }
};

// A persistent kernel's query tiles (C::kPersistent): tile t is query block t % nqb of head
// (t / nqb) % Hq of batch t / (nqb Hq), the order of a one-CTA-a-tile grid's (x, y, z).
struct TilePos {
  int m0, h, b;
};
template <typename C>
struct TileOrder {
  int nqb, hq;
  int64_t total;
  __host__ __device__ explicit TileOrder(const sparsed_dense_params& p)
      : nqb((p.nq + C::BM - 1) / C::BM), hq(p.hq), total((int64_t)nqb * p.hq * p.batch) {}
  __device__ TilePos at(int64_t t) const {
    const int64_t r = t / nqb;
    return TilePos{(int)(t - r * nqb) * C::BM, (int)(r % hq), (int)(r / hq)};
  }
};

template <typename C>
__global__ void __launch_bounds__(C::THREADS, 1) dense_fwd_kernel(const sparsed_sparse_params sp) {
  const sparsed_dense_params& p = sp.attn;
  constexpr int D = C::D, BM = C::BM, BN = C::BN, NT = C::THREADS, MT = C::MT;
  using Elem = typename C::Elem;
  using DT = typename C::DT;
  using Tile = SwizzledTile<D>;
  extern __shared__ __align__(128) unsigned char smem_raw[];
  Elem* sQ = reinterpret_cast<Elem*>(smem_raw);
  Elem* sKV = sQ + BM * D;  // stage t: K at sKV + t * 2 * BN * D, V right after it

  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
  const int g = lane / 4, t4 = lane % 4;
  const int m0 = blockIdx.x * BM, h = blockIdx.y, b = blockIdx.z;
  const int hk = kv_head(h, p.hq, p.hkv);
  const int wrow = warp * 16 * MT;  // this warp's first row within the CTA tile

  const Elem* qg = head_slice<const Elem>(p.q, p.q_stride, b, h);
  const Elem* kg = head_slice<const Elem>(p.k, p.k_stride, b, hk);
  const Elem* vg = head_slice<const Elem>(p.v, p.v_stride, b, hk);
  Elem* og = head_slice<Elem>(p.o, p.o_stride, b, h);

  const KeyTiles<C> tiles(sp, m0, b, h);
  const int nblocks = tiles.count;
  const float sl2 = p.scale * 1.4426950408889634f;  // scale folded into exp2

  auto load_kv = [&](int j) {
    Elem* stage = sKV + (j & 1) * 2 * BN * D;
    const int key0 = tiles.key0(j);
    load_tile_async<BN, D, NT>(stage, kg, p.k_stride[1], key0, p.nk, tid);
    load_tile_async<BN, D, NT>(stage + BN * D, vg, p.v_stride[1], key0, p.nk, tid);
  };
  load_tile_async<BM, D, NT>(sQ, qg, p.q_stride[1], m0, p.nq, tid);
  if (nblocks > 0) load_kv(0);
  cp_async_commit();

  uint32_t qf[C::kQInRegs ? D / 16 : 1][4];
  float o[MT][D / 8][4];
#pragma unroll
  for (int mt = 0; mt < MT; ++mt)
#pragma unroll
    for (int i = 0; i < D / 8; ++i) o[mt][i][0] = o[mt][i][1] = o[mt][i][2] = o[mt][i][3] = 0.f;
  RowState st[MT];

  for (int j = 0; j < nblocks; ++j) {
    cp_async_wait<0>();
    __syncthreads();  // block j landed; every warp is done with block j-1, whose stage is now free
    if (j + 1 < nblocks) {
      load_kv(j + 1);  // a whole iteration ahead
      cp_async_commit();
    }
    const Elem* sK = sKV + (j & 1) * 2 * BN * D;
    const Elem* sV = sK + BN * D;
    if constexpr (C::kQInRegs) {
      if (j == 0) {
#pragma unroll
        for (int kk = 0; kk < D / 16; ++kk) ldmatrix_x4(qf[kk], smem_addr(sQ + Tile::offset(wrow + lane % 16, kk * 2 + lane / 16)));
      }
    }

    // S = Q K_j^T: per m-tile, BN/8 accumulator tiles of 16x8.
    float s[MT][BN / 8][4];
#pragma unroll
    for (int mt = 0; mt < MT; ++mt)
#pragma unroll
      for (int i = 0; i < BN / 8; ++i) s[mt][i][0] = s[mt][i][1] = s[mt][i][2] = s[mt][i][3] = 0.f;
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk) {
      uint32_t a[MT][4];
#pragma unroll
      for (int mt = 0; mt < MT; ++mt) {
        if constexpr (C::kQInRegs) {
          a[mt][0] = qf[kk][0]; a[mt][1] = qf[kk][1]; a[mt][2] = qf[kk][2]; a[mt][3] = qf[kk][3];
        } else {
          ldmatrix_x4(a[mt], smem_addr(sQ + Tile::offset(wrow + mt * 16 + lane % 16, kk * 2 + lane / 16)));
        }
      }
#pragma unroll
      for (int nn = 0; nn < BN / 16; ++nn) {
        uint32_t kf[4];
        ldmatrix_x4(kf, smem_addr(sK + Tile::offset(nn * 16 + (lane % 8) + (lane / 16) * 8, kk * 2 + (lane / 8) % 2)));
#pragma unroll
        for (int mt = 0; mt < MT; ++mt) {
          DT::mma(s[mt][2 * nn], a[mt], kf[0], kf[1]);
          DT::mma(s[mt][2 * nn + 1], a[mt], kf[2], kf[3]);
        }
      }
    }

    uint32_t pf[MT][BN / 16][4];
    const int key0 = tiles.key0(j);
#pragma unroll
    for (int mt = 0; mt < MT; ++mt) {
      if (key0 + BN > p.nk) mask_tail<BN>(s[mt], key0, p.nk, t4);
      softmax_step<BN, D, DT>(s[mt], st[mt], o[mt], pf[mt], sl2);
    }

    // O += P V_j
#pragma unroll
    for (int kk = 0; kk < BN / 16; ++kk) {
#pragma unroll
      for (int dd = 0; dd < D / 16; ++dd) {
        uint32_t vf[4];
        ldmatrix_x4_trans(vf, smem_addr(sV + Tile::offset(kk * 16 + (lane % 8) + ((lane / 8) % 2) * 8, dd * 2 + lane / 16)));
#pragma unroll
        for (int mt = 0; mt < MT; ++mt) {
          DT::mma(o[mt][2 * dd], pf[mt][kk], vf[0], vf[1]);
          DT::mma(o[mt][2 * dd + 1], pf[mt][kk], vf[2], vf[3]);
        }
      }
    }
  }

  // Epilogue. The __syncwarp orders the staging writes over this warp's Q rows after every lane's
  // last ldmatrix of them (racecheck flags it otherwise); no other warp reads those rows. A sparse
  // row with no block never entered the loop: its Q copies (by all threads) must land first.
  if (nblocks == 0) {
    cp_async_wait<0>();
    __syncthreads();
  }
  __syncwarp();
#pragma unroll
  for (int mt = 0; mt < MT; ++mt) finish_tile<D, DT>(o[mt], st[mt], sQ, wrow + mt * 16, m0, p, b, h, lane);
  __syncwarp();
  store_rows<D, 16 * MT>(sQ, wrow, og, m0, p, lane);
}

// Checks what a caller from any FFI could get wrong, so that bad input is an error, never a fault.
int validate_dense(const sparsed_dense_params* p, int head_dim, int dtype_code);
// The pattern's sizes against the attention shape and the kernel's tiles (BM and the keys a copy,
// KeyChunk: BN, or a BN 192 tile's 64-key chunks, divide the block).
int validate_pattern(const sparsed_sparse_params* p, int bm, int keys);

template <typename C, typename = void>
struct IsPersistent : std::false_type {};
template <typename C>
struct IsPersistent<C, std::void_t<decltype(C::kPersistent)>> : std::bool_constant<C::kPersistent> {};

// Shared-memory opt-in (once per kernel), grid, launch, launch check. The grid is (query blocks,
// heads, batch), or for a persistent kernel one CTA an SM (fewer if there are fewer tiles), walking
// TileOrder's tiles.
template <typename C, typename Kernel, typename... Extra>
int launch_kernel(Kernel kernel, const sparsed_sparse_params* sp, uint64_t stream, const Extra&... extra) {
  const sparsed_dense_params* p = &sp->attn;
  const cudaDeviceProp* props = nullptr;
  SPARSED_TRY(current_device(&props));
  if (C::kSmemBytes > (int)props->sharedMemPerBlockOptin)
    return fail(SPARSED_ERR_INVALID, "kernel needs %d bytes of shared memory; the device allows %d", C::kSmemBytes, (int)props->sharedMemPerBlockOptin);
  SPARSED_TRY(opt_in_shared_memory<C>(kernel, C::kSmemBytes));
  if (p->hq > 65535 || p->batch > 65535) return fail(SPARSED_ERR_INVALID, "Hq (%d) and batch (%d) must each be at most 65535", p->hq, p->batch);
  dim3 grid((p->nq + C::BM - 1) / C::BM, p->hq, p->batch);
  if constexpr (IsPersistent<C>::value) {
    static_assert(C::CTAS_PER_SM == 1, "a persistent kernel runs one CTA an SM");
    const int64_t tiles = TileOrder<C>(*p).total;
    grid = dim3((unsigned)std::min<int64_t>(tiles, props->multiProcessorCount), 1, 1);
  }
  kernel<<<grid, C::THREADS, C::kSmemBytes, reinterpret_cast<cudaStream_t>(stream)>>>(*sp, extra...);
  return check_cuda(cudaGetLastError(), "attention kernel launch");
}

// The entry points' common checks: the attention tensors, the pattern (sparse), the device's family.
// Kernels that can write block LSEs (sparsed_dense_params.block_lse): C::kBlockLse.
template <typename C, typename = void>
struct WritesBlockLse : std::false_type {};
template <typename C>
struct WritesBlockLse<C, std::void_t<decltype(C::kBlockLse)>> : std::bool_constant<C::kBlockLse> {};

template <typename C, typename Params>
int prepare_launch(const Params* p, sparsed_sparse_params* sp, int min_major, bool exact_sm90) {
  if (!p) return fail(SPARSED_ERR_INVALID, "params is a null pointer");
  if constexpr (C::kSparse) {
    *sp = *p;
    SPARSED_TRY(validate_dense(&sp->attn, C::D, C::DT::code));
    SPARSED_TRY(validate_pattern(sp, C::BM, KeyChunk<C>::value));  // a tile's copies divide the block
  } else {
    sp->attn = *p;
    sp->pattern = sparsed_pattern{};
    SPARSED_TRY(validate_dense(&sp->attn, C::D, C::DT::code));
  }
  if (sp->attn.block_lse && !WritesBlockLse<C>::value)
    return fail(SPARSED_ERR_INVALID, "this variant does not write block LSEs: use a warp-specialized sm90a dense variant at blockN 128 or 192 (block_lse = 0 otherwise)");
  const cudaDeviceProp* props = nullptr;
  return require_family(min_major, exact_sm90, &props);
}

// An entry point: check the parameters and the device, then launch `kernel` (Params is
// sparsed_dense_params or, for sparse variants, sparsed_sparse_params).
template <typename C, typename Params, typename Kernel>
int launch_entry(Kernel kernel, const Params* p, uint64_t stream, int min_major, bool exact_sm90) {
  sparsed_sparse_params sp;
  SPARSED_TRY((prepare_launch<C, Params>(p, &sp, min_major, exact_sm90)));
  return launch_kernel<C>(kernel, &sp, stream);
}

template <typename C, typename Params>
int launch_dense(const Params* p, uint64_t stream) {
  return launch_entry<C>(dense_fwd_kernel<C>, p, stream, 8, false);
}

}  // namespace sparsed
