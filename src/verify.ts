// Checking kernels against the CPU reference (shared/DESIGN.md section 3), used by the GPU tests and
// by the main job's check: random problems on the device (optionally strided views: into padded
// buffers, or of head-major memory) and the comparison on sampled rows against float64 and a plain
// low-precision evaluation.
import { decode, encode, type Dtype } from "./dtype";
import { attentionRow, relativeError, type HostInputs, type HostShape, type RowResult } from "./reference";
import { rng, uniform } from "./random";
import { DeviceTensor, numel } from "./tensor";

export interface Problem {
  shape: HostShape;
  dtype: Dtype;
  host: HostInputs; // values as rounded to the dtype
  q: DeviceTensor;
  k: DeviceTensor;
  v: DeviceTensor;
  owned: DeviceTensor[];
}

/** How a problem's tensors sit in memory: contiguous [B, N, H, D] (false); strided views into padded
 *  buffers [B, N + padN, H + padH, D] (true); or views of contiguous [B, H, N, D] ("head-major", the
 *  order PyTorch's attention tensors usually have: a head's rows adjacent, heads N * D apart). */
export type Strided = boolean | "head-major";

/** [B, N, H, D] values placed in a padded buffer [B, N + padN, H + padH, D] and viewed back out. */
function upload(values: Float64Array, shape: number[], dtype: Dtype, padN: number, padH: number, owned: DeviceTensor[]): DeviceTensor {
  const [B, N, H, D] = shape as [number, number, number, number];
  if (padN === 0 && padH === 0) {
    const t = DeviceTensor.fromHost(encode(values, dtype), shape, dtype);
    owned.push(t);
    return t;
  }
  const full = [B, N + padN, H + padH, D];
  const raw = encode(uniform(numel(full), rng(7)), dtype); // padding holds values, not zeros
  const bits = encode(values, dtype);
  for (let b = 0; b < B; b++)
    for (let n = 0; n < N; n++)
      for (let h = 0; h < H; h++)
        raw.set(bits.subarray(((b * N + n) * H + h) * D, ((b * N + n) * H + h + 1) * D), ((b * (N + padN) + n) * (H + padH) + h) * D);
  const base = DeviceTensor.fromHost(raw, full, dtype);
  owned.push(base);
  return base.view(shape, [(N + padN) * (H + padH) * D, (H + padH) * D, D, 1]);
}

/** [B, N, H, D] values stored head-major ([B, H, N, D] contiguous) and viewed back as [B, N, H, D]. */
function uploadHeadMajor(values: Float64Array, shape: number[], dtype: Dtype, owned: DeviceTensor[]): DeviceTensor {
  const [B, N, H, D] = shape as [number, number, number, number];
  const bits = encode(values, dtype);
  const raw = encode(new Float64Array(values.length), dtype);
  for (let b = 0; b < B; b++)
    for (let n = 0; n < N; n++)
      for (let h = 0; h < H; h++) raw.set(bits.subarray(((b * N + n) * H + h) * D, ((b * N + n) * H + h + 1) * D), ((b * H + h) * N + n) * D);
  const base = DeviceTensor.fromHost(raw, [B, H, N, D], dtype);
  owned.push(base);
  return base.view(shape, [H * N * D, D, N * D, 1]);
}

/** Random inputs on the device. With `rising` = r > 0, key n is scaled by 1 + r n / nk: the scores' row maxima
 *  keep rising along the keys, so a kernel that reuses a row's max across blocks (the sm90 kernels' held-max
 *  softmax) meets blocks whose scores exceed it by far and must take its fallback. */
