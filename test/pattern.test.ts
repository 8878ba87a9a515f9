// SparsePattern: layout, density, validation rules, JSON round trip, shape checks.
import { describe, expect, test } from "bun:test";
import { SparsePattern, type PatternShape } from "../src/pattern";
import type { HostShape } from "../src/reference";
import { expectInvalid } from "./support/errors";

// nqb = 3 (rows 2, 2, 1), nkb = 4 (columns 2, 2, 2, 1): tails on both axes.
const shape: PatternShape = { batch: 1, hq: 2, nq: 5, nk: 7, blockSize: 2 };
const rows = [
  [
    [[0], [1, 0], [3, 1, 2]], // unsorted on purpose: fromRows sorts
    [[0, 1, 2, 3], [3], [2, 3]],
  ],
];


describe("layout", () => {
  test("fromRows fills counts, ascending indices and -1 padding", () => {
    const p = SparsePattern.fromRows(shape, rows);
    expect([p.nqb, p.nkb]).toEqual([3, 4]);
    expect(Array.from(p.counts)).toEqual([1, 2, 3, 4, 1, 2]);
    expect(Array.from(p.indices.subarray(0, 12))).toEqual([0, -1, -1, -1, 0, 1, -1, -1, 1, 2, 3, -1]);
    expect(Array.from(p.row(0, 0, 2))).toEqual([1, 2, 3]);
    expect(Array.from(p.row(0, 1, 1))).toEqual([3]);
    expectInvalid(() => p.row(0, 2, 0), /outside \[1, 2, 3\]/);
    expectInvalid(() => p.row(0, 0, 3), /outside/);
  });

  test("constructor checks array lengths", () => {
    expectInvalid(() => new SparsePattern(shape, new Int32Array(5), new Int32Array(24)), /counts has 5 entries, expected B\*Hq\*nqb = 6/);
    expectInvalid(() => new SparsePattern(shape, new Int32Array(6), new Int32Array(23)), /indices has 23 entries, expected B\*Hq\*nqb\*nkb = 24/);
    expectInvalid(() => new SparsePattern({ ...shape, nk: 0 }, new Int32Array(6), new Int32Array(0)), /nk = 0 must be a positive integer/);
  });
});

describe("density", () => {
  const p = SparsePattern.fromRows(shape, rows);

  test("kept blocks over all blocks, tail blocks counted as blocks", () => {
    expect(p.density()).toBeCloseTo(13 / 24, 15);
    expect(Array.from(p.densityPerHead())).toEqual([6 / 12, 7 / 12]);
  });

  test("keptPairs counts real rows and columns of tail blocks", () => {
    // head 0: 2*2 + 2*4 + 1*(2+2+1) = 17; head 1: 2*7 + 2*1 + 1*(2+1) = 19
    expect(p.keptPairs()).toBe(36);
    expect(p.keptFraction()).toBeCloseTo(36 / 70, 15);
  });

  test("full pattern keeps everything", () => {
    const f = SparsePattern.full(shape);
    expect(f.density()).toBe(1);
    expect(f.keptFraction()).toBe(1);
    expect(Array.from(f.row(0, 1, 2))).toEqual([0, 1, 2, 3]);
  });
});

describe("validate", () => {
  // One row (B = Hq = 1, nqb = 1, nkb = 4) per case.
  const one: PatternShape = { batch: 1, hq: 1, nq: 2, nk: 8, blockSize: 2 };
  const make = (count: number, idx: number[]) => new SparsePattern(one, Int32Array.of(count), Int32Array.from(idx));

  test("a valid row passes", () => {
    make(2, [1, 3, -1, -1]).validate();
    make(4, [0, 1, 2, 3]).validate();
  });

  const cases: [string, number, number[], RegExp][] = [
    ["count 0", 0, [-1, -1, -1, -1], /count 0 must be in 1\.\.4/],
    ["count over nkb", 5, [0, 1, 2, 3], /count 5 must be in 1\.\.4/],
    ["index past nkb", 2, [1, 4, -1, -1], /kv block 4 at entry 1 is outside \[0, 4\)/],
    ["negative index inside the count", 2, [-1, 2, -1, -1], /kv block -1 at entry 0 is outside/],
    ["descending", 2, [2, 1, -1, -1], /strictly ascending .* entry 1 is 1 after 2/],
    ["duplicate", 3, [0, 2, 2, -1], /strictly ascending .* entry 2 is 2 after 2/],
    ["padding not -1", 2, [0, 2, 3, -1], /entry 2 past the count 2 is 3; padding must be -1/],
    ["padding 0", 1, [1, 0, -1, -1], /entry 1 past the count 1 is 0/],
  ];
  for (const [name, count, idx, message] of cases) test(`rejects ${name}`, () => expectInvalid(() => make(count, idx).validate(), message));

  test("the error names the row", () => {
    const p = SparsePattern.fromRows(shape, rows);
    p.counts[4] = 0; // (b=0, h=1, i=1)
    expectInvalid(() => p.validate(), /row \(b=0, h=1, i=1\): count 0/);
  });

  test("fromRows validates", () => {
    expectInvalid(() => SparsePattern.fromRows(one, [[[[1, 1]]]]), /strictly ascending/);
    expectInvalid(() => SparsePattern.fromRows(one, [[[[]]]]), /count 0/);
    expectInvalid(() => SparsePattern.fromRows(one, [[]]), /row \(b=0, h=0, i=0\) is missing/);
  });
});

