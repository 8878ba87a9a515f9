// The correctness gate of the benchmarks (shared/DESIGN.md section 3): one variant at a time against
// the CPU reference on a small odd-sized problem, so that a fast wrong kernel is never timed or tuned
// for. Also the selection comparison rule the GPU tests use (equal sets, or equal importance where
// fp32 sums on the GPU flip a near-tie that float64 on the CPU breaks the other way).
import type { ManifestEntry } from "../codegen/build";
import { tilesDivideBlock } from "../codegen/variants";
import { dense, pickDenseVariant } from "./dense";
import { DevicePattern } from "./device-pattern";
import { SparsedError } from "./errors";
import { SparsePattern, type PatternShape } from "./pattern";
import { rng } from "./random";
import { selectBlocks } from "./select";
import { blockImportance, generationBoundary, selectionCounts, selectPattern, topBlocks, type BlockImportance, type SelectionOptions } from "./selection";
import { sparse } from "./sparse";
import { sparseAttentionRow } from "./sparse-reference";
import { DeviceTensor } from "./tensor";
import { compareWithReference, countNonFinite, freeProblem, makeProblem, type Problem, type RowReference } from "./verify";

export interface VariantCheck {
  id: string;
  pass: boolean;
  detail: string;
}

const sum = (values: Float64Array, offset: number, blocks: Iterable<number>) => {
  let s = 0;
  for (const j of blocks) s += values[offset + j]!;
  return s;
};

export interface SelectionComparison {
  differing: number; // rows whose sets differ
  worst: number; // the largest relative importance shortfall among them
  problems: string[]; // rows breaking the rule, one line each
}

/**
 * Rows whose sets differ, each held to the importance rule: per part, the CPU importance of the GPU's
 * choice within `tolerance` (relative) of the CPU's. The prompt part's kept list is its top kA minus
 * the blocks j >= g, so the GPU's dropped blocks are unseen; they are completed with the best blocks
 * j >= g (the choice most favourable to the GPU, never better than the CPU's own top kA).
 */
export function compareSelection(gpu: SparsePattern, cpu: SparsePattern, imp: () => BlockImportance, kA: number, kB: number, g: number, tolerance = 1e-3): SelectionComparison {
  const nkb = gpu.nkb;
  const problems: string[] = [];
  let differing = 0;
  let worst = 0;
  for (let r = 0; r < gpu.counts.length; r++) {
    const gl = Array.from(gpu.indices.subarray(r * nkb, r * nkb + gpu.counts[r]!));
    const cl = Array.from(cpu.indices.subarray(r * nkb, r * nkb + cpu.counts[r]!));
    if (gl.length === cl.length && gl.every((j, n) => j === cl[n])) continue;
    differing++;
    const I = imp();
    const off = r * nkb;
    const gp = gl.filter((j) => j < g);
    const gg = gl.filter((j) => j >= g);
    if (gp.length > kA) problems.push(`row ${r}: ${gp.length} prompt blocks kept, more than kA = ${kA}`);
    if (gg.length !== kB) problems.push(`row ${r}: ${gg.length} generation blocks kept, expected kB = ${kB}`);
    const completion = topBlocks(I.prompt, off, Math.min(g, nkb), nkb, Math.max(0, kA - gp.length));
    if (gp.length <= kA && completion.length !== kA - gp.length)
      problems.push(`row ${r}: the prompt part keeps ${gp.length} blocks < g = ${g}, too few for kA = ${kA}`);
    const bestPrompt = sum(I.prompt, off, topBlocks(I.prompt, off, 0, nkb, kA));
    const relPrompt = (bestPrompt - sum(I.prompt, off, [...gp, ...completion])) / bestPrompt;
    let relGen = 0;
    if (kB > 0) {
      const bestGen = sum(I.generation, off, cl.filter((j) => j >= g));
      relGen = (bestGen - sum(I.generation, off, gg)) / bestGen;
    }
    worst = Math.max(worst, relPrompt, relGen);
    if (!(relPrompt <= tolerance)) problems.push(`row ${r}: GPU [${gl}] vs CPU [${cl}]: prompt importance ${relPrompt} below the CPU's`);
    if (!(relGen <= tolerance)) problems.push(`row ${r}: GPU [${gl}] vs CPU [${cl}]: generation importance ${relGen} below the CPU's`);
  }
  return { differing, worst, problems };
}

/** A GPU pattern against the CPU selection over the problem's host inputs, by compareSelection's rule;
 *  pass: no row breaks it and at most allowedFlips(rows) rows differ. */
export function compareWithCpuSelection(p: Problem, gpu: SparsePattern, opts: SelectionOptions): SelectionComparison & { rows: number; pass: boolean } {
  const cpu = selectPattern(p.host.q, p.host.k, p.shape, opts);
  const g = generationBoundary(p.shape.nq, opts.blockSize, opts.genLength);
  const { kA, kB } = selectionCounts(cpu.nkb, g, opts.select);
  let importance: BlockImportance | undefined;
  const c = compareSelection(gpu, cpu, () => (importance ??= blockImportance(p.host.q, p.host.k, p.shape, opts)), kA, kB, g);
  const rows = gpu.counts.length;
  return { ...c, rows, pass: c.problems.length === 0 && c.differing <= allowedFlips(rows) };
}

/** At most 2% of the rows (at least one, for small cases) may be near-tie flips. */
export function allowedFlips(rows: number): number {
  return Math.max(1, Math.floor(0.02 * rows));
}

