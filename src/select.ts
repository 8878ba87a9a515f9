// selectBlocks(): SparseD's isolated selection on the GPU (shared/DESIGN.md section 1, "Pattern
// selection"; the CPU reference is selectPattern in src/selection.ts, the kernel
// templates/include/sparsed/select.cuh). Everything a caller can get wrong is checked here, before any
// native call, with a message that says how to fix it; the C side checks again for other FFIs.
import type { ManifestEntry } from "../codegen/build";
import { variantId } from "../codegen/variants";
import { archPreference, attentionShape, builtIds, checkBlockLse, checkLse, defaultScale, requestedVariant, tunedPick, type AttentionShape } from "./dense";
import { DevicePattern, PATTERN_STRUCT_BYTES } from "./device-pattern";
import { DTYPE_CODE } from "./dtype";
import { SparsedError, invalid } from "./errors";
import { native } from "./native";
import type { PatternShape } from "./pattern";
import { BLOCK_SIZES, validateSelectionParams } from "./schedule";
import { generationBoundary, selectionCounts } from "./selection";
import { DeviceTensor } from "./tensor";

export interface SelectBlocksOptions {
  /** Pattern block size b (32, 64 or 128): a select variant with blockN = b must be built. */
  blockSize: number;
  /** Keep ratio in (0, 1]. */
  select: number;
  /** G: tokens being generated, at the end of the sequence. */
  genLength: number;
  /** Softmax scale of the selection; default 1/sqrt(D) (the LLaDA code uses 1/sqrt(Hq)). */
  selectionScale?: number;
  /** LSE [B, Hq, Nq] f32 contiguous from dense() over the same Q, K; used only when the selection
   *  scale equals the attention scale (else the kernel computes its own row statistics). */
  lse?: DeviceTensor | null;
  /** The scale `lse` was computed with; default 1/sqrt(D). */
  attentionScale?: number;
  /** CUDA stream handle (0 = default stream). */
  stream?: bigint;
  /** Write into this pattern (built for these shapes and block size) instead of allocating one. */
  out?: DevicePattern;
  /** Run this built select variant (an id from the manifest) instead of the best one for the GPU. */
  variant?: string;
  /**
   * Block LSEs that dense() wrote over the same Q, K at this blockSize (its `blockLse` option), with
   * `lse` from the same call: the pattern comes from them in O(Nq * nkb) work, no Q K^T pass, and no
   * select variant is needed. The selection scale must equal the attention scale.
   */
  blockLse?: DeviceTensor;
}

/**
 * sizeof(sparsed_select_params) (include/sparsed.h; select.cuh static_asserts the same numbers).
 * Offsets: q 0, k 8, lse 16, workspace 24 (uint64); q_stride 32, k_stride 56 (3 x int64 each);
 * batch 80, nq 84, nk 88, hq 92, hkv 96, head_dim 100, gen_length 104 (int32); select 108,
 * sel_scale 112 (float); dtype 116 (int32); pattern 120 (sparsed_pattern, 8-byte aligned: 120 is
 * already a multiple of 8, so no padding; 32 bytes). 152 is a multiple of 8: no tail padding.
 */
export const SELECT_PARAMS_BYTES = 152;
const PATTERN_OFFSET = 120;

/** Q [B, Nq, Hq, D] and K [B, Nk, Hkv, D]: the attention shape without V. */
export type SelectShape = AttentionShape;

/** Validate Q and K against each other (as dense() does, K standing in for V) and return the sizes. */
export function selectShape(q: DeviceTensor, k: DeviceTensor): SelectShape {
  return attentionShape(q, k, k);
}

/**
 * The built select variant for these inputs and block size (blockN is the pattern block size): the
 * requested id, else (given Nk) this GPU's tuning table's choice (src/tuning.ts), else the best
 * instruction family the GPU runs (sm90a on H100/H200, else sm80).
 */
