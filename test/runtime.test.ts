// The SparseD runtime on the CPU backend: phases over whole generations, pattern lifetime, errors,
// and sparse outputs against dense attention with the equivalent mask.
import { describe, expect, test } from "bun:test";
import type { AttentionBackend, DenseOptions, SelectOptions, SparseOptions } from "../src/backend";
import { CpuBackend, hostTensor, type HostTensor } from "../src/cpu-backend";
import type { SparsePattern } from "../src/pattern";
import { rng, uniform } from "../src/random";
import { referenceAttention, relativeError, type HostInputs, type HostShape } from "../src/reference";
import { SparseDRuntime } from "../src/runtime";
import type { ScheduleConfig } from "../src/schedule";
import { selectPattern } from "../src/selection";
import { sparseReferenceAttention } from "../src/sparse-reference";
import { expectInvalid } from "./support/errors";

// Nq = Nk = 70 with b = 32: nqb = nkb = 3, the last block a 6-token tail. G = 20 gives g = 2.
const SHAPE: HostShape = { batch: 1, nq: 70, nk: 70, hq: 2, hkv: 1, headDim: 4 };
const CONFIG: ScheduleConfig = { steps: 6, skip: 0.3, select: 0.3, blockSize: 32, genLength: 20 }; // switch step 2

interface Inputs {
  q: HostTensor;
  k: HostTensor;
  v: HostTensor;
  host: HostInputs;
}

function inputs(seed: number, s: HostShape = SHAPE): Inputs {
  const next = rng(seed);
  const { batch: B, nq, nk, hq, hkv, headDim: D } = s;
  const q = uniform(B * nq * hq * D, next, -2, 2);
  const k = uniform(B * nk * hkv * D, next, -2, 2);
  const v = uniform(B * nk * hkv * D, next);
  return {
    q: hostTensor(q, [B, nq, hq, D]),
    k: hostTensor(k, [B, nk, hkv, D]),
    v: hostTensor(v, [B, nk, hkv, D]),
    host: { q, k, v, shape: s, scale: 1 / Math.sqrt(D) },
  };
}

/** The CPU backend, recording what the runtime asks of it. */
class SpyBackend implements AttentionBackend<HostTensor, Float64Array, SparsePattern> {
  readonly name = "spy";
  private readonly cpu = new CpuBackend();
  readonly log: string[] = [];
  readonly selectCalls: { lse: Float64Array | undefined; opts: SelectOptions; pattern: SparsePattern }[] = [];
  readonly released: unknown[] = [];

  shapeOf(q: HostTensor, k: HostTensor, v: HostTensor): HostShape {
    return this.cpu.shapeOf(q, k, v);
  }
  dense(q: HostTensor, k: HostTensor, v: HostTensor, opts: DenseOptions<HostTensor>) {
    this.log.push(opts.wantLse ? "dense+lse" : "dense");
    return this.cpu.dense(q, k, v, opts);
  }
  select(q: HostTensor, k: HostTensor, lse: Float64Array | undefined, opts: SelectOptions): SparsePattern {
    this.log.push("select");
    const pattern = this.cpu.select(q, k, lse, opts);
    this.selectCalls.push({ lse, opts, pattern });
    return pattern;
  }
  sparse(q: HostTensor, k: HostTensor, v: HostTensor, pattern: SparsePattern, opts: SparseOptions<HostTensor>) {
    this.log.push("sparse");
    return this.cpu.sparse(q, k, v, pattern, opts);
  }
  release(x: Float64Array | SparsePattern): void {
    this.released.push(x);
  }
}


/** Dense attention with every key outside the pattern row's blocks at minus infinity, written out plainly. */
function maskedDense(x: HostInputs, p: SparsePattern): { out: Float64Array; lse: Float64Array } {
  const { batch: B, nq, nk, hq, hkv, headDim: D } = x.shape;
  const bs = p.shape.blockSize;
  const out = new Float64Array(B * nq * hq * D);
  const lse = new Float64Array(B * hq * nq);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < hq; h++)
      for (let r = 0; r < nq; r++) {
        const kept = new Set(p.row(b, h, Math.floor(r / bs)));
        const s = Array.from({ length: nk }, (_, c) => {
          if (!kept.has(Math.floor(c / bs))) return -Infinity;
          let dot = 0;
          for (let d = 0; d < D; d++) dot += x.q[((b * nq + r) * hq + h) * D + d]! * x.k[((b * nk + c) * hkv + Math.floor(h / (hq / hkv))) * D + d]!;
          return dot * x.scale;
        });
        const m = Math.max(...s);
        const e = s.map((t) => Math.exp(t - m));
        const z = e.reduce((a, t) => a + t, 0);
        for (let d = 0; d < D; d++) {
          let acc = 0;
          for (let c = 0; c < nk; c++) acc += (e[c]! / z) * x.v[((b * nk + c) * hkv + Math.floor(h / (hq / hkv))) * D + d]!;
          out[((b * nq + r) * hq + h) * D + d] = acc;
        }
        lse[(b * hq + h) * nq + r] = m + Math.log(z);
      }
  return { out, lse };
}

