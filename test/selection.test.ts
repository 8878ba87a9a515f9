// Isolated selection on the CPU (shared/DESIGN.md section 1, "Pattern selection"): hand-computed
// tiny cases, and the row-by-row implementation against a naive one that materializes P.
import { describe, expect, test } from "bun:test";
import { SparsedError } from "../src/errors";
import { rng, uniform } from "../src/random";
import { referenceAttention, type HostShape } from "../src/reference";
import { blockImportance, blockLseReference, generationBoundary, importanceFromBlockLse, patternFromImportance, selectionCounts, selectPattern, topBlocks } from "../src/selection";

const shape1 = (nq: number, nk: number, headDim = 1, hq = 1, hkv = 1, batch = 1): HostShape => ({ batch, nq, nk, hq, hkv, headDim });
const at = (a: Float64Array, nkb: number, i: number, j: number) => a[i * nkb + j]!;

function randomProblem(shape: HostShape, seed: number) {
  const next = rng(seed);
  const { batch: B, nq, nk, hq, hkv, headDim: D } = shape;
  return { q: uniform(B * nq * hq * D, next, -2, 2), k: uniform(B * nk * hkv * D, next, -2, 2), v: uniform(B * nk * hkv * D, next) };
}

/** The definition read literally: the whole P matrix per head, block sums, sort-based top-k. */
function naiveSelection(q: Float64Array, k: Float64Array, s: HostShape, bs: number, G: number, select: number, scale: number) {
  const { batch: B, nq, nk, hq, hkv, headDim: D } = s;
  const nqb = Math.ceil(nq / bs);
  const nkb = Math.ceil(nk / bs);
  let g = nqb - 1;
  for (let i = nqb - 1; i >= 0; i--) if (nq - i * bs <= G) g = i;
  const prompt: number[][][] = [];
  const generation: number[][][] = [];
  const rows: number[][] = [];
  for (let b = 0; b < B; b++)
    for (let h = 0; h < hq; h++) {
      const hk = Math.floor((h * hkv) / hq);
      const S = Array.from({ length: nq }, (_, r) =>
        Array.from({ length: nk }, (_, c) => {
          let dot = 0;
          for (let d = 0; d < D; d++) dot += q[((b * nq + r) * hq + h) * D + d]! * k[((b * nk + c) * hkv + hk) * D + d]!;
          return dot * scale;
        }),
      );
      const softmax = (row: number[], from: number) => {
        const m = Math.max(...row.slice(from));
        const e = row.map((x, c) => (c >= from ? Math.exp(x - m) : 0));
        const z = e.reduce((a, x) => a + x, 0);
        return e.map((x) => x / z);
      };
      const blocks = (P: number[][]) =>
        Array.from({ length: nqb }, (_, i) =>
          Array.from({ length: nkb }, (_, j) => {
            let sum = 0;
            for (let r = i * bs; r < Math.min(nq, (i + 1) * bs); r++) for (let c = j * bs; c < Math.min(nk, (j + 1) * bs); c++) sum += P[r]![c]!;
            return sum / (bs * bs);
          }),
        );
      const A = blocks(S.map((row) => softmax(row, 0)));
      const Bm = g < nkb ? blocks(S.map((row) => softmax(row, g * bs))) : A.map((row) => row.map(() => 0));
      prompt.push(A);
      generation.push(Bm.map((row) => row.map((x, j) => (j < g ? -Infinity : x))));
      const top = (vals: number[], js: number[], kk: number) => [...js].sort((x, y) => vals[y]! - vals[x]! || x - y).slice(0, kk);
      const kA = Math.min(nkb, Math.floor(nkb * select) + 1);
      const kB = nkb - g > 0 ? Math.min(nkb - g, Math.floor((nkb - g) * select) + 1) : 0;
      const all = Array.from({ length: nkb }, (_, j) => j);
      for (let i = 0; i < nqb; i++) {
        const kept = new Set(top(A[i]!, all, kA).filter((j) => j < g));
        if (kB > 0) for (const j of top(Bm[i]!, all.filter((j) => j >= g), kB)) kept.add(j);
        rows.push([...kept].sort((x, y) => x - y));
      }
    }
  return { prompt: prompt.flat(2), generation: generation.flat(2), rows, g };
}

