// sparse(): block-sparse attention forward over a DevicePattern (shared/DESIGN.md section 1, "Sparse
// attention": dense attention with every key outside the row's kept blocks masked out).
import type { ManifestEntry } from "../codegen/build";
import { DEFAULT_TILES, tilesDivideBlock, type HeadDim } from "../codegen/variants";
import { attentionShape, archPreference, denseParams, requestedVariant, runAttention, tunedPick, type AttentionShape, type DenseOptions, type DenseResult } from "./dense";
import { DevicePattern, PATTERN_STRUCT_BYTES } from "./device-pattern";
import { SparsedError, invalid } from "./errors";
import { native } from "./native";
import type { DeviceTensor } from "./tensor";

/**
 * The built sparse variant for a shape and pattern block size: the requested id, else this GPU's
 * tuning table's choice (src/tuning.ts), else, in the best
 * instruction family the GPU runs, the first default tile set that divides the block (the defaults are
 * listed fastest first), else the largest query tile that does.
 */
export function pickSparseVariant(s: AttentionShape, blockSize: number, requested?: string): ManifestEntry {
  const built = native().manifest.variants.filter((e) => e.op === "sparse_fwd");
  const fitsBlock = (e: ManifestEntry) => tilesDivideBlock(e, blockSize);
  if (requested) {
    const e = requestedVariant(built, requested, "sparse");
    if (e.headDim !== s.headDim || e.dtype !== s.dtype || !fitsBlock(e))
      throw invalid(`variant ${requested} does not fit head dim ${s.headDim} ${s.dtype} with pattern block size ${blockSize}`);
    return e;
  }
  const fits = built.filter((e) => e.headDim === s.headDim && e.dtype === s.dtype && fitsBlock(e));
  const tuned = tunedPick(fits, { op: "sparse_fwd", headDim: s.headDim, dtype: s.dtype, n: s.nk, block: blockSize });
  if (tuned) return tuned;
  for (const arch of archPreference()) {
    const mine = fits.filter((e) => e.arch === arch);
    // The default tiles in their measured order (bench/NOTES.md), else the largest query tile.
    const order = DEFAULT_TILES.sparse_fwd[arch]?.[s.headDim as HeadDim] ?? [];
    const rank = (e: ManifestEntry) => {
      const i = order.findIndex((t) => t.blockM === e.blockM && t.blockN === e.blockN && t.warps === e.warps && t.stages === e.stages);
      return i < 0 ? order.length : i;
    };
    const best = mine.sort((a, b) => rank(a) - rank(b) || b.blockM - a.blockM || b.blockN - a.blockN)[0];
    if (best) return best;
  }
  throw new SparsedError(
    "NOT_BUILT",
    `no sparse kernel for head dim ${s.headDim} ${s.dtype} and pattern block size ${blockSize} that this GPU runs is built: ` +
      `run \`bun run generate --op sparse_fwd --head-dim ${s.headDim} --dtype ${s.dtype}\``,
  );
}

export function sparse(q: DeviceTensor, k: DeviceTensor, v: DeviceTensor, pattern: DevicePattern, opts: DenseOptions = {}): DenseResult {
  const s = attentionShape(q, k, v);
  if (!(pattern instanceof DevicePattern)) throw invalid("pattern must be a DevicePattern (DevicePattern.fromHost(p) uploads a SparsePattern)");
  const ps = pattern.shape;
  if (ps.batch !== s.batch || ps.hq !== s.hq || ps.nq !== s.nq || ps.nk !== s.nk)
    throw invalid(`pattern was built for B=${ps.batch} Hq=${ps.hq} Nq=${ps.nq} Nk=${ps.nk}; the inputs are B=${s.batch} Hq=${s.hq} Nq=${s.nq} Nk=${s.nk}`);
  return runAttention(s, opts, () => pickSparseVariant(s, ps.blockSize, opts.variant), (out, lse, scale) => {
    const dense = denseParams(q, k, v, out, lse, s, scale);
    const bytes = new Uint8Array(dense.length + PATTERN_STRUCT_BYTES);
    bytes.set(dense);
    pattern.writeStruct(new DataView(bytes.buffer), dense.length);
    return bytes;
  });
}
