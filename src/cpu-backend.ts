// The CPU backend (shared/DESIGN.md section 2, "Backends"): the same semantics as the CUDA backend
// in float64 on host arrays, for tests, for the demo without a GPU, and as the GPU tests' reference.
import type { AttentionBackend, DenseOptions, SelectOptions, SparseOptions } from "./backend";
import { invalid } from "./errors";
import type { SparsePattern } from "./pattern";
import { referenceAttention, type HostInputs, type HostShape } from "./reference";
import { checkHostShape, selectPattern } from "./selection";
import { sparseReferenceAttention } from "./sparse-reference";

/** A contiguous host tensor [B, N, H, D]. */
export interface HostTensor {
  data: Float64Array;
  shape: [number, number, number, number];
}

export function hostTensor(data: Float64Array, shape: [number, number, number, number]): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  if (data.length !== n) throw invalid(`hostTensor: ${data.length} values for shape [${shape.join(", ")}] (${n} expected)`);
  return { data, shape };
}

/** B * Hq * Nq * Nk beyond which the CPU backend refuses (each call is O(that * D) in float64). */
export const CPU_MAX_WORK = 2 ** 28;

export class CpuBackend implements AttentionBackend<HostTensor, Float64Array, SparsePattern> {
  readonly name = "cpu";

  constructor(private readonly maxWork = CPU_MAX_WORK) {}

  shapeOf(q: HostTensor, k: HostTensor, v: HostTensor): HostShape {
    for (const [name, t] of [["q", q], ["k", k], ["v", v]] as const)
      if (t.shape.length !== 4) throw invalid(`${name} must be [B, N, H, D]; got [${t.shape.join(", ")}]`);
    const [B, nq, hq, D] = q.shape;
    const [Bk, nk, hkv, Dk] = k.shape;
    if (Bk !== B || Dk !== D) throw invalid(`k [${k.shape.join(", ")}] does not match q [${q.shape.join(", ")}] in batch or head dim`);
    if (v.shape.some((x, n) => x !== k.shape[n])) throw invalid(`v [${v.shape.join(", ")}] must have k's shape [${k.shape.join(", ")}]`);
    const shape: HostShape = { batch: B, nq, nk, hq, hkv, headDim: D };
    checkHostShape(shape, { q: q.data, k: k.data, v: v.data });
    const work = B * hq * nq * nk;
    if (work > this.maxWork)
      throw invalid(`B*Hq*Nq*Nk = ${work} is too large for the CPU backend (limit ${this.maxWork}); use the CUDA backend or smaller sizes`);
    return shape;
  }

  private inputs(q: HostTensor, k: HostTensor, v: HostTensor, scale: number): HostInputs {
    return { q: q.data, k: k.data, v: v.data, shape: this.shapeOf(q, k, v), scale };
  }

  private output(values: Float64Array, q: HostTensor, out?: HostTensor): HostTensor {
    if (!out) return { data: values, shape: [...q.shape] };
    if (out.shape.some((x, n) => x !== q.shape[n]) || out.data.length !== values.length)
      throw invalid(`out [${out.shape.join(", ")}] must have q's shape [${q.shape.join(", ")}]`);
    out.data.set(values);
    return out;
  }

  dense(q: HostTensor, k: HostTensor, v: HostTensor, opts: DenseOptions<HostTensor>): { out: HostTensor; lse?: Float64Array } {
    const r = referenceAttention(this.inputs(q, k, v, opts.scale));
    return opts.wantLse ? { out: this.output(r.out, q, opts.out), lse: r.lse } : { out: this.output(r.out, q, opts.out) };
  }

  select(q: HostTensor, k: HostTensor, lse: Float64Array | undefined, opts: SelectOptions): SparsePattern {
    const shape = this.shapeOf(q, k, k);
    return selectPattern(q.data, k.data, shape, { ...opts, lse });
  }

  sparse(q: HostTensor, k: HostTensor, v: HostTensor, pattern: SparsePattern, opts: SparseOptions<HostTensor>): { out: HostTensor; lse?: Float64Array } {
    const r = sparseReferenceAttention(this.inputs(q, k, v, opts.scale), pattern);
    const out = this.output(r.out, q, opts.out);
    return opts.wantLse ? { out, lse: r.lse } : { out };
  }
}