const patternRows = (p: ReturnType<typeof selectPattern>) => {
  const out: number[][] = [];
  for (let b = 0; b < p.shape.batch; b++) for (let h = 0; h < p.shape.hq; h++) for (let i = 0; i < p.nqb; i++) out.push(Array.from(p.row(b, h, i)));
  return out;
};

describe("generation boundary and counts", () => {
  test("g = first query block i with Nq - i*b <= G, else nqb - 1", () => {
    const cases: [number, number, number, number][] = [
      // [Nq, b, G, g]
      [5, 2, 2, 2], // i=2: 5-4 = 1 <= 2
      [5, 2, 3, 1], // i=1: 5-2 = 3 <= 3
      [5, 2, 1, 2], // i=2: 1 <= 1
      [8, 2, 4, 2], // i=2: 8-4 = 4 <= 4
      [8, 2, 3, 3], // i=3: 8-6 = 2 <= 3 (the boundary block still holds a prompt token)
      [7, 4, 3, 1], // i=1: 7-4 = 3 <= 3
      [7, 4, 2, 1], // none: nqb - 1 = 1
      [5, 2, 0, 2], // G = 0: none, nqb - 1
      [8, 2, 0, 3], // G = 0: none, nqb - 1
      [5, 2, 5, 0], // G = N
      [5, 2, 99, 0], // G > N
    ];
    for (const [nq, b, G, g] of cases) expect([nq, b, G, generationBoundary(nq, b, G)]).toEqual([nq, b, G, g]);
  });

  test("kA = min(nkb, floor(nkb*select)+1), kB = min(nkb-g, floor((nkb-g)*select)+1)", () => {
    expect(selectionCounts(10, 3, 0.3)).toEqual({ kA: 4, kB: 3 }); // floor(3)+1, floor(2.1)+1
    expect(selectionCounts(10, 3, 1)).toEqual({ kA: 10, kB: 7 }); // capped at nkb and nkb - g
    expect(selectionCounts(10, 3, 0.05)).toEqual({ kA: 1, kB: 1 });
    expect(selectionCounts(10, 0, 0.5)).toEqual({ kA: 6, kB: 6 });
    expect(selectionCounts(4, 3, 0.99)).toEqual({ kA: 4, kB: 1 });
    expect(selectionCounts(3, 3, 0.5)).toEqual({ kA: 2, kB: 0 }); // no generation key blocks
    expect(selectionCounts(2, 5, 0.5)).toEqual({ kA: 2, kB: 0 }); // g past nkb (Nk < Nq): never negative
  });

  test("topBlocks: largest first, ties to the lower index, result ascending", () => {
    const v = Float64Array.of(1, 3, 3, 2, 3);
    expect(topBlocks(v, 0, 0, 5, 2)).toEqual([1, 2]);
    expect(topBlocks(v, 0, 0, 5, 3)).toEqual([1, 2, 4]);
    expect(topBlocks(v, 0, 2, 5, 2)).toEqual([2, 4]);
    expect(topBlocks(v, 1, 0, 4, 1)).toEqual([0]); // offset: values 3, 3, 2, 3
    expect(() => topBlocks(Float64Array.of(1, NaN), 0, 0, 2, 1)).toThrow(SparsedError);
  });
});

