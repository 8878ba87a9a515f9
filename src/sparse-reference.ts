// CPU reference of block-sparse attention (shared/DESIGN.md section 1, "Sparse attention"): exactly
// dense attention with every key outside the row's kept blocks masked to minus infinity. The
// arithmetic is reference.ts's attentionRow over the kept keys in ascending order, so with every
// block kept the result equals referenceAttention bit for bit.
import { invalid } from "./errors";
import type { SparsePattern } from "./pattern";
import type { Dtype } from "./dtype";
import { attentionFromRows, attentionRow, type HostInputs, type RowResult } from "./reference";
import { checkHostShape } from "./selection";

/** The keys of query row r's pattern row, ascending (tails of the last block cut at Nk). */
export function keptKeys(pattern: SparsePattern, nk: number, b: number, h: number, r: number): number[] {
  const bs = pattern.shape.blockSize;
  const keys: number[] = [];
  for (const j of pattern.row(b, h, Math.floor(r / bs))) for (let c = j * bs; c < Math.min(nk, (j + 1) * bs); c++) keys.push(c);
  return keys;
}

/** Query row r of head h, batch b, over the keys of the pattern row of r's query block. */
export function sparseAttentionRow(x: HostInputs, pattern: SparsePattern, b: number, h: number, r: number, round?: Dtype): RowResult {
  const keys = keptKeys(pattern, x.shape.nk, b, h, r);
  if (keys.length === 0) throw invalid(`sparse attention: row (b=${b}, h=${h}, query ${r}) keeps no key; a valid pattern keeps at least one block per row`);
  return attentionRow(x, b, h, r, round, keys);
}

/** O [B, Nq, Hq, D] and LSE [B, Hq, Nq] (natural log, over the kept keys only). */
export function sparseReferenceAttention(x: HostInputs, pattern: SparsePattern): { out: Float64Array; lse: Float64Array } {
  checkHostShape(x.shape, x);
  pattern.checkCompatible(x.shape);
  return attentionFromRows(x.shape, (b, h, r) => sparseAttentionRow(x, pattern, b, h, r));
}
