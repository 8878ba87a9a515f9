// `bun run generate`: choose variants from flags or a config file, render them, build the library.
import { readFileSync } from "node:fs";
import { readTable } from "../src/tuning";
import { BuildError, generate } from "./build";
import {
  ARCHS,
  BLOCK_MS,
  BLOCK_NS,
  DTYPES,
  expandVariants,
  GENCODES,
  HEAD_DIMS,
  OPS,
  parseVariantId,
  smemBytes,
  STAGES,
  variantId,
  WARPS,
  type Gencode,
  type VariantSelection,
} from "./variants";

export const DEFAULT_GENCODES: Gencode[] = ["sm90a", "sm80"];

export const HELP = `Usage: bun run generate [flags]

Renders the kernel variants from templates/*.hbs into generated/*.cu, writes generated/manifest.json,
and builds generated/libsparsed.so with one nvcc call (skipped when sources, flags and nvcc are unchanged).

Variant selection (comma-separated lists; each defaults to everything supported):
  --op LIST          ops: ${OPS.join(", ")}
  --head-dim LIST    head dims: ${HEAD_DIMS.join(", ")}
  --dtype LIST       dtypes: ${DTYPES.join(", ")}
  --arch LIST        kernel instruction families: ${ARCHS.join(", ")}
  --block-m LIST     query rows per CTA (${BLOCK_MS.join(", ")}); default per head dim
  --block-n LIST     keys per pipeline step (${BLOCK_NS.join(", ")}; 192 for the warp-specialized attention
                     kernels at head dim 128 only); for select, the pattern block size b; default per head dim
  --warps LIST       warps per CTA (${WARPS.join(", ")}), each owning 16 or 32 rows; sm90a kernels at
                     blockM 128 also take 12 (blockM / 16 + 4: a producer warpgroup, the warp-specialized
                     kernels), select also 20 (blockM / 8 + 4: four consumers); default per head dim
  --stages LIST      pipeline stages of the K/V tile ring (${STAGES.join(", ")}): 2 for the
                     double-buffered kernels (sm80, sm90a dense_fwd and sparse_fwd), 3 to 8 for sm90a select,
                     2 to 4 for the warp-specialized select; default per variant (sm90a select: 3
                     warp-specialized, 4 at blockM 128, else 6; others 2)
  --variant LIST     explicit variant ids (e.g. dense_fwd_hd128_bm128_bn64_w8_s2_bf16_sm80: op, head
                     dim, blockM, blockN, warps, stages, dtype, arch), instead of the cross product
                     of the flags above
  --tuning LIST      tuning tables (e.g. tuning/nvidia-h200.json, written by \`bun run bench --sweep
                     --tuning-out\`): build exactly the variants they name, instead of the flags above
  --config FILE      JSON file with any of {ops, headDims, dtypes, archs, blockMs, blockNs, warps,
                     stages, variants, gencodes}; flags given on the command line override it
Build:
  --gencode LIST     nvcc targets: ${GENCODES.join(", ")} (default ${DEFAULT_GENCODES.join(",")})
  --force            rebuild even when the content hash is unchanged
  --ptxas-info       print registers / shared memory / spills per kernel
Other:
  --list             print the selected variants and exit (no rendering, no build)
  --json             with --list: print them as JSON
  -h, --help         this text
Environment: NVCC (compiler path), SPARSED_GENERATED_DIR (output folder, default generated/).`;

export class UsageError extends Error {}

export interface CliOptions {
  selection: VariantSelection;
  /** Explicit variant ids (--variant, or the ones --tuning tables name); when given, the selection flags must not be. */
  ids?: string[];
  gencodes: Gencode[];
  list: boolean;
  json: boolean;
  force: boolean;
  ptxasInfo: boolean;
  help: boolean;
}

const VALUE_FLAGS = ["--op", "--head-dim", "--dtype", "--arch", "--block-m", "--block-n", "--warps", "--stages", "--variant", "--tuning", "--config", "--gencode"];
const BOOL_FLAGS = ["--list", "--json", "--force", "--ptxas-info", "--help", "-h"];

function list(flag: string, value: string): string[] {
  const items = value.split(",").map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new UsageError(`${flag} needs a value`);
  return items;
}

function checkAllowed<T extends string | number>(flag: string, items: T[], allowed: readonly T[]): T[] {
  for (const x of items)
    if (!allowed.includes(x)) throw new UsageError(`${flag}: unsupported value "${x}" (supported: ${allowed.join(", ")})`);
  return items;
}

function numbers(flag: string, value: string): number[] {
  return list(flag, value).map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n)) throw new UsageError(`${flag}: "${s}" is not an integer`);
    return n;
  });
}