export function pickSelectVariant(shape: Pick<SelectShape, "headDim" | "dtype"> & { nk?: number }, blockSize: number, requested?: string): ManifestEntry {
  const built = native().manifest.variants.filter((e) => e.op === "select");
  if (requested) {
    const e = requestedVariant(built, requested, "select");
    if (e.headDim !== shape.headDim || e.dtype !== shape.dtype || e.blockN !== blockSize)
      throw invalid(`variant ${requested} is for head dim ${e.headDim} ${e.dtype} at block size ${e.blockN}; the call is head dim ${shape.headDim} ${shape.dtype} at block size ${blockSize}`);
    return e;
  }
  // The manifest lists the variants in DEFAULT_TILES order (fastest first), so the first of a family wins.
  const fits = built.filter((x) => x.headDim === shape.headDim && x.dtype === shape.dtype && x.blockN === blockSize);
  const tuned = shape.nk === undefined ? undefined : tunedPick(fits, { op: "select", headDim: shape.headDim, dtype: shape.dtype, n: shape.nk, block: blockSize });
  if (tuned) return tuned;
  for (const arch of archPreference()) {
    const e = fits.find((x) => x.arch === arch);
    if (e) return e;
  }
  const id = variantId({ op: "select", headDim: shape.headDim as 64 | 128, blockM: blockSize, blockN: blockSize, warps: blockSize / 16, stages: 2, dtype: shape.dtype, arch: "sm80" });
  throw new SparsedError(
    "NOT_BUILT",
    `no select kernel for head dim ${shape.headDim} ${shape.dtype} at block size ${blockSize} that this GPU runs is built (built: ${builtIds(built)}): ` +
      `run \`bun run generate\` (every default variant, select included) or add \`--variant ${id}\` to your generate flags ` +
      `(\`bun run generate --op select --head-dim ${shape.headDim} --dtype ${shape.dtype}\` builds every block size, but only the select kernels)`,
  );
}

/**
 * The float32 the C side gets for `select`. The kernel's launcher computes kA = min(n, floor(n * s) + 1)
 * in double from that float; float32(0.7) * 10 = 6.99999988 would give 7, where the float64
 * reference (selectionCounts) gives 8. So the float is nudged, one ulp at a time, until the
 * launcher's kA and kB equal the reference's (a few ulps at most: both counts change only at
 * multiples of 1/n, far apart at float32 resolution).
 */
export function selectFloat32(select: number, nkb: number, g: number): number {
  const want = selectionCounts(nkb, g, select);
  const f = new Float32Array([Math.max(select, 2 ** -149)]);
  const bits = new Uint32Array(f.buffer);
  for (let step = 0; step < 1 << 16; step++) {
    const got = selectionCounts(nkb, g, f[0]!); // the launcher's double arithmetic on the float
    const low = got.kA < want.kA || got.kB < want.kB;
    const high = got.kA > want.kA || got.kB > want.kB;
    if (!low && !high) return f[0]!;
    if (low && high) break;
    bits[0] = bits[0]! + (low ? 1 : -1); // positive floats: the next representable value up or down
    if (!(f[0]! > 0 && f[0]! <= 1)) break;
  }
  throw invalid(`select = ${select}: no float32 reproduces kA = ${want.kA}, kB = ${want.kB} for ${nkb} kv blocks (g = ${g}); this is a bug`);
}

/** The sparsed_select_params struct, byte for byte (offsets at SELECT_PARAMS_BYTES). */
export function selectParams(
  q: DeviceTensor,
  k: DeviceTensor,
  lsePtr: bigint,
  workspacePtr: bigint,
  s: SelectShape,
  genLength: number,
  select32: number,
  selScale: number,
  pattern: DevicePattern,
): Uint8Array {
  const bytes = new Uint8Array(SELECT_PARAMS_BYTES);
  const view = new DataView(bytes.buffer);
  [q.ptr, k.ptr, lsePtr, workspacePtr].forEach((p, i) => view.setBigUint64(8 * i, p, true));
  for (let i = 0; i < 3; i++) {
    view.setBigInt64(32 + 8 * i, BigInt(q.strides[i]!), true);
    view.setBigInt64(56 + 8 * i, BigInt(k.strides[i]!), true);
  }
  [s.batch, s.nq, s.nk, s.hq, s.hkv, s.headDim].forEach((x, i) => view.setInt32(80 + 4 * i, x, true));
  view.setInt32(104, Math.min(genLength, 0x7fffffff), true); // any G >= Nq means the same (g = 0)
  view.setFloat32(108, select32, true);
  view.setFloat32(112, selScale, true);
  view.setInt32(116, DTYPE_CODE[s.dtype], true);
  pattern.writeStruct(view, PATTERN_OFFSET);
  if (PATTERN_OFFSET + PATTERN_STRUCT_BYTES !== SELECT_PARAMS_BYTES) throw new Error("sparsed_select_params layout out of step");
  return bytes;
}

function checkOut(out: DevicePattern, shape: PatternShape): void {
  if (!(out instanceof DevicePattern)) throw invalid("out must be a DevicePattern");
  if (out.counts.buffer.freed || out.indices.buffer.freed) throw new SparsedError("FREED", "out pattern was freed");
  const o = out.shape;
  if (o.batch !== shape.batch || o.hq !== shape.hq || o.nq !== shape.nq || o.nk !== shape.nk || o.blockSize !== shape.blockSize)
    throw invalid(
      `out pattern was made for B=${o.batch} Hq=${o.hq} Nq=${o.nq} Nk=${o.nk} blockSize=${o.blockSize}; ` +
        `these inputs need B=${shape.batch} Hq=${shape.hq} Nq=${shape.nq} Nk=${shape.nk} blockSize=${shape.blockSize} (DevicePattern.empty(shape))`,
    );
}

