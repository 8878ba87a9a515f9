// GPU: block LSEs (dense() with `blockLse`) and the selection from them (selectBlocks with `blockLse`).
// The block LSEs are held to a float64 log-sum-exp on sampled rows; the output and LSE of the same call
// to the reference (the dense suite's rule); the pattern to the CPU selection by the select suite's rule
// (equal sets, or equal importance on near-tie flips). Skipped, with the reason printed, where no GPU is
// usable or no dense variant that writes block LSEs is built.
import { describe, expect, test } from "bun:test";
import { archPreference, blockLseShape, dense, supportsBlockLse } from "../src/dense";
import { DevicePattern } from "../src/device-pattern";
import { SparsedError } from "../src/errors";
import { native } from "../src/native";
import { BLOCK_SIZES } from "../src/schedule";
import { selectBlocks } from "../src/select";
import { allowedFlips, checkAttentionOutput, compareWithCpuSelection } from "../src/variant-check";
import { DeviceTensor } from "../src/tensor";
import { freeProblem, gpuReason, makeProblem, type Problem, type ShapeCase } from "./support/attention";

interface Case extends Omit<ShapeCase, "rows"> {
  genLength: number;
  select: number;
}

const CASES: Case[] = [
  { name: "N=1", batch: 1, nq: 1, nk: 1, hq: 2, hkv: 1, genLength: 0, select: 0.5, strided: false },
  { name: "N=160 GQA 4/2 batch 2 G=0 select 0.1", batch: 2, nq: 160, nk: 160, hq: 4, hkv: 2, genLength: 0, select: 0.1, strided: false },
  { name: "Nq=100 Nk=301 G=37 select 0.5 strided", batch: 1, nq: 100, nk: 301, hq: 2, hkv: 1, genLength: 37, select: 0.5, strided: true },
  { name: "Nq=Nk=700 head-major GQA 4/2 G=128 select 0.3", batch: 1, nq: 700, nk: 700, hq: 4, hkv: 2, genLength: 128, select: 0.3, strided: "head-major" },
  { name: "Nq=301 Nk=70 (g >= nkb) G=0 select 0.3", batch: 1, nq: 301, nk: 70, hq: 2, hkv: 2, genLength: 0, select: 0.3, strided: false },
  { name: "Nq=20 Nk=2100 G=10 select 0.1", batch: 1, nq: 20, nk: 2100, hq: 1, hkv: 1, genLength: 10, select: 0.1, strided: false },
  { name: "N=300 G=100 select 0.3", batch: 1, nq: 300, nk: 300, hq: 2, hkv: 1, genLength: 100, select: 0.3, strided: false },
  { name: "Nq=130 Nk=1000 G=300 GQA batch 2 select 0.2", batch: 2, nq: 130, nk: 1000, hq: 4, hkv: 2, genLength: 300, select: 0.2, strided: true },
  // Row maxima rising along the keys: the held-max softmax (BN 128) fails on many blocks, and the block LSEs
  // of a step come from the fallback's full softmax against the new max there, against the held max elsewhere.
  { name: "N=700 rising keys GQA 8/2 G=128 select 0.3", batch: 1, nq: 700, nk: 700, hq: 8, hkv: 2, genLength: 128, select: 0.3, strided: false, rising: 6 },
];

// Every built dense variant that writes block LSEs, on a GPU that runs it.
const TARGETS = gpuReason ? [] : native().manifest.variants.filter((e) => supportsBlockLse(e) && archPreference().includes(e.arch));
if (!gpuReason && TARGETS.length === 0) console.log("block-LSE GPU tests: skipped, no dense variant that writes block LSEs is built or runs here (sm90a, blockN 128 or 192, warps 12)");

/** float64 log sum over block j's keys of exp(scale q_r . k) for row r of (batch b, head h). */
function blockLseRef(p: Problem, b: number, h: number, r: number, j: number, bs: number, scale: number): number {
  const { nq, nk, hq, hkv, headDim: D } = p.shape;
  const hk = Math.floor(h / (hq / hkv));
  const q = p.host.q, k = p.host.k;
  const qo = ((b * nq + r) * hq + h) * D;
  const s: number[] = [];
  for (let c = j * bs; c < Math.min(nk, (j + 1) * bs); c++) {
    const ko = ((b * nk + c) * hkv + hk) * D;
    let dot = 0;
    for (let d = 0; d < D; d++) dot += q[qo + d]! * k[ko + d]!;
    s.push(dot * scale);
  }
  const m = Math.max(...s);
  return m + Math.log(s.reduce((a, x) => a + Math.exp(x - m), 0));
}

