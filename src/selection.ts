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

// Block sums to importances: divided by b*b even for tail blocks (missing rows and columns count as zero).
function divideByArea(prompt: Float64Array, generation: Float64Array, bs: number): void {
  const area = bs * bs;
  for (let n = 0; n < prompt.length; n++) {
    prompt[n]! /= area;
    generation[n]! /= area;
  }
}

/** Row r's scaled scores against every key of (batch b, query head h, kv head hk), into scores. */
function rowScores(q: ArrayLike<number>, k: ArrayLike<number>, shape: HostShape, b: number, h: number, hk: number, r: number, scale: number, scores: Float64Array): void {
  const { nq, nk, hq, hkv, headDim: D } = shape;
  const qOff = ((b * nq + r) * hq + h) * D;
  for (let c = 0; c < nk; c++) {
    const kOff = ((b * nk + c) * hkv + hk) * D;
    let dot = 0;
    for (let d = 0; d < D; d++) dot += q[qOff + d]! * k[kOff + d]!;
    scores[c] = dot * scale;
  }
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
        rowScores(q, k, shape, b, h, hk, r, selScale, scores);
        const logZ = usedLse ? opts.lse![(b * hq + h) * nq + r]! : logSumExp(scores, 0, nk);
        for (let c = 0; c < nk; c++) prompt[rowBase + Math.floor(c / bs)]! += Math.exp(scores[c]! - logZ);
        if (genStart < nk) {
          const logZg = logSumExp(scores, genStart, nk);
          for (let c = genStart; c < nk; c++) generation[rowBase + Math.floor(c / bs)]! += Math.exp(scores[c]! - logZg);
        }
      }
    }
  divideByArea(prompt, generation, bs);
  return { prompt, generation, nqb, nkb, g, usedLse };
}

/**
 * Block LSEs: z[b, h, j, r] = log sum over the keys c of block j of exp(scale q_r . k_c), [B, Hq, nkb, Nq]
 * (what dense() writes with its `blockLse` option; scale defaults to 1/sqrt(D)).
 */
export function blockLseReference(q: ArrayLike<number>, k: ArrayLike<number>, shape: HostShape, blockSize: number, scale?: number): Float64Array {
  checkHostShape(shape, { q, k });
  const { batch: B, nq, nk, hq, hkv, headDim: D } = shape;
  const nkb = Math.ceil(nk / blockSize);
  const sc = scale ?? 1 / Math.sqrt(D);
  const z = new Float64Array(B * hq * nkb * nq);
  const scores = new Float64Array(nk);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < hq; h++) {
      const hk = Math.floor(h / (hq / hkv));
      for (let r = 0; r < nq; r++) {
        rowScores(q, k, shape, b, h, hk, r, sc, scores);
        for (let j = 0; j < nkb; j++) z[((b * hq + h) * nkb + j) * nq + r] = logSumExp(scores, j * blockSize, Math.min(nk, (j + 1) * blockSize));
      }
    }
  return z;
}

/**
 * blockImportance from block LSEs and the rows' LSE (natural log, [B, Hq, Nq]) instead of Q and K: a block's
 * softmax mass in row r is exp(z[r, j] - lse[r]), and the generation part's denominator is the log-sum-exp
 * of z over the blocks j >= g (select_block_lse.cuh computes the same on the GPU).
 */
export function importanceFromBlockLse(z: ArrayLike<number>, lse: ArrayLike<number>, shape: HostShape, opts: Pick<ImportanceOptions, "blockSize" | "genLength">): BlockImportance {
  const { batch: B, nq, nk, hq } = shape;
  const bs = opts.blockSize;
  const nqb = Math.ceil(nq / bs);
  const nkb = Math.ceil(nk / bs);
  if (z.length !== B * hq * nkb * nq) throw invalid(`block LSEs have ${z.length} elements, expected [B, Hq, nkb, Nq] = ${B * hq * nkb * nq}`);
  if (lse.length !== B * hq * nq) throw invalid(`lse has ${lse.length} elements, expected [B, Hq, Nq] = ${B * hq * nq}`);
  const g = generationBoundary(nq, bs, opts.genLength);
  const prompt = new Float64Array(B * hq * nqb * nkb);
  const generation = new Float64Array(prompt.length).fill(-Infinity);
  const zr = new Float64Array(nkb);
  for (let bh = 0; bh < B * hq; bh++) {
    if (g < nkb) for (let i = 0; i < nqb; i++) generation.fill(0, (bh * nqb + i) * nkb + g, (bh * nqb + i + 1) * nkb);
    for (let r = 0; r < nq; r++) {
      for (let j = 0; j < nkb; j++) zr[j] = z[(bh * nkb + j) * nq + r]!;
      const rowBase = (bh * nqb + Math.floor(r / bs)) * nkb;
      const logZ = lse[bh * nq + r]!;
      for (let j = 0; j < nkb; j++) prompt[rowBase + j]! += Math.exp(zr[j]! - logZ);
      if (g < nkb) {
        const logZg = logSumExp(zr, g, nkb);
        for (let j = g; j < nkb; j++) generation[rowBase + j]! += Math.exp(zr[j]! - logZg);
      }
    }
  }
  divideByArea(prompt, generation, bs);
  return { prompt, generation, nqb, nkb, g, usedLse: true };
}

/** The pattern row (b, h, i) is topK_kA(prompt) minus {j >= g}, united with topK_kB(generation over j >= g). */
export function selectPattern(q: ArrayLike<number>, k: ArrayLike<number>, shape: HostShape, opts: SelectionOptions): SparsePattern {
  validateSelectionParams(opts);
  return patternFromImportance(blockImportance(q, k, shape, opts), shape, opts);
}

/** selectPattern's choice from block importances (however they were computed). */
export function patternFromImportance(imp: BlockImportance, shape: HostShape, opts: Pick<SelectionOptions, "blockSize" | "select">): SparsePattern {
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