describe("block importance, hand computed", () => {
  test("uniform P with tails: rows and columns past the end count zero, still divided by b*b", () => {
    // q = 0: every P = 1/5. b = 2, Nq = Nk = 5: blocks of 2, 2, 1 rows and columns. G = 2 gives g = 2.
    const imp = blockImportance(new Float64Array(5), Float64Array.of(0.3, -1, 2, 0.5, 1), shape1(5, 5), { blockSize: 2, genLength: 2 });
    expect([imp.nqb, imp.nkb, imp.g, imp.usedLse]).toEqual([3, 3, 2, false]);
    const want = [
      [0.2, 0.2, 0.1],
      [0.2, 0.2, 0.1],
      [0.1, 0.1, 0.05],
    ];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(at(imp.prompt, 3, i, j)).toBeCloseTo(want[i]![j]!, 14);
    // generation: softmax over key 4 alone (P' = 1); j < g is not a candidate.
    const gen = [0.5, 0.5, 0.25];
    for (let i = 0; i < 3; i++) {
      expect(at(imp.generation, 3, i, 0)).toBe(-Infinity);
      expect(at(imp.generation, 3, i, 1)).toBe(-Infinity);
      expect(at(imp.generation, 3, i, 2)).toBeCloseTo(gen[i]!, 14);
    }
  });

  test("b = 3 over N = 4: the 1x1 tail block is P / 9", () => {
    const imp = blockImportance(new Float64Array(4), Float64Array.of(1, 2, 3, 4), shape1(4, 4), { blockSize: 3, genLength: 0 });
    expect(at(imp.prompt, 2, 1, 1)).toBeCloseTo(0.25 / 9, 15);
    expect(at(imp.prompt, 2, 0, 0)).toBeCloseTo((9 * 0.25) / 9, 15);
    expect(at(imp.prompt, 2, 0, 1)).toBeCloseTo((3 * 0.25) / 9, 15);
  });

  // Keys 0, ln 2, ln 3 (D = 1, scale 1). q = 1 gives P = [1, 2, 3]/6; q = 0 gives [1, 1, 1]/3; q = 2 gives [1, 4, 9]/14.
  const q = Float64Array.of(1, 0, 2);
  const k = Float64Array.of(0, Math.LN2, Math.log(3));

  test("non-uniform P: values and the drop of prompt picks at j >= g", () => {
    const imp = blockImportance(q, k, shape1(3, 3), { blockSize: 2, genLength: 1 });
    expect(imp.g).toBe(1); // i=1: 3 - 2 = 1 <= 1
    expect(at(imp.prompt, 2, 0, 0)).toBeCloseTo((1 / 6 + 2 / 6 + 1 / 3 + 1 / 3) / 4, 14); // 7/24
    expect(at(imp.prompt, 2, 0, 1)).toBeCloseTo((3 / 6 + 1 / 3) / 4, 14); // 5/24
    expect(at(imp.prompt, 2, 1, 0)).toBeCloseTo(5 / 14 / 4, 14);
    expect(at(imp.prompt, 2, 1, 1)).toBeCloseTo(9 / 14 / 4, 14);
    expect(at(imp.generation, 2, 0, 1)).toBeCloseTo(2 / 4, 14); // one generation key: P' = 1 per row
    expect(at(imp.generation, 2, 1, 1)).toBeCloseTo(1 / 4, 14);
    // kA = kB = 1. Row 0: prompt picks block 0 (7/24 > 5/24), kept. Row 1: prompt picks block 1 (9/56 > 5/56),
    // dropped since 1 >= g; the generation part adds block 1.
    const p = selectPattern(q, k, shape1(3, 3), { blockSize: 2, genLength: 1, select: 0.3 });
    expect(patternRows(p)).toEqual([[0, 1], [1]]);
  });

  test("a prompt-part pick at j = g is dropped even when the generation part does not pick it", () => {
    // Nq = Nk = 8, b = 2, G = 4: g = 2, kA = 2, kB = 1 (select 0.3). Query block 0, D = 4 (scale 0.5):
    // row 0 puts nearly all its mass on block 0 and its generation mass on block 3; row 1 leans to block 2.
    // Prompt part: block 0 (~1.09) and block 2 (~0.71) beat block 3 (~0.10): picks {0, 2}, drops 2.
    // Generation part: block 3 (~1.11) beats block 2 (~0.89): adds 3. So the row is {0, 3}, without 2.
    const s = shape1(8, 8, 4);
    const q = new Float64Array(32);
    q.set([1, 0, 1, 0], 0); // row 0: e0 + e2
    q.set([0, 1, 0, 0], 4); // row 1: e1
    const k = new Float64Array(32);
    for (const c of [0, 1]) k[c * 4 + 0] = 20; // block 0: 20 e0
    for (const c of [4, 5]) k[c * 4 + 1] = 4; // block 2: 4 e1
    for (const c of [6, 7]) k[c * 4 + 2] = 10; // block 3: 10 e2
    const imp = blockImportance(q, k, s, { blockSize: 2, genLength: 4 });
    expect(imp.g).toBe(2);
    expect(topBlocks(imp.prompt, 0, 0, 4, 2)).toEqual([0, 2]);
    expect(topBlocks(imp.generation, 0, 2, 4, 1)).toEqual([3]);
    const p = selectPattern(q, k, s, { blockSize: 2, genLength: 4, select: 0.3 });
    expect(Array.from(p.row(0, 0, 0))).toEqual([0, 3]);
    expect(patternRows(p)).toEqual(naiveSelection(q, k, s, 2, 4, 0.3, 0.5).rows);
  });

  test("matches the naive full-matrix computation (GQA, batch 2, tails, Nq != Nk)", () => {
    for (const [s, bs, G, seed] of [
      [shape1(9, 11, 4, 4, 2, 2), 2, 3, 1],
      [shape1(13, 7, 3, 3, 1, 1), 4, 5, 2],
      [shape1(7, 13, 5, 2, 2, 2), 3, 0, 3],
    ] as const) {
      const { q, k } = randomProblem(s, seed);
      const scale = 1 / Math.sqrt(s.headDim);
      const imp = blockImportance(q, k, s, { blockSize: bs, genLength: G });
      const ref = naiveSelection(q, k, s, bs, G, 0.4, scale);
      expect(imp.g).toBe(ref.g);
      expect(imp.prompt.length).toBe(ref.prompt.length);
      for (let n = 0; n < ref.prompt.length; n++) {
        expect(imp.prompt[n]!).toBeCloseTo(ref.prompt[n]!, 13);
        const want = ref.generation[n]!;
        if (want === -Infinity) expect(imp.generation[n]!).toBe(-Infinity);
        else expect(imp.generation[n]!).toBeCloseTo(want, 13);
      }
    }
  });
});

