// dense(): validated, dispatched dense attention forward (semantics: shared/DESIGN.md section 1).
// Everything a caller can get wrong is checked here, before any native call, with a message that
// says how to fix it; the C side checks again for callers from other FFIs.
import type { ManifestEntry } from "../codegen/build";
import { DEFAULT_TILES, HEAD_DIMS, type Arch, type HeadDim } from "../codegen/variants";
import { cachedDeviceInfo } from "./device";
import { DTYPE_CODE, type Dtype } from "./dtype";
import { SparsedError, invalid } from "./errors";
import { native } from "./native";
import { BLOCK_SIZES } from "./schedule";
import { tunedVariant, type TuningKey } from "./tuning";
import { DeviceTensor } from "./tensor";

export interface DenseOptions {
  /** Softmax scale; default 1/sqrt(D). */
  scale?: number;
  /** Output [B, Nq, Hq, D] in the input dtype; allocated when omitted. */
  out?: DeviceTensor;
  /** LSE [B, Hq, Nq] fp32 contiguous; allocated when omitted, skipped when null. */
  lse?: DeviceTensor | null;
  /** CUDA stream handle (0 = default stream). */
  stream?: bigint;
  /** Force a specific built variant id instead of the default for the shape. */
  variant?: string;
  /**
   * Also write each row's log-sum-exp over each kv block of `blockSize` keys into `out`, f32
   * [B, Hq, ceil(Nk / blockSize), Nq] contiguous (`blockLseShape`): what selectBlocks' `blockLse`
   * option reads to build the pattern without a Q K^T pass. Needs a warp-specialized sm90a dense
   * variant at blockN 128 or 192 (`supportsBlockLse`); the call picks one.
   */
  blockLse?: { out: DeviceTensor; blockSize: number };
}

export interface DenseResult {
  out: DeviceTensor;
  lse: DeviceTensor | null;
  variant: string;
}

export interface AttentionShape {
  batch: number;
  nq: number;
  nk: number;
  hq: number;
  hkv: number;
  headDim: number;
  dtype: Dtype;
}

const PARAMS_BYTES = 184; // sizeof(sparsed_dense_params)

export function check4d(t: DeviceTensor, name: string): void {
  if (!(t instanceof DeviceTensor)) throw invalid(`${name} must be a DeviceTensor`);
  if (t.buffer.freed) throw new SparsedError("FREED", `${name} was freed`);
  if (t.shape.length !== 4) throw invalid(`${name} must be 4-d [B, N, H, D]; got shape [${t.shape.join(", ")}]`);
  if (t.dtype !== "bf16" && t.dtype !== "fp16") throw invalid(`${name} must be bf16 or fp16; got ${t.dtype}`);
  if (t.strides[3] !== 1) throw invalid(`${name}: the last dimension must be contiguous (stride 1); got stride ${t.strides[3]}`);
  for (let i = 0; i < 3; i++)
    if (t.strides[i]! % 8 !== 0)
      throw invalid(`${name}: stride ${i} is ${t.strides[i]} elements; strides must be multiples of 8 elements (16 bytes) for the kernels' vector loads`);
  if (t.ptr % 16n !== 0n) throw invalid(`${name}: device pointer 0x${t.ptr.toString(16)} is not 16-byte aligned`);
}

/** Validate Q, K, V against each other and return the problem's shape. */
export function attentionShape(q: DeviceTensor, k: DeviceTensor, v: DeviceTensor): AttentionShape {
  check4d(q, "q");
  check4d(k, "k");
  check4d(v, "v");
  const [batch, nq, hq, headDim] = q.shape as [number, number, number, number];
  const [bk, nk, hkv, dk] = k.shape as [number, number, number, number];
  if (k.dtype !== q.dtype || v.dtype !== q.dtype) throw invalid(`q, k, v must share one dtype; got ${q.dtype}, ${k.dtype}, ${v.dtype}`);
  if (v.shape.some((d, i) => d !== k.shape[i])) throw invalid(`v shape [${v.shape.join(", ")}] must equal k shape [${k.shape.join(", ")}]`);
  if (bk !== batch) throw invalid(`batch mismatch: q has ${batch}, k/v have ${bk}`);
  if (dk !== headDim) throw invalid(`head dim mismatch: q has ${headDim}, k/v have ${dk}`);
  if (batch < 1 || nq < 1 || nk < 1 || hq < 1 || hkv < 1 || headDim < 1)
    throw invalid(`every dimension must be >= 1: q [${q.shape.join(", ")}], k [${k.shape.join(", ")}] (N = 0 has nothing to attend to)`);
  if (hq % hkv !== 0) throw invalid(`Hq (${hq}) must be a multiple of Hkv (${hkv}) for grouped-query attention`);
  if (!(HEAD_DIMS as readonly number[]).includes(headDim))
    throw invalid(`head dim ${headDim} is not supported by the templates (supported: ${HEAD_DIMS.join(", ")})`);
  return { batch, nq, nk, hq, hkv, headDim, dtype: q.dtype as Dtype };
}

