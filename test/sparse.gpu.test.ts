// GPU: the sparse kernels against the CPU reference of masked dense attention, on random patterns
// of every block size each built variant serves (shared/DESIGN.md sections 1 and 3).
import { describe, expect, test } from "bun:test";
import { PATTERN_BLOCKS, tilesDivideBlock } from "../codegen/variants";
import { DevicePattern } from "../src/device-pattern";
import { SparsePattern } from "../src/pattern";
import { native } from "../src/native";
import { sparse } from "../src/sparse";
import { sparseAttentionRow } from "../src/sparse-reference";
import { DeviceTensor } from "../src/tensor";
import { randomSparsePattern } from "../src/variant-check";
import { compareWithReference, expectAllWritten, freeProblem, gpuReason, makeProblem, type ShapeCase } from "./support/attention";

interface Case extends ShapeCase {
  keep: number; // fraction of blocks kept per row
}

const CASES: Case[] = [
  { name: "Nq=Nk=300 GQA 8/2 batch 2 keep 0.3", batch: 2, nq: 300, nk: 300, hq: 8, hkv: 2, strided: false, keep: 0.3, rows: 10 },
  { name: "Nq=200 Nk=1000 strided 4/4 keep 0.1", batch: 1, nq: 200, nk: 1000, hq: 4, hkv: 4, strided: true, keep: 0.1, rows: 10 },
  { name: "Nq=Nk=600 head-major GQA 8/2 keep 0.3", batch: 1, nq: 600, nk: 600, hq: 8, hkv: 2, strided: "head-major", keep: 0.3, rows: 10 },
  { name: "Nq=Nk=2049 GQA 28/4 keep 0.5", batch: 1, nq: 2049, nk: 2049, hq: 28, hkv: 4, strided: false, keep: 0.5, rows: 4 },
  // Row maxima rising along the keys: the held-max softmax's fallback (see dense.gpu.test.ts).
  { name: "Nq=Nk=1000 rising keys GQA 8/2 keep 0.5", batch: 1, nq: 1000, nk: 1000, hq: 8, hkv: 2, strided: false, keep: 0.5, rows: 12, rising: 8 },
  { name: "Nq=Nk=77 4/1 keep everything", batch: 1, nq: 77, nk: 77, hq: 4, hkv: 1, strided: false, keep: 1, rows: 20 },
  // 256 query tiles or more: a persistent CTA runs several, so its stages (Q, O) are reused across tiles.
  { name: "N=77 GQA 64/8 batch 4 (several tiles a CTA)", batch: 4, nq: 77, nk: 77, hq: 64, hkv: 8, strided: false, keep: 0.5, rows: 8 },
];

const VARIANTS = gpuReason ? [] : native().manifest.variants.filter((v) => v.op === "sparse_fwd");

describe.skipIf(VARIANTS.length === 0)("sparse forward on the GPU vs the CPU reference", () => {
  let seed = Number(process.env.SPARSED_TEST_SEED ?? Date.now() % 100000);
  console.log(`sparse GPU tests: seed ${seed} (set SPARSED_TEST_SEED to repeat)`);
  for (const { id, headDim: D, dtype, blockM, blockN } of VARIANTS)
    for (const blockSize of PATTERN_BLOCKS.filter((b) => tilesDivideBlock({ blockM, blockN }, b)))
      for (const c of CASES)
        test(`${id} block ${blockSize} ${c.name}`, () => {
          const s = ++seed;
          const p = makeProblem({ batch: c.batch, nq: c.nq, nk: c.nk, hq: c.hq, hkv: c.hkv, headDim: D }, dtype, s, c.strided, c.rising);
          const host = randomSparsePattern({ batch: c.batch, hq: c.hq, nq: c.nq, nk: c.nk, blockSize }, c.keep, s);
          const pattern = DevicePattern.fromHost(host);
          const out = DeviceTensor.empty([c.batch, c.nq, c.hq, D], dtype);
          const lse = DeviceTensor.empty([c.batch, c.hq, c.nq], "f32");
          try {
            out.buffer.fill(0xff);
            lse.buffer.fill(0xff);
            sparse(p.q, p.k, p.v, pattern, { out, lse, variant: id });
            const o = out.toHost();
            const l = lse.toHost();
            expectAllWritten(o, "out");
            expectAllWritten(l, "lse");
            const r = compareWithReference(p, o, l, c.rows, s, (b, h, i, round) => sparseAttentionRow(p.host, host, b, h, i, round));
            console.log(`  ${id} b=${blockSize} ${c.name}: err ${r.err.toExponential(2)} (plain ${dtype} ${r.errLowPrecision.toExponential(2)}), lse max abs ${r.lseMaxAbs.toExponential(2)}`);
            expect(r.err).toBeLessThanOrEqual(2 * r.errLowPrecision + 1e-4);
            expect(r.lseMaxAbs).toBeLessThan(1e-3);
            expect(pattern.toHost().equals(host)).toBe(true); // the kernel never writes the pattern
          } finally {
            freeProblem(p);
            pattern.free();
            out.free();
            lse.free();
          }
        });

  // Patterns from other FFIs are not validated on the host: the kernels must stay defined on them.
  for (const { id, headDim: D, dtype, blockM } of VARIANTS)
    test(`${id}: an empty row gives O = 0 and LSE = -inf; out-of-range block indices are skipped`, () => {
      const bs = Math.max(blockM, 64);
      const shape = { batch: 1, nq: 2 * bs, nk: 3 * bs, hq: 2, hkv: 1, headDim: D };
      const p = makeProblem(shape, dtype, ++seed);
      const host = SparsePattern.fromRows({ batch: 1, hq: 2, nq: shape.nq, nk: shape.nk, blockSize: bs }, [[[[0], [1]], [[2], [0, 2]]]]);
      const pattern = DevicePattern.fromHost(host);
      const out = DeviceTensor.empty([1, shape.nq, 2, D], dtype);
      const lse = DeviceTensor.empty([1, 2, shape.nq], "f32");
      try {
        // Head 0, query block 0: count 0. Head 1, query block 0: [-1, 7] then block 2 (count 3).
        const counts = new Int32Array([0, 1, 3, 2]);
        const indices = new Int32Array([-1, -1, -1, 1, -1, -1, -1, 7, 2, 0, 2, -1]);
        pattern.counts.buffer.copyFromHost(counts);
        pattern.indices.buffer.copyFromHost(indices);
        out.buffer.fill(0xff);
        lse.buffer.fill(0xff);
        sparse(p.q, p.k, p.v, pattern, { out, lse, variant: id });
        const o = out.toHost();
        const l = lse.toHost();
        for (let i = 0; i < bs; i++) {
          expect(l[i]).toBe(-Infinity); // head 0, rows of query block 0
          for (let d = 0; d < D; d++) expect(o[(i * 2 + 0) * D + d]).toBe(0);
        }
        // Every other row is the host pattern's: head 1, query block 0 keeps block 2 alone, as [-1, 7, 2] reads.
        const zero = { out: new Float64Array(D), lse: -Infinity };
        const r = compareWithReference(p, o, l, 8, seed, (b, h, i, round) => (h === 0 && i < bs ? zero : sparseAttentionRow(p.host, host, b, h, i, round)));
        expect(r.err).toBeLessThanOrEqual(2 * r.errLowPrecision + 1e-4);
      } finally {
        freeProblem(p);
        pattern.free();
        out.free();
        lse.free();
      }
    });
});

if (gpuReason) test.skip(`sparse GPU tests: ${gpuReason}`, () => {});