describe("ties", () => {
  test("equal importances: the lower kv block index wins", () => {
    // Identical keys: P is uniform, so full blocks 0..2 tie exactly. Nq = Nk = 8, b = 2, G = 0: g = 3.
    // kA = floor(4*0.3)+1 = 2 -> {0, 1} (not {1, 2} or {0, 2}); generation part: block 3 alone.
    const s = shape1(8, 8, 2);
    const q = uniform(16, rng(5));
    const k = new Float64Array(16).fill(0.7);
    const imp = blockImportance(q, k, s, { blockSize: 2, genLength: 0 });
    for (let i = 0; i < 4; i++) {
      expect(at(imp.prompt, 4, i, 1)).toBe(at(imp.prompt, 4, i, 0));
      expect(at(imp.prompt, 4, i, 2)).toBe(at(imp.prompt, 4, i, 0));
    }
    const p = selectPattern(q, k, s, { blockSize: 2, genLength: 0, select: 0.3 });
    expect(patternRows(p)).toEqual([
      [0, 1, 3],
      [0, 1, 3],
      [0, 1, 3],
      [0, 1, 3],
    ]);
  });

  test("ties in the generation part, and a tail block that loses by its size", () => {
    // Identical keys, Nk = 7: blocks 0..2 tie, block 3 holds one key (half their importance). G >= N: g = 0.
    const s = shape1(7, 7, 1);
    const q = uniform(7, rng(6));
    const k = new Float64Array(7).fill(-0.4);
    // kB = floor(4*0.3)+1 = 2 among three tied blocks: the lower two.
    expect(patternRows(selectPattern(q, k, s, { blockSize: 2, genLength: 7, select: 0.3 }))).toEqual([[0, 1], [0, 1], [0, 1], [0, 1]]);
    // kB = floor(4*0.5)+1 = 3: all tied blocks, never the tail.
    expect(patternRows(selectPattern(q, k, s, { blockSize: 2, genLength: 7, select: 0.5 }))).toEqual([[0, 1, 2], [0, 1, 2], [0, 1, 2], [0, 1, 2]]);
  });
});