/** Instruction families the current GPU runs, best first. */
export function archPreference(): Arch[] {
  const [major, minor] = cachedDeviceInfo().computeCapability;
  return major === 9 && minor === 0 ? ["sm90a", "sm80"] : ["sm80"];
}

/** This GPU's tuning-table choice among `fits` (src/tuning.ts): a built variant the GPU runs, or undefined. */
export function tunedPick(fits: ManifestEntry[], key: TuningKey): ManifestEntry | undefined {
  return tunedVariant(fits, cachedDeviceInfo().name, key, (e) => archPreference().includes(e.arch));
}

/** The ids of built variants, for error messages. */
export function builtIds(built: ManifestEntry[]): string {
  return built.map((x) => x.id).join(", ") || "none";
}

/** The variant a caller asked for by id among the built ones of an op; NOT_BUILT, listing them, if absent. */
export function requestedVariant(built: ManifestEntry[], id: string, what: string): ManifestEntry {
  const e = built.find((x) => x.id === id);
  if (!e) throw new SparsedError("NOT_BUILT", `${what} variant ${id} is not built (built: ${builtIds(built)})`);
  return e;
}

/**
 * The built variant for a shape: the requested id, else this GPU's tuning table's choice (src/tuning.ts),
 * else the default tiles of the best instruction family the GPU runs (sm90a on H100/H200, else sm80),
 * else any built variant that fits.
 */
export function pickDenseVariant(shape: AttentionShape, requested?: string): ManifestEntry {
  const built = native().manifest.variants.filter((e) => e.op === "dense_fwd");
  if (requested) {
    const e = requestedVariant(built, requested, "dense");
    if (e.headDim !== shape.headDim || e.dtype !== shape.dtype)
      throw invalid(`variant ${requested} is for head dim ${e.headDim} ${e.dtype}; the inputs are head dim ${shape.headDim} ${shape.dtype}`);
    return e;
  }
  const fits = built.filter((e) => e.headDim === shape.headDim && e.dtype === shape.dtype);
  const noneBuilt = () =>
    new SparsedError(
      "NOT_BUILT",
      `no dense kernel for head dim ${shape.headDim} ${shape.dtype} that this GPU runs is built (built: ${builtIds(built)}): ` +
        `run \`bun run generate --head-dim ${shape.headDim} --dtype ${shape.dtype}\` (or plain \`bun run generate\` for every supported variant)`,
    );
  if (fits.length === 0) throw noneBuilt();
  const tuned = tunedPick(fits, { op: "dense_fwd", headDim: shape.headDim, dtype: shape.dtype, n: shape.nk });
  if (tuned) return tuned;
  for (const arch of archPreference()) {
    const mine = fits.filter((e) => e.arch === arch);
    const tiles = DEFAULT_TILES.dense_fwd[arch]?.[shape.headDim as HeadDim]?.[0];
    const best = mine.find((e) => e.blockM === tiles?.blockM && e.blockN === tiles?.blockN && e.warps === tiles?.warps && e.stages === tiles?.stages) ?? mine[0];
    if (best) return best;
  }
  throw noneBuilt();
}

function writeStrides(view: DataView, at: number, t: DeviceTensor): number {
  for (let i = 0; i < 3; i++) view.setBigInt64(at + 8 * i, BigInt(t.strides[i]!), true);
  return at + 24;
}

