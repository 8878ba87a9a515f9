// `bun run demo`: the SparseD schedule (shared/DESIGN.md section 1) over a synthetic long-context
// workload (src/workload.ts), every layer and step, on the CUDA backend when a GPU is usable and on
// the CPU backend (small sizes) otherwise. Prints per-phase time, the speedup over running every
// step dense, the pattern density, and at sampled steps the attention mass the pattern keeps and the
// error of sparse against dense output. `--json` ends stdout with one JSON object of every figure.
import { parseArgs } from "node:util";
import type { AttentionBackend } from "./backend";
import { CPU_MAX_WORK, CpuBackend, hostTensor, type HostTensor } from "./cpu-backend";
import { cachedDeviceInfo, gpuUnavailableReason } from "./device";
import type { DevicePattern } from "./device-pattern";
import { SparsedError } from "./errors";
import type { SparsePattern } from "./pattern";
import { relativeError } from "./reference";
import { SparseDRuntime, type RuntimeStats } from "./runtime";
import { switchStep as switchStepOf, validateSchedule, type ScheduleConfig } from "./schedule";
import { DeviceTensor } from "./tensor";
import { Workload, type HeadKind, type WorkloadStep } from "./workload";

const HELP = `bun run demo [flags]

Runs the SparseD schedule (dense steps, one selection step, sparse steps) for every layer and
denoising step over a synthetic workload whose heads have a local band, sink columns, clusters and
noise that drift slowly across steps. Prints per-phase time, the speedup over all-dense, the pattern
density, and at sampled steps the attention mass the pattern keeps and the sparse-vs-dense error.

Sizes (defaults: GPU / CPU):
  --n N              tokens (65536 / 512)
  --steps S          denoising steps (64 / 16)
  --layers L         layers (1 / 2)
  --heads H          attention heads (32 / 4)
  --head-dim D       head dim (128 / 64)
Method:
  --skip F           fraction of steps run dense before the switch step, in [0, 1) (0.2)
  --select F         selection ratio, in (0, 1] (0.3)
  --block-size B     pattern block size: 32, 64 or 128 (128 / 64)
  --gen-length G     tokens being generated, at the end of the sequence (min(1024, N/4), as the benches)
Run:
  --backend B        auto | cpu | cuda (auto: cuda when a GPU is usable, else cpu)
  --sample-every K   at every K-th step from the switch step (and the last step) also run dense
                     and sparse-with-LSE for the mass/error figures; 0 turns sampling off
                     (max(1, floor(S/4)))
  --refresh M        all | sampled: regenerate the inputs every step, or only at step 0, the switch
                     step and sampled steps (kernel time does not depend on the values)
                     (sampled / all)
  --drift X          how far the workload drifts by the last step, in [0, 1] (0.3)
  --seed N           workload seed (1)
  --json             end stdout with one JSON object holding every figure
  --quiet            no progress bar
  -h, --help         this text

Exit status: 0 on success, 2 for a bad flag or value, 1 for a failure while running.`;

export type BackendChoice = "auto" | "cpu" | "cuda";

export interface DemoConfig {
  backend: "cpu" | "cuda";
  backendReason: string; // why this backend
  n: number;
  steps: number;
  layers: number;
  heads: number;
  headDim: number;
  skip: number;
  select: number;
  blockSize: number;
  genLength: number;
  sampleEvery: number;
  refresh: "all" | "sampled";
  drift: number;
  seed: number;
  json: boolean;
  quiet: boolean;
}

class UsageError extends Error {}

function parseNumber(name: string, raw: string | undefined, fallback: number, integer: boolean): number {
  if (raw === undefined) return fallback;
  const x = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(x) || (integer && !Number.isInteger(x)))
    throw new UsageError(`--${name} ${raw}: expected ${integer ? "an integer" : "a number"}`);
  return x;
}

