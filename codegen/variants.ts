// The variant space: which kernels codegen can render, how each is named, and what is rejected.
// A variant id spells every field in a fixed order and doubles as the build-cache and dispatch key.

export const OPS = ["dense_fwd", "sparse_fwd", "select"] as const;
export const HEAD_DIMS = [64, 128] as const;
export const DTYPES = ["bf16", "fp16"] as const;
export const BLOCK_MS = [32, 64, 128, 192, 256] as const;
export const BLOCK_NS = [32, 64, 128, 192] as const; // 192: the warp-specialized attention kernels at hd128 only
export const WARPS = [2, 4, 8, 12, 16, 20] as const;
/**
 * Pipeline stages of the K/V (or K) tile ring. The double-buffered kernels (every sm80 kernel, by
 * cp.async; sm90a dense_fwd and sparse_fwd, by TMA) take 2 only. The sm90a select kernel's TMA ring
 * of 64-key tiles takes 3 to 8 (its two-tiles-per-step loop deadlocks below 3); the warp-specialized
 * select's ring of 128-key tiles 2 to 4 (what shared memory holds beside the importance rows).
 */
export const STAGES = [2, 3, 4, 5, 6, 7, 8] as const;
export const DOUBLE_BUFFER_STAGES = 2;
export const SELECT_SM90_MIN_STAGES = 3;
export const SELECT_SM90_MAX_STAGES = 8;
export const SELECT_WS_STAGES = [2, 3, 4] as const;
/** Pattern block sizes of SparseD (shared/DESIGN.md section 1). */
export const PATTERN_BLOCKS = [32, 64, 128] as const;

/**
 * Whether a config is a warp-specialized sm90a kernel: one producer warpgroup (TMA copies) beside
 * blockM / 64 consumer warpgroups, so warps = blockM / 16 + 4 (templates/include/sparsed/
 * dense_ws_sm90.cuh, select_ws_sm90.cuh; blockM 128 only: two consumers), or, for select, twice as
 * many consumers that split the key tiles between two pairs (warps = blockM / 8 + 4).
 */
export function hasProducer(cfg: Pick<VariantConfig, "op" | "arch" | "blockM" | "warps">): boolean {
  return consumerWarpgroups(cfg) > 0;
}
/** The consumer warpgroups of a warp-specialized sm90a kernel (0: none, no producer). */
export function consumerWarpgroups(cfg: Pick<VariantConfig, "op" | "arch" | "blockM" | "warps">): number {
  if (cfg.arch !== "sm90a") return 0;
  if (cfg.warps === cfg.blockM / 16 + 4) return cfg.blockM / 64;
  if (cfg.op === "select" && cfg.warps === cfg.blockM / 8 + 4) return cfg.blockM / 32;
  return 0;
}
export const PRODUCER_BLOCK_M = 128;

/**
 * Keys one copy of a key tile brings: blockN, except at blockN 192 (the warp-specialized sparse kernel
 * copies a tile as three 64-key chunks, each from its own kv block: templates' KeyChunk).
 */
export function keyChunk(blockN: number): number {
  return blockN > 128 ? 64 : blockN;
}

/** Whether a sparse kernel's tiles serve pattern block size b: blockM and a key copy divide it (one kv list a CTA). */
export function tilesDivideBlock(tiles: { blockM: number; blockN: number }, b: number): boolean {
  return b % tiles.blockM === 0 && b % keyChunk(tiles.blockN) === 0;
}
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
  stages: number; // pipeline stages of the K/V (or K) tile ring
  dtype: Dtype;
  arch: Arch;
}

export interface Tiles {
  blockM: number;
  blockN: number;
  warps: number;
  stages: number;
}

const t = (blockM: number, blockN: number, warps: number, stages: number): Tiles => ({ blockM, blockN, warps, stages });

/**
 * The stages a config gets when none are asked for: 2 for the double-buffered kernels; for sm90a select 4 up
 * to two warpgroups (blockM <= 128: what two CTAs an SM leave room for), else 6; 3 for the
 * warp-specialized select, 4 with four consumers (two pairs read the ring).
 */
export function defaultStages(cfg: Pick<VariantConfig, "op" | "arch" | "blockM"> & { warps?: number }): number {
  if (cfg.op === "select" && cfg.arch === "sm90a") {
    const consumers = cfg.warps === undefined ? 0 : consumerWarpgroups({ ...cfg, warps: cfg.warps });
    if (consumers > 0) return consumers === 4 ? 4 : 3;  // warp-specialized
    return cfg.blockM <= 128 ? 4 : 6;
  }
  return DOUBLE_BUFFER_STAGES;
}