export function parseArgs(argv: string[]): CliOptions {
  const opts: CliOptions = { selection: {}, gencodes: DEFAULT_GENCODES, list: false, json: false, force: false, ptxasInfo: false, help: false };
  const given: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf("=");
    const flag = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
    if (BOOL_FLAGS.includes(flag)) {
      if (flag === "--list") opts.list = true;
      else if (flag === "--json") opts.json = true;
      else if (flag === "--force") opts.force = true;
      else if (flag === "--ptxas-info") opts.ptxasInfo = true;
      else opts.help = true;
    } else if (VALUE_FLAGS.includes(flag)) {
      const value = eq > 0 && arg.startsWith("--") ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new UsageError(`${flag} needs a value`);
      given[flag] = value;
    } else {
      throw new UsageError(`unknown flag "${arg}" (supported: ${[...VALUE_FLAGS, ...BOOL_FLAGS].join(" ")})`);
    }
  }
  const sel = opts.selection;
  if (given["--config"]) {
    let cfg: Record<string, unknown>;
    try {
      cfg = JSON.parse(readFileSync(given["--config"], "utf8"));
    } catch (e) {
      throw new UsageError(`--config ${given["--config"]}: ${(e as Error).message}`);
    }
    const known = ["ops", "headDims", "dtypes", "archs", "blockMs", "blockNs", "warps", "stages", "variants", "gencodes"];
    for (const k of Object.keys(cfg)) if (!known.includes(k)) throw new UsageError(`--config: unknown key "${k}" (supported: ${known.join(", ")})`);
    const join = (v: unknown) => (Array.isArray(v) ? v.join(",") : String(v));
    for (const [key, flag] of [["ops", "--op"], ["headDims", "--head-dim"], ["dtypes", "--dtype"], ["archs", "--arch"], ["blockMs", "--block-m"], ["blockNs", "--block-n"], ["warps", "--warps"], ["stages", "--stages"], ["variants", "--variant"], ["gencodes", "--gencode"]] as const)
      if (cfg[key] !== undefined && given[flag] === undefined) given[flag] = join(cfg[key]);
  }
  if (given["--variant"] || given["--tuning"]) {
    const by = given["--tuning"] ? "--tuning" : "--variant";
    const clash = ["--op", "--head-dim", "--dtype", "--arch", "--block-m", "--block-n", "--warps", "--stages", ...(by === "--tuning" ? ["--variant"] : [])].filter((f) => given[f] !== undefined);
    if (clash.length) throw new UsageError(`${by} names whole variants; drop ${clash.join(", ")}`);
    if (by === "--variant") opts.ids = list("--variant", given["--variant"]!);
    else {
      try {
        opts.ids = [...new Set(list("--tuning", given["--tuning"]!).flatMap((f) => readTable(f).entries.map((e) => e.variant)))];
      } catch (e) {
        throw new UsageError(`--tuning: ${(e as Error).message}`);
      }
    }
  }
  if (given["--op"]) sel.ops = checkAllowed("--op", list("--op", given["--op"]), OPS as readonly string[]) as VariantSelection["ops"];
  if (given["--head-dim"]) sel.headDims = checkAllowed("--head-dim", numbers("--head-dim", given["--head-dim"]), HEAD_DIMS as readonly number[]);
  if (given["--dtype"]) sel.dtypes = checkAllowed("--dtype", list("--dtype", given["--dtype"]), DTYPES as readonly string[]);
  if (given["--arch"]) sel.archs = checkAllowed("--arch", list("--arch", given["--arch"]), ARCHS as readonly string[]);
  if (given["--block-m"]) sel.blockMs = checkAllowed("--block-m", numbers("--block-m", given["--block-m"]), BLOCK_MS as readonly number[]);
  if (given["--block-n"]) sel.blockNs = checkAllowed("--block-n", numbers("--block-n", given["--block-n"]), BLOCK_NS as readonly number[]);
  if (given["--warps"]) sel.warps = checkAllowed("--warps", numbers("--warps", given["--warps"]), WARPS as readonly number[]);
  if (given["--stages"]) sel.stages = checkAllowed("--stages", numbers("--stages", given["--stages"]), STAGES as readonly number[]);
  if (given["--gencode"]) opts.gencodes = checkAllowed("--gencode", list("--gencode", given["--gencode"]), GENCODES as readonly string[]) as Gencode[];
  return opts;
}

/** Every id parsed; throws listing the problems of all the bad ones, not just the first. */
function parseIds(ids: string[]) {
  const problems: string[] = [];
  const out = ids.flatMap((id) => {
    try {
      return [parseVariantId(id)];
    } catch (e) {
      problems.push((e as Error).message);
      return [];
    }
  });
  if (problems.length) throw new UsageError(problems.join("\n"));
  return out;
}

export async function main(argv: string[]): Promise<number> {
  let opts: CliOptions;
  let variants;
  try {
    opts = parseArgs(argv);
    if (opts.help) {
      console.log(HELP);
      return 0;
    }
    variants = opts.ids ? parseIds(opts.ids) : expandVariants(opts.selection);
  } catch (e) {
    console.error(`generate: ${(e as Error).message}\nRun \`bun run generate --help\` for the flags.`);
    return 2;
  }
  if (opts.list) {
    const rows = variants.map((v) => ({ id: variantId(v), ...v, smemBytes: smemBytes(v) }));
    if (opts.json) console.log(JSON.stringify({ gencodes: opts.gencodes, variants: rows }, null, 2));
    else for (const r of rows) console.log(`${r.id}  (warps ${r.warps}, stages ${r.stages}, smem ${r.smemBytes} B)`);
    return 0;
  }
  try {
    await generate(variants, { gencodes: opts.gencodes, force: opts.force, ptxasInfo: opts.ptxasInfo, log: (l) => console.log(`generate: ${l}`) });
    return 0;
  } catch (e) {
    if (e instanceof BuildError) {
      console.error(`generate: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

if (import.meta.main) process.exit(await main(process.argv.slice(2)));