describe("a whole generation", () => {
  test("phases, outputs and the pattern of two interleaved layers", () => {
    const spy = new SpyBackend();
    const rt = new SparseDRuntime(CONFIG, spy);
    expect(rt.switchStep).toBe(2);
    const phases: string[] = [];
    const atSwitch: Inputs[] = [];
    for (let step = 0; step < CONFIG.steps; step++)
      for (let layer = 0; layer < 2; layer++) {
        const x = inputs(100 * step + layer);
        const { out, phase } = rt.attention(layer, step, x.q, x.k, x.v);
        if (layer === 0) phases.push(phase);
        const dense = referenceAttention(x.host).out;
        if (phase === "sparse") {
          const p = rt.patternOf(layer)!;
          expect(out.data).toEqual(sparseReferenceAttention(x.host, p).out);
          expect(relativeError(out.data, dense)).toBeGreaterThan(1e-3); // the pattern really drops keys
        } else {
          expect(out.data).toEqual(dense);
        }
        if (phase === "select") atSwitch[layer] = x;
      }
    expect(phases).toEqual(["dense", "dense", "select", "sparse", "sparse", "sparse"]);
    // Each layer's pattern is the selection of that layer's switch-step Q and K, from the dense LSE.
    expect(spy.selectCalls.length).toBe(2);
    for (let layer = 0; layer < 2; layer++) {
      const call = spy.selectCalls[layer]!;
      const x = atSwitch[layer]!;
      expect(call.lse).toBeInstanceOf(Float64Array);
      expect(call.opts).toEqual({ blockSize: 32, select: 0.3, genLength: 20, selectionScale: 0.5, attentionScale: 0.5 });
      expect(rt.patternOf(layer)).toBe(call.pattern);
      expect(call.pattern.equals(selectPattern(x.host.q, x.host.k, SHAPE, CONFIG))).toBe(true);
      expect(call.pattern.density()).toBeLessThan(1);
      expect(spy.released).toContain(call.lse); // the LSE is dropped once the pattern exists
    }
    expect(spy.log.filter((c) => c === "dense+lse").length).toBe(2);
    expect(spy.log.filter((c) => c === "sparse").length).toBe(6);
  });

  test("switchStep >= steps: all dense, no selection", () => {
    const spy = new SpyBackend();
    const rt = new SparseDRuntime({ ...CONFIG, steps: 3, skip: 0.9 }, spy); // switch 3
    const x = inputs(1);
    expect([0, 1, 2].map((t) => rt.attention(0, t, x.q, x.k, x.v).phase)).toEqual(["dense", "dense", "dense"]);
    expect(spy.log).toEqual(["dense", "dense", "dense"]);
  });

  test("selectionScale from the config reaches select()", () => {
    const spy = new SpyBackend();
    const rt = new SparseDRuntime({ ...CONFIG, skip: 0, selectionScale: 1 / Math.sqrt(2) }, spy);
    const x = inputs(2);
    rt.attention(0, 0, x.q, x.k, x.v);
    rt.attention(0, 1, x.q, x.k, x.v);
    expect(spy.selectCalls[0]!.opts.selectionScale).toBe(1 / Math.sqrt(2));
    expect(spy.selectCalls[0]!.opts.attentionScale).toBe(0.5);
    expect(spy.selectCalls[0]!.pattern.equals(selectPattern(x.host.q, x.host.k, SHAPE, { ...CONFIG, selectionScale: 1 / Math.sqrt(2) }))).toBe(true);
  });

  test("`out` receives O", () => {
    const rt = new SparseDRuntime({ ...CONFIG, skip: 0 }, new CpuBackend());
    const x = inputs(3);
    const out = hostTensor(new Float64Array(x.q.data.length).fill(NaN), [...x.q.shape]);
    for (let t = 0; t < 3; t++) expect(rt.attention(0, t, x.q, x.k, x.v, out).out).toBe(out);
    expect(out.data).toEqual(sparseReferenceAttention(x.host, rt.patternOf(0)!).out);
  });
});