describe("edge cases of G", () => {
  test("G = 0: g = nqb - 1, the last kv block comes from the generation part", () => {
    const s = shape1(6, 6, 3, 2, 1);
    const { q, k } = randomProblem(s, 11);
    const imp = blockImportance(q, k, s, { blockSize: 2, genLength: 0 });
    expect(imp.g).toBe(2);
    // One generation block: its importance is (rows of block i) * 1 / b^2.
    for (let h = 0; h < 2; h++) for (let i = 0; i < 3; i++) expect(imp.generation[(h * 3 + i) * 3 + 2]!).toBeCloseTo(0.5, 14);
    const p = selectPattern(q, k, s, { blockSize: 2, genLength: 0, select: 0.3 }); // kA = 1, kB = 1
    for (const row of patternRows(p)) {
      expect(row.at(-1)).toBe(2);
      expect(row.length).toBeLessThanOrEqual(2);
    }
    expect(patternRows(p)).toEqual(naiveSelection(q, k, s, 2, 0, 0.3, 1 / Math.sqrt(3)).rows);
  });

  test("G >= N: g = 0, the prompt part keeps nothing, the generation part equals a full softmax top-k", () => {
    const s = shape1(9, 9, 4, 2, 2);
    const { q, k } = randomProblem(s, 12);
    for (const G of [9, 50]) {
      const imp = blockImportance(q, k, s, { blockSize: 2, genLength: G });
      expect(imp.g).toBe(0);
      for (let n = 0; n < imp.prompt.length; n++) expect(imp.generation[n]!).toBeCloseTo(imp.prompt[n]!, 14);
      const p = selectPattern(q, k, s, { blockSize: 2, genLength: G, select: 0.3 });
      const { kB } = selectionCounts(5, 0, 0.3);
      expect(kB).toBe(2);
      for (let r = 0; r < p.counts.length; r++) {
        expect(p.counts[r]).toBe(kB);
        expect(Array.from(p.indices.subarray(r * 5, r * 5 + kB))).toEqual(topBlocks(imp.prompt, r * 5, 0, 5, kB));
      }
    }
  });

  test("Nk < Nq with g >= nkb: no generation keys, kB = 0, prompt picks kept whole", () => {
    const s = shape1(10, 4, 2);
    const { q, k } = randomProblem(s, 13);
    const imp = blockImportance(q, k, s, { blockSize: 2, genLength: 0 });
    expect([imp.g, imp.nkb]).toEqual([4, 2]);
    expect(imp.generation.every((x) => x === -Infinity)).toBe(true);
    const p = selectPattern(q, k, s, { blockSize: 2, genLength: 0, select: 0.3 }); // kA = 1
    expect(Array.from(p.counts)).toEqual([1, 1, 1, 1, 1]);
    p.validate();
    // G = 8: g = 1 < nkb, the generation part covers keys [2, 4).
    expect(patternRows(selectPattern(q, k, s, { blockSize: 2, genLength: 8, select: 0.3 }))).toEqual(naiveSelection(q, k, s, 2, 8, 0.3, 1 / Math.sqrt(2)).rows);
  });
});

describe("selection scale", () => {
  test("1/sqrt(Hq) (LLaDA parity) picks differently from the default 1/sqrt(D) on a crafted input", () => {
    // D = 1, Hq = 4: default scale 1, LLaDA scale 0.5. Keys: block 0 = one strong key (4), block 1 = two
    // moderate keys (3, 3). At scale 1: e^4 = 54.6 > 2e^3 = 40.2; at 0.5: e^2 = 7.39 < 2e^1.5 = 8.96.
    const s = shape1(6, 6, 1, 4, 1);
    const q = new Float64Array(24).fill(1);
    const k = Float64Array.of(4, -30, 3, 3, -30, -30);
    const opts = { blockSize: 2, genLength: 0, select: 0.3 }; // g = 2, kA = 1, kB = 1
    const byDefault = selectPattern(q, k, s, opts);
    const llada = selectPattern(q, k, s, { ...opts, selectionScale: 1 / Math.sqrt(4) });
    expect(patternRows(byDefault).every((r) => r.join() === "0,2")).toBe(true);
    expect(patternRows(llada).every((r) => r.join() === "1,2")).toBe(true);
    expect(byDefault.equals(llada)).toBe(false);
  });
});

