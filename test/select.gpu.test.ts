// GPU: the selection kernels against the CPU selection (shared/DESIGN.md sections 1 and 3): equal sets,
// or, where fp32 sums on the GPU flip a near-tie that float64 on the CPU breaks the other way, equal
// importance. Skipped, with the reason printed, where no GPU is usable.
import { describe, expect, test } from "bun:test";
import { dense, pickDenseVariant } from "../src/dense";
import { DevicePattern } from "../src/device-pattern";
import type { Dtype } from "../src/dtype";
import { SparsedError } from "../src/errors";
import { native } from "../src/native";
import { pickSelectVariant, selectBlocks, selectFloat32, selectParams } from "../src/select";
import { selectionCounts } from "../src/selection";
import { allowedFlips, compareWithCpuSelection } from "../src/variant-check";
import { DeviceTensor } from "../src/tensor";
import { freeProblem, gpuReason, makeProblem, type Problem, type ShapeCase } from "./support/attention";

interface Case extends Omit<ShapeCase, "rows"> {
  genLength: number;
  select: number;
  /** "lse": the dense pass's LSE serves (same scale); "recompute": selectionScale = 1/sqrt(Hq), so
   *  the kernel computes its own row statistics (the LSE is passed anyway and must be ignored). */
  path: "lse" | "recompute";
}

// Sizes keep the float64 CPU reference at a few seconds for all variants together.
const CASES: Case[] = [
  { name: "N=1", batch: 1, nq: 1, nk: 1, hq: 2, hkv: 1, genLength: 0, select: 0.5, path: "lse", strided: false },
  { name: "N=160 GQA 4/2 batch 2 G=0 select 0.1", batch: 2, nq: 160, nk: 160, hq: 4, hkv: 2, genLength: 0, select: 0.1, path: "lse", strided: false },
  { name: "Nq=100 Nk=301 G=37 select 0.5 strided", batch: 1, nq: 100, nk: 301, hq: 2, hkv: 1, genLength: 37, select: 0.5, path: "recompute", strided: true },
  { name: "Nq=Nk=700 head-major GQA 4/2 G=128 select 0.3", batch: 1, nq: 700, nk: 700, hq: 4, hkv: 2, genLength: 128, select: 0.3, path: "lse", strided: "head-major" },
  { name: "Nq=301 Nk=70 (g >= nkb) G=0 select 0.3", batch: 1, nq: 301, nk: 70, hq: 2, hkv: 2, genLength: 0, select: 0.3, path: "lse", strided: false },
  // nkb 66 / 33 / 17: more kv blocks than a b=32 CTA has threads, sorts padded to a power of two.
  { name: "Nq=20 Nk=2100 G=10 select 0.1", batch: 1, nq: 20, nk: 2100, hq: 1, hkv: 1, genLength: 10, select: 0.1, path: "recompute", strided: false },
  { name: "N=200 G=200 (G >= N) select 0.5", batch: 1, nq: 200, nk: 200, hq: 2, hkv: 1, genLength: 200, select: 0.5, path: "lse", strided: false },
  // The dense LSE with a short generation part: the sm90a kernels defer it (no statistics pass;
  // generation tiles first with an online max); at b = 32 the boundary splits a 64-key tile.
  { name: "N=300 G=100 select 0.3 (deferred generation part)", batch: 1, nq: 300, nk: 300, hq: 2, hkv: 1, genLength: 100, select: 0.3, path: "lse", strided: false },
  { name: "Nq=130 Nk=1000 G=300 GQA batch 2 select 0.2 (generation blocks of several tiles)", batch: 2, nq: 130, nk: 1000, hq: 4, hkv: 2, genLength: 300, select: 0.2, path: "lse", strided: true },
  { name: "N=200 batch 2 G=45 select 0.1 strided", batch: 2, nq: 200, nk: 200, hq: 2, hkv: 1, genLength: 45, select: 0.1, path: "recompute", strided: true },
];

