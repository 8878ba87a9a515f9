// CPU reference of block-sparse attention (shared/DESIGN.md section 1, "Sparse attention"): exactly
// dense attention with every key outside the row's kept blocks masked to minus infinity. The
// arithmetic follows reference.ts's attentionRow key by key in ascending order, so with every block
// kept the result equals referenceAttention bit for bit.
import { invalid } from "./errors";
import type { SparsePattern } from "./pattern";
import type { HostInputs, RowResult } from "./reference";
import { checkHostShape } from "./selection";

/** Query row r of head h, batch b, over the keys of the pattern row of r's query block. */
export function sparseAttentionRow(x: HostInputs, pattern: SparsePattern, b: number, h: number, r: number): RowResult {
  const { nq, nk, hq, hkv, headDim: D } = x.shape;
  const bs = pattern.shape.blockSize;
  const hk = Math.floor(h / (hq / hkv));
  const qOff = ((b * nq + r) * hq + h) * D;
  const keys: number[] = [];
  for (const j of pattern.row(b, h, Math.floor(r / bs))) for (let c = j * bs; c < Math.min(nk, (j + 1) * bs); c++) keys.push(c);
  if (keys.length === 0) throw invalid(`sparse attention: row (b=${b}, h=${h}, query ${r}) keeps no key; a valid pattern keeps at least one block per row`);
  const scores = new Float64Array(keys.length);
  let max = -Infinity;
  for (let n = 0; n < keys.length; n++) {
    const kOff = ((b * nk + keys[n]!) * hkv + hk) * D;
    let dot = 0;
    for (let d = 0; d < D; d++) dot += x.q[qOff + d]! * x.k[kOff + d]!;
    const s = dot * x.scale;
    scores[n] = s;
    if (s > max) max = s;
  }
  let sum = 0;
  for (let n = 0; n < keys.length; n++) sum += (scores[n] = Math.exp(scores[n]! - max));
  const out = new Float64Array(D);
  for (let n = 0; n < keys.length; n++) {
    const p = scores[n]! / sum;
    const vOff = ((b * nk + keys[n]!) * hkv + hk) * D;
    for (let d = 0; d < D; d++) out[d]! += p * x.v[vOff + d]!;
  }
  return { out, lse: max + Math.log(sum) };
}

/** O [B, Nq, Hq, D] and LSE [B, Hq, Nq] (natural log, over the kept keys only). */
export function sparseReferenceAttention(x: HostInputs, pattern: SparsePattern): { out: Float64Array; lse: Float64Array } {
  checkHostShape(x.shape, x);
  pattern.checkCompatible(x.shape);
  const { batch, nq, hq, headDim: D } = x.shape;
  const out = new Float64Array(batch * nq * hq * D);
  const lse = new Float64Array(batch * hq * nq);
  for (let b = 0; b < batch; b++)
    for (let h = 0; h < hq; h++)
      for (let r = 0; r < nq; r++) {
        const row = sparseAttentionRow(x, pattern, b, h, r);
        out.set(row.out, ((b * nq + r) * hq + h) * D);
        lse[(b * hq + h) * nq + r] = row.lse;
      }
  return { out, lse };
}
