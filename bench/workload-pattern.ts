// The patterns SparseD's own selection makes, for the benchmarks (bench/sparse.ts --patterns workload):
// the demo's synthetic workload (src/workload.ts: heads with a local band, sinks and clusters; layer 0)
// at the demo's switch step, one dense pass with the LSE, then the selection at each ratio, as the
// runtime does at that step. Their neighbouring query blocks keep similar lists, which random places
// with the same counts do not (bench/NOTES.md session 22: worth 3-11 points of the kernel's rate).
// Written as SparsePattern JSON with its source and select, which bench/peers_sparse.py --pattern
// reads, so that FlexAttention times the same mask.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Driver } from "../src/demo";
import { invalid } from "../src/errors";
import { SparsePattern, type PatternJSON } from "../src/pattern";
import { switchStep } from "../src/schedule";
import { Workload } from "../src/workload";

export interface WorkloadPatternConfig {
  n: number;
  heads: number;
  headDim: number;
  blockSize: number;
  genLength: number;
  selects: number[];
  /** The demo's defaults: 64 steps, skip 0.2 (switch step 13), seed 1. */
  steps?: number;
  skip?: number;
  seed?: number;
}

export interface WorkloadPatterns {
  step: number;
  patterns: { select: number; pattern: SparsePattern }[];
}

/** A pattern file: SparsePattern.toJSON() plus where it came from. */
export type PatternFile = PatternJSON & { source: "workload"; select: number; step: number; seed: number; genLength: number };

export function workloadPatterns<T, L, P>(driver: Driver<T, L, P>, cfg: WorkloadPatternConfig): WorkloadPatterns {
  const steps = cfg.steps ?? 64, skip = cfg.skip ?? 0.2, seed = cfg.seed ?? 1;
  const step = switchStep(steps, skip);
  if (step >= steps) throw invalid(`workloadPatterns: the switch step ${step} is past the last of ${steps} steps (skip ${skip}): the run never selects`);
  const w = new Workload({ n: cfg.n, heads: cfg.heads, headDim: cfg.headDim, layers: 1, steps, seed });
  const x = driver.generate(w, 0, step);
  const [q, k, v] = [x.q, x.k, x.v].map((t) => driver.upload(t)) as [T, T, T];
  try {
    const scale = 1 / Math.sqrt(cfg.headDim);
    const d = driver.backend.dense(q, k, v, { scale, wantLse: true, blockLseSize: cfg.blockSize });
    driver.free(d.out);
    try {
      const patterns = cfg.selects.map((select) => {
        const p = driver.backend.select(q, k, d.lse, { blockSize: cfg.blockSize, select, genLength: cfg.genLength, selectionScale: scale, attentionScale: scale }, d.blockLse);
        const pattern = driver.patternToHost(p);
        driver.backend.release?.(p);
        return { select, pattern };
      });
      return { step, patterns };
    } finally {
      if (d.lse !== undefined) driver.freeLse(d.lse);
      if (d.blockLse !== undefined) driver.freeLse(d.blockLse);
    }
  } finally {
    [q, k, v].forEach((t) => driver.free(t));
  }
}

export function patternFileName(n: number, select: number): string {
  return `workload-N${n}-select${select}.json`;
}

/** Writes each pattern as `workload-N<n>-select<s>.json` in dir (which must exist); returns the paths. */
export function writePatternFiles(dir: string, cfg: WorkloadPatternConfig, r: WorkloadPatterns): string[] {
  return r.patterns.map(({ select, pattern }) => {
    const file: PatternFile = { ...pattern.toJSON(), source: "workload", select, step: r.step, seed: cfg.seed ?? 1, genLength: cfg.genLength };
    const path = join(dir, patternFileName(cfg.n, select));
    writeFileSync(path, JSON.stringify(file));
    return path;
  });
}