/**
 * The variants built when no tiles are given, per op, instruction family and head dim: the
 * measured-best dense tiles (bench/NOTES.md); for sparse, tiles that divide every pattern block size
 * plus the fast ones for large blocks; for select, per pattern block size (sm80: one block per CTA;
 * sm90a: 256 rows per CTA, or 128 rows with two CTAs an SM; only 128 at b = 32, to bound the per-CTA
 * importance arrays). Dispatch takes the first built default of the best family.
 */
export const DEFAULT_TILES: Record<Op, Partial<Record<Arch, Record<HeadDim, Tiles[]>>>> = {
  dense_fwd: {
    sm80: { 64: [t(128, 64, 4, 2)], 128: [t(128, 64, 4, 2)] },
    // w12: the warp-specialized kernel (a producer warpgroup, two consumers that overlap their softmax
    // with their matrix products; persistent). Since session 16's held-max softmax (which needs Q in
    // registers: blockN <= 128) bn128 w12 leads at both head dims: hd128 16-18% ahead of bn192 at 16k and
    // 64k, hd64 9-10% ahead of bm128 bn64 w8 from 4k up (2026-12-04-s16-held call 3, H200; bn64 w8 stays
    // 4% ahead at 1k). bn192 (4-6% ahead of bn128 before, 2026-11-28-s7-probe) stays built: the H100's table,
    // measured before the held-max softmax, picks it above 8k. Since session 17 bn128 also writes block LSEs
    // faster (1.12x the plain call against bn192's 1.23x; src/dense.ts, blockLseVariant). bm128 bn64 runs two
    // CTAs an SM; bm192 for comparison.
    sm90a: { 64: [t(128, 128, 12, 2), t(128, 64, 8, 2)], 128: [t(128, 128, 12, 2), t(128, 192, 12, 2), t(128, 64, 8, 2), t(192, 128, 12, 2)] },
  },
  sparse_fwd: {
    sm80: { 64: [t(32, 32, 2, 2), t(64, 64, 4, 2)], 128: [t(32, 32, 2, 2), t(64, 64, 4, 2)] },
    // Fastest first (src/sparse.ts picks the first that divides the pattern block): at hd128 the
    // warp-specialized bm128 bn128 w12 (b = 128), then bm128 bn64 (two CTAs an SM, 2026-11-27-h200-v5);
    // at hd64 the two-CTA kernels lead (2026-11-27-h200-s4-sweep); bm64 serves b = 64. bm128 bn192 w12
    // (tiles of three 64-key chunks across kv blocks) matched bn128 only at 64k select 0.1 and trailed
    // it by 2-5% elsewhere (2026-11-28-s7-probe, call 8): built, timed by the sweeps, last.
    sm90a: {
      64: [t(128, 64, 8, 2), t(128, 128, 8, 2), t(128, 128, 12, 2), t(64, 64, 4, 2)],
      128: [t(128, 128, 12, 2), t(128, 64, 8, 2), t(128, 128, 8, 2), t(64, 64, 4, 2), t(128, 192, 12, 2)],
    },
  },
  select: {
    sm80: { 64: [t(32, 32, 2, 2), t(64, 64, 4, 2), t(128, 128, 8, 2)], 128: [t(32, 32, 2, 2), t(64, 64, 4, 2), t(128, 128, 8, 2)] },
    sm90a: {
      // The warp-specialized kernels first: w20 (a producer warpgroup, four consumers in two pairs that
      // take alternate 128-key tiles) at hd128 b = 128 0.53x a dense call at 64k against 0.60-0.61x for
      // w12 (two consumers) in the same runs (2026-11-28-h200-s6-select), w12 0.62-0.66x against 0.72-0.74x for
      // bm128 w8 (2026-11-27-h200-s5). Then bm128 (two CTAs an SM) and bm256; stages: 4 for w20, 3 for
      // w12, 4 at bm128, 6 at bm256 (defaultStages).
      64: [t(128, 128, 20, 4), t(128, 64, 20, 4), t(128, 32, 20, 4), t(128, 128, 12, 3), t(128, 64, 12, 3), t(128, 32, 12, 3), t(128, 32, 8, 4), t(256, 64, 16, 6), t(128, 128, 8, 4), t(128, 64, 8, 4), t(256, 128, 16, 6)],
      128: [t(128, 128, 20, 4), t(128, 64, 20, 4), t(128, 32, 20, 4), t(128, 128, 12, 3), t(128, 64, 12, 3), t(128, 32, 12, 3), t(128, 32, 8, 4), t(256, 64, 16, 6), t(128, 128, 8, 4), t(128, 64, 8, 4), t(256, 128, 16, 6)],
    },
  },
};

