// CPU reference of dense attention (shared/DESIGN.md section 1, "Tensors"): float64 accumulation,
// exact softmax, LSE in natural log. Inputs are contiguous host arrays [B, N, H, D] of the values the
// kernels see (already rounded to bf16/fp16). Also the "plain low-precision evaluation" that the
// correctness rule measures kernels against (section 3).
import { roundTo, type Dtype } from "./dtype";

export interface HostShape {
  batch: number;
  nq: number;
  nk: number;
  hq: number;
  hkv: number;
  headDim: number;
}

export interface HostInputs {
  q: ArrayLike<number>; // [B, Nq, Hq, D]
  k: ArrayLike<number>; // [B, Nk, Hkv, D]
  v: ArrayLike<number>; // [B, Nk, Hkv, D]
  shape: HostShape;
  scale: number;
}

export interface RowResult {
  out: Float64Array; // D values
  lse: number;
}

/**
 * One query row (b, h, i) over all keys, or over `keys` (ascending key indices; sparse attention is
 * dense attention with the other keys masked out). With `round`, every stage a plain low-precision
 * evaluation would store in the dtype is rounded to it: scores, normalized probabilities, output.
 */
export function attentionRow(x: HostInputs, b: number, h: number, i: number, round?: Dtype, keys?: ArrayLike<number>): RowResult {
  const { nq, nk, hq, hkv, headDim: D } = x.shape;
  const hk = Math.floor(h / (hq / hkv));
  const r = round ? (t: number) => roundTo(round, t) : (t: number) => t;
  const n = keys ? keys.length : nk;
  const key = keys ? (m: number) => keys[m]! : (m: number) => m;
  const qOff = ((b * nq + i) * hq + h) * D;
  const scores = new Float64Array(n);
  let max = -Infinity;
  for (let m = 0; m < n; m++) {
    const kOff = ((b * nk + key(m)) * hkv + hk) * D;
    let dot = 0;
    for (let d = 0; d < D; d++) dot += x.q[qOff + d]! * x.k[kOff + d]!;
    const s = r(dot * x.scale);
    scores[m] = s;
    if (s > max) max = s;
  }
  let sum = 0;
  for (let m = 0; m < n; m++) sum += (scores[m] = Math.exp(scores[m]! - max));
  const out = new Float64Array(D);
  for (let m = 0; m < n; m++) {
    const p = r(scores[m]! / sum);
    const vOff = ((b * nk + key(m)) * hkv + hk) * D;
    for (let d = 0; d < D; d++) out[d]! += p * x.v[vOff + d]!;
  }
  if (round) for (let d = 0; d < D; d++) out[d] = r(out[d]!);
  return { out, lse: max + Math.log(sum) };
}

/** O [B, Nq, Hq, D] and LSE [B, Hq, Nq] assembled from one row at a time. */
export function attentionFromRows(shape: HostShape, row: (b: number, h: number, i: number) => RowResult): { out: Float64Array; lse: Float64Array } {
  const { batch, nq, hq, headDim: D } = shape;
  const out = new Float64Array(batch * nq * hq * D);
  const lse = new Float64Array(batch * hq * nq);
  for (let b = 0; b < batch; b++)
    for (let h = 0; h < hq; h++)
      for (let i = 0; i < nq; i++) {
        const r = row(b, h, i);
        out.set(r.out, ((b * nq + i) * hq + h) * D);
        lse[(b * hq + h) * nq + i] = r.lse;
      }
  return { out, lse };
}

/** Full dense attention: O [B, Nq, Hq, D] and LSE [B, Hq, Nq]. */
export function referenceAttention(x: HostInputs, round?: Dtype): { out: Float64Array; lse: Float64Array } {
  return attentionFromRows(x.shape, (b, h, i) => attentionRow(x, b, h, i, round));
}

/** ||a - b|| / ||b|| over paired values; NaN anywhere gives NaN (so a NaN never passes a bound). */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`relativeError: lengths ${a.length} and ${b.length} differ`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    num += d * d;
    den += b[i]! * b[i]!;
  }
  return Math.sqrt(num) / Math.sqrt(den);
}