/** Runs `run` into NaN-poisoned outputs and holds O and LSE to the reference on sampled rows. */
export function checkAttentionOutput(p: Problem, run: (out: DeviceTensor, lse: DeviceTensor) => void, row: RowReference | undefined, seed: number): { pass: boolean; detail: string } {
  const { batch, nq, hq, headDim } = p.shape;
  const out = DeviceTensor.empty([batch, nq, hq, headDim], p.dtype);
  const lse = DeviceTensor.empty([batch, hq, nq], "f32");
  try {
    out.buffer.fill(0xff); // NaN: every element must be written
    run(out, lse);
    const o = out.toHost();
    const c = compareWithReference(p, o, lse.toHost(), 8, seed, row);
    const unwritten = countNonFinite(o);
    const pass = unwritten === 0 && c.err <= 2 * c.errLowPrecision + 1e-4 && c.lseMaxAbs < 1e-3;
    return { pass, detail: `rel err ${c.err.toExponential(2)} (plain ${p.dtype} ${c.errLowPrecision.toExponential(2)}), lse max abs ${c.lseMaxAbs.toExponential(2)}, ${unwritten} unwritten` };
  } finally {
    out.free();
    lse.free();
  }
}

/** Random rows of ascending kv blocks, each kept with probability `keep`; the last (tail) block in every
 * third row, never an empty row. */
export function randomSparsePattern(shape: PatternShape, keep: number, seed: number): SparsePattern {
  const next = rng(seed);
  const nqb = Math.ceil(shape.nq / shape.blockSize);
  const nkb = Math.ceil(shape.nk / shape.blockSize);
  const rows = Array.from({ length: shape.batch }, () =>
    Array.from({ length: shape.hq }, () =>
      Array.from({ length: nqb }, (_, i) => {
        const kept = Array.from({ length: nkb }, (_, j) => j).filter((j) => next() < keep || (i % 3 === 0 && j === nkb - 1));
        return kept.length ? kept : [Math.floor(next() * nkb)];
      }),
    ),
  );
  return SparsePattern.fromRows(shape, rows);
}

/** The largest pattern block size a sparse variant's tiles divide (the sweep and the gate use it). */
export function sparseBlockFor(e: Pick<ManifestEntry, "blockM" | "blockN">, blocks: readonly number[] = [128, 64, 32]): number | undefined {
  return blocks.find((b) => tilesDivideBlock(e, b));
}

/** Runs variant `e` on a small problem (B = 2, Nq = 300, Nk = 333, GQA, strided inputs) and holds it to the reference. */
export function checkVariant(e: ManifestEntry, seed = 1): VariantCheck {
  const shape = { batch: 2, nq: 300, nk: e.op === "select" ? 300 : 333, hq: 4, hkv: 2, headDim: e.headDim };
  const p = makeProblem(shape, e.dtype, seed, true);
  try {
    if (e.op === "dense_fwd") {
      const r = checkAttentionOutput(p, (out, lse) => dense(p.q, p.k, p.v, { out, lse, variant: e.id }), undefined, seed);
      return { id: e.id, ...r };
    }
    if (e.op === "sparse_fwd") {
      const blockSize = sparseBlockFor(e);
      if (blockSize === undefined) return { id: e.id, pass: false, detail: `tiles ${e.blockM}x${e.blockN} divide no pattern block size` };
      const host = randomSparsePattern({ batch: shape.batch, hq: shape.hq, nq: shape.nq, nk: shape.nk, blockSize }, 0.4, seed);
      const pattern = DevicePattern.fromHost(host);
      try {
        const r = checkAttentionOutput(p, (out, lse) => sparse(p.q, p.k, p.v, pattern, { out, lse, variant: e.id }), (b, h, i, round) => sparseAttentionRow(p.host, host, b, h, i, round), seed);
        return { id: e.id, ...r, detail: `block ${blockSize}: ${r.detail}` };
      } finally {
        pattern.free();
      }
    }
    // select: the dense pass's LSE where a dense kernel is built (the kernels' main path), with a
    // short generation part; else the kernel's own row statistics.
    const blockSize = e.blockN;
    const genLength = 60;
    const select = 0.3;
    let lse: DeviceTensor | null = null;
    try {
      pickDenseVariant({ ...shape, dtype: e.dtype });
      const d = dense(p.q, p.k, p.v);
      d.out.free();
      lse = d.lse;
    } catch (err) {
      if (!(err instanceof SparsedError && err.code === "NOT_BUILT")) throw err;
    }
    const out = DevicePattern.empty({ batch: shape.batch, hq: shape.hq, nq: shape.nq, nk: shape.nk, blockSize });
    try {
      out.counts.buffer.fill(0xff);
      out.indices.buffer.fill(0x7f);
      selectBlocks(p.q, p.k, { blockSize, select, genLength, lse, out, variant: e.id });
      const gpu = out.toHost();
      gpu.validate();
      const c = compareWithCpuSelection(p, gpu, { blockSize, genLength, select, lse: lse?.toHost() });
      return { id: e.id, pass: c.pass, detail: `${c.differing}/${c.rows} rows differ from the CPU's sets${c.problems.length ? `; ${c.problems[0]}` : ""} (${lse ? "dense LSE" : "own statistics"})` };
    } finally {
      out.free();
      lse?.free();
    }
  } catch (err) {
    return { id: e.id, pass: false, detail: `failed: ${(err as Error).message}` };
  } finally {
    freeProblem(p);
  }
}