describe("LSE path", () => {
  const s = shape1(11, 11, 4, 4, 2, 2);
  const { q, k, v } = randomProblem(s, 21);
  const scale = 1 / Math.sqrt(4);
  const { lse } = referenceAttention({ q, k, v, shape: s, scale });

  test("the dense pass's LSE gives the same importance and pattern as recomputing", () => {
    const opts = { blockSize: 3, genLength: 4 };
    const fromLse = blockImportance(q, k, s, { ...opts, lse });
    const recomputed = blockImportance(q, k, s, opts);
    expect([fromLse.usedLse, recomputed.usedLse]).toEqual([true, false]);
    for (let n = 0; n < fromLse.prompt.length; n++) expect(fromLse.prompt[n]!).toBeCloseTo(recomputed.prompt[n]!, 13);
    for (const select of [0.2, 0.5, 1])
      expect(selectPattern(q, k, s, { ...opts, select, lse }).equals(selectPattern(q, k, s, { ...opts, select }))).toBe(true);
  });

  test("the LSE really is used when the scales match, and ignored when they differ", () => {
    const shifted = lse.map((x) => x + Math.LN2); // halves every prompt probability
    const base = blockImportance(q, k, s, { blockSize: 3, genLength: 4 });
    const halved = blockImportance(q, k, s, { blockSize: 3, genLength: 4, lse: shifted, attentionScale: scale });
    for (let n = 0; n < base.prompt.length; n++) expect(halved.prompt[n]!).toBeCloseTo(base.prompt[n]! / 2, 13);
    const other = blockImportance(q, k, s, { blockSize: 3, genLength: 4, lse: shifted, selectionScale: 0.5 / Math.sqrt(4) });
    const otherRecomputed = blockImportance(q, k, s, { blockSize: 3, genLength: 4, selectionScale: 0.5 / Math.sqrt(4) });
    expect(other.usedLse).toBe(false);
    expect(Array.from(other.prompt)).toEqual(Array.from(otherRecomputed.prompt));
  });

  test("an LSE of the wrong length is rejected", () => {
    expect(() => blockImportance(q, k, s, { blockSize: 3, genLength: 4, lse: lse.subarray(1) })).toThrow(/lse has 87 elements, expected \[B, Hq, Nq\] = 88/);
  });
});

describe("random inputs", () => {
  test("every row non-empty, validate() passes, and the pattern equals the naive selection", () => {
    const next = rng(99);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!;
    for (let t = 0; t < 40; t++) {
      const [hq, hkv] = pick([[1, 1], [2, 1], [4, 2], [3, 3]] as const);
      const s = shape1(1 + Math.floor(next() * 14), 1 + Math.floor(next() * 14), pick([1, 2, 3]), hq, hkv, pick([1, 2]));
      const bs = pick([1, 2, 3, 4]);
      const G = Math.floor(next() * (s.nq + 3));
      const select = pick([0.01, 0.2, 0.3, 0.5, 0.9, 1]);
      const { q, k } = randomProblem(s, 1000 + t);
      const p = selectPattern(q, k, s, { blockSize: bs, genLength: G, select });
      p.validate();
      const { kA, kB } = selectionCounts(p.nkb, generationBoundary(s.nq, bs, G), select);
      for (const c of p.counts) {
        expect(c).toBeGreaterThanOrEqual(1);
        expect(c).toBeLessThanOrEqual(kA + kB);
      }
      expect(patternRows(p)).toEqual(naiveSelection(q, k, s, bs, G, select, 1 / Math.sqrt(s.headDim)).rows);
    }
  });

  test("select = 1 keeps every block", () => {
    const s = shape1(10, 9, 2, 2, 1, 2);
    const { q, k } = randomProblem(s, 7);
    for (const G of [0, 3, 10]) expect(selectPattern(q, k, s, { blockSize: 4, genLength: G, select: 1 }).density()).toBe(1);
  });

  test("bad options are rejected with how to fix them", () => {
    const s = shape1(4, 4, 2);
    const { q, k } = randomProblem(s, 8);
    expect(() => selectPattern(q, k, s, { blockSize: 2, genLength: 0, select: 0 })).toThrow(/select = 0: the selection ratio must be in \(0, 1\]/);
    expect(() => selectPattern(q, k, s, { blockSize: 0, genLength: 0, select: 0.5 })).toThrow(/blockSize = 0 must be a positive integer/);
    expect(() => selectPattern(q, k, s, { blockSize: 2, genLength: -1, select: 0.5 })).toThrow(/genLength = -1/);
    expect(() => selectPattern(q, k, s, { blockSize: 2, genLength: 0, select: 0.5, selectionScale: -1 })).toThrow(/selectionScale = -1/);
    expect(() => selectPattern(q.subarray(1), k, s, { blockSize: 2, genLength: 0, select: 0.5 })).toThrow(/q has 7 elements, expected 8/);
    expect(() => selectPattern(q, k, { ...s, hq: 3, hkv: 2 }, { blockSize: 2, genLength: 0, select: 0.5 })).toThrow(/Hq % Hkv == 0/);
  });
});

