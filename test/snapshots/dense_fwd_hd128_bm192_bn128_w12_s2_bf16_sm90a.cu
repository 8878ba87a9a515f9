// GENERATED FILE: do not edit. Rendered by codegen/render.ts from templates/dense_fwd_sm90a.cu.hbs
// for variant dense_fwd_hd128_bm192_bn128_w12_s2_bf16_sm90a; run `bun run generate` to regenerate.
// Settings and the exported entry point only; the kernel is templates/include/sparsed/dense_fwd_sm90.cuh.
#include "sparsed/dense_fwd_sm90.cuh"

using Config_dense_fwd_hd128_bm192_bn128_w12_s2_bf16_sm90a = sparsed::DenseSm90Config</*D=*/128, /*BM=*/192, /*BN=*/128, sparsed::bf16_t>;
static_assert(2 == 2, "a double-buffered kernel (TMA): stages 2 only");

extern "C" int sparsed_dense_fwd_hd128_bm192_bn128_w12_s2_bf16_sm90a(const sparsed_dense_params* p, uint64_t stream) {
  return sparsed::launch_dense_sm90<Config_dense_fwd_hd128_bm192_bn128_w12_s2_bf16_sm90a>(p, stream);
}
