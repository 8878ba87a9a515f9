// GENERATED FILE: do not edit. Rendered by codegen/render.ts from templates/sparse_fwd_sm90a.cu.hbs
// for variant sparse_fwd_hd128_bm128_bn128_w12_s2_bf16_sm90a; run `bun run generate` to regenerate.
// Settings and the exported entry point only; the kernel is templates/include/sparsed/dense_ws_sm90.cuh's
// (a producer warpgroup and two consumer warpgroups), walking the row's kv block list.
#include "sparsed/dense_ws_sm90.cuh"

using Config_sparse_fwd_hd128_bm128_bn128_w12_s2_bf16_sm90a = sparsed::DenseWsSm90Config</*D=*/128, /*BN=*/128, sparsed::bf16_t, /*sparse=*/true>;
static_assert(128 == Config_sparse_fwd_hd128_bm128_bn128_w12_s2_bf16_sm90a::BM && 2 == 2, "two consumer warpgroups of 64 rows, K and V double-buffered");

extern "C" int sparsed_sparse_fwd_hd128_bm128_bn128_w12_s2_bf16_sm90a(const sparsed_sparse_params* p, uint64_t stream) {
  return sparsed::launch_dense_ws_sm90<Config_sparse_fwd_hd128_bm128_bn128_w12_s2_bf16_sm90a>(p, stream);
}
