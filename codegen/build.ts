// Generate + build: render every variant into generated/, write the manifest, and compile everything
// with one nvcc call into generated/libsparsed.so. The build is skipped when the content hash of the
// sources, the flags and the nvcc version matches the last successful build.
import { $ } from "zx";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { renderVariant } from "./render";
import { GENERATED, INCLUDE, LIBRARY_NAME, ROOT, TEMPLATE_INCLUDE, TEMPLATES } from "./paths";
import { symbolOf, variantId, type Gencode, type VariantConfig } from "./variants";

$.verbose = false;
$.quiet = true;

export const ABI_VERSION = 3; // keep equal to SPARSED_ABI_VERSION in include/sparsed.h

export interface ManifestEntry extends VariantConfig {
  id: string;
  symbol: string;
  file: string;
}

export interface Manifest {
  abiVersion: number;
  gencodes: Gencode[];
  library: string;
  hash: string;
  nvcc?: string; // the compiler's release line, e.g. "Cuda compilation tools, release 13.0, V13.0.88"
  variants: ManifestEntry[];
}

export interface BuildOptions {
  gencodes: Gencode[];
  /** Output folder; default generated/ (or SPARSED_GENERATED_DIR). */
  outDir?: string;
  force?: boolean;
  ptxasInfo?: boolean;
  log?: (line: string) => void;
}

export interface BuildResult {
  manifest: Manifest;
  written: number;
  unchanged: number;
  compiled: boolean;
  seconds: number;
}

export class BuildError extends Error {
  constructor(
    message: string,
    readonly compilerOutput: string = "",
    readonly variants: string[] = [],
  ) {
    super(message);
    this.name = "BuildError";
  }
}

const GENCODE_FLAGS: Record<Gencode, string> = {
  sm90a: "-gencode=arch=compute_90a,code=sm_90a",
  sm80: "-gencode=arch=compute_80,code=sm_80",
};

export function nvccPath(): string {
  return process.env.NVCC ?? "nvcc";
}

export function nvccFlags(opts: Pick<BuildOptions, "gencodes" | "ptxasInfo">): string[] {
  return [
    "-O3",
    "-std=c++17",
    "--shared",
    "-Xcompiler=-fPIC",
    "-lineinfo", // line numbers for compute-sanitizer and ncu; no effect on the code
    "--threads=0", // compile the gencode targets in parallel
    `-I${INCLUDE}`,
    `-I${TEMPLATE_INCLUDE}`,
    ...opts.gencodes.map((g) => GENCODE_FLAGS[g]),
    ...(opts.ptxasInfo ? ["-Xptxas=-v"] : []),
  ];
}

/** Write only when the content differs, so unchanged sources keep their mtime. */
export function writeIfChanged(path: string, content: string): boolean {
  if (existsSync(path) && readFileSync(path, "utf8") === content) return false;
  writeFileSync(path, content);
  return true;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      return statSync(p).isDirectory() ? filesUnder(p) : [p];
    });
}

let nvccVersionCache: string | undefined;
export async function nvccVersion(): Promise<string> {
  if (nvccVersionCache) return nvccVersionCache;
  const r = await $`${nvccPath()} --version`.nothrow();
  if (r.exitCode !== 0)
    throw new BuildError(`nvcc not found or failing (${nvccPath()}): install the CUDA toolkit or set NVCC=/path/to/nvcc\n${r.stderr}`);
  return (nvccVersionCache = r.stdout.trim());
}

/** The cache key: every source the library is built from, the flags, and the compiler. */
export function buildHash(sources: string[], flags: string[], compiler: string): string {
  const h = createHash("sha256");
  for (const f of sources) h.update(relative(ROOT, f)).update("\0").update(readFileSync(f)).update("\0");
  h.update(flags.join(" ")).update("\0").update(compiler);
  return h.digest("hex").slice(0, 16);
}

/** Variant ids whose generated file the compiler output mentions. */
function variantsInOutput(output: string, entries: ManifestEntry[]): string[] {
  return entries.filter((e) => output.includes(e.file)).map((e) => e.id);
}

/**
 * One nvcc call over all sources into `lib` (written atomically: a failed build leaves the old one).
 * On failure, the BuildError names the variants whose files the compiler output mentions. While nvcc
 * runs, `progress.onTick` (if given) hears the whole seconds elapsed every `progress.everyMs` (default 30 s):
 * the default set takes minutes on a few cores, and a silent step that long reads as a hang.
 */
