// The CPU reference against a naive float64 computation that materializes the whole score matrix.
import { describe, expect, test } from "bun:test";
import { roundTo } from "../src/dtype";
import { referenceAttention, relativeError, type HostInputs } from "../src/reference";
import { rng, uniform } from "../src/random";

function naive(x: HostInputs): { out: Float64Array; lse: Float64Array } {
  const { batch: B, nq, nk, hq, hkv, headDim: D } = x.shape;
  const out = new Float64Array(B * nq * hq * D);
  const lse = new Float64Array(B * hq * nq);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < hq; h++) {
      const hk = Math.floor((h * hkv) / hq);
      const S = Array.from({ length: nq }, (_, i) =>
        Array.from({ length: nk }, (_, j) => {
          let dot = 0;
          for (let d = 0; d < D; d++) dot += x.q[((b * nq + i) * hq + h) * D + d]! * x.k[((b * nk + j) * hkv + hk) * D + d]!;
          return dot * x.scale;
        }),
      );
      for (let i = 0; i < nq; i++) {
        const denom = S[i]!.reduce((a, s) => a + Math.exp(s), 0);
        lse[(b * hq + h) * nq + i] = Math.log(denom);
        for (let d = 0; d < D; d++)
          out[((b * nq + i) * hq + h) * D + d] = S[i]!.reduce((a, s, j) => a + (Math.exp(s) / denom) * x.v[((b * nk + j) * hkv + hk) * D + d]!, 0);
      }
    }
  return { out, lse };
}

describe("CPU reference", () => {
  const seed = Date.now() % 100000;
  const next = rng(seed);
  const shape = { batch: 2, nq: 13, nk: 21, hq: 6, hkv: 2, headDim: 16 };
  const x: HostInputs = {
    q: uniform(shape.batch * shape.nq * shape.hq * shape.headDim, next, -2, 2),
    k: uniform(shape.batch * shape.nk * shape.hkv * shape.headDim, next, -2, 2),
    v: uniform(shape.batch * shape.nk * shape.hkv * shape.headDim, next),
    shape,
    scale: 0.3,
  };

  test(`equals the naive float64 computation (GQA, batch 2, Nq != Nk; seed ${seed})`, () => {
    const ref = referenceAttention(x);
    const n = naive(x);
    expect(relativeError(ref.out, n.out)).toBeLessThan(1e-12);
    expect(relativeError(ref.lse, n.lse)).toBeLessThan(1e-12);
  });

  test("the plain low-precision evaluation rounds: off by bf16-sized error, not more", () => {
    const ref = referenceAttention(x);
    const low = referenceAttention(x, "bf16");
    const err = relativeError(low.out, ref.out);
    expect(err).toBeGreaterThan(1e-4);
    expect(err).toBeLessThan(2e-2);
    for (const v of low.out) expect(roundTo("bf16", v)).toBe(v);
  });

  test("relative error: NaN never passes", () => {
    expect(relativeError([1, NaN], [1, 2])).toBeNaN();
    expect(relativeError([1, 2], [1, 2])).toBe(0);
  });
});