/** Shared memory a CTA may opt into: sm_80 163 KB, sm_90 227 KB. */
export const MAX_SMEM_BYTES: Record<Arch, number> = { sm80: 163 * 1024, sm90a: 227 * 1024 };

/** sm90a select: keys per pipeline step (templates/include/sparsed/select_sm90.cuh). */
export const SELECT_SM90_KEY_TILE = 64;
/** The warp-specialized sm90a select: keys per tile and deferred generation blocks (select_ws_sm90.cuh). */
const SELECT_WS_KEY_TILE = 128;
const SELECT_WS_DEFER_GEN = 16;
/** sm90a select with a short generation part deferred: entries of 8 bytes, 8192 per row block (kDeferGen). */
const SELECT_SM90_DEFER_BYTES = 8192;

/**
 * A lower bound of a CTA's shared memory, 2 bytes an element; what grows with Nk is checked at launch.
 * Attention kernels: Q plus `stages` K and V tiles (+1 KB to align sm90a tiles); the warp-specialized
 * one (persistent: the next tile's Q loads while O is written) also an O stage of blockM rows, except at
 * blockN 192 (stores O from registers: two 192-key stages of K and V leave no room). sm80 select: Q plus
 * `stages` K tiles. sm90a select (make_plan_sm90), in its largest mode (a short generation part
 * deferred): Q, `stages` 64-key K tiles, the stages' two barriers, the per-warpgroup slot arrays, the
 * deferred generation entries (BM x (kDeferGen + 1) float2), the per-warp counts and the 1 KB
 * alignment slack.
 */
export function smemBytes(cfg: VariantConfig): number {
  const tile = (rows: number) => rows * cfg.headDim * 2;
  if (cfg.op === "select" && cfg.arch === "sm90a" && hasProducer(cfg)) {
    // make_plan_ws: Q, the ring, its barriers and Q's, the entries and each pair's denominators, the
    // per-warp counts.
    const pairs = consumerWarpgroups(cfg) / 2;
    const wcount = Math.ceil((4 * (cfg.warps - 4)) / 16) * 16;
    return tile(cfg.blockM) + cfg.stages * tile(SELECT_WS_KEY_TILE) + 16 * cfg.stages + 16 + 8 * cfg.blockM * (SELECT_WS_DEFER_GEN + pairs) + wcount + 1024;
  }
  if (cfg.op === "select" && cfg.arch === "sm90a") {
    const wgs = cfg.blockM / 64;
    const sub = cfg.blockN < SELECT_SM90_KEY_TILE ? SELECT_SM90_KEY_TILE / cfg.blockN : 1;
    const deferGen = Math.floor(SELECT_SM90_DEFER_BYTES / (8 * cfg.blockM));
    const ring = Math.ceil((cfg.stages * tile(SELECT_SM90_KEY_TILE)) / 128) * 128;
    const wcount = Math.ceil((4 * cfg.warps) / 16) * 16;
    return tile(cfg.blockM) + ring + 2 * 4 * wgs * 16 * sub + 2 * 8 * cfg.stages + 8 * cfg.blockM * (deferGen + 1) + wcount + 1024;
  }
  if (cfg.op === "select") return tile(cfg.blockM) + cfg.stages * tile(cfg.blockN);
  const oStage = cfg.arch === "sm90a" && hasProducer(cfg) && cfg.blockN <= 128 ? tile(cfg.blockM) : 0;
  return tile(cfg.blockM) + oStage + cfg.stages * 2 * tile(cfg.blockN) + (cfg.arch === "sm90a" ? 1024 : 0);
}

/**
 * The id: every field in a fixed order, e.g. dense_fwd_hd128_bm128_bn64_w8_s2_bf16_sm90a. `stages`
 * may be left out, for the config's default (defaultStages).
 */
export function variantId(cfg: Omit<VariantConfig, "stages"> & { stages?: number }): string {
  const stages = cfg.stages ?? defaultStages(cfg);
  return `${cfg.op}_hd${cfg.headDim}_bm${cfg.blockM}_bn${cfg.blockN}_w${cfg.warps}_s${stages}_${cfg.dtype}_${cfg.arch}`;
}