describe("pattern lifetime", () => {
  test("step 0 discards every pattern; the next switch step selects anew", () => {
    const spy = new SpyBackend();
    const rt = new SparseDRuntime({ ...CONFIG, steps: 4, skip: 0 }, spy); // switch step 1
    const run = (layer: number, step: number, seed: number) => {
      const x = inputs(seed);
      return { x, r: rt.attention(layer, step, x.q, x.k, x.v) };
    };
    for (let t = 0; t < 4; t++) for (const layer of [0, 1]) run(layer, t, 10 + t);
    const first = rt.patternOf(0)!;
    const firstOther = rt.patternOf(1)!;
    expect(spy.selectCalls.length).toBe(2);

    run(0, 0, 50); // a new generation: both layers' patterns go
    expect(rt.patternOf(0)).toBeUndefined();
    expect(rt.patternOf(1)).toBeUndefined();
    expect(spy.released).toContain(first);
    expect(spy.released).toContain(firstOther);

    const { x: atSwitch } = run(0, 1, 51);
    expect(spy.selectCalls.length).toBe(3);
    const second = rt.patternOf(0)!;
    expect(second).not.toBe(first);
    expect(second.equals(first)).toBe(false); // new inputs, new pattern (this seed pair differs)
    expect(second.equals(selectPattern(atSwitch.host.q, atSwitch.host.k, SHAPE, CONFIG))).toBe(true);
    const { x, r } = run(0, 2, 52);
    expect(r.phase).toBe("sparse");
    expect(r.out.data).toEqual(sparseReferenceAttention(x.host, second).out);
  });

  test("reset() releases every pattern", () => {
    const spy = new SpyBackend();
    const rt = new SparseDRuntime({ ...CONFIG, skip: 0 }, spy);
    const x = inputs(4);
    rt.attention(0, 0, x.q, x.k, x.v);
    rt.attention(0, 1, x.q, x.k, x.v);
    const p = rt.patternOf(0);
    rt.reset();
    expect(spy.released).toContain(p);
    expect(rt.patternOf(0)).toBeUndefined();
    expectInvalid(() => rt.attention(0, 2, x.q, x.k, x.v), /must run step 0 first/);
  });
});

describe("sparse against dense", () => {
  test("select = 1 keeps every block: sparse steps equal dense attention exactly", () => {
    const rt = new SparseDRuntime({ ...CONFIG, steps: 4, skip: 0, select: 1 }, new CpuBackend());
    for (let t = 0; t < 4; t++) {
      const x = inputs(200 + t);
      const { out, phase } = rt.attention(0, t, x.q, x.k, x.v);
      expect(phase).toBe(t < 1 ? "dense" : t === 1 ? "select" : "sparse");
      expect(out.data).toEqual(referenceAttention(x.host).out);
    }
    expect(rt.patternOf(0)!.density()).toBe(1);
  });

  test("sparse equals dense with the equivalent mask (GQA, batch 2, tails)", () => {
    const s: HostShape = { batch: 2, nq: 75, nk: 75, hq: 4, hkv: 2, headDim: 3 };
    const rt = new SparseDRuntime({ ...CONFIG, steps: 3, skip: 0, genLength: 30 }, new CpuBackend());
    for (let t = 0; t < 3; t++) {
      const x = inputs(300 + t, s);
      const { out, phase } = rt.attention(0, t, x.q, x.k, x.v);
      if (phase !== "sparse") continue;
      const p = rt.patternOf(0)!;
      expect(p.density()).toBeLessThan(1);
      const masked = maskedDense(x.host, p);
      expect(relativeError(out.data, masked.out)).toBeLessThan(1e-13);
      const ref = sparseReferenceAttention(x.host, p);
      for (let n = 0; n < masked.lse.length; n++) expect(ref.lse[n]!).toBeCloseTo(masked.lse[n]!, 12);
      expect(relativeError(out.data, referenceAttention(x.host).out)).toBeGreaterThan(1e-3);
    }
  });
});