export async function compileLibrary(
  sources: string[],
  lib: string,
  flags: string[],
  entries: ManifestEntry[],
  progress: { onTick?: (elapsedSeconds: number) => void; everyMs?: number } = {},
): Promise<{ seconds: number; output: string }> {
  const t0 = performance.now();
  const tmp = `${lib}.tmp-${process.pid}`;
  const onTick = progress.onTick;
  const ticker = onTick && setInterval(() => onTick(Math.round((performance.now() - t0) / 1000)), progress.everyMs ?? 30_000);
  const r = await $`${nvccPath()} ${flags} -o ${tmp} ${sources}`.nothrow().finally(() => ticker && clearInterval(ticker));
  const seconds = (performance.now() - t0) / 1000;
  const output = `${r.stdout}${r.stderr}`;
  if (r.exitCode !== 0) {
    rmSync(tmp, { force: true });
    const culprits = variantsInOutput(output, entries);
    throw new BuildError(
      `nvcc failed after ${seconds.toFixed(1)}s${culprits.length ? ` in variant(s) ${culprits.join(", ")}` : ""}:\n${output.trim()}`,
      output,
      culprits,
    );
  }
  renameSync(tmp, lib);
  return { seconds, output };
}

export async function generate(variants: VariantConfig[], opts: BuildOptions): Promise<BuildResult> {
  const log = opts.log ?? (() => {});
  if (variants.length === 0) throw new BuildError("no variants selected");
  if (opts.gencodes.length === 0) throw new BuildError("no gencode targets selected");
  const out = opts.outDir ?? GENERATED;
  mkdirSync(out, { recursive: true });

  let written = 0;
  const entries: ManifestEntry[] = variants.map((cfg) => {
    const id = variantId(cfg);
    const file = `${id}.cu`;
    if (writeIfChanged(join(out, file), renderVariant(cfg))) written++;
    return { ...cfg, id, symbol: symbolOf(cfg), file };
  });
  // Drop kernels of variants no longer selected, so the library holds exactly what the manifest lists.
  const keep = new Set(entries.map((e) => e.file));
  for (const f of readdirSync(out)) if (f.endsWith(".cu") && !keep.has(f)) rmSync(join(out, f));
  log(`rendered ${entries.length} variant(s): ${written} written, ${entries.length - written} unchanged`);

  const compiler = await nvccVersion();
  const flags = nvccFlags(opts);
  const cuFiles = entries.map((e) => join(out, e.file));
  const sources = [...cuFiles, join(TEMPLATES, "runtime.cu"), ...filesUnder(TEMPLATE_INCLUDE), ...filesUnder(INCLUDE)];
  const hash = buildHash(sources, flags, compiler);
  const lib = join(out, LIBRARY_NAME);
  const release = compiler.split("\n").find((l) => l.includes("release")) ?? compiler.split("\n").pop();
  const manifest: Manifest = { abiVersion: ABI_VERSION, gencodes: opts.gencodes, library: LIBRARY_NAME, hash, nvcc: release?.trim(), variants: entries };
  const manifestPath = join(out, "manifest.json");

  const previous = existsSync(manifestPath) ? (JSON.parse(readFileSync(manifestPath, "utf8")) as Manifest) : undefined;
  if (!opts.force && previous?.hash === hash && existsSync(lib)) {
    log(`library up to date (hash ${hash}): ${relative(ROOT, lib)}`);
    return { manifest, written, unchanged: entries.length - written, compiled: false, seconds: 0 };
  }

  log(`nvcc: compiling ${entries.length} variant(s) + runtime for ${opts.gencodes.join(", ")} ...`);
  const { seconds, output } = await compileLibrary([...cuFiles, join(TEMPLATES, "runtime.cu")], lib, flags, entries, {
    onTick: (s) => log(`nvcc: still compiling (${s} s so far)`),
  });
  if (opts.ptxasInfo && output.trim()) log(output.trim());
  writeIfChanged(manifestPath, JSON.stringify(manifest, null, 2) + "\n");
  log(`nvcc: built ${relative(ROOT, lib)} in ${seconds.toFixed(1)}s (hash ${hash})`);
  return { manifest, written, unchanged: entries.length - written, compiled: true, seconds };
}

export function readManifest(dir = GENERATED): Manifest | undefined {
  const p = join(dir, "manifest.json");
  return existsSync(p) ? (JSON.parse(readFileSync(p, "utf8")) as Manifest) : undefined;
}

