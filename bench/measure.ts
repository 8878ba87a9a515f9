// GPU timing for benchmarks: CUDA events around each launch (recorded through the library), driven
// by tinybench, which takes the event time as each sample (overriddenDuration) and does the
// warm-up and statistics. See shared/DESIGN.md section 4.
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
/** --warmup-ms's help, its second line indented to a help text's description column. */
export function warmupMsHelp(column: number): string {
  return `at least MS milliseconds of warm-up calls a point (default ${WARMUP_MS}; 0: calls only): at the
${" ".repeat(column)}power cap a kernel's first half second of load reads off its steady state`;
}

/** --warmup-ms's value: a non-negative integer, else an Error naming the flag. */
export function parseWarmupMs(text: string): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isInteger(n) || n < 0) throw new Error(`--warmup-ms: "${text}" is not a non-negative integer`);
  return n;
}

/** Time `launch` (device work only) with events; median of at least `iterations` samples, after at least `warmup`
 * untimed launches and, with `warmupMs`, at least that many milliseconds of them: at the power cap a kernel's first
 * half second of load reads off its steady state, fast after an idle second, up to 11% slow right after a
 * lower-power kernel (bench/NOTES.md, session 13). */
export async function timeGpu(name: string, launch: () => void, opts: { iterations?: number; warmup?: number; warmupMs?: number } = {}): Promise<Timing> {
  const lib = native();
  const ev = new BigUint64Array(2);
  lib.call("sparsed_event_create", ev.subarray(0, 1));
  lib.call("sparsed_event_create", ev.subarray(1, 2));
  const ms = new Float32Array(1);
  try {
    const bench = new Bench({ name, iterations: opts.iterations ?? 30, time: 0, warmupIterations: opts.warmup ?? 5, warmupTime: opts.warmupMs ?? 0, throws: true });
    bench.add(name, () => {
      lib.call("sparsed_event_record", ev[0]!, 0n);
      launch();
      lib.call("sparsed_event_record", ev[1]!, 0n);
      lib.call("sparsed_event_elapsed_ms", ms, ev[0]!, ev[1]!);
      return { overriddenDuration: ms[0]! };
    });
    await bench.run();
    const r = bench.tasks[0]!.result;
    if (r.state !== "completed") throw new Error(`${name}: benchmark ${r.state}${"error" in r ? `: ${r.error}` : ""}`);
    return { name, msMedian: r.latency.p50, msMin: r.latency.min, msMax: r.latency.max, msMad: r.latency.mad, samples: r.latency.samplesCount };
  } finally {
    lib.call("sparsed_event_destroy", ev[0]!);
    lib.call("sparsed_event_destroy", ev[1]!);
  }
}

/** FLOPs of a non-causal attention forward (DESIGN section 4). */
export function attentionFlops(batch: number, hq: number, nq: number, nk: number, headDim: number): number {
  return 4 * batch * hq * nq * nk * headDim;
}

export function tflops(flops: number, ms: number): number {
  return flops / (ms * 1e-3) / 1e12;
}

/**
 * A benchmark pattern: floor(nkb * select) + 1 random kv blocks in every row, the size isolated
 * selection gives the prompt part (bench/peers_sparse.py draws the same pattern).
 */
export function randomPattern(B: number, H: number, N: number, b: number, select: number, seed: number): SparsePattern {
  const next = rng(seed);
  const nb = Math.ceil(N / b);
  const k = Math.min(nb, Math.floor(nb * select) + 1);
  const row = () => {
    const all = Array.from({ length: nb }, (_, j) => j);
    for (let i = 0; i < k; i++) {
      const r = i + Math.floor(next() * (nb - i));
      [all[i], all[r]] = [all[r]!, all[i]!];
    }
    return all.slice(0, k);
  };
  return SparsePattern.fromRows({ batch: B, hq: H, nq: N, nk: N, blockSize: b }, Array.from({ length: B }, () => Array.from({ length: H }, () => Array.from({ length: nb }, row))));
}