export function symbolOf(cfg: VariantConfig): string {
  return `sparsed_${variantId(cfg)}`;
}

const ID_PATTERN = /^([a-z]+(?:_[a-z]+)?)_hd(\d+)_bm(\d+)_bn(\d+)_w(\d+)_s(\d+)_([a-z0-9]+)_(sm\d+a?)$/;
/** The id format before stages were spelled (no `_s<stages>` after the warps), to point at the new one. */
const OLD_ID_PATTERN = /^([a-z]+(?:_[a-z]+)?)(_hd\d+_bm(\d+)_bn\d+_w\d+)_([a-z0-9]+)_(sm\d+a?)$/;

/** Inverse of variantId; throws on an id that does not name a valid variant. */
export function parseVariantId(id: string): VariantConfig {
  const m = ID_PATTERN.exec(id);
  if (!m) {
    const old = OLD_ID_PATTERN.exec(id);
    const hint = old
      ? `; ids now spell the pipeline stages after the warps: ${old[1]}${old[2]}_s${defaultStages({ op: old[1] as Op, arch: old[5] as Arch, blockM: Number(old[3]), warps: Number(/_w(\d+)/.exec(old[2]!)![1]) })}_${old[4]}_${old[5]}`
      : "";
    throw new Error(`not a variant id: "${id}" (expected e.g. dense_fwd_hd128_bm128_bn64_w8_s2_bf16_sm80${hint})`);
  }
  const cfg = {
    op: m[1] as Op,
    headDim: Number(m[2]) as HeadDim,
    blockM: Number(m[3]),
    blockN: Number(m[4]),
    warps: Number(m[5]),
    stages: Number(m[6]),
    dtype: m[7] as Dtype,
    arch: m[8] as Arch,
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
    // select: blockN is the pattern block size (checked below, with its own reason)
    ...(cfg.op === "select" ? [] : oneOf("blockN", cfg.blockN, BLOCK_NS)),
    ...oneOf("warps", cfg.warps, WARPS),
    ...oneOf("arch", cfg.arch, ARCHS),
  ];
  if (cfg.op === "select" && !(PATTERN_BLOCKS as readonly number[]).includes(cfg.blockN))
    problems.push(`select blockN ${cfg.blockN} is not a pattern block size (select blockN is the pattern block size b: one of ${PATTERN_BLOCKS.join(", ")})`);
  if (problems.length) return problems;
  const rowsPerWarp = cfg.blockM / cfg.warps;
  if (cfg.op === "select") {
    if (cfg.arch === "sm80" && (cfg.blockM !== cfg.blockN || rowsPerWarp !== 16))
      problems.push("sm80 select tiles are one pattern block: blockM = blockN, warps = blockM / 16");
    else if (cfg.arch === "sm90a" && (cfg.blockM % 64 !== 0 || cfg.blockM % cfg.blockN !== 0 || cfg.blockM < 128))
      problems.push(`sm90a select takes whole warpgroups of whole pattern blocks: blockM in 128, 192, 256 and a multiple of blockN (${cfg.blockN})`);
  } else if (cfg.blockM === 256 || cfg.warps >= 16) {
    problems.push("blockM 256 and 16 or 20 warps are offered for sm90a select only (attention tiles that large spill registers)");
  }
  if (cfg.op === "dense_fwd" && cfg.blockM === 32) problems.push("dense blockM 32 is not offered (use 64 or more)");
  if (cfg.op === "sparse_fwd" && !PATTERN_BLOCKS.some((b) => tilesDivideBlock(cfg, b)))
    problems.push(
      `tile does not divide the pattern block: sparse_fwd blockM ${cfg.blockM} and blockN ${cfg.blockN} must both divide one of the pattern block sizes ${PATTERN_BLOCKS.join(", ")} (blockM and blockN from ${PATTERN_BLOCKS.join(", ")})`,
    );
  if (cfg.arch === "sm80" && rowsPerWarp !== 16 && rowsPerWarp !== 32)
    problems.push(`blockM / warps = ${rowsPerWarp}: each warp must own 16 or 32 query rows`);
  if (cfg.arch === "sm90a") {
    if (hasProducer(cfg)) {
      if (cfg.blockM !== PRODUCER_BLOCK_M)
        problems.push(
          `the warp-specialized sm90a kernels (warps = blockM / 16 + 4: a producer warpgroup; select also blockM / 8 + 4) take blockM ${PRODUCER_BLOCK_M} only (two or, for select, four consumer warpgroups)`,
        );
    } else if (rowsPerWarp !== 16) {
      problems.push(
        `sm90a kernels use one warpgroup (4 warps) per 64 rows: warps must be blockM / 16 = ${cfg.blockM / 16} (or ${cfg.blockM / 16 + 4} with a producer warpgroup, at blockM ${PRODUCER_BLOCK_M}; select also ${cfg.blockM / 8 + 4}: four consumers)`,
      );
    }
    if (cfg.blockN === 32 && cfg.op !== "select") problems.push("sm90a attention kernels take blockN 64 or 128");
  }
  if (cfg.op !== "select" && cfg.blockN === 192 && !(cfg.arch === "sm90a" && hasProducer(cfg) && cfg.headDim === 128))
    problems.push("blockN 192 is offered for the warp-specialized sm90a attention kernels at head dim 128 only (blockM 128, 12 warps)");
  // Stages: what each kernel's pipeline is written for (STAGES lists the union).
  if (cfg.op === "select" && cfg.arch === "sm90a" && hasProducer(cfg)) {
    if (!(SELECT_WS_STAGES as readonly number[]).includes(cfg.stages))
      problems.push(`stages ${cfg.stages}: the warp-specialized sm90a select's ring of 128-key tiles takes ${SELECT_WS_STAGES.join(", ")} stages`);
  } else if (cfg.op === "select" && cfg.arch === "sm90a") {
    if (!Number.isInteger(cfg.stages) || cfg.stages < SELECT_SM90_MIN_STAGES || cfg.stages > SELECT_SM90_MAX_STAGES)
      problems.push(
        `stages ${cfg.stages}: the sm90a select TMA ring takes ${SELECT_SM90_MIN_STAGES} to ${SELECT_SM90_MAX_STAGES} stages (below ${SELECT_SM90_MIN_STAGES} its two-tiles-per-step loop deadlocks)`,
      );
  } else if (cfg.stages !== DOUBLE_BUFFER_STAGES) {
    problems.push(`stages ${cfg.stages}: the double-buffered kernels (every sm80 kernel by cp.async, sm90a dense_fwd and sparse_fwd by TMA): stages must be ${DOUBLE_BUFFER_STAGES}`);
  }
  if (smemBytes(cfg) > MAX_SMEM_BYTES[cfg.arch])
    problems.push(`needs ${smemBytes(cfg)} bytes of shared memory, over the ${MAX_SMEM_BYTES[cfg.arch]} that ${cfg.arch} allows (use smaller tiles or fewer stages)`);
  return problems;
}

