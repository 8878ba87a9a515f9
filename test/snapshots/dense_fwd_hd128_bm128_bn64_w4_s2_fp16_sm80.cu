// GENERATED FILE: do not edit. Rendered by codegen/render.ts from templates/dense_fwd.cu.hbs
// for variant dense_fwd_hd128_bm128_bn64_w4_s2_fp16_sm80; run `bun run generate` to regenerate.
// Settings and the exported entry point only; the kernel is templates/include/sparsed/dense_fwd.cuh.
#include "sparsed/dense_fwd.cuh"

using Config_dense_fwd_hd128_bm128_bn64_w4_s2_fp16_sm80 = sparsed::DenseConfig</*D=*/128, /*BM=*/128, /*BN=*/64, /*warps=*/4, sparsed::fp16_t>;
static_assert(2 == 2, "a cp.async kernel: double-buffered, stages 2 only");

extern "C" int sparsed_dense_fwd_hd128_bm128_bn64_w4_s2_fp16_sm80(const sparsed_dense_params* p, uint64_t stream) {
  return sparsed::launch_dense<Config_dense_fwd_hd128_bm128_bn64_w4_s2_fp16_sm80>(p, stream);
}
