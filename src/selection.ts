// Exact CPU reference of SparseD's "isolated selection" (shared/DESIGN.md section 1, "Pattern
// selection"). The GPU selection is held against this. Rows are processed one at a time: memory is
// O(B * Hq * nqb * nkb) plus one row of Nk scores, never an Nq x Nk matrix.
//
// Choices where the spec leaves room:
// - Top-k ties go to the lower kv block index.
// - g is a query block index that the spec also uses as a kv block index (Nq = Nk in a DLM); with
//   Nq != Nk it is applied literally. When g >= nkb there are no generation keys: kB = 0 and the
//   generation part is skipped (every row still keeps its kA >= 1 prompt-part blocks, none dropped).
// - G = 0: no query block i < nqb has Nq - i*b <= 0, so g = nqb - 1; the last block is then handled
//   as the generation part. G >= Nq: g = 0, the prompt part keeps nothing (every j >= 0 is dropped)
//   and the generation part, a softmax over all keys, chooses alone.
import { invalid } from "./errors";
import { SparsePattern } from "./pattern";
import type { HostShape } from "./reference";
import { validateSelectionParams } from "./schedule";

export interface ImportanceOptions {
  blockSize: number;
  genLength: number;
  selectionScale?: number; // default 1/sqrt(D)
  attentionScale?: number; // the scale `lse` was computed with; default 1/sqrt(D)
  lse?: ArrayLike<number>; // [B, Hq, Nq] from the dense pass; used only when selectionScale === attentionScale
}

export interface SelectionOptions extends ImportanceOptions {
  select: number;
}

export interface BlockImportance {
  /** [B, Hq, nqb, nkb]: softmax over all keys, block sums / b^2. */
  prompt: Float64Array;
  /** [B, Hq, nqb, nkb]: softmax over keys [g*b, Nk); -Infinity where j < g (not a candidate). */
  generation: Float64Array;
  nqb: number;
  nkb: number;
  g: number;
  usedLse: boolean; // prompt denominators came from `lse` rather than being recomputed
}

/** Positive sizes, Hq % Hkv == 0, and the arrays (when given) exactly [B, N, H, D] long. */
export function checkHostShape(shape: HostShape, arrays: { q?: ArrayLike<number>; k?: ArrayLike<number>; v?: ArrayLike<number> } = {}): void {
  for (const key of ["batch", "nq", "nk", "hq", "hkv", "headDim"] as const)
    if (!(Number.isInteger(shape[key]) && shape[key] > 0)) throw invalid(`shape.${key} = ${shape[key]} must be a positive integer`);
  const { batch: B, nq, nk, hq, hkv, headDim: D } = shape;
  if (hq % hkv !== 0) throw invalid(`Hq = ${hq} is not a multiple of Hkv = ${hkv}; GQA needs Hq % Hkv == 0`);
  const want = { q: B * nq * hq * D, k: B * nk * hkv * D, v: B * nk * hkv * D };
  for (const key of ["q", "k", "v"] as const) {
    const a = arrays[key];
    if (a && a.length !== want[key])
      throw invalid(`${key} has ${a.length} elements, expected ${want[key]} for [B, ${key === "q" ? "Nq, Hq" : "Nk, Hkv"}, D] = ${JSON.stringify(shape)}`);
  }
}

/** The first query block i with Nq - i*b <= G, or nqb - 1 if none. */
export function generationBoundary(nq: number, blockSize: number, genLength: number): number {
  const nqb = Math.ceil(nq / blockSize);
  for (let i = 0; i < nqb; i++) if (nq - i * blockSize <= genLength) return i;
  return nqb - 1;
}

/** kA = min(nkb, floor(nkb*select) + 1); kB likewise over the nkb - g generation blocks, 0 if there are none. */
export function selectionCounts(nkb: number, g: number, select: number): { kA: number; kB: number } {
  const kA = Math.min(nkb, Math.floor(nkb * select) + 1);
  const nGen = nkb - g;
  const kB = nGen > 0 ? Math.min(nGen, Math.floor(nGen * select) + 1) : 0;
  return { kA, kB };
}

/** The k largest of values[offset + j] for j in [from, to), ties to the lower j; ascending j. */
export function topBlocks(values: Float64Array, offset: number, from: number, to: number, k: number): number[] {
  const cand: number[] = [];
  for (let j = from; j < to; j++) {
    if (Number.isNaN(values[offset + j]!)) throw invalid("selection: a block importance is NaN; Q and K must be finite");
    cand.push(j);
  }
  cand.sort((a, b) => values[offset + b]! - values[offset + a]! || a - b);
  return cand.slice(0, k).sort((a, b) => a - b);
}

