// GENERATED FILE: do not edit. Rendered by codegen/render.ts from templates/select_sm90a.cu.hbs
// for variant select_hd128_bm256_bn128_w16_s6_bf16_sm90a; run `bun run generate` to regenerate.
// Settings and the exported entry point only; the kernel is templates/include/sparsed/select_sm90.cuh.
// blockN is the pattern block size b; blockM the query rows per CTA (blockM / b query blocks); stages
// the depth of the TMA ring of 64-key K tiles.
#include "sparsed/select_sm90.cuh"

using Config_select_hd128_bm256_bn128_w16_s6_bf16_sm90a = sparsed::SelectSm90Config</*D=*/128, /*b=*/128, /*BM=*/256, /*stages=*/6, sparsed::bf16_t>;

extern "C" int sparsed_select_hd128_bm256_bn128_w16_s6_bf16_sm90a(const sparsed_select_params* p, uint64_t stream) {
  return sparsed::launch_select_sm90<Config_select_hd128_bm256_bn128_w16_s6_bf16_sm90a>(p, stream);
}