/** The sparsed_dense_params struct, byte for byte (include/sparsed.h). */
export function denseParams(
  q: DeviceTensor,
  k: DeviceTensor,
  v: DeviceTensor,
  out: DeviceTensor,
  lse: DeviceTensor | null,
  s: AttentionShape,
  scale: number,
  blockLse?: { out: DeviceTensor; blockSize: number },
): Uint8Array {
  const bytes = new Uint8Array(PARAMS_BYTES);
  const view = new DataView(bytes.buffer);
  [q.ptr, k.ptr, v.ptr, out.ptr, lse ? lse.ptr : 0n].forEach((p, i) => view.setBigUint64(8 * i, p, true));
  let at = 40;
  for (const t of [q, k, v, out]) at = writeStrides(view, at, t);
  [s.batch, s.nq, s.nk, s.hq, s.hkv, s.headDim].forEach((x, i) => view.setInt32(at + 4 * i, x, true));
  view.setFloat32(at + 24, scale, true);
  view.setInt32(at + 28, DTYPE_CODE[s.dtype], true);
  if (blockLse) {
    view.setBigUint64(at + 32, blockLse.out.ptr, true);
    view.setInt32(at + 40, blockLse.blockSize, true);
  }
  return bytes;
}

/** The dense variants that write block LSEs (include/sparsed.h, block_lse): warp-specialized sm90a at blockN 128, or 192 for
 *  blocks of 64 and 128 keys (given a block size, for that one). */
export function supportsBlockLse(e: ManifestEntry, blockSize?: number): boolean {
  const tiles = e.blockN === 128 || (e.blockN === 192 && blockSize !== 32); // dense_ws_sm90.cuh's block_lse_fits
  return e.op === "dense_fwd" && e.arch === "sm90a" && tiles && e.warps === e.blockM / 16 + 4;
}

/** The shape of a block-LSE tensor: [B, Hq, ceil(Nk / blockSize), Nq]. */
export function blockLseShape(s: Pick<AttentionShape, "batch" | "hq" | "nq" | "nk">, blockSize: number): number[] {
  return [s.batch, s.hq, Math.ceil(s.nk / blockSize), s.nq];
}

/** A block-LSE tensor for these shapes and block size (f32, contiguous). */
export function checkBlockLse(t: DeviceTensor, s: Pick<AttentionShape, "batch" | "hq" | "nq" | "nk">, blockSize: number): void {
  if (!BLOCK_SIZES.includes(blockSize)) throw invalid(`blockLse.blockSize = ${blockSize}: block LSEs are written for blocks of 32, 64 or 128 keys`);
  const want = blockLseShape(s, blockSize);
  if (!(t instanceof DeviceTensor)) throw invalid("blockLse.out must be a DeviceTensor");
  if (t.buffer.freed) throw new SparsedError("FREED", "blockLse.out was freed");
  if (t.dtype !== "f32" || t.shape.length !== 4 || t.shape.some((d, i) => d !== want[i]) || !t.isContiguous)
    throw invalid(`block LSEs must be a contiguous f32 tensor [${want.join(", ")}] (B, Hq, ceil(Nk / ${blockSize}), Nq); got [${t.shape.join(", ")}] ${t.dtype}`);
  if (t.ptr % 4n !== 0n) throw invalid("the block-LSE pointer is not 4-byte aligned");
}

export function defaultScale(headDim: number): number {
  return 1 / Math.sqrt(headDim);
}

/** An LSE tensor for these shapes: contiguous f32 [B, Hq, Nq], as dense() writes it. */
export function checkLse(lse: DeviceTensor, s: Pick<AttentionShape, "batch" | "hq" | "nq">): void {
  const want = [s.batch, s.hq, s.nq];
  if (!(lse instanceof DeviceTensor)) throw invalid("lse must be a DeviceTensor (or null)");
  if (lse.buffer.freed) throw new SparsedError("FREED", "lse was freed");
  if (lse.dtype !== "f32" || lse.shape.length !== 3 || lse.shape.some((d, i) => d !== want[i]) || !lse.isContiguous)
    throw invalid(`lse must be a contiguous f32 tensor [${want.join(", ")}]; got [${lse.shape.join(", ")}] ${lse.dtype}`);
  if (lse.ptr % 4n !== 0n) throw invalid("lse pointer is not 4-byte aligned");
}

/**
 * Validates scale, out and lse against the shape, then picks the variant (which may need the
 * device), allocates the missing outputs, launches, and frees what it allocated on failure.
 */