/** Parses argv into a config; `gpuReason` is gpuUnavailableReason() (asked only for --backend auto/cuda). */
export function parseDemoArgs(argv: string[], gpuReason: () => string | undefined): DemoConfig | "help" {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        n: { type: "string" },
        steps: { type: "string" },
        layers: { type: "string" },
        heads: { type: "string" },
        "head-dim": { type: "string" },
        skip: { type: "string" },
        select: { type: "string" },
        "block-size": { type: "string" },
        "gen-length": { type: "string" },
        backend: { type: "string" },
        "sample-every": { type: "string" },
        refresh: { type: "string" },
        drift: { type: "string" },
        seed: { type: "string" },
        json: { type: "boolean" },
        quiet: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.help) return "help";

  const choice = (values.backend ?? "auto") as BackendChoice;
  if (!["auto", "cpu", "cuda"].includes(choice)) throw new UsageError(`--backend ${values.backend}: expected auto, cpu or cuda`);
  let backend: "cpu" | "cuda";
  let backendReason: string;
  if (choice === "cpu") {
    backend = "cpu";
    backendReason = "--backend cpu";
  } else {
    const reason = gpuReason();
    if (choice === "cuda") {
      if (reason) throw new UsageError(`--backend cuda: no usable GPU (${reason})`);
      backend = "cuda";
      backendReason = "--backend cuda";
    } else {
      backend = reason ? "cpu" : "cuda";
      backendReason = reason ? `no usable GPU: ${reason}` : "a GPU is usable";
    }
  }
  const gpu = backend === "cuda";
  const int = (name: string, raw: string | undefined, fallback: number) => parseNumber(name, raw, fallback, true);
  const num = (name: string, raw: string | undefined, fallback: number) => parseNumber(name, raw, fallback, false);
  const n = int("n", values.n, gpu ? 65536 : 512);
  const steps = int("steps", values.steps, gpu ? 64 : 16);
  const cfg: DemoConfig = {
    backend,
    backendReason,
    n,
    steps,
    layers: int("layers", values.layers, gpu ? 1 : 2),
    heads: int("heads", values.heads, gpu ? 32 : 4),
    headDim: int("head-dim", values["head-dim"], gpu ? 128 : 64),
    skip: num("skip", values.skip, 0.2),
    select: num("select", values.select, 0.3),
    blockSize: int("block-size", values["block-size"], gpu ? 128 : 64),
    genLength: int("gen-length", values["gen-length"], Math.min(1024, Math.floor(n / 4))),
    sampleEvery: int("sample-every", values["sample-every"], Math.max(1, Math.floor(steps / 4))),
    refresh: (values.refresh ?? (gpu ? "sampled" : "all")) as "all" | "sampled",
    drift: num("drift", values.drift, 0.3),
    seed: int("seed", values.seed, 1),
    json: values.json ?? false,
    quiet: values.quiet ?? false,
  };
  if (!["all", "sampled"].includes(cfg.refresh)) throw new UsageError(`--refresh ${values.refresh}: expected all or sampled`);
  for (const key of ["n", "layers", "heads", "headDim"] as const)
    if (cfg[key] <= 0) throw new UsageError(`--${key === "headDim" ? "head-dim" : key} ${cfg[key]}: must be positive`);
  if (backend === "cpu" && cfg.heads * cfg.n * cfg.n > CPU_MAX_WORK)
    throw new UsageError(`H*N*N = ${cfg.heads * cfg.n * cfg.n} is too large for the CPU backend (limit ${CPU_MAX_WORK}); lower --n or --heads, or use a GPU`);
  if (cfg.headDim < 16) throw new UsageError(`--head-dim ${cfg.headDim}: the workload needs at least 16`);
  if (cfg.sampleEvery < 0) throw new UsageError(`--sample-every ${cfg.sampleEvery}: must be >= 0`);
  if (!(cfg.drift >= 0 && cfg.drift <= 1)) throw new UsageError(`--drift ${cfg.drift}: must be in [0, 1]`);
  try {
    validateSchedule(scheduleOf(cfg));
  } catch (e) {
    if (e instanceof SparsedError) throw new UsageError(e.message);
    throw e;
  }
  return cfg;
}