describe("block-LSE path (select_block_lse.cuh's arithmetic, in float64)", () => {
  test("importances and patterns from block LSEs equal those from Q and K", () => {
    for (const [s, seed, bs, G] of [
      [shape1(11, 11, 4, 4, 2, 2), 31, 3, 4],
      [shape1(13, 29, 8, 2, 1), 32, 4, 5], // Nq != Nk, a tail block, a generation part of several blocks
      [shape1(9, 7, 4, 2, 2), 33, 2, 0], // G = 0: g = nqb - 1 >= nkb, no generation part
    ] as const) {
      const { q, k, v } = randomProblem(s, seed);
      const scale = 1 / Math.sqrt(s.headDim);
      const { lse } = referenceAttention({ q, k, v, shape: s, scale });
      const z = blockLseReference(q, k, s, bs, scale);
      const fromZ = importanceFromBlockLse(z, lse, s, { blockSize: bs, genLength: G });
      const direct = blockImportance(q, k, s, { blockSize: bs, genLength: G, lse });
      expect([fromZ.nqb, fromZ.nkb, fromZ.g]).toEqual([direct.nqb, direct.nkb, direct.g]);
      for (let n = 0; n < direct.prompt.length; n++) {
        expect(fromZ.prompt[n]!).toBeCloseTo(direct.prompt[n]!, 13);
        if (direct.generation[n] === -Infinity) expect(fromZ.generation[n]).toBe(-Infinity);
        else expect(fromZ.generation[n]!).toBeCloseTo(direct.generation[n]!, 13);
      }
      for (const select of [0.2, 0.5, 1])
        expect(patternFromImportance(fromZ, s, { blockSize: bs, select }).equals(selectPattern(q, k, s, { blockSize: bs, genLength: G, select, lse }))).toBe(true);
    }
  });

  test("block LSEs are each block's log-sum-exp, and wrong lengths are rejected", () => {
    const s = shape1(5, 7, 2);
    const { q, k } = randomProblem(s, 34);
    const z = blockLseReference(q, k, s, 3, 0.5);
    expect(z.length).toBe(3 * 5); // [1, 1, nkb = 3, Nq = 5]
    const row = 4, j = 2; // block 2 holds key 6 alone
    const dot = q[2 * row]! * k[2 * 6]! + q[2 * row + 1]! * k[2 * 6 + 1]!;
    expect(z[j * 5 + row]!).toBeCloseTo(0.5 * dot, 13);
    expect(() => importanceFromBlockLse(z.subarray(1), new Float64Array(5), s, { blockSize: 3, genLength: 0 })).toThrow(/block LSEs have 14 elements, expected \[B, Hq, nkb, Nq\] = 15/);
    expect(() => importanceFromBlockLse(z, new Float64Array(4), s, { blockSize: 3, genLength: 0 })).toThrow(/lse has 4 elements/);
  });
});