export interface VariantSelection {
  ops?: Op[];
  headDims?: number[];
  dtypes?: string[];
  blockMs?: number[];
  blockNs?: number[];
  warps?: number[];
  stages?: number[];
  archs?: string[];
}

/**
 * The cross product of a selection, with default tiles per head dim; throws listing every problem.
 * With any tile field given, the others come from the family's first default tiles, except stages,
 * which default per config (defaultStages).
 */
export function expandVariants(sel: VariantSelection = {}): VariantConfig[] {
  const out: VariantConfig[] = [];
  const problems = new Set<string>();
  for (const op of sel.ops ?? OPS)
    for (const headDim of sel.headDims ?? HEAD_DIMS)
      for (const dtype of sel.dtypes ?? DTYPES)
        for (const arch of sel.archs ?? ARCHS) {
          const defaults = DEFAULT_TILES[op]?.[arch as Arch]?.[headDim as HeadDim];
          if (!DEFAULT_TILES[op]?.[arch as Arch] && !sel.archs) continue; // no such family for this op (sm90a select), unless asked by name
          const first = defaults?.[0];
          const tileSets = sel.blockMs || sel.blockNs || sel.warps || sel.stages
            ? (sel.blockMs ?? [first?.blockM ?? 0]).flatMap((blockM) =>
                (sel.blockNs ?? [first?.blockN ?? 0]).flatMap((blockN) =>
                  (sel.warps ?? [first?.warps ?? 0]).flatMap((warps) =>
                    (sel.stages ?? [defaultStages({ op, arch: arch as Arch, blockM, warps })]).map((stages) => t(blockM, blockN, warps, stages)),
                  ),
                ),
              )
            : (defaults ?? [t(0, 0, 0, 0)]);
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
