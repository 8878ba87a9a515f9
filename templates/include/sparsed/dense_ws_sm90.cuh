// Dense and block-sparse attention forward for Hopper (sm_90a), warp-specialized and persistent: one
// CTA an SM walks query tiles t = blockIdx.x, blockIdx.x + gridDim.x, ... (query blocks fastest, then
// heads, then batch: CTAs running at once share K/V in L2). One producer warpgroup copies Q, K and V by
// TMA (the sparse kernel's producer walks the row's kv block list), two consumer warpgroups of 64 query
// rows each compute. The K/V rings run on across tiles, and Q and O have buffers of their own, so the
// producer loads the next tile's Q, K and V while the consumers finish a tile (its last P V, the
// epilogue): no CTA prologue or epilogue leaves the tensor cores idle between tiles.
// setmaxnreg moves registers from the producer (40 a thread) to the consumers (232), which hold O, one
// block of scores and P at once, so each consumer overlaps its softmax with its own matrix products:
// the next block's S = Q K^T and this block's O += P V are in flight on the tensor cores while the warps
// exponentiate the scores in between ("intra-warpgroup overlap", kept by sm90::wait_after: ptxas would
// otherwise hoist the P V wait above the softmax; the two consumers are not made to take turns: a ping-pong
// schedule measured no better, bench/NOTES.md). K and V have separate stage barriers:
// K_j's stage comes free as soon as S_j is done, V_j's after P_j V_j; Q's once the tile's last S is
// (at BN <= 128, once the consumers hold Q in registers: kQReg).
// Shared memory at hd128, BN 128: Q 32 KB, K and V two stages each (128 KB), the O stage 32 KB. BN 192
// (dense, hd128): Q and 192 KB of K and V, O stored from registers; 1.5x the keys a step spread each
// step's fixed costs (barrier waits, row maxima, the rescale) over 1.5x the work (bench/NOTES.md, p2).
// From a tile's second key tile on, where Q sits in registers (kHeld: BN 128, with block LSEs too), a
// block's scores are first exponentiated against the row maxima already held (dense_fwd.cuh's
// softmax_held): no row max, no rescale of O, the same sums. Where a row's max rose too far for that, the
// warp recomputes its 16 rows of S with mma.sync from Q's fragments and K's stage (released after the
// softmax) and takes the full softmax. On random data that fallback almost never runs; it made the
// kernels 3-8% (sparse) and 14-18% (dense bn128) faster at 16k and 64k (bench/NOTES.md, session 16), and
// the dense call that writes block LSEs (b = 128) 13-16% faster (session 17: a step's block sums against the
// held max give its block LSEs as exactly as against a new max).
// Semantics: shared/DESIGN.md section 1; the softmax is dense_fwd.cuh's, in three pieces. With ZB > 0 the
// dense kernel also writes block LSEs (each row's log-sum-exp over each kv block of ZB keys, from the
// softmax's sums grouped per block), from which select_block_lse.cuh selects without a Q K^T pass.
#pragma once
#include "sparsed/dense_fwd_sm90.cuh"  // prepare_tma_launch, and dense_fwd.cuh's softmax pieces

