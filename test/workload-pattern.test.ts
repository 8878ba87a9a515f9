// The benchmarks' "workload" patterns (bench/workload-pattern.ts) on the CPU backend: what our selection
// picks on the demo's workload at its switch step, the files bench/peers_sparse.py --pattern reads, and the
// random twins they are compared with (bench/measure.ts). No GPU needed.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { neighbourOverlap, randomPattern, randomTwin } from "../bench/measure";
import { patternFileName, workloadPatterns, writePatternFiles, type PatternFile } from "../bench/workload-pattern";
import { cpuDriver } from "../src/demo";
import { SparsePattern } from "../src/pattern";
import { switchStep } from "../src/schedule";

const cfg = { n: 1000, heads: 4, headDim: 64, blockSize: 64, genLength: 250, selects: [0.1, 0.3] };
const r = workloadPatterns(cpuDriver(), cfg);

describe("workload patterns", () => {
  test("one valid pattern a select, taken at the demo's switch step, denser for a larger select", () => {
    expect(r.step).toBe(switchStep(64, 0.2));
    expect(r.patterns.map((p) => p.select)).toEqual([0.1, 0.3]);
    for (const { pattern } of r.patterns) {
      expect(pattern.shape).toEqual({ batch: 1, hq: 4, nq: 1000, nk: 1000, blockSize: 64 });
      pattern.validate();
    }
    const [lo, hi] = r.patterns.map((p) => p.pattern.density());
    expect(lo!).toBeGreaterThan(0);
    expect(hi!).toBeGreaterThan(lo!);
    expect(hi!).toBeLessThan(1);
  });

  test("neighbouring query blocks keep similar lists, unlike random places with the same counts", () => {
    for (const { pattern } of r.patterns) {
      const twin = randomTwin(pattern, 11);
      expect(Array.from(twin.counts)).toEqual(Array.from(pattern.counts));
      twin.validate();
      expect(neighbourOverlap(pattern)).toBeGreaterThan(2 * neighbourOverlap(twin));
    }
  });

  test("the selection is a function of the workload: a second run picks the same blocks", () => {
    const again = workloadPatterns(cpuDriver(), { ...cfg, selects: [0.3] });
    expect(again.patterns[0]!.pattern.equals(r.patterns[1]!.pattern)).toBe(true);
  });

  test("the pattern files round-trip through SparsePattern.fromJSON and say where they came from", () => {
    const dir = mkdtempSync(join(tmpdir(), "sparsed-wp-"));
    try {
      const paths = writePatternFiles(dir, cfg, r);
      expect(paths).toEqual([join(dir, patternFileName(1000, 0.1)), join(dir, patternFileName(1000, 0.3))]);
      paths.forEach((path, n) => {
        const file = JSON.parse(readFileSync(path, "utf8")) as PatternFile;
        expect(file.source).toBe("workload");
        expect(file.select).toBe(cfg.selects[n]!);
        expect(file.step).toBe(r.step);
        expect(file.genLength).toBe(250);
        expect(SparsePattern.fromJSON(file).equals(r.patterns[n]!.pattern)).toBe(true);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a workload whose schedule never selects is an error, not an empty result", () => {
    expect(() => workloadPatterns(cpuDriver(), { ...cfg, steps: 4, skip: 0.9 })).toThrow(/switch step 4 is past the last of 4 steps/);
  });
});

describe("neighbourOverlap and randomTwin", () => {
  test("identical rows overlap fully; disjoint rows not at all", () => {
    const shape = { batch: 1, hq: 1, nq: 256, nk: 256, blockSize: 64 };
    expect(neighbourOverlap(SparsePattern.fromRows(shape, [[[[0, 1], [0, 1], [1, 0], [0, 1]]]]))).toBe(1);
    expect(neighbourOverlap(SparsePattern.fromRows(shape, [[[[0], [1], [2], [3]]]]))).toBe(0);
    // {0,1} vs {1,2} and {1,2} vs {2,3}: one block of three; {2,3} vs {3}: one of two.
    expect(neighbourOverlap(SparsePattern.fromRows(shape, [[[[0, 1], [1, 2], [2, 3], [3]]]]))).toBeCloseTo((1 / 3 + 1 / 3 + 1 / 2) / 3, 12);
  });

  test("the random pattern keeps its draws: every row floor(nkb * select) + 1 blocks, the same for the same seed", () => {
    const a = randomPattern(1, 2, 1000, 64, 0.3, 11), b = randomPattern(1, 2, 1000, 64, 0.3, 11);
    expect(new Set(a.counts)).toEqual(new Set([Math.floor(16 * 0.3) + 1]));
    expect(a.equals(b)).toBe(true);
    expect(a.equals(randomPattern(1, 2, 1000, 64, 0.3, 12))).toBe(false);
  });
});
