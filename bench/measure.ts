// GPU timing for benchmarks: CUDA events around each launch (recorded through the library), driven
// by tinybench, which takes the event time as each sample (overriddenDuration) and does the
// warm-up and statistics. See shared/DESIGN.md section 4. Samples are queued back to back, as
// bench/peers.py queues the peers' (timeGpu below).
import { Bench } from "tinybench";
import { native } from "../src/native";
import { SparsePattern } from "../src/pattern";
import { rng } from "../src/random";

export interface Timing {
  name: string;
  msMedian: number;
  msMin: number;
  msMax: number;
  msMad: number; // median absolute deviation: the spread
  samples: number;
}

/** The benchmarks' default warm-up time a point (ms; bench/NOTES.md session 13). */
export const WARMUP_MS = 1000;
/** --warmup-ms's help, its second line indented to a help text's description column; `zero` says what 0 means
 *  or when it is the default. */
export function warmupMsHelp(column: number, zero = "0: calls only"): string {
  return `at least MS milliseconds of warm-up calls a point (default ${WARMUP_MS}; ${zero}): at the
${" ".repeat(column)}power cap a kernel's first half second of load reads off its steady state`;
}

/** --warmup-ms's value: a non-negative integer, else an Error naming the flag. */
export function parseWarmupMs(text: string): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isInteger(n) || n < 0) throw new Error(`--warmup-ms: "${text}" is not a non-negative integer`);
  return n;
}

/** A comma-separated list of positive integers (--n 4096,16384), else an Error naming the flag. */
export function parsePositiveInts(text: string, flag: string): number[] {
  return text.split(",").map((x) => {
    const n = Number(x);
    if (x.trim() === "" || !Number.isInteger(n) || n < 1) throw new Error(`${flag}: "${x}" is not a positive integer`);
    return n;
  });
}

/** The one value of a flag that takes one, else an Error saying it was given a list. */
function single(xs: number[], text: string, flag: string, what: string): number {
  if (xs.length !== 1) throw new Error(`${flag}: "${text}" is a list; it takes one ${what}`);
  return xs[0]!;
}

/** One positive integer (--heads 32), else an Error naming the flag. */
export function parsePositiveInt(text: string, flag: string): number {
  return single(parsePositiveInts(text, flag), text, flag, "positive integer");
}

/** A comma-separated list of numbers (--select 0.3,0.1), else an Error naming the flag; the ranges are the
 *  library's to check (validateSchedule). */
export function parseNumbers(text: string, flag: string): number[] {
  return text.split(",").map((x) => {
    const n = Number(x);
    if (x.trim() === "" || !Number.isFinite(n)) throw new Error(`${flag}: "${x}" is not a number`);
    return n;
  });
}

/** One number (--skip 0.2), else an Error naming the flag. */
export function parseNumber(text: string, flag: string): number {
  return single(parseNumbers(text, flag), text, flag, "number");
}

/** The events timeGpu records on the default stream: the library's, or a test's stand-in. */
export interface EventClock {
  create(): bigint;
  record(event: bigint): void;
  /** Waits for `end`, then the milliseconds from `start` to `end` on the device. */
  elapsedMs(start: bigint, end: bigint): number;
  destroy(event: bigint): void;
}

export function nativeClock(): EventClock {
  const lib = native();
  const ms = new Float32Array(1);
  return {
    create: () => {
      const e = new BigUint64Array(1);
      lib.call("sparsed_event_create", e);
      return e[0]!;
    },
    record: (e) => void lib.call("sparsed_event_record", e, 0n),
    elapsedMs: (a, b) => (lib.call("sparsed_event_elapsed_ms", ms, a, b), ms[0]!),
    destroy: (e) => void lib.call("sparsed_event_destroy", e),
  };
}

/** Time `launch` (device work only) with events; median of at least `iterations` samples, after at least `warmup`
 * untimed launches and, with `warmupMs`, at least that many milliseconds of them: at the power cap a kernel's first
 * half second of load reads off its steady state, fast after an idle second, up to 11% slow right after a
 * lower-power kernel (bench/NOTES.md, session 13).
 * Launches take turns with two event pairs, and a sample is the previous launch's pair, read while this one is
 * queued behind it: the device never idles waiting for the CPU between calls, and a start event fires when the previous
 * call ends, so a sample counts no CPU time (checking the inputs, encoding tensor maps) before the launch reaches
 * the device. Waiting for each call before the next, that time counted (7-15 us of host work a call): 4-8% of the
 * 0.08-0.5 ms calls at 4k, ~1% at 16k, nothing at 64k (H200, bench/NOTES.md session 14). The last launch is waited
 * for before timeGpu returns. */