/**
 * The block-sparse pattern of Q and K (isolated selection): per (batch, head, query block) the
 * ascending kv blocks kept, int32 on the device. One kernel launch; when the LSE of the dense pass
 * can serve (same scale) it costs one QK^T pass, otherwise two; with that pass's block LSEs
 * (`blockLse`) none: O(Nq * Nk / blockSize) reads (templates/include/sparsed/select_block_lse.cuh).
 */
export function selectBlocks(q: DeviceTensor, k: DeviceTensor, opts: SelectBlocksOptions): DevicePattern {
  const s = selectShape(q, k);
  if (!opts || typeof opts !== "object") throw invalid("selectBlocks needs options { blockSize, select, genLength }");
  const { blockSize, select, genLength } = opts;
  if (!BLOCK_SIZES.includes(blockSize))
    throw invalid(`blockSize = ${blockSize}: the pattern block size must be one of ${BLOCK_SIZES.join(", ")}`);
  validateSelectionParams({ select, genLength, selectionScale: opts.selectionScale });
  if (opts.attentionScale !== undefined && !(Number.isFinite(opts.attentionScale) && opts.attentionScale > 0))
    throw invalid(`attentionScale = ${opts.attentionScale}: must be a positive finite number (the scale dense() used), or left out for 1/sqrt(D)`);
  const selScale = opts.selectionScale ?? defaultScale(s.headDim);
  const attScale = opts.attentionScale ?? defaultScale(s.headDim);
  if (opts.lse) checkLse(opts.lse, s);
  const useLse = opts.lse ? selScale === attScale : false;
  const shape: PatternShape = { batch: s.batch, hq: s.hq, nq: s.nq, nk: s.nk, blockSize };
  if (opts.out) checkOut(opts.out, shape);
  const nkb = Math.ceil(s.nk / blockSize);
  const select32 = selectFloat32(select, nkb, generationBoundary(s.nq, blockSize, genLength));
  if (opts.blockLse) return selectFromBlockLse(q, k, opts, s, shape, select32, selScale, attScale);
  const entry = pickSelectVariant(s, blockSize, opts.variant);

  const pattern = opts.out ?? DevicePattern.empty(shape);
  let workspace: DeviceTensor | null = null;
  try {
    if (!useLse) workspace = DeviceTensor.empty([s.batch, s.hq, s.nq], "f32");
    const params = selectParams(q, k, useLse ? opts.lse!.ptr : 0n, workspace ? workspace.ptr : 0n, s, genLength, select32, selScale, pattern);
    native().launch(entry, params, opts.stream ?? 0n);
  } catch (e) {
    if (!opts.out) pattern.free();
    throw e;
  } finally {
    // cudaFree waits for the device's queued work, so the kernel is done with the workspace first.
    workspace?.free();
  }
  return pattern;
}

/** selectBlocks with `blockLse`: the checks that option adds, then one launch of sparsed_select_block_lse. */
function selectFromBlockLse(q: DeviceTensor, k: DeviceTensor, opts: SelectBlocksOptions, s: SelectShape, shape: PatternShape, select32: number, selScale: number, attScale: number): DevicePattern {
  if (!opts.lse) throw invalid("blockLse needs lse from the same dense() call (the rows' denominators)");
  if (selScale !== attScale)
    throw invalid(`blockLse carries the attention scale (${attScale}); the selection scale is ${selScale}: leave blockLse out to select at another scale`);
  if (opts.variant) throw invalid("variant picks a select kernel; the selection from blockLse runs none: leave one of them out");
  checkBlockLse(opts.blockLse!, s, shape.blockSize);
  const pattern = opts.out ?? DevicePattern.empty(shape);
  try {
    const sel = selectParams(q, k, opts.lse.ptr, 0n, s, opts.genLength, select32, selScale, pattern);
    const bytes = new Uint8Array(SELECT_PARAMS_BYTES + 8);
    bytes.set(sel);
    new DataView(bytes.buffer).setBigUint64(SELECT_PARAMS_BYTES, opts.blockLse!.ptr, true);
    native().call("sparsed_select_block_lse", bytes, opts.stream ?? 0n);
  } catch (e) {
    if (!opts.out) pattern.free();
    throw e;
  }
  return pattern;
}
