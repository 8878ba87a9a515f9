// The variant space: which kernels codegen can render, how each is named, and what is rejected.
// A variant id spells every field in a fixed order and doubles as the build-cache and dispatch key.

export const OPS = ["dense_fwd", "sparse_fwd", "select"] as const;
export const HEAD_DIMS = [64, 128] as const;
export const DTYPES = ["bf16", "fp16"] as const;
export const BLOCK_MS = [32, 64, 128, 192, 256] as const;
export const BLOCK_NS = [32, 64, 128] as const;
export const WARPS = [2, 4, 8, 12, 16] as const;
/** Pattern block sizes of SparseD (shared/DESIGN.md section 1). */
export const PATTERN_BLOCKS = [32, 64, 128] as const;
/**
 * The instruction family a kernel is written for: sm80 = mma.sync/ldmatrix/cp.async (runs on sm_80
 * and later); sm90a = warpgroup MMA (wgmma), Hopper only (H100/H200).
 */
export const ARCHS = ["sm80", "sm90a"] as const;
/** nvcc targets the library can be built for; every variant is compiled for each. */
export const GENCODES = ["sm90a", "sm80"] as const;

export type Op = (typeof OPS)[number];
export type HeadDim = (typeof HEAD_DIMS)[number];
export type Dtype = (typeof DTYPES)[number];
export type Arch = (typeof ARCHS)[number];
export type Gencode = (typeof GENCODES)[number];

export interface VariantConfig {
  op: Op;
  headDim: HeadDim;
  blockM: number; // query rows per CTA
  blockN: number; // keys per pipeline step; for select, the pattern block size b
  warps: number; // warps per CTA; each owns blockM / warps (16 or 32) query rows
  dtype: Dtype;
  arch: Arch;
}

export interface Tiles {
  blockM: number;
  blockN: number;
  warps: number;
}

const t = (blockM: number, blockN: number, warps: number): Tiles => ({ blockM, blockN, warps });

/**
 * The variants built when no tiles are given, per op, instruction family and head dim: the
 * measured-best dense tiles (bench/NOTES.md); for sparse, tiles that divide every pattern block size
 * plus the fast ones for large blocks; for select, per pattern block size (sm80: one block per CTA;
 * sm90a: 256 rows per CTA, or 128 rows with two CTAs an SM; only 128 at b = 32, to bound the per-CTA
 * importance arrays). Dispatch takes the first built default of the best family.
 */
export const DEFAULT_TILES: Record<Op, Partial<Record<Arch, Record<HeadDim, Tiles[]>>>> = {
  dense_fwd: {
    sm80: { 64: [t(128, 64, 4)], 128: [t(128, 64, 4)] },
    // hd128: bm128 bn64 runs two CTAs an SM; in 2026-11-27-h200-v5 it matched bm192 at 16k and beat it
    // at 4k (+22%) and 64k (+2%). bm192 stays built for comparison.
    sm90a: { 64: [t(128, 64, 8)], 128: [t(128, 64, 8), t(192, 128, 12)] },
  },
  sparse_fwd: {
    sm80: { 64: [t(32, 32, 2), t(64, 64, 4)], 128: [t(32, 32, 2), t(64, 64, 4)] },
    // Fastest first (src/sparse.ts picks the first that divides the pattern block): bm128 bn64 runs two
    // CTAs an SM (2026-11-27-h200-v5), bm64 serves b = 64.
    sm90a: { 64: [t(128, 64, 8), t(128, 128, 8), t(64, 64, 4)], 128: [t(128, 64, 8), t(128, 128, 8), t(64, 64, 4)] },
  },
  select: {
    sm80: { 64: [t(32, 32, 2), t(64, 64, 4), t(128, 128, 8)], 128: [t(32, 32, 2), t(64, 64, 4), t(128, 128, 8)] },
    sm90a: {
      // b = 128: bm128 (two CTAs an SM) measured 0.61x/0.57x a dense call at 16k/64k, bm256 0.63x/0.57x.
      64: [t(128, 32, 8), t(256, 64, 16), t(128, 128, 8), t(128, 64, 8), t(256, 128, 16)],
      128: [t(128, 32, 8), t(256, 64, 16), t(128, 128, 8), t(128, 64, 8), t(256, 128, 16)],
    },
  },
};

/** Shared memory a CTA may opt into: sm_80 163 KB, sm_90 227 KB. */
export const MAX_SMEM_BYTES: Record<Arch, number> = { sm80: 163 * 1024, sm90a: 227 * 1024 };

/** sm90a select: keys per pipeline step and stages (templates/include/sparsed/select_sm90.cuh). */
export const SELECT_SM90_KEY_TILE = 64;
export const SELECT_SM90_STAGES = 4;

/**
 * The fixed shared memory of a CTA, 2 bytes an element (+1 KB to align sm90a tiles): Q plus two
 * stages of K and V tiles; for sm90a select, Q plus four stages of 64-key K tiles (its importance
 * arrays grow with Nk and are checked at launch).
 */
export function smemBytes(cfg: VariantConfig): number {
  if (cfg.op === "select" && cfg.arch === "sm90a") return (cfg.blockM + SELECT_SM90_STAGES * SELECT_SM90_KEY_TILE) * cfg.headDim * 2 + 1024;
  return (cfg.blockM + 4 * cfg.blockN) * cfg.headDim * 2 + (cfg.arch === "sm90a" ? 1024 : 0);
}

export function variantId(cfg: VariantConfig): string {
  return `${cfg.op}_hd${cfg.headDim}_bm${cfg.blockM}_bn${cfg.blockN}_w${cfg.warps}_${cfg.dtype}_${cfg.arch}`;
}

export function symbolOf(cfg: VariantConfig): string {
  return `sparsed_${variantId(cfg)}`;
}