export async function timeGpu(
  name: string,
  launch: () => void,
  opts: { iterations?: number; warmup?: number; warmupMs?: number; clock?: EventClock } = {},
): Promise<Timing> {
  const clock = opts.clock ?? nativeClock();
  const pairs: [bigint, bigint][] = [];
  try {
    for (let i = 0; i < 2; i++) pairs.push([clock.create(), clock.create()]);
    let calls = 0;
    const bench = new Bench({ name, iterations: opts.iterations ?? 30, time: 0, warmupIterations: opts.warmup ?? 5, warmupTime: opts.warmupMs ?? 0, throws: true });
    bench.add(name, () => {
      const [start, end] = pairs[calls % 2]!;
      clock.record(start);
      launch();
      clock.record(end);
      // The first call has no previous one: it is timed alone (a warm-up sample unless warmup is 0).
      const [a, b] = pairs[calls === 0 ? 0 : (calls + 1) % 2]!;
      calls++;
      return { overriddenDuration: clock.elapsedMs(a, b) };
    });
    await bench.run();
    if (calls > 0) clock.elapsedMs(...pairs[(calls - 1) % 2]!);
    const r = bench.tasks[0]!.result;
    if (r.state !== "completed") throw new Error(`${name}: benchmark ${r.state}${"error" in r ? `: ${r.error}` : ""}`);
    return { name, msMedian: r.latency.p50, msMin: r.latency.min, msMax: r.latency.max, msMad: r.latency.mad, samples: r.latency.samplesCount };
  } finally {
    for (const e of pairs.flat()) clock.destroy(e);
  }
}

/** FLOPs of a non-causal attention forward (DESIGN section 4). */
export function attentionFlops(batch: number, hq: number, nq: number, nk: number, headDim: number): number {
  return 4 * batch * hq * nq * nk * headDim;
}

export function tflops(flops: number, ms: number): number {
  return flops / (ms * 1e-3) / 1e12;
}

/** k distinct blocks of nb, drawn by a partial Fisher-Yates shuffle (bench/peers_sparse.py repeats it draw for draw). */
function randomBlocks(next: () => number, nb: number, k: number): number[] {
  const all = Array.from({ length: nb }, (_, j) => j);
  for (let i = 0; i < k; i++) {
    const r = i + Math.floor(next() * (nb - i));
    [all[i], all[r]] = [all[r]!, all[i]!];
  }
  return all.slice(0, k);
}

/**
 * A benchmark pattern: floor(nkb * select) + 1 random kv blocks in every row, the size isolated
 * selection gives the prompt part (bench/peers_sparse.py draws the same pattern).
 */
export function randomPattern(B: number, H: number, N: number, b: number, select: number, seed: number): SparsePattern {
  const next = rng(seed);
  const nb = Math.ceil(N / b);
  const k = Math.min(nb, Math.floor(nb * select) + 1);
  return SparsePattern.fromRows({ batch: B, hq: H, nq: N, nk: N, blockSize: b }, Array.from({ length: B }, () => Array.from({ length: H }, () => Array.from({ length: nb }, () => randomBlocks(next, nb, k)))));
}

/** The same count in every row as p, at random places: what p's own choice of blocks is worth. */
export function randomTwin(p: SparsePattern, seed: number): SparsePattern {
  const next = rng(seed);
  const { batch, hq } = p.shape;
  const rows = Array.from({ length: batch }, (_, b) =>
    Array.from({ length: hq }, (_, h) => Array.from({ length: p.nqb }, (_, i) => randomBlocks(next, p.nkb, p.counts[(b * hq + h) * p.nqb + i]!))),
  );
  return SparsePattern.fromRows(p.shape, rows);
}

/** Mean Jaccard overlap of neighbouring query blocks' lists (i and i + 1 of a head): how far the rows
 *  that run close together on the GPU read the same K / V blocks. */
export function neighbourOverlap(p: SparsePattern): number {
  let sum = 0, n = 0;
  const list = (r: number) => p.indices.subarray(r * p.nkb, r * p.nkb + p.counts[r]!);
  for (let bh = 0; bh < p.shape.batch * p.shape.hq; bh++)
    for (let i = 0; i + 1 < p.nqb; i++) {
      const a = list(bh * p.nqb + i), b = new Set(list(bh * p.nqb + i + 1));
      let both = 0;
      for (const x of a) if (b.has(x)) both++;
      const union = a.length + b.size - both;
      sum += union === 0 ? 1 : both / union;
      n++;
    }
  return n === 0 ? 1 : sum / n;
}