namespace sparsed {

template <int D_, int BN_, typename DT_, bool SPARSE_ = false>
struct DenseWsSm90Config {
  static constexpr int D = D_, BM = 128, BN = BN_, CONSUMERS = 2, THREADS = 128 * (CONSUMERS + 1);
  static constexpr bool kSparse = SPARSE_, kPersistent = true;  // launch_kernel: one CTA an SM, not one a tile
  // Block LSEs: BN 128 tiles are whole blocks of 32, 64 or 128 keys; BN 192 tiles whole blocks of 64,
  // and a 128-key block straddles two tiles (its first half's sum is carried to the next step). Not
  // b = 32 at BN 192: six blocks' sums a row spill 256 bytes.
  static constexpr bool kBlockLse = !SPARSE_ && (BN_ == 128 || BN_ == 192);
  static constexpr bool block_lse_fits(int b) { return BN_ % b == 0 ? BN_ / b <= 4 : BN_ == 192 && b == 128; }
  using DT = DT_;
  using Elem = typename DT_::elem;
  static_assert(D % 64 == 0 && (BN == 64 || BN == 128 || (BN == 192 && D == 128)), "wgmma tiles: 64-element rows, BN 64 or 128 (192: hd128)");
  // Keys a copy: the sparse kernel at BN 192 copies each tile as three 64-key chunks (KeyTiles), so
  // that a tile may span kv blocks (64 divides the pattern block); otherwise one copy of BN keys.
  static constexpr int kChunk = SPARSE_ && BN > 128 ? 64 : BN;
  // BN 192: scores and P take 48 more registers a thread (consumers at 240, the producer at 24: 128 * 24
  // + 256 * 240 = 64512, the launch's 168 a thread), and K and V (192 KB) leave no room for an O stage:
  // each thread stores its O pairs directly (store_warp_rows_direct).
  static constexpr bool kOStage = BN <= 128;
  // At BN <= 128 each consumer holds its Q rows in registers (D/16 A fragments, 32 registers at hd128) and
  // computes S = Q K^T from them: for S the tensor cores read only K from shared memory, a step's shared
  // reads a consumer fall from 80 to 64 KB (hd128, bench/NOTES.md q1), and Q's stage comes free as soon as
  // the fragments are loaded, a tile ahead. BN 192 has no registers to spare (consumers at 240).
  static constexpr bool kQReg = BN <= 128;
  static constexpr int kProducerRegs = BN > 128 ? 24 : 40, kConsumerRegs = BN > 128 ? 240 : 232;
  static_assert(128 * kProducerRegs + 256 * kConsumerRegs <= THREADS * sm90::launch_regs(THREADS), "the register split exceeds the launch's allocation");
  // Q (each consumer's 64 rows as D/64 column blocks of [64][64]), two K stages, two V stages, the O
  // stage (BM swizzled rows), then the barriers: K ring, V ring (full and empty, two stages each), Q
  // full and Q empty; then each K stage's first keys (sparse: the producer's, so that the consumers
  // load no list entries); a 4-byte slot a consumer thread (wait_after's); + slack to align to 1024 B.
  static constexpr int kQBytes = BM * D * 2, kTileBytes = BN * D * 2;
  static constexpr int kOOffset = kQBytes + 4 * kTileBytes, kBarOffset = kOOffset + (kOStage ? kQBytes : 0);
  static constexpr int kKeysOffset = kBarOffset + 2 * 32 + 16;
  static constexpr int kSlotsOffset = kKeysOffset + 2 * 4 * (BN / kChunk);
  static constexpr int kSmemBytes = kSlotsOffset + 4 * 128 * CONSUMERS + 1024;
  static constexpr int CTAS_PER_SM = 1;
};

// Block LSEs (sparsed_dense_params.block_lse): after the softmax of a key tile, each row's log-sum-exp
// over each kv block of ZB keys the tile completes. x[k] is this thread's sum of 2^(s sl2 - m sl2) over
// its columns of item k = 2 * (block - j0) + row. The quad's four lanes hold a row's columns: a first
// exchange round has each lane send half of its items and add the half it keeps; a second does the same
// when an even number is left, else adds them whole (two lanes an item). The adds and shuffles are
// shared instead of repeated per item. The log-sum-exp is log2(sum) ln 2 + m scale.
template <int ZB, int K>
__device__ inline void store_block_lse(const float (&x)[K], const RowState& st, const sparsed_dense_params& p, int b, int h, int j0, int row0, int t4) {
  constexpr int H1 = K / 2;
  const int nkb = (p.nk + ZB - 1) / ZB;
  float* const out = reinterpret_cast<float*>(p.block_lse) + ((int64_t)b * p.hq + h) * nkb * (int64_t)p.nq;
  auto emit = [&](int k, float v) {
    const int j = j0 + k / 2, row = row0 + 8 * (k % 2);
    const float m = (k % 2) ? st.m[1] : st.m[0];
    if (j < nkb && row < p.nq) out[(int64_t)j * p.nq + row] = fmaf(__log2f(v), 0.6931471805599453f, m * p.scale);
  };
  const bool b0 = t4 & 1;
  float y[H1];
#pragma unroll
  for (int i = 0; i < H1; ++i) y[i] = (b0 ? x[i + H1] : x[i]) + __shfl_xor_sync(0xffffffffu, b0 ? x[i] : x[i + H1], 1);  // item i + b0 H1
  if constexpr (H1 % 2 == 1) {
#pragma unroll
    for (int i = 0; i < H1; ++i) y[i] += __shfl_xor_sync(0xffffffffu, y[i], 2);
    if (t4 < 2)
#pragma unroll
      for (int i = 0; i < H1; ++i) emit(i + (b0 ? H1 : 0), y[i]);
  } else {
    constexpr int H2 = H1 / 2;
    const bool b1 = t4 & 2;
#pragma unroll
    for (int i = 0; i < H2; ++i) {
      const float z = (b1 ? y[i + H2] : y[i]) + __shfl_xor_sync(0xffffffffu, b1 ? y[i] : y[i + H2], 2);
      emit(i + (b1 ? H2 : 0) + (b0 ? H1 : 0), z);
    }
  }
}

// One warp's 16 rows of S = Q K^T with mma.sync, from its Q fragments (qf, the A operands of the wgmma that
// computes S in the steady loop: mma.sync's m16n8k16 layout) and K's stage ([D / 64][BN][64], 128-byte
// swizzle). The result has the wgmma accumulator's layout. For the rare step whose held-max softmax fails
// (softmax_held): each warp recomputes its own rows, with no warpgroup-wide vote.
template <int D, int BN, typename DT>
__device__ inline void scores_by_warp(float (&s)[BN / 8][4], const uint32_t (&qf)[D / 16][4], uint32_t kst, int lane) {
#pragma unroll
  for (int i = 0; i < BN / 8; ++i) s[i][0] = s[i][1] = s[i][2] = s[i][3] = 0.f;
  // ldmatrix_x4's four 8 x 8 matrices: keys 0-7 then 8-15 of a pair of column tiles, each at the k-step's
  // low and high 8 elements; lane l addresses row l % 8 of matrix l / 8.
  // The lane made opaque: ptxas forms the addresses here instead of hoisting them out of the steady loop.
  const uint32_t l = sm90::opaque(lane), x = ((l / 8) % 2) ^ (l % 8);  // the row's swizzle and half
  const uint32_t a = kst + ((l / 16) * 8 + l % 8) * 128;
#pragma unroll
  for (int n = 0; n < BN / 16; ++n)
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk) {
      uint32_t b[4];
      ldmatrix_x4(b, a + (kk / 4) * BN * 128 + n * 16 * 128 + ((((kk % 4) * 2) ^ x) << 4));
      DT::mma(s[2 * n], qf[kk], b[0], b[1]);
      DT::mma(s[2 * n + 1], qf[kk], b[2], b[3]);
    }
}