const ID_PATTERN = /^([a-z]+(?:_[a-z]+)?)_hd(\d+)_bm(\d+)_bn(\d+)_w(\d+)_([a-z0-9]+)_(sm\d+a?)$/;

/** Inverse of variantId; throws on an id that does not name a valid variant. */
export function parseVariantId(id: string): VariantConfig {
  const m = ID_PATTERN.exec(id);
  if (!m) throw new Error(`not a variant id: "${id}" (expected e.g. dense_fwd_hd128_bm128_bn64_w8_bf16_sm80)`);
  const cfg = {
    op: m[1] as Op,
    headDim: Number(m[2]) as HeadDim,
    blockM: Number(m[3]),
    blockN: Number(m[4]),
    warps: Number(m[5]),
    dtype: m[6] as Dtype,
    arch: m[7] as Arch,
  };
  const problems = validateVariant(cfg);
  if (problems.length) throw new Error(`invalid variant "${id}": ${problems.join("; ")}`);
  return cfg;
}

function oneOf<T>(what: string, value: T, allowed: readonly T[]): string[] {
  return allowed.includes(value) ? [] : [`${what} ${String(value)} is not supported (supported: ${allowed.join(", ")})`];
}

/** Every reason the config cannot be built; empty when it can. */
export function validateVariant(cfg: VariantConfig): string[] {
  const problems = [
    ...oneOf("op", cfg.op, OPS),
    ...oneOf("head dim", cfg.headDim, HEAD_DIMS),
    ...oneOf("dtype", cfg.dtype, DTYPES),
    ...oneOf("blockM", cfg.blockM, BLOCK_MS),
    ...oneOf("blockN", cfg.blockN, BLOCK_NS),
    ...oneOf("warps", cfg.warps, WARPS),
    ...oneOf("arch", cfg.arch, ARCHS),
  ];
  if (problems.length) return problems;
  const rowsPerWarp = cfg.blockM / cfg.warps;
  if (cfg.op === "select") {
    if (!(PATTERN_BLOCKS as readonly number[]).includes(cfg.blockN)) problems.push(`select blockN is the pattern block size: one of ${PATTERN_BLOCKS.join(", ")}`);
    else if (cfg.arch === "sm80" && (cfg.blockM !== cfg.blockN || rowsPerWarp !== 16))
      problems.push("sm80 select tiles are one pattern block: blockM = blockN, warps = blockM / 16");
    else if (cfg.arch === "sm90a" && (cfg.blockM % 64 !== 0 || cfg.blockM % cfg.blockN !== 0 || cfg.blockM < 128))
      problems.push(`sm90a select takes whole warpgroups of whole pattern blocks: blockM in 128, 192, 256 and a multiple of blockN (${cfg.blockN})`);
  } else if (cfg.blockM === 256 || cfg.warps === 16) {
    problems.push("blockM 256 and 16 warps are offered for sm90a select only (attention tiles that large spill registers)");
  }
  if (cfg.op === "dense_fwd" && cfg.blockM === 32) problems.push("dense blockM 32 is not offered (use 64 or more)");
  if (cfg.arch === "sm80" && rowsPerWarp !== 16 && rowsPerWarp !== 32)
    problems.push(`blockM / warps = ${rowsPerWarp}: each warp must own 16 or 32 query rows`);
  if (cfg.arch === "sm90a") {
    if (rowsPerWarp !== 16) problems.push(`sm90a kernels use one warpgroup (4 warps) per 64 rows: warps must be blockM / 16 = ${cfg.blockM / 16}`);
    if (cfg.blockN === 32 && cfg.op !== "select") problems.push("sm90a attention kernels take blockN 64 or 128");
  }
  if (smemBytes(cfg) > MAX_SMEM_BYTES[cfg.arch])
    problems.push(`needs ${smemBytes(cfg)} bytes of shared memory, over the ${MAX_SMEM_BYTES[cfg.arch]} that ${cfg.arch} allows`);
  return problems;
}

export interface VariantSelection {
  ops?: Op[];
  headDims?: number[];
  dtypes?: string[];
  blockMs?: number[];
  blockNs?: number[];
  warps?: number[];
  archs?: string[];
}

/** The cross product of a selection, with default tiles per head dim; throws listing every problem. */
export function expandVariants(sel: VariantSelection = {}): VariantConfig[] {
  const out: VariantConfig[] = [];
  const problems = new Set<string>();
  for (const op of sel.ops ?? OPS)
    for (const headDim of sel.headDims ?? HEAD_DIMS)
      for (const dtype of sel.dtypes ?? DTYPES)
        for (const arch of sel.archs ?? ARCHS) {
          const defaults = DEFAULT_TILES[op]?.[arch as Arch]?.[headDim as HeadDim];
          if (!DEFAULT_TILES[op]?.[arch as Arch] && !sel.archs) continue; // no such family for this op (sm90a select), unless asked by name
          const tileSets = sel.blockMs || sel.blockNs || sel.warps
            ? (sel.blockMs ?? [defaults?.[0]?.blockM ?? 0]).flatMap((blockM) =>
                (sel.blockNs ?? [defaults?.[0]?.blockN ?? 0]).flatMap((blockN) => (sel.warps ?? [defaults?.[0]?.warps ?? 0]).map((warps) => t(blockM, blockN, warps))))
            : (defaults ?? [t(0, 0, 0)]);
          for (const tiles of tileSets) {
            const cfg = { op, headDim, dtype, arch, ...tiles } as VariantConfig;
            const p = validateVariant(cfg);
            if (p.length) p.forEach((x) => problems.add(`${variantId(cfg)}: ${x}`));
            else out.push(cfg);
          }
        }
  if (problems.size) throw new Error([...problems].join("\n"));
  return out;
}