describe("JSON and equality", () => {
  test("round trip through JSON text", () => {
    const p = SparsePattern.fromRows(shape, rows);
    const back = SparsePattern.fromJSON(JSON.stringify(p));
    expect(back.equals(p)).toBe(true);
    expect(back.shape).toEqual(p.shape);
    expect(Array.from(back.indices)).toEqual(Array.from(p.indices));
    expect(SparsePattern.fromJSON(p.toJSON()).equals(p)).toBe(true);
  });

  test("equals sees one changed index, count or shape", () => {
    const p = SparsePattern.fromRows(shape, rows);
    const q = SparsePattern.fromJSON(p.toJSON());
    q.indices[9] = 0;
    expect(q.equals(p)).toBe(false);
    const r = SparsePattern.fromJSON(p.toJSON());
    r.counts[0] = 2;
    expect(r.equals(p)).toBe(false);
    const s = SparsePattern.fromJSON({ ...p.toJSON(), shape: { ...shape, nk: 8 } });
    expect(s.equals(p)).toBe(false);
  });

  test("fromJSON rejects malformed or invalid input", () => {
    const j = SparsePattern.fromRows(shape, rows).toJSON();
    expectInvalid(() => SparsePattern.fromJSON("{}"), /expected \{ shape, counts/);
    expectInvalid(() => SparsePattern.fromJSON({ ...j, counts: j.counts.map((c) => c + 0.5) }), /counts must hold integers/);
    expectInvalid(() => SparsePattern.fromJSON({ ...j, indices: j.indices.slice(1) }), /indices has 23 entries/);
    expectInvalid(() => SparsePattern.fromJSON({ ...j, indices: j.indices.map((x) => (x === -1 ? 0 : x)) }), /padding must be -1/);
  });
});

describe("checkCompatible", () => {
  const p = SparsePattern.fromRows(shape, rows);

  test("accepts the shapes it was built for (HostShape with extra fields too)", () => {
    p.checkCompatible({ batch: 1, hq: 2, nq: 5, nk: 7 });
    p.checkCompatible({ batch: 1, hq: 2, nq: 5, nk: 7, blockSize: 2 });
    const host: HostShape = { batch: 1, nq: 5, nk: 7, hq: 2, hkv: 1, headDim: 64 };
    p.checkCompatible(host);
  });

  test("names both shapes and the fix", () => {
    expectInvalid(() => p.checkCompatible({ batch: 1, hq: 2, nq: 6, nk: 7 }), /built for B=1 Hq=2 Nq=5 Nk=7 blockSize=2 but is used with B=1 Hq=2 Nq=6 Nk=7 blockSize=2; select a new pattern/);
    expectInvalid(() => p.checkCompatible({ batch: 2, hq: 2, nq: 5, nk: 7 }), /used with B=2/);
    expectInvalid(() => p.checkCompatible({ batch: 1, hq: 4, nq: 5, nk: 7 }), /used with B=1 Hq=4/);
    expectInvalid(() => p.checkCompatible({ batch: 1, hq: 2, nq: 5, nk: 8 }), /Nk=8/);
    expectInvalid(() => p.checkCompatible({ batch: 1, hq: 2, nq: 5, nk: 7, blockSize: 4 }), /blockSize=4/);
  });
});