template <typename C, int ZB = 0>
__global__ void __launch_bounds__(C::THREADS, 1)
    dense_ws_sm90_kernel(const sparsed_sparse_params sp, const __grid_constant__ CUtensorMap qmap, const __grid_constant__ CUtensorMap kmap,
                         const __grid_constant__ CUtensorMap vmap) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  const sparsed_dense_params& p = sp.attn;
  constexpr int D = C::D, BN = C::BN, CH = C::kChunk, NCH = BN / CH;  // keys a copy, copies a tile
  using Elem = typename C::Elem;
  using DT = typename C::DT;
  extern __shared__ unsigned char smem_raw[];
  const uint32_t base = (smem_addr(smem_raw) + 1023) & ~1023u;  // swizzle atoms need 1024-B alignment
  unsigned char* const sbase = smem_raw + (base - smem_addr(smem_raw));
  const uint32_t sQ = base, sK = sQ + C::kQBytes, sV = sK + 2 * C::kTileBytes;
  const tma::Ring<2> ring_k(base + C::kBarOffset), ring_v(base + C::kBarOffset + 32);
  const uint32_t bar_q = base + C::kBarOffset + 64, bar_q_empty = bar_q + 8;
  const TileOrder<C> order(p);
  int* const stage_keys = reinterpret_cast<int*>(sbase + C::kKeysOffset);  // [2][NCH]

  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32, t4 = lane % 4;
  const int wg = sm90::warpgroup_index();

  if (tid == 0) {
    ring_k.init(4 * C::CONSUMERS);
    ring_v.init(4 * C::CONSUMERS);
    tma::init(bar_q, 1);
    tma::init(bar_q_empty, 4 * C::CONSUMERS);
    tma::fence_init();
  }
  __syncthreads();  // the barriers are initialized before anyone waits on them

  // Both sides count the CTA's tiles (ti) and the key tiles of all of them so far (it: the rings' index).
  if (wg == 0) {  // the producer: one thread issues every copy, in the order the consumers use them
    sm90::setmaxnreg_dec<C::kProducerRegs>();
    if (tid == 0) {
      int it = 0, ti = 0;
      for (int64_t t = blockIdx.x; t < order.total; t += gridDim.x, ++ti) {
        const TilePos pos = order.at(t);
        const int hk = kv_head(pos.h, p.hq, p.hkv);
        const KeyTiles<C> tiles(sp, pos.m0, pos.b, pos.h);
        if (ti > 0) tma::wait(bar_q_empty, (ti - 1) & 1);  // the last tile's final S = Q K^T is done
        tma::load_q_rows<D, C::CONSUMERS>(sQ, &qmap, bar_q, pos.m0, pos.h, pos.b);
        for (int j = 0; j < tiles.count; ++j, ++it) {
          int key0[NCH];
#pragma unroll
          for (int q = 0; q < NCH; ++q) key0[q] = tiles.key0(j * NCH + q);
          ring_k.wait_free(it);
          if constexpr (C::kSparse)
#pragma unroll
            for (int q = 0; q < NCH; ++q) stage_keys[(it & 1) * NCH + q] = key0[q];  // released by arm's arrival
          const uint32_t bk = ring_k.arm(it, C::kTileBytes), kst = sK + (it & 1) * C::kTileBytes;
#pragma unroll
          for (int q = 0; q < NCH; ++q)
#pragma unroll
            for (int cb = 0; cb < D / 64; ++cb) tma::load_4d(kst + cb * BN * 128 + q * CH * 128, &kmap, bk, cb * 64, key0[q], hk, pos.b);
          const uint32_t bv = ring_v.acquire(it, C::kTileBytes), vst = sV + (it & 1) * C::kTileBytes;
#pragma unroll
          for (int q = 0; q < NCH; ++q)
#pragma unroll
            for (int cb = 0; cb < D / 64; ++cb) tma::load_4d(vst + cb * BN * 128 + q * CH * 128, &vmap, bv, cb * 64, key0[q], hk, pos.b);
        }
      }
    }
    return;
  }

  // A consumer: rows [c * 64, c * 64 + 64) of each tile, this warp's 16 of them.
  sm90::setmaxnreg_inc<C::kConsumerRegs>();
  const int c = wg - 1, cw = warp - 4;  // consumer index, warp index among the consumers
  const float sl2 = p.scale * 1.4426950408889634f;
  const sm90::Sw128Desc dq(sQ + c * 64 * D * 2, 16);
  const uint32_t slot = base + C::kSlotsOffset + 4 * (tid - 128);  // this thread's, for sm90::wait_after
  Elem* const stage = reinterpret_cast<Elem*>(sbase + C::kOOffset);
  int it = 0;  // the rings' index of the current tile's first key tile
  uint32_t qf[C::kQReg ? D / 16 : 1][4];
  auto issue_s = [&](float(&s)[BN / 8][4], int j) {
    const sm90::Sw128Desc dk(sK + ((it + j) & 1) * C::kTileBytes, 16);
    sm90::fence();
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk) {
      const uint32_t koff = (kk % 4) * 32;
      if constexpr (C::kQReg) sm90::mma_rs<DT, BN, 0>(s, qf[kk], dk.at((kk / 4) * BN * 128 + koff), kk > 0);
      else sm90::mma_ss<DT, BN>(s, dq.at((kk / 4) * 64 * 128 + koff), dk.at((kk / 4) * BN * 128 + koff), kk > 0);
    }
    sm90::commit();
  };
  float o[D / 8][4];
  auto issue_pv = [&](const uint32_t(&pf)[BN / 16][4], int j) {
    const sm90::Sw128Desc dv(sV + ((it + j) & 1) * C::kTileBytes, BN * 128);
    sm90::fence();
#pragma unroll
    for (int kk = 0; kk < BN / 16; ++kk) sm90::mma_rs<DT, D>(o, pf[kk], dv.at(kk * 16 * 128));
    sm90::commit();
  };
  // Tile j's first keys, one a copy, once K_j has landed (sparse: as the producer wrote them beside the stage, read
  // by lane 0 before S_j is issued and, where the warp needs them (the mask), shared with it once S_j is done,
  // before lane 0 frees the stage: no lane waits for the read, NOTES k1, and only the arriving lane reads, so
  // compute-sanitizer's racecheck follows the order: it does not follow other lanes' reads through a __syncwarp
  // into lane 0's arrival, session 16); after S_j, keys at or past Nk (a tile's tail, a chunk sent past the end)
  // score -inf. The held path needs them only on lane 0 (its veto, session 18).
  struct Keys {
    int key0[NCH];
  };
  auto keys_of = [&](int j) {
    Keys k;
#pragma unroll
    for (int q = 0; q < NCH; ++q) {
      if constexpr (C::kSparse) k.key0[q] = lane == 0 ? stage_keys[((it + j) & 1) * NCH + q] : 0;
      else k.key0[q] = (j * NCH + q) * CH;
    }
    return k;
  };
  auto share_keys = [&](Keys& k) {
    if constexpr (C::kSparse)
#pragma unroll
      for (int q = 0; q < NCH; ++q) k.key0[q] = __shfl_sync(0xffffffffu, k.key0[q], 0);
  };
  auto needs_mask = [&](const Keys& k) {
    bool tail = false;
#pragma unroll
    for (int q = 0; q < NCH; ++q) tail |= k.key0[q] + CH > p.nk;
    return tail;
  };
  auto mask = [&](float(&s)[BN / 8][4], const Keys& k) {
    if (needs_mask(k)) mask_tail_chunks<BN, NCH>(s, k.key0, p.nk, t4);
  };
  // S_j's reads are done: free K_j's stage, and Q's after the tile's last S (without kQReg; with it, once loaded).
  auto release_k = [&](int j, int n) {
    if (lane == 0) {
      ring_k.release(it + j);
      if (!C::kQReg && j == n - 1) tma::arrive(bar_q_empty);
    }
  };

  // The softmax of key tile j, and with ZB > 0 the block LSEs of the blocks it completes. A 128-key block
  // over two 192-key tiles (j even: keys 0-127 a block, 128-191 the next one's first half; j odd: its
  // second half, then a block): the first half's sums wait in carry, rescaled as l is by the next step.
  TilePos pos = order.at(blockIdx.x);  // the loop's tile (the grid has no more CTAs than tiles)
  float carry[2] = {0.f, 0.f};
  // The block LSEs of key tile j of whole blocks (BN % ZB == 0) from its PARTS blocks' sums, of head h's rows.
  auto store_whole = [&](const auto& part, const RowState& st, int j, int h) {
    constexpr int PARTS = std::extent<std::remove_reference_t<decltype(part)>>::value;
    float x[2 * PARTS];
#pragma unroll
    for (int k = 0; k < 2 * PARTS; ++k) x[k] = part[k / 2][k % 2];
    store_block_lse<ZB>(x, st, p, pos.b, h, j * PARTS, pos.m0 + cw * 16 + lane / 4, t4);
  };
  auto softmax_z = [&](float(&s)[BN / 8][4], RowState& st, float(&corr)[2], int j) {
    if constexpr (ZB > 0) {
      static_assert(!C::kSparse && (BN % ZB == 0 || (BN == 192 && ZB == 128)), "block LSEs: dense tiles of whole blocks or half blocks");
      constexpr int CZ = BN % ZB == 0 ? ZB : 64, PARTS = BN / CZ;  // keys a part, parts a tile
      float part[PARTS][2];
      softmax_exp<BN, PARTS>(s, st, sl2, corr, part);
      const int row0 = pos.m0 + cw * 16 + lane / 4;
      if constexpr (BN % ZB == 0) {
        store_whole(part, st, j, pos.h);
      } else if (j % 2 == 0) {
        const float x[2] = {part[0][0] + part[1][0], part[0][1] + part[1][1]};
        store_block_lse<ZB>(x, st, p, pos.b, pos.h, 3 * j / 2, row0, t4);
        carry[0] = part[2][0];
        carry[1] = part[2][1];
      } else {
        const float x[4] = {carry[0] * corr[0] + part[0][0], carry[1] * corr[1] + part[0][1], part[1][0] + part[2][0], part[1][1] + part[2][1]};
        store_block_lse<ZB>(x, st, p, pos.b, pos.h, (3 * j - 1) / 2, row0, t4);
      }
    } else {
      softmax_exp<BN>(s, st, sl2, corr);
    }
  };
  // After a tile's last step: a 128-key block whose first half the last (even) 192-key tile held has no
  // second half (its keys are past Nk); its sums are complete.
  auto flush_z = [&](const RowState& st, int n) {
    if constexpr (ZB > 0 && BN % (ZB > 0 ? ZB : 1) != 0)
      if (n > 0 && (n - 1) % 2 == 0) store_block_lse<ZB>(carry, st, p, pos.b, pos.h, 3 * (n - 1) / 2 + 1, pos.m0 + cw * 16 + lane / 4, t4);
  };

  // The held-max softmax (softmax_held) where a warp can recompute its scores (Q in registers) and block LSEs,
  // if any, come whole from each step (HP blocks a tile, their sums against whichever max the step took).
  constexpr bool kHeld = C::kQReg && BN % (ZB > 0 ? ZB : 1) == 0;
  constexpr int HP = kHeld && ZB > 0 ? BN / ZB : 0;
  int ti = 0;
  for (int64_t t = blockIdx.x; t < order.total; t += gridDim.x, ++ti) {
    pos = order.at(t);
    const KeyTiles<C> tiles(sp, pos.m0, pos.b, pos.h);
    const int n = tiles.count;
#pragma unroll
    for (int i = 0; i < D / 8; ++i) o[i][0] = o[i][1] = o[i][2] = o[i][3] = 0.f;
    RowState st;
    float s[BN / 8][4];
    uint32_t pf[BN / 16][4];
    float corr[2];
    tma::wait(bar_q, ti & 1);
    if constexpr (C::kQReg) {
      // This warp's 16 rows as A fragments (ldmatrix from the 128-byte swizzle), then Q's stage is free.
      // Lane l reads row r = 16 w + l % 16 at 16-byte chunk 2 (kk % 4) + l / 16 of column block kk / 4,
      // swizzled: chunk ^ (r % 8) = 2 (kk % 4) ^ x with x = l / 16 ^ r % 8. x is opaque so that ptxas
      // recomputes the four XORs each tile instead of keeping eight addresses (it spilled them).
      const int row = (cw % 4) * 16 + lane % 16;
      const uint32_t x = sm90::opaque(((lane / 16) ^ (row % 8)) << 4);
      const uint32_t qa = sQ + c * 64 * D * 2 + row * 128;
      if (n > 0)
#pragma unroll
        for (int kk = 0; kk < D / 16; ++kk) ldmatrix_x4(qf[kk], qa + (kk / 4) * 64 * 128 + (((kk % 4) * 32) ^ x));
      __syncwarp();  // every lane's reads before lane 0 frees the stage for the warp
      if (lane == 0) tma::arrive(bar_q_empty);
    }

    if (n > 0) {
      ring_k.wait_full(it);
      Keys kj = keys_of(0);
      issue_s(s, 0);
      sm90::wait<0>();
      share_keys(kj);
      release_k(0, n);
      sm90::fence_operand<BN / 8>(s);
      mask(s, kj);
      softmax_z(s, st, corr, 0);  // o is zero: no rescale
      pack_p<BN, DT>(s, pf);
      for (int j = 1; j < n; ++j) {
        // S_j and O += P_{j-1} V_{j-1} in flight; the softmax of S_j runs under P V.
        ring_k.wait_full(it + j);
        kj = keys_of(j);
        ring_v.wait_full(it + j - 1);
        issue_s(s, j);
        issue_pv(pf, j - 1);
        sm90::wait<1>();  // S_j is done (P V may still run)
        bool held = false;
        if constexpr (kHeld) {
          // Against the held row maxima first (no row max, no rescale); if a row's max rose too far, the
          // warp recomputes its scores from K's stage (still held) and takes the full softmax. The scores go
          // in unmasked: a key tile that needs the mask (keys past Nk; sparse: an invalid entry) is vetoed
          // into that fallback, which masks. Masked here, ptxas turned the mask into ~100 predicated
          // instructions a step (64 FSEL) on every tile (bench/NOTES.md, session 18). Sparse: lane 0 alone
          // holds the keys, so no shuffle waits between S_j and its exponentials either.
          sm90::fence_operand<BN / 8>(s);
          float part[HP > 0 ? HP : 1][2];  // the blocks' sums (HP > 0)
          held = softmax_held<BN, HP>(s, st, sl2, part, (!C::kSparse || lane == 0) && needs_mask(kj));
          if (!held) {
            if constexpr (C::kSparse) {  // the keys read again (K's stage is still held): none live across the softmax
              kj = keys_of(j);
              share_keys(kj);
            }
            scores_by_warp<D, BN, DT>(s, qf, sK + ((it + j) & 1) * C::kTileBytes, lane);
            mask(s, kj);
            softmax_exp<BN, HP>(s, st, sl2, corr, part);
            __syncwarp();  // every lane's reads of K's stage before lane 0 frees it
          }
          release_k(j, n);
          // The block LSEs once, after either path. The head made opaque: ptxas then forms the LSEs' row
          // base here, each step, instead of holding it across the step loop (that spilled 8-48 bytes).
          if constexpr (HP > 0) store_whole(part, st, j, (int)sm90::opaque(pos.h));
        } else {
          share_keys(kj);
          release_k(j, n);
          sm90::fence_operand<BN / 8>(s);
          mask(s, kj);
          softmax_z(s, st, corr, j);
        }
        sm90::wait_after<0>(slot, st.l[0] + st.l[1]);  // P_{j-1} V_{j-1} is done: O and pf are free again
        if (lane == 0) ring_v.release(it + j - 1);
        sm90::fence_operand<D / 8>(o);
        // Once the row maxima settle most blocks leave them unchanged (corr = 1 exactly): the warp then
        // skips the multiplies, which changes no value.
        if (!held && __any_sync(0xffffffffu, corr[0] != 1.f || corr[1] != 1.f)) rescale_o<D>(o, corr);
        pack_p<BN, DT>(s, pf);
      }
      ring_v.wait_full(it + n - 1);
      issue_pv(pf, n - 1);
      flush_z(st, n);
      sm90::wait<0>();
      if (lane == 0) ring_v.release(it + n - 1);
      sm90::fence_operand<D / 8>(o);
    } else if (!C::kQReg && lane == 0) {
      tma::arrive(bar_q_empty);  // a sparse row with no kept block: Q unread
    }
    it += n;

    // Epilogue (dense_fwd.cuh's) through this warp's 16 rows of the O stage (or from registers), while
    // the producer already loads the next tile. The __syncwarp orders the writes after every lane's
    // reads of the same rows in the last tile's epilogue.
    Elem* const og = head_slice<Elem>(p.o, p.o_stride, pos.b, pos.h);
    if constexpr (C::kOStage) {
      __syncwarp();
      // The lane made opaque: ptxas then forms the epilogue's swizzled addresses here, each tile, instead
      // of once before the tile loop (with Q's fragments live it spilled them).
      write_warp_rows<D, DT>(o, st, stage, cw * 16, og, pos.m0, p, pos.b, pos.h, (int)sm90::opaque(lane));
    } else {
      store_warp_rows_direct<D, DT>(o, st, cw * 16, og, pos.m0, p, pos.b, pos.h, lane);
    }
  }