// Every built select variant is checked.
const VARIANTS = gpuReason ? [] : native().manifest.variants.filter((v) => v.op === "select");

function denseBuilt(headDim: number, dtype: Dtype): boolean {
  try {
    pickDenseVariant({ batch: 1, nq: 1, nk: 1, hq: 1, hkv: 1, headDim, dtype });
    return true;
  } catch (e) {
    if (e instanceof SparsedError && e.code === "NOT_BUILT") return false;
    throw e;
  }
}

describe.skipIf(VARIANTS.length === 0)("selection on the GPU vs the CPU selection", () => {
  let seed = Number(process.env.SPARSED_TEST_SEED ?? Date.now() % 100000);
  console.log(`select GPU tests: seed ${seed} (set SPARSED_TEST_SEED to repeat)`);
  for (const { id, headDim: D, dtype, blockN: bs } of VARIANTS)
    for (const c of CASES)
      test(`${id} ${c.name} (${c.path})`, () => {
        const s = ++seed;
        if (c.path === "lse" && !denseBuilt(D, dtype)) {
          console.log(`  ${id} ${c.name}: skipped, no dense kernel for head dim ${D} ${dtype} is built (its LSE is the input)`);
          return;
        }
        const shape = { batch: c.batch, nq: c.nq, nk: c.nk, hq: c.hq, hkv: c.hkv, headDim: D };
        const p: Problem = makeProblem(shape, dtype, s, c.strided);
        const pshape = { batch: c.batch, hq: c.hq, nq: c.nq, nk: c.nk, blockSize: bs };
        const out = DevicePattern.empty(pshape);
        let lse: DeviceTensor | null = null;
        try {
          if (denseBuilt(D, dtype)) {
            const d = dense(p.q, p.k, p.v);
            d.out.free();
            lse = d.lse;
          }
          // Poison: counts 0xffffffff (-1, below every valid count); indices 0x7f7f7f7f (no valid index,
          // and not the -1 padding either, which 0xff would be), so every slot must be written.
          out.counts.buffer.fill(0xff);
          out.indices.buffer.fill(0x7f);
          const selectionScale = c.path === "recompute" ? 1 / Math.sqrt(c.hq) : undefined;
          const got = selectBlocks(p.q, p.k, { blockSize: bs, select: c.select, genLength: c.genLength, selectionScale, lse, out, variant: id });
          expect(got).toBe(out);
          const gpu = out.toHost();
          expect(() => gpu.validate()).not.toThrow();

          const lseHost = c.path === "lse" ? lse!.toHost() : undefined;
          const ref = { blockSize: bs, genLength: c.genLength, selectionScale, lse: lseHost };
          const r = compareWithCpuSelection(p, gpu, { ...ref, select: c.select });
          expect(r.problems).toEqual([]);
          const rows = r.rows;
          console.log(
            `  ${id} ${c.name} (${c.path}): ${r.differing}/${rows} rows differ from the CPU's sets` +
              (r.differing ? ` (worst importance shortfall ${r.worst.toExponential(2)})` : "") +
              `, density ${gpu.density().toFixed(3)}`,
          );
          expect(r.differing).toBeLessThanOrEqual(allowedFlips(rows)); // near-tie flips only
        } finally {
          freeProblem(p);
          out.free();
          lse?.free();
        }
      });

  test("bad arguments are errors with a way out, in TypeScript and in C", () => {
    const v = VARIANTS[0]!;
    const p = makeProblem({ batch: 1, nq: 70, nk: 90, hq: 2, hkv: 1, headDim: v.headDim }, v.dtype, ++seed);
    const base = { blockSize: v.blockN, select: 0.3, genLength: 8 };
    const other = DeviceTensor.empty([1, 90, 1, v.headDim], v.dtype === "bf16" ? "fp16" : "bf16");
    const badLse = DeviceTensor.empty([1, 2, 71], "f32");
    const wrong = DevicePattern.empty({ batch: 1, hq: 2, nq: 70, nk: 90 + v.blockN, blockSize: v.blockN });
    try {
      const code = (f: () => unknown) => {
        try {
          f();
        } catch (e) {
          return `${(e as SparsedError).code}: ${(e as Error).message}`;
        }
        return "no error";
      };
      expect(code(() => selectBlocks(p.q, p.k, { ...base, blockSize: 48 }))).toMatch(/^INVALID: blockSize = 48.*32, 64, 128/);
      expect(code(() => selectBlocks(p.q, p.k, { ...base, select: 0 }))).toMatch(/^INVALID: select = 0/);
      expect(code(() => selectBlocks(p.q, p.k, { ...base, genLength: -1 }))).toMatch(/^INVALID: genLength = -1/);
      expect(code(() => selectBlocks(p.q, p.k, { ...base, selectionScale: Number.NaN }))).toMatch(/^INVALID: selectionScale/);
      expect(code(() => selectBlocks(p.q, other, base))).toMatch(/^INVALID: q, k, v must share one dtype/);
      expect(code(() => selectBlocks(p.q, p.k, { ...base, lse: badLse }))).toMatch(/^INVALID: lse must be a contiguous f32 tensor \[1, 2, 70\]/);
      expect(code(() => selectBlocks(p.q, p.k, { ...base, out: wrong }))).toMatch(/^INVALID: out pattern was made for/);
      expect(code(() => selectBlocks(p.q, p.k, { ...base, variant: "select_hd128_bm512_bn64_w16_s4_bf16_sm90a" }))).toMatch(/^NOT_BUILT: select variant .* is not built/);
      const otherBlock = VARIANTS.find((x) => x.blockN !== v.blockN)!;
      expect(code(() => selectBlocks(p.q, p.k, { ...base, variant: otherBlock.id }))).toMatch(/^INVALID: variant .* at block size/);
      // The C launcher checks the struct itself (here: a pattern whose nkb does not match Nk).
      const entry = pickSelectVariant({ headDim: v.headDim, dtype: v.dtype }, v.blockN, v.id);
      const ws = DeviceTensor.empty([1, 2, 70], "f32");
      try {
        const shape = { batch: 1, nq: 70, nk: 90, hq: 2, hkv: 1, headDim: v.headDim, dtype: v.dtype };
        const params = selectParams(p.q, p.k, 0n, ws.ptr, shape, 8, selectFloat32(0.3, wrong.nkb, 0), 0.125, wrong);
        expect(code(() => native().launch(entry, params, 0n))).toMatch(/^INVALID: .*pattern nqb\/nkb/);
      } finally {
        ws.free();
      }
    } finally {
      freeProblem(p);
      other.free();
      badLse.free();
      wrong.free();
    }
  });
});

describe("selectFloat32: the float the C launcher gets keeps the float64 counts", () => {
  test("kA and kB computed from the float32 equal selectionCounts over many n and ratios", () => {
    for (const select of [0.1, 0.2, 0.29, 0.3, 0.5, 0.7, 0.9, 1, 1e-9, 0.123456789])
      for (let nkb = 1; nkb <= 600; nkb += 7)
        for (const g of [0, 1, Math.floor(nkb / 2), nkb - 1, nkb + 3]) {
          const f = selectFloat32(select, nkb, g);
          expect(Math.fround(f)).toBe(f);
          expect(f > 0 && f <= 1).toBe(true);
          expect(selectionCounts(nkb, g, f)).toEqual(selectionCounts(nkb, g, select));
        }
    // The case the nudge exists for: float32(0.7) * 10 rounds below 7.
    expect(selectionCounts(10, 0, Math.fround(0.7)).kA).toBe(7);
    expect(selectionCounts(10, 0, selectFloat32(0.7, 10, 0)).kA).toBe(8);
  });
});

if (gpuReason) test.skip(`select GPU tests: ${gpuReason}`, () => {});