const scheduleOf = (c: DemoConfig): ScheduleConfig => ({ steps: c.steps, skip: c.skip, select: c.select, blockSize: c.blockSize, genLength: c.genLength });

/** Steps that also get the dense comparison: every K-th step from the switch step, plus the last. */
export function sampledSteps(steps: number, switchStep: number, every: number): number[] {
  if (every <= 0 || switchStep >= steps) return [];
  const out: number[] = [];
  for (let t = switchStep; t < steps; t += every) out.push(t);
  if (out[out.length - 1] !== steps - 1) out.push(steps - 1);
  return out;
}

// ---- backends as the demo drives them ------------------------------------------------------------

type Shape4 = [number, number, number, number];

/** What the demo needs around a backend: moving data in and out, and freeing what it allocated
 *  (bench/workload-pattern.ts drives the same two). */
export interface Driver<T, L, P> {
  backend: AttentionBackend<T, L, P>;
  device: string;
  synchronize: boolean;
  /** Generates a layer's inputs at a step in the form upload() takes. */
  generate(w: Workload, layer: number, step: number): WorkloadStep<Float64Array> | WorkloadStep<Uint16Array>;
  upload(t: { data: Float64Array | Uint16Array; shape: Shape4 }): T;
  empty(shape: Shape4): T;
  toHost(t: T): Float64Array;
  lseToHost(l: L): Float64Array;
  patternToHost(p: P): SparsePattern;
  free(t: T): void;
  freeLse(l: L): void;
}

export function cpuDriver(): Driver<HostTensor, Float64Array, SparsePattern> {
  return {
    backend: new CpuBackend(),
    device: "CPU (float64 TypeScript reference backend)",
    synchronize: false,
    generate: (w, layer, step) => w.tensors(layer, step),
    upload: (t) => hostTensor(t.data instanceof Float64Array ? t.data : Float64Array.from(t.data), t.shape),
    empty: (shape) => hostTensor(new Float64Array(shape.reduce((a, b) => a * b, 1)), shape),
    toHost: (t) => t.data,
    lseToHost: (l) => l,
    patternToHost: (p) => p,
    free: () => {},
    freeLse: () => {},
  };
}

export async function cudaDriver(): Promise<Driver<DeviceTensor, DeviceTensor, DevicePattern>> {
  // Loaded only when chosen, so that the CPU path never touches the native library.
  const { createCudaBackend } = await import("./cuda-backend");
  const backend: AttentionBackend<DeviceTensor, DeviceTensor, DevicePattern> = createCudaBackend();
  const info = cachedDeviceInfo();
  return {
    backend,
    device: `${info.name} (sm_${info.computeCapability.join("")}, ${info.smCount} SMs)`,
    synchronize: true,
    generate: (w, layer, step) => w.tensorsBf16(layer, step),
    upload: (t) => DeviceTensor.fromHost(t.data, t.shape, "bf16"),
    empty: (shape) => DeviceTensor.empty(shape, "bf16"),
    toHost: (t) => t.toHost(),
    lseToHost: (l) => l.toHost(),
    patternToHost: (p) => p.toHost(),
    free: (t) => t.free(),
    freeLse: (l) => l.free(),
  };
}

// ---- progress on stderr ----------------------------------------------------------------------------

class Progress {
  private done = 0;
  private readonly t0 = performance.now();
  private lastDraw = 0;
  private lastDecile = 0;
  private readonly tty: boolean;

  constructor(
    private readonly total: number,
    private readonly enabled: boolean,
  ) {
    this.tty = Boolean(process.stderr.isTTY);
  }