describe("errors", () => {
  test("bad configuration", () => {
    const cpu = new CpuBackend();
    expectInvalid(() => new SparseDRuntime({ ...CONFIG, skip: 1 }, cpu), /skip = 1: .*\[0, 1\)/);
    expectInvalid(() => new SparseDRuntime({ ...CONFIG, select: 0 }, cpu), /select = 0/);
    expectInvalid(() => new SparseDRuntime({ ...CONFIG, blockSize: 48 }, cpu), /one of 32, 64, 128/);
    expectInvalid(() => new SparseDRuntime({ ...CONFIG, steps: 0 }, cpu), /steps = 0/);
  });

  test("step or layer out of range", () => {
    const rt = new SparseDRuntime(CONFIG, new CpuBackend());
    const x = inputs(5);
    for (const t of [-1, 6, 2.5]) expectInvalid(() => rt.attention(0, t, x.q, x.k, x.v), /out of range: steps run 0\.\.5/);
    expectInvalid(() => rt.attention(-1, 0, x.q, x.k, x.v), /layer = -1/);
    expectInvalid(() => rt.attention(0.5, 0, x.q, x.k, x.v), /layer = 0\.5/);
  });

  test("steps out of order for a layer", () => {
    const rt = new SparseDRuntime(CONFIG, new CpuBackend());
    const x = inputs(6);
    expectInvalid(() => rt.attention(0, 3, x.q, x.k, x.v), /layer 0 starts at step 3: every layer must run step 0 first/);
    rt.attention(0, 0, x.q, x.k, x.v);
    expectInvalid(() => rt.attention(0, 2, x.q, x.k, x.v), /layer 0: step 2 after step 0; run step 1 next, or step 0/);
    rt.attention(0, 1, x.q, x.k, x.v);
    expectInvalid(() => rt.attention(0, 1, x.q, x.k, x.v), /step 1 after step 1; run step 2 next/);
    rt.attention(0, 2, x.q, x.k, x.v); // a failed call does not advance the layer
    rt.attention(1, 0, x.q, x.k, x.v); // layers are independent
    expectInvalid(() => rt.attention(1, 2, x.q, x.k, x.v), /layer 1: step 2 after step 0/);
  });

  test("shapes that change mid-generation", () => {
    const rt = new SparseDRuntime(CONFIG, new CpuBackend());
    const x = inputs(7);
    const longer = inputs(7, { ...SHAPE, nq: 71 });
    const moreKeys = inputs(7, { ...SHAPE, nk: 64 });
    rt.attention(0, 0, x.q, x.k, x.v);
    expectInvalid(() => rt.attention(0, 1, longer.q, longer.k, longer.v), /layer 0: shapes changed mid-generation at step 1 \(step 0 had B=1 Nq=70 Nk=70 .*now B=1 Nq=71 Nk=70.*start a new generation at step 0/);
    expectInvalid(() => rt.attention(0, 1, x.q, moreKeys.k, moreKeys.v), /Nk=64/);
    rt.attention(0, 1, x.q, x.k, x.v);
    rt.attention(0, 0, longer.q, longer.k, longer.v); // step 0 may change shapes
    rt.attention(0, 1, longer.q, longer.k, longer.v);
  });

  test("a sparse step whose pattern another layer's step 0 discarded", () => {
    const rt = new SparseDRuntime({ ...CONFIG, skip: 0 }, new CpuBackend()); // switch step 1
    const x = inputs(8);
    for (let t = 0; t < 3; t++) rt.attention(0, t, x.q, x.k, x.v);
    rt.attention(1, 0, x.q, x.k, x.v); // a new generation starts
    expectInvalid(() => rt.attention(0, 3, x.q, x.k, x.v), /layer 0 has no pattern at sparse step 3/);
  });

  test("the CPU backend refuses sizes it cannot handle, and mismatched tensors", () => {
    const cpu = new CpuBackend();
    const big = (n: number, h: number) => hostTensor(new Float64Array(n * h), [1, n, h, 1]);
    expect(cpu.shapeOf(big(16384, 1), big(16384, 1), big(16384, 1)).nq).toBe(16384); // 2^28: the limit itself
    expectInvalid(() => cpu.shapeOf(big(16384, 2), big(16384, 1), big(16384, 1)), /B\*Hq\*Nq\*Nk = 536870912 is too large for the CPU backend \(limit 268435456\); use the CUDA backend/);
    const x = inputs(9);
    expectInvalid(() => cpu.shapeOf(x.q, x.k, hostTensor(new Float64Array(64 * 4), [1, 64, 1, 4])), /v \[1, 64, 1, 4\] must have k's shape \[1, 70, 1, 4\]/);
    const threeHeads = hostTensor(new Float64Array(70 * 3 * 4), [1, 70, 3, 4]);
    expectInvalid(() => cpu.shapeOf(x.q, threeHeads, threeHeads), /Hq = 2 is not a multiple of Hkv = 3/);
    expectInvalid(() => hostTensor(new Float64Array(3), [1, 2, 1, 1]), /3 values for shape \[1, 2, 1, 1\]/);
  });
});

describe("stats", () => {
  test("calls and time per phase", () => {
    const rt = new SparseDRuntime(CONFIG, new CpuBackend());
    const x = inputs(10);
    for (let t = 0; t < 6; t++) rt.attention(0, t, x.q, x.k, x.v);
    const s = rt.stats();
    expect([s.dense.calls, s.select.calls, s.sparse.calls]).toEqual([2, 1, 3]);
    for (const p of [s.dense, s.select, s.sparse]) expect(p.ms).toBeGreaterThan(0);
    expect(s.select.selectionMs).toBeGreaterThan(0);
    expect(s.select.selectionMs).toBeLessThanOrEqual(s.select.ms);
    s.dense.calls = 99; // a copy
    expect(rt.stats().dense.calls).toBe(2);
    rt.resetStats();
    expect(rt.stats().sparse).toEqual({ calls: 0, ms: 0 });
  });
});
