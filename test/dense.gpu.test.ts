// GPU: the dense kernels against the float64 CPU reference (shared/DESIGN.md section 3).
// Skipped, with the reason printed, where no GPU is usable.
import { describe, expect, test } from "bun:test";
import { dense } from "../src/dense";
import { DeviceTensor } from "../src/tensor";
import { native } from "../src/native";
import { compareWithReference, expectAllWritten, freeProblem, gpuReason, makeProblem, type ShapeCase } from "./support/attention";

const CASES: ShapeCase[] = [
  { name: "N=1", batch: 1, nq: 1, nk: 1, hq: 4, hkv: 4, strided: false, rows: 1 },
  { name: "N=77 GQA 28/4 batch 2", batch: 2, nq: 77, nk: 77, hq: 28, hkv: 4, strided: false, rows: 12 },
  // 256 query tiles or more: a persistent CTA runs several, so its stages (Q, O) are reused across tiles.
  { name: "N=77 GQA 64/8 batch 4 (several tiles a CTA)", batch: 4, nq: 77, nk: 77, hq: 64, hkv: 8, strided: false, rows: 8 },
  { name: "Nq=1000 Nk=77 strided 32/32", batch: 1, nq: 1000, nk: 77, hq: 32, hkv: 32, strided: true, rows: 12 },
  { name: "Nq=77 Nk=4097 strided GQA 8/2", batch: 1, nq: 77, nk: 4097, hq: 8, hkv: 2, strided: true, rows: 16 },
  { name: "Nq=300 Nk=700 head-major GQA 8/2", batch: 1, nq: 300, nk: 700, hq: 8, hkv: 2, strided: "head-major", rows: 12 },
  // Row maxima rising along the keys: the sm90 kernels' held-max softmax fails on many blocks and takes its
  // fallback (a warp recomputes its scores), next to warps whose check passes.
  { name: "N=700 rising keys GQA 8/2", batch: 1, nq: 700, nk: 700, hq: 8, hkv: 2, strided: false, rows: 12, rising: 6 },
  { name: "N=1000 32/32", batch: 1, nq: 1000, nk: 1000, hq: 32, hkv: 32, strided: false, rows: 12 },
  { name: "N=4097 GQA 28/4 batch 2", batch: 2, nq: 4097, nk: 4097, hq: 28, hkv: 4, strided: false, rows: 6 },
];

// Every built dense variant is checked (a fast wrong kernel must never be dispatched).
const VARIANTS = gpuReason ? [] : native().manifest.variants.filter((v) => v.op === "dense_fwd");

describe.skipIf(VARIANTS.length === 0)("dense forward on the GPU vs the CPU reference", () => {
  let seed = Number(process.env.SPARSED_TEST_SEED ?? Date.now() % 100000);
  console.log(`dense GPU tests: seed ${seed} (set SPARSED_TEST_SEED to repeat)`);
  for (const { id, headDim: D, dtype } of VARIANTS)
    for (const c of CASES)
      test(`${id} ${c.name}`, () => {
        const s = ++seed;
        const p = makeProblem({ batch: c.batch, nq: c.nq, nk: c.nk, hq: c.hq, hkv: c.hkv, headDim: D }, dtype, s, c.strided, c.rising);
        // With padded inputs the output is a strided view into a padded, NaN-poisoned buffer: every
        // element of the view must be written and nothing outside it touched. With head-major inputs
        // it is head-major too.
        const headMajor = c.strided === "head-major";
        const outBase = DeviceTensor.empty(headMajor ? [c.batch, c.hq, c.nq, D] : [c.batch, c.nq, c.hq + 1, D], dtype);
        const shape = [c.batch, c.nq, c.hq, D];
        const out = headMajor
          ? outBase.view(shape, [c.hq * c.nq * D, D, c.nq * D, 1])
          : c.strided
            ? outBase.view(shape, [c.nq * (c.hq + 1) * D, (c.hq + 1) * D, D, 1])
            : DeviceTensor.empty(shape, dtype);
        const lse = DeviceTensor.empty([c.batch, c.hq, c.nq], "f32");
        try {
          outBase.buffer.fill(0xff);
          out.buffer.fill(0xff);
          lse.buffer.fill(0xff);
          dense(p.q, p.k, p.v, { out, lse, variant: id });
          const o = out.toHost();
          const l = lse.toHost();
          expectAllWritten(o, "out");
          expectAllWritten(l, "lse");
          if (c.strided === true) {
            const all = outBase.toHost();
            let touched = 0;
            for (let i = 0; i < all.length; i++) if (Math.floor(i / D) % (c.hq + 1) === c.hq && !Number.isNaN(all[i]!)) touched++;
            expect(touched, "elements outside the output view were written").toBe(0);
          }
          const r = compareWithReference(p, o, l, c.rows, s);
          console.log(`  ${id} ${c.name}: err ${r.err.toExponential(2)} (plain ${dtype} ${r.errLowPrecision.toExponential(2)}), lse max abs ${r.lseMaxAbs.toExponential(2)}, ${r.rows} rows`);
          expect(r.err).toBeLessThanOrEqual(2 * r.errLowPrecision + 1e-4);
          expect(r.err).toBeLessThan(dtype === "bf16" ? 1e-2 : 2e-3);
          expect(r.lseMaxAbs).toBeLessThan(1e-3);
        } finally {
          freeProblem(p);
          outBase.free();
          out.free();
          lse.free();
        }
      });
});

if (gpuReason) test.skip(`dense GPU tests: ${gpuReason}`, () => {});