#else
  __trap();  // built for a target without wgmma; launch_dense_ws_sm90 refuses such devices first
#endif
}

// A kernel's launch configuration with block LSEs of ZB keys: C's, as a type of its own, since
// opt_in_shared_memory keeps one once-flag per (config, kernel signature) and the ZB kernels share C's.
template <typename C, int ZB>
struct WithBlockLse : C {};

template <typename C, typename Params>
int launch_dense_ws_sm90(const Params* p, uint64_t stream) {
  sparsed_sparse_params sp;
  CUtensorMap qmap, kmap, vmap;
  SPARSED_TRY((prepare_tma_launch<C, Params>(p, &sp, &kmap, &vmap)));
  const sparsed_dense_params& a = sp.attn;
  SPARSED_TRY(make_rows_tensor_map(&qmap, "q", a.q, a.q_stride, a.batch, a.nq, a.hq, C::D, 64));
  if constexpr (C::kBlockLse) {  // prepare_tma_launch checked block_size; each kernel its own C (the opt-in's once-flag)
    if (a.block_lse && !C::block_lse_fits(a.block_size))
      return fail(SPARSED_ERR_INVALID, "this variant (blockN %d) does not write block LSEs for blocks of %d keys: use blockN 128", C::BN, a.block_size);
    if constexpr (C::block_lse_fits(32))
      if (a.block_lse && a.block_size == 32) return launch_kernel<WithBlockLse<C, 32>>(dense_ws_sm90_kernel<C, 32>, &sp, stream, qmap, kmap, vmap);
    if (a.block_lse && a.block_size == 64) return launch_kernel<WithBlockLse<C, 64>>(dense_ws_sm90_kernel<C, 64>, &sp, stream, qmap, kmap, vmap);
    if (a.block_lse) return launch_kernel<WithBlockLse<C, 128>>(dense_ws_sm90_kernel<C, 128>, &sp, stream, qmap, kmap, vmap);
  }
  return launch_kernel<C>(dense_ws_sm90_kernel<C>, &sp, stream, qmap, kmap, vmap);
}

}  // namespace sparsed