export function runAttention(
  s: AttentionShape,
  opts: DenseOptions,
  pick: () => ManifestEntry,
  params: (out: DeviceTensor, lse: DeviceTensor | null, scale: number) => Uint8Array,
): DenseResult {
  const scale = opts.scale ?? defaultScale(s.headDim);
  if (!(scale > 0) || !Number.isFinite(scale)) throw invalid(`scale must be a positive finite number; got ${scale}`);
  if (opts.out) {
    check4d(opts.out, "out");
    const want = [s.batch, s.nq, s.hq, s.headDim];
    if (opts.out.shape.some((d, i) => d !== want[i]) || opts.out.dtype !== s.dtype)
      throw invalid(`out must be [${want.join(", ")}] ${s.dtype}; got [${opts.out.shape.join(", ")}] ${opts.out.dtype}`);
  }
  if (opts.lse) checkLse(opts.lse, s);
  const entry = pick();
  const out = opts.out ?? DeviceTensor.empty([s.batch, s.nq, s.hq, s.headDim], s.dtype);
  let lse: DeviceTensor | null = null;
  try {
    lse = opts.lse === null ? null : (opts.lse ?? DeviceTensor.empty([s.batch, s.hq, s.nq], "f32"));
    native().launch(entry, params(out, lse, scale), opts.stream ?? 0n);
  } catch (e) {
    if (!opts.out) out.free();
    if (lse && !opts.lse) lse.free();
    throw e;
  }
  return { out, lse, variant: entry.id };
}

export function dense(q: DeviceTensor, k: DeviceTensor, v: DeviceTensor, opts: DenseOptions = {}): DenseResult {
  const s = attentionShape(q, k, v);
  const bl = opts.blockLse;
  if (bl) {
    if (typeof bl !== "object") throw invalid("blockLse must be { out, blockSize }");
    checkBlockLse(bl.out, s, bl.blockSize);
  }
  const pick = () => (bl ? pickBlockLseVariant(s, bl.blockSize, opts.variant) : pickDenseVariant(s, opts.variant));
  return runAttention(s, opts, pick, (out, lse, scale) => denseParams(q, k, v, out, lse, s, scale, bl));
}

/** The dense variant for a call that writes block LSEs: the requested one (which must support them),
 *  else blockLseVariant's; NOT_BUILT with a way out when none is built that this GPU runs. */
export function pickBlockLseVariant(s: AttentionShape, blockSize: number, requested?: string): ManifestEntry {
  if (requested) {
    const e = pickDenseVariant(s, requested);
    if (!supportsBlockLse(e, blockSize))
      throw invalid(`variant ${requested} does not write block LSEs for blocks of ${blockSize} keys: use a warp-specialized sm90a dense variant at blockN 128 (or 192 for b = 64, 128; warps 12), or leave variant out`);
    return e;
  }
  const e = blockLseVariant(s, blockSize);
  if (!e)
    throw new SparsedError(
      "NOT_BUILT",
      `block LSEs need a warp-specialized sm90a dense variant at blockN 128 or 192 for head dim ${s.headDim} ${s.dtype} on an H100/H200 ` +
        `(e.g. \`bun run generate --variant dense_fwd_hd${s.headDim}_bm128_bn128_w12_s2_${s.dtype}_sm90a\`); without one, call selectBlocks without blockLse`,
    );
  return e;
}

/** The built dense variant that writes block LSEs for this shape on this GPU, if any (bestBlockLseVariant's
 *  pick among the library's variants, on a GPU that runs sm90a). */
export function blockLseVariant(s: AttentionShape, blockSize: number): ManifestEntry | undefined {
  if (!archPreference().includes("sm90a")) return undefined;
  return bestBlockLseVariant(native().manifest.variants, s, blockSize);
}

/** Of `entries`, the dense variant that writes block LSEs of `blockSize` keys at this head dim and dtype, if any:
 *  blockN 128 first, whose held-max softmax (dense_ws_sm90.cuh) also runs where block LSEs are written, then the
 *  widest key tile. The tuning table's dense pick, timed without block LSEs, is no guide here: with them (b = 128,
 *  H200, session 17, bench/NOTES.md) bn128 takes 1.12x the plain bn128 call at 16k and 64k, bn192 1.23-1.25x. */
export function bestBlockLseVariant(entries: readonly ManifestEntry[], s: Pick<AttentionShape, "headDim" | "dtype">, blockSize: number): ManifestEntry | undefined {
  const rank = (e: ManifestEntry) => (e.blockN === 128 ? 1000 : e.blockN);
  const fits = entries.filter((e) => supportsBlockLse(e, blockSize) && e.headDim === s.headDim && e.dtype === s.dtype);
  return fits.sort((a, b) => rank(b) - rank(a))[0];
}