  tick(step: number, steps: number): void {
    this.done++;
    if (!this.enabled) return;
    const frac = this.done / this.total;
    const elapsed = (performance.now() - this.t0) / 1000;
    const eta = this.done > 0 ? (elapsed / this.done) * (this.total - this.done) : 0;
    const text = `${(100 * frac).toFixed(0).padStart(3)}% step ${step + 1}/${steps}  ${elapsed.toFixed(1)}s elapsed, ETA ${eta.toFixed(1)}s`;
    if (this.tty) {
      const now = performance.now();
      if (now - this.lastDraw < 80 && this.done < this.total) return;
      this.lastDraw = now;
      const width = 30;
      const fill = Math.round(width * frac);
      process.stderr.write(`\r[${"#".repeat(fill)}${".".repeat(width - fill)}] ${text}\x1b[K`);
      if (this.done === this.total) process.stderr.write("\n");
    } else if (Math.floor(frac * 10) > this.lastDecile) {
      this.lastDecile = Math.floor(frac * 10);
      process.stderr.write(`demo: ${text}\n`);
    }
  }
}

// ---- the run ------------------------------------------------------------------------------------------

export interface SampleFigures {
  step: number;
  layer: number;
  phase: "select" | "sparse";
  massKept: number; // mean over rows of exp(lse_sparse - lse_dense)
  massKeptMinHead: number; // the lowest per-head mean
  massKeptMinRow: number;
  relError: number; // ||o_sparse - o_dense|| / ||o_dense||
}

export interface DemoResult {
  config: Omit<DemoConfig, "json" | "quiet"> & { switchStep: number; sampledSteps: number[] };
  device: string;
  heads: { layer: number; head: number; kind: HeadKind; density: number | null }[];
  phases: {
    dense: { calls: number; ms: number; msPerCall: number | null };
    select: { calls: number; ms: number; msPerCall: number | null; selectionMs: number; selectionMsPerCall: number | null };
    sparse: { calls: number; ms: number; msPerCall: number | null };
  };
  sparsedMs: number; // all three phases
  allDenseEstimateMs: number | null; // dense ms/call x every call
  speedup: number | null; // allDenseEstimateMs / sparsedMs
  sparseVsDensePerCall: number | null; // dense ms/call over sparse ms/call
  density: { overall: number; minHead: number; maxHead: number } | null;
  samples: SampleFigures[];
  massKept: { mean: number; min: number } | null; // over the sampled sparse steps (not the switch step)
  relError: { mean: number; max: number } | null;
  generateMs: number; // host time spent generating and uploading inputs
  wallMs: number;
}

const perCall = (ms: number, calls: number) => (calls > 0 ? ms / calls : null);

function lseFigures(lseSparse: Float64Array, lseDense: Float64Array, heads: number): { mean: number; minHead: number; minRow: number } {
  const rows = lseDense.length / heads; // [B = 1, Hq, Nq]
  let total = 0;
  let minHead = Infinity;
  let minRow = Infinity;
  for (let h = 0; h < heads; h++) {
    let sum = 0;
    for (let r = h * rows; r < (h + 1) * rows; r++) {
      const m = Math.exp(lseSparse[r]! - lseDense[r]!);
      sum += m;
      if (m < minRow) minRow = m;
    }
    total += sum;
    minHead = Math.min(minHead, sum / rows);
  }
  return { mean: total / lseDense.length, minHead, minRow };
}