describe.skipIf(TARGETS.length === 0)("block LSEs and the selection from them", () => {
  let seed = Number(process.env.SPARSED_TEST_SEED ?? Date.now() % 100000);
  console.log(`block-LSE GPU tests: seed ${seed} (set SPARSED_TEST_SEED to repeat)`);
  for (const { id, headDim: D, dtype } of TARGETS)
    for (const bs of BLOCK_SIZES.filter((b) => supportsBlockLse(TARGETS.find((e) => e.id === id)!, b)))
      for (const c of CASES)
        test(`${id} b=${bs} ${c.name}`, () => {
          const s = ++seed;
          const shape = { batch: c.batch, nq: c.nq, nk: c.nk, hq: c.hq, hkv: c.hkv, headDim: D };
          const p = makeProblem(shape, dtype, s, c.strided, c.rising);
          const blse = DeviceTensor.empty(blockLseShape(shape, bs), "f32");
          const pshape = { batch: c.batch, hq: c.hq, nq: c.nq, nk: c.nk, blockSize: bs };
          const out = DevicePattern.empty(pshape);
          let lse: DeviceTensor | null = null;
          try {
            blse.buffer.fill(0xff); // NaN: every (row, block) must be written
            const att = checkAttentionOutput(
              p,
              (o, l) => {
                dense(p.q, p.k, p.v, { out: o, lse: l, variant: id, blockLse: { out: blse, blockSize: bs } });
              },
              undefined,
              s,
            );
            expect(att.pass, att.detail).toBe(true);
            const z = Array.from(blse.toHost());
            expect(z.every((x) => !Number.isNaN(x))).toBe(true);
            const nkb = Math.ceil(c.nk / bs);
            const scale = 1 / Math.sqrt(D);
            let worst = 0;
            for (let n = 0; n < 12; n++) {
              const b = (s + n) % c.batch, h = (s + 3 * n) % c.hq, r = (s * 7 + 13 * n) % c.nq, j = (s + 5 * n) % nkb;
              const got = z[((b * c.hq + h) * nkb + j) * c.nq + r]!;
              worst = Math.max(worst, Math.abs(got - blockLseRef(p, b, h, r, j, bs, scale)));
            }
            expect(worst).toBeLessThan(2e-3);

            const d = dense(p.q, p.k, p.v, { variant: id, blockLse: { out: blse, blockSize: bs } });
            d.out.free();
            lse = d.lse;
            out.counts.buffer.fill(0xff);
            out.indices.buffer.fill(0x7f);
            expect(selectBlocks(p.q, p.k, { blockSize: bs, select: c.select, genLength: c.genLength, lse, blockLse: blse, out })).toBe(out);
            const gpu = out.toHost();
            expect(() => gpu.validate()).not.toThrow();
            const ref = { blockSize: bs, genLength: c.genLength, lse: lse!.toHost() };
            const r = compareWithCpuSelection(p, gpu, { ...ref, select: c.select });
            expect(r.problems).toEqual([]);
            const rows = r.rows;
            console.log(`  ${id} b=${bs} ${c.name}: block LSE max abs err ${worst.toExponential(2)}; ${r.differing}/${rows} rows differ from the CPU's sets`);
            expect(r.differing).toBeLessThanOrEqual(allowedFlips(rows));
          } finally {
            freeProblem(p);
            blse.free();
            out.free();
            lse?.free();
          }
        });

  test("bad block-LSE arguments are errors with a way out, in TypeScript and in C", () => {
    const { headDim: D, dtype } = TARGETS[0]!;
    const shape = { batch: 1, nq: 70, nk: 90, hq: 2, hkv: 1, headDim: D };
    const p = makeProblem(shape, dtype, ++seed);
    const blse = DeviceTensor.empty(blockLseShape(shape, 64), "f32");
    const wrong = DeviceTensor.empty([1, 2, 3, 70], "f32");
    try {
      expect(() => dense(p.q, p.k, p.v, { blockLse: { out: wrong, blockSize: 64 } })).toThrow(/\[1, 2, 2, 70\]/);
      expect(() => dense(p.q, p.k, p.v, { blockLse: { out: blse, blockSize: 48 } })).toThrow(/32, 64 or 128/);
      const plain = native().manifest.variants.find((e) => e.op === "dense_fwd" && e.headDim === D && e.dtype === dtype && !supportsBlockLse(e));
      if (plain) expect(() => dense(p.q, p.k, p.v, { variant: plain.id, blockLse: { out: blse, blockSize: 64 } })).toThrow(/does not write block LSEs/);
      const wide = TARGETS.find((e) => e.headDim === D && e.dtype === dtype && e.blockN === 192);
      const blse32 = DeviceTensor.empty(blockLseShape(shape, 32), "f32");
      try {
        if (wide) expect(() => dense(p.q, p.k, p.v, { variant: wide.id, blockLse: { out: blse32, blockSize: 32 } })).toThrow(/blocks of 32 keys/);
      } finally {
        blse32.free();
      }
      const d = dense(p.q, p.k, p.v, { blockLse: { out: blse, blockSize: 64 } });
      d.out.free();
      try {
        const opts = { blockSize: 64, select: 0.3, genLength: 0, blockLse: blse };
        expect(() => selectBlocks(p.q, p.k, opts)).toThrow(/needs lse/);
        expect(() => selectBlocks(p.q, p.k, { ...opts, lse: d.lse, selectionScale: 0.5 })).toThrow(/attention scale/);
        expect(() => selectBlocks(p.q, p.k, { ...opts, blockSize: 32, lse: d.lse })).toThrow(/\[1, 2, 3, 70\]/);
        // C, past the TypeScript checks: a null block_lse pointer.
        const bytes = new Uint8Array(160);
        expect(() => native().call("sparsed_select_block_lse", bytes, 0n)).toThrow(SparsedError);
      } finally {
        d.lse?.free();
      }
    } finally {
      freeProblem(p);
      blse.free();
      wrong.free();
    }
  });
});