export function makeProblem(shape: HostShape, dtype: Dtype, seed: number, strided: Strided = false, rising = 0): Problem {
  const next = rng(seed);
  const { batch: B, nq, nk, hq, hkv, headDim: D } = shape;
  const round = (x: Float64Array) => decode(encode(x, dtype), dtype);
  const q = round(uniform(B * nq * hq * D, next, -1.5, 1.5));
  const kRaw = uniform(B * nk * hkv * D, next, -1.5, 1.5);
  if (rising > 0) for (let i = 0; i < kRaw.length; i++) kRaw[i]! *= 1 + (rising * (Math.floor(i / (hkv * D)) % nk)) / nk;
  const k = round(kRaw);
  const v = round(uniform(B * nk * hkv * D, next, -1, 1));
  const owned: DeviceTensor[] = [];
  const pad = strided === true ? [3, 2] : [0, 0];
  const put = (x: Float64Array, s: number[], padN: number, padH: number) =>
    strided === "head-major" ? uploadHeadMajor(x, s, dtype, owned) : upload(x, s, dtype, padN, padH, owned);
  return {
    shape,
    dtype,
    host: { q, k, v, shape, scale: 1 / Math.sqrt(D) },
    q: put(q, [B, nq, hq, D], pad[0]!, pad[1]!),
    k: put(k, [B, nk, hkv, D], pad[0]! + 1, pad[1]!),
    v: put(v, [B, nk, hkv, D], pad[0]! + 2, 0),
    owned,
  };
}

export function freeProblem(p: Problem): void {
  for (const t of p.owned) t.free();
}

/** Rows to hold against the reference: the edges, tile boundaries and a random sample. */
export function sampleRows(nq: number, count: number, seed: number): number[] {
  const rows = new Set<number>([0, nq - 1]);
  for (const r of [15, 16, 63, 64, 127, 128, nq - 2]) if (r >= 0 && r < nq) rows.add(r);
  const next = rng(seed);
  while (rows.size < Math.min(nq, count)) rows.add(Math.floor(next() * nq));
  return [...rows].sort((a, b) => a - b);
}

/** How many values are not finite (outputs are poisoned with NaN before each run). */
export function countNonFinite(values: ArrayLike<number>): number {
  let bad = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) bad++;
  return bad;
}

export interface Comparison {
  err: number; // kernel vs float64 reference
  errLowPrecision: number; // plain low-precision evaluation vs float64 reference
  lseMaxAbs: number;
  rows: number;
}

/** The reference of one row, exact or (with `round`) as a plain low-precision evaluation. */
export type RowReference = (b: number, h: number, i: number, round?: Dtype) => RowResult;

/**
 * Compare O [B, Nq, Hq, D] and LSE [B, Hq, Nq] (host values) with the reference on sampled rows;
 * the reference is dense attention unless `row` says otherwise (sparse attention's masked rows).
 */
export function compareWithReference(
  p: Problem,
  out: Float64Array,
  lse: Float64Array | null,
  rowsPerHead: number,
  seed: number,
  row: RowReference = (b, h, i, round) => attentionRow(p.host, b, h, i, round),
): Comparison {
  const { batch, nq, hq, headDim: D } = p.shape;
  const got: number[] = [];
  const ref: number[] = [];
  const low: number[] = [];
  let lseMaxAbs = 0;
  let count = 0;
  for (let b = 0; b < batch; b++)
    for (let h = 0; h < hq; h++)
      for (const i of sampleRows(nq, rowsPerHead, seed + b * 1000 + h)) {
        const exact = row(b, h, i);
        const plain = row(b, h, i, p.dtype);
        const off = ((b * nq + i) * hq + h) * D;
        for (let d = 0; d < D; d++) {
          got.push(out[off + d]!);
          ref.push(exact.out[d]!);
          low.push(plain.out[d]!);
        }
        if (lse) {
          const d = Math.abs(lse[(b * hq + h) * nq + i]! - exact.lse);
          lseMaxAbs = Math.max(lseMaxAbs, Number.isNaN(d) ? Infinity : d);
        }
        count++;
      }
  return { err: relativeError(got, ref), errLowPrecision: relativeError(low, ref), lseMaxAbs, rows: count };
}