/** log(sum exp(s[c])) for c in [from, to), shifted by the max for stability. */
function logSumExp(s: Float64Array, from: number, to: number): number {
  let max = -Infinity;
  for (let c = from; c < to; c++) if (s[c]! > max) max = s[c]!;
  let sum = 0;
  for (let c = from; c < to; c++) sum += Math.exp(s[c]! - max);
  return max + Math.log(sum);
}

export function blockImportance(q: ArrayLike<number>, k: ArrayLike<number>, shape: HostShape, opts: ImportanceOptions): BlockImportance {
  checkHostShape(shape, { q, k });
  const bs = opts.blockSize;
  if (!(Number.isInteger(bs) && bs > 0)) throw invalid(`blockSize = ${bs} must be a positive integer`);
  validateSelectionParams({ select: 1, genLength: opts.genLength, selectionScale: opts.selectionScale });
  const { batch: B, nq, nk, hq, hkv, headDim: D } = shape;
  if (opts.lse && opts.lse.length !== B * hq * nq) throw invalid(`lse has ${opts.lse.length} elements, expected [B, Hq, Nq] = ${B * hq * nq}`);
  const nqb = Math.ceil(nq / bs);
  const nkb = Math.ceil(nk / bs);
  const g = generationBoundary(nq, bs, opts.genLength);
  const selScale = opts.selectionScale ?? 1 / Math.sqrt(D);
  const usedLse = opts.lse !== undefined && selScale === (opts.attentionScale ?? 1 / Math.sqrt(D));
  const genStart = g * bs; // first generation key; none when >= Nk
  const prompt = new Float64Array(B * hq * nqb * nkb);
  const generation = new Float64Array(prompt.length).fill(-Infinity);
  const scores = new Float64Array(nk);

  for (let b = 0; b < B; b++)
    for (let h = 0; h < hq; h++) {
      const hk = Math.floor(h / (hq / hkv));
      const base = (b * hq + h) * nqb * nkb;
      if (genStart < nk) for (let i = 0; i < nqb; i++) generation.fill(0, base + i * nkb + g, base + (i + 1) * nkb);
      for (let r = 0; r < nq; r++) {
        const rowBase = base + Math.floor(r / bs) * nkb;
        const qOff = ((b * nq + r) * hq + h) * D;
        for (let c = 0; c < nk; c++) {
          const kOff = ((b * nk + c) * hkv + hk) * D;
          let dot = 0;
          for (let d = 0; d < D; d++) dot += q[qOff + d]! * k[kOff + d]!;
          scores[c] = dot * selScale;
        }
        const logZ = usedLse ? opts.lse![(b * hq + h) * nq + r]! : logSumExp(scores, 0, nk);
        for (let c = 0; c < nk; c++) prompt[rowBase + Math.floor(c / bs)]! += Math.exp(scores[c]! - logZ);
        if (genStart < nk) {
          const logZg = logSumExp(scores, genStart, nk);
          for (let c = genStart; c < nk; c++) generation[rowBase + Math.floor(c / bs)]! += Math.exp(scores[c]! - logZg);
        }
      }
    }
  // Divide by b*b even for tail blocks: missing rows and columns count as zero.
  const area = bs * bs;
  for (let n = 0; n < prompt.length; n++) {
    prompt[n]! /= area;
    generation[n]! /= area;
  }
  return { prompt, generation, nqb, nkb, g, usedLse };
}

/** The pattern row (b, h, i) is topK_kA(prompt) minus {j >= g}, united with topK_kB(generation over j >= g). */
export function selectPattern(q: ArrayLike<number>, k: ArrayLike<number>, shape: HostShape, opts: SelectionOptions): SparsePattern {
  validateSelectionParams(opts);
  const imp = blockImportance(q, k, shape, opts);
  const { nqb, nkb, g } = imp;
  const { kA, kB } = selectionCounts(nkb, g, opts.select);
  const rows = shape.batch * shape.hq * nqb;
  const counts = new Int32Array(rows);
  const indices = new Int32Array(rows * nkb).fill(-1);
  const keep = new Uint8Array(nkb);
  for (let r = 0; r < rows; r++) {
    keep.fill(0);
    for (const j of topBlocks(imp.prompt, r * nkb, 0, nkb, kA)) if (j < g) keep[j] = 1;
    if (kB > 0) for (const j of topBlocks(imp.generation, r * nkb, g, nkb, kB)) keep[j] = 1;
    let n = 0;
    for (let j = 0; j < nkb; j++) if (keep[j]) indices[r * nkb + n++] = j;
    counts[r] = n;
  }
  const { batch, hq, nq, nk } = shape;
  return new SparsePattern({ batch, hq, nq, nk, blockSize: opts.blockSize }, counts, indices);
}