async function runDemo<T, L, P>(cfg: DemoConfig, driver: Driver<T, L, P>): Promise<DemoResult> {
  const wall0 = performance.now();
  const workload = new Workload({ n: cfg.n, heads: cfg.heads, headDim: cfg.headDim, layers: cfg.layers, steps: cfg.steps, seed: cfg.seed, drift: cfg.drift });
  const schedule = scheduleOf(cfg);
  const sw = switchStepOf(cfg.steps, cfg.skip);
  const samples = sampledSteps(cfg.steps, sw, cfg.sampleEvery);
  const sampleSet = new Set(samples);
  const shape: Shape4 = [1, cfg.n, cfg.heads, cfg.headDim];
  const scale = 1 / Math.sqrt(cfg.headDim);
  const { backend } = driver;

  const owned = new Set<T>();
  const alloc = (t: T) => (owned.add(t), t);
  const drop = (t: T | undefined) => {
    if (t !== undefined && owned.delete(t)) driver.free(t);
  };
  let generateMs = 0;
  const inputs: ({ q: T; k: T; v: T; step: number } | undefined)[] = new Array(cfg.layers).fill(undefined);
  /** The layer's inputs at this step (generated and uploaded unless they already are). */
  const load = (layer: number, step: number) => {
    const old = inputs[layer];
    if (old?.step === step) return old;
    const t0 = performance.now();
    if (old) for (const t of [old.q, old.k, old.v]) drop(t);
    inputs[layer] = undefined;
    const host = driver.generate(workload, layer, step);
    inputs[layer] = { q: alloc(driver.upload(host.q)), k: alloc(driver.upload(host.k)), v: alloc(driver.upload(host.v)), step };
    generateMs += performance.now() - t0;
    return inputs[layer]!;
  };
  /** A call's output, freed unless it is the buffer we passed in. */
  const dropResult = (out: T, into: T) => {
    if (out !== into) driver.free(out);
  };

  const figures: SampleFigures[] = [];
  const runtime = new SparseDRuntime(schedule, backend, { synchronize: driver.synchronize });
  try {
    const out = alloc(driver.empty(shape));
    const denseOut = samples.length > 0 ? alloc(driver.empty(shape)) : undefined;
    const sparseOut = samples.length > 0 ? alloc(driver.empty(shape)) : undefined;

    // Warm-up (JIT, module loading, first-launch costs) on layer 0's step-0 inputs, outside the stats.
    {
      const x = load(0, 0);
      const warm = new SparseDRuntime({ ...schedule, steps: 3, skip: 0 }, backend, { synchronize: driver.synchronize });
      for (let t = 0; t < 3; t++) dropResult(warm.attention(0, t, x.q, x.k, x.v, out).out, out);
      warm.reset();
    }

    const progress = new Progress(cfg.layers * cfg.steps, !cfg.quiet);
    for (let step = 0; step < cfg.steps; step++) {
      const fresh = cfg.refresh === "all" || step === 0 || step === sw || sampleSet.has(step);
      for (let layer = 0; layer < cfg.layers; layer++) {
        const x = fresh || !inputs[layer] ? load(layer, step) : inputs[layer]!;
        const r = runtime.attention(layer, step, x.q, x.k, x.v, out);
        dropResult(r.out, out);
        if (sampleSet.has(step) && r.phase !== "dense") {
          const pattern = runtime.patternOf(layer)!;
          const d = backend.dense(x.q, x.k, x.v, { scale, wantLse: true, out: denseOut });
          const s = backend.sparse(x.q, x.k, x.v, pattern, { scale, wantLse: true, out: sparseOut });
          try {
            if (d.lse === undefined || s.lse === undefined) throw new Error(`the ${backend.name} backend returned no LSE where wantLse was set`);
            const m = lseFigures(driver.lseToHost(s.lse), driver.lseToHost(d.lse), cfg.heads);
            figures.push({
              step,
              layer,
              phase: r.phase,
              massKept: m.mean,
              massKeptMinHead: m.minHead,
              massKeptMinRow: m.minRow,
              relError: relativeError(driver.toHost(s.out), driver.toHost(d.out)),
            });
          } finally {
            if (d.lse !== undefined) driver.freeLse(d.lse);
            if (s.lse !== undefined) driver.freeLse(s.lse);
            dropResult(d.out, denseOut!);
            dropResult(s.out, sparseOut!);
          }
        }
        progress.tick(step, cfg.steps);
      }
    }

    // Density of the patterns in use at the end (one per layer, selected at the switch step).
    const heads: DemoResult["heads"] = [];
    const densities: number[] = [];
    let kept = 0;
    let blocks = 0;
    for (let layer = 0; layer < cfg.layers; layer++) {
      const p = runtime.patternOf(layer);
      const host = p === undefined ? undefined : driver.patternToHost(p);
      const perHead = host?.densityPerHead();
      if (host) {
        kept += host.density() * host.counts.length * host.nkb;
        blocks += host.counts.length * host.nkb;
      }
      for (let h = 0; h < cfg.heads; h++) {
        const density = perHead ? perHead[h]! : null;
        if (density !== null) densities.push(density);
        heads.push({ layer, head: h, kind: workload.head(layer, h).kind, density });
      }
    }

    const st: RuntimeStats = runtime.stats();
    const denseMsPerCall = perCall(st.dense.ms, st.dense.calls);
    const sparsedMs = st.dense.ms + st.select.ms + st.sparse.ms;
    const allDense = denseMsPerCall === null ? null : denseMsPerCall * cfg.layers * cfg.steps;
    const sparseMsPerCall = perCall(st.sparse.ms, st.sparse.calls);
    const later = figures.filter((f) => f.phase === "sparse");
    const { json: _json, quiet: _quiet, ...rest } = cfg;
    return {
      config: { ...rest, switchStep: sw, sampledSteps: samples },
      device: driver.device,
      heads,
      phases: {
        dense: { ...st.dense, msPerCall: denseMsPerCall },
        select: { ...st.select, msPerCall: perCall(st.select.ms, st.select.calls), selectionMsPerCall: perCall(st.select.selectionMs, st.select.calls) },
        sparse: { ...st.sparse, msPerCall: sparseMsPerCall },
      },
      sparsedMs,
      allDenseEstimateMs: allDense,
      speedup: allDense === null || sparsedMs <= 0 ? null : allDense / sparsedMs,
      sparseVsDensePerCall: denseMsPerCall === null || sparseMsPerCall === null || sparseMsPerCall <= 0 ? null : denseMsPerCall / sparseMsPerCall,
      density: densities.length > 0 ? { overall: kept / blocks, minHead: Math.min(...densities), maxHead: Math.max(...densities) } : null,
      samples: figures,
      massKept: later.length > 0 ? { mean: mean(later.map((f) => f.massKept)), min: Math.min(...later.map((f) => f.massKeptMinRow)) } : null,
      relError: later.length > 0 ? { mean: mean(later.map((f) => f.relError)), max: Math.max(...later.map((f) => f.relError)) } : null,
      generateMs,
      wallMs: performance.now() - wall0,
    };
  } finally {
    runtime.reset(); // releases the patterns
    for (const t of owned) driver.free(t);
    owned.clear();
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

// ---- the report ---------------------------------------------------------------------------------------

function table(rows: string[][], right: boolean[]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (right[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join("  ").trimEnd()).join("\n");
}

const ms = (x: number | null) => (x === null ? "-" : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export function formatReport(r: DemoResult): string {
  const c = r.config;
  const lines: string[] = [];
  lines.push(`SparseD demo on ${c.backend} (${c.backendReason})`);
  lines.push(`device: ${r.device}`);
  lines.push(
    `workload: N=${c.n} layers=${c.layers} heads=${c.heads} D=${c.headDim} seed=${c.seed} drift=${c.drift}; heads: ` +
      Object.entries(Object.groupBy(r.heads, (h) => h.kind))
        .map(([k, v]) => `${k} x${v!.length}`)
        .join(", "),
  );
  lines.push(
    `schedule: steps=${c.steps} skip=${c.skip} select=${c.select} block=${c.blockSize} G=${c.genLength}; switch step ${c.switchStep}` +
      (c.switchStep >= c.steps ? " (past the last step: the run is all dense)" : "") +
      `; inputs regenerated ${c.refresh === "all" ? "every step" : "at step 0, the switch step and sampled steps"}`,
  );
  lines.push("");
  const p = r.phases;
  lines.push(
    table(
      [
        ["phase", "calls", "total ms", "ms/call"],
        ["dense steps", String(p.dense.calls), ms(p.dense.ms), ms(p.dense.msPerCall)],
        ["selection step (dense + select)", String(p.select.calls), ms(p.select.ms), ms(p.select.msPerCall)],
        ["  of which selection alone", String(p.select.calls), ms(p.select.selectionMs), ms(p.select.selectionMsPerCall)],
        ["sparse steps", String(p.sparse.calls), ms(p.sparse.ms), ms(p.sparse.msPerCall)],
        ["SparseD run (all phases)", String(p.dense.calls + p.select.calls + p.sparse.calls), ms(r.sparsedMs), ""],
        ["all dense (estimated: dense ms/call x calls)", String(c.layers * c.steps), ms(r.allDenseEstimateMs), ms(p.dense.msPerCall)],
      ],
      [false, true, true, true],
    ),
  );
  lines.push("");
  lines.push(
    `speedup over all-dense: ${r.speedup === null ? "-" : `${r.speedup.toFixed(2)}x`}` +
      (r.sparseVsDensePerCall === null ? "" : `   (one sparse call is ${r.sparseVsDensePerCall.toFixed(2)}x faster than one dense call)`),
  );
  if (p.dense.msPerCall !== null && p.select.selectionMsPerCall !== null)
    lines.push(`selection alone: ${ms(p.select.selectionMsPerCall)} ms/call = ${(p.select.selectionMsPerCall / p.dense.msPerCall).toFixed(2)}x a dense call`);
  if (r.density) {
    const at = (d: number) => {
      const h = r.heads.find((x) => x.density === d)!;
      return `L${h.layer} H${h.head} ${h.kind}`;
    };
    lines.push(
      `pattern density (kept blocks / all blocks): ${pct(r.density.overall)} overall; per head min ${pct(r.density.minHead)} (${at(r.density.minHead)}), max ${pct(r.density.maxHead)} (${at(r.density.maxHead)})`,
    );
  } else lines.push("pattern density: - (no pattern: the run never reached a switch step)");

  if (r.samples.length > 0) {
    lines.push("");
    lines.push("sampled steps (sparse with the stored pattern vs dense on the same inputs; averaged over layers):");
    const rows: string[][] = [["step", "phase", "mass kept", "min head", "min row", "rel error"]];
    for (const step of c.sampledSteps) {
      const f = r.samples.filter((s) => s.step === step);
      if (f.length === 0) continue;
      rows.push([
        String(step),
        f[0]!.phase === "select" ? "switch" : "sparse",
        pct(mean(f.map((s) => s.massKept))),
        pct(Math.min(...f.map((s) => s.massKeptMinHead))),
        pct(Math.min(...f.map((s) => s.massKeptMinRow))),
        mean(f.map((s) => s.relError)).toExponential(2),
      ]);
    }
    lines.push(table(rows, [true, false, true, true, true, true]));
  }
  if (r.massKept && r.relError)
    lines.push(
      `\nover the sampled sparse steps: attention mass kept ${pct(r.massKept.mean)} on average (lowest row ${pct(r.massKept.min)}); ` +
        `relative error ${r.relError.mean.toExponential(2)} on average, ${r.relError.max.toExponential(2)} at most`,
    );
  lines.push(`\nwall ${(r.wallMs / 1000).toFixed(1)} s, of which ${(r.generateMs / 1000).toFixed(1)} s generating${r.config.backend === "cuda" ? " and uploading" : ""} inputs`);
  return lines.join("\n");
}

export async function main(argv: string[]): Promise<number> {
  let cfg: DemoConfig | "help";
  try {
    cfg = parseDemoArgs(argv, gpuUnavailableReason);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`demo: ${e.message}\nrun \`bun run demo --help\` for the flags`);
      return 2;
    }
    throw e;
  }
  if (cfg === "help") {
    console.log(HELP);
    return 0;
  }
  if (!cfg.quiet && cfg.backend === "cpu" && cfg.backendReason !== "--backend cpu") console.error(`demo: running the CPU backend (${cfg.backendReason})`);
  try {
    const result = cfg.backend === "cuda" ? await runDemo(cfg, await cudaDriver()) : await runDemo(cfg, cpuDriver());
    console.log(formatReport(result));
    if (cfg.json) console.log(JSON.stringify(result));
    return 0;
  } catch (e) {
    console.error(`demo: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}

if (import.meta.main) process.exit(await main(process.argv.slice(2)));
