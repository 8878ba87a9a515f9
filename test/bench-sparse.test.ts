// bench/sparse.ts's command line, without a GPU: --help names every flag, a bad --layout, --patterns, size,
// ratio or --warmup-ms is a usage error (exit 2) before any GPU work.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";

const root = join(import.meta.dir, "..");
const run = (...args: string[]) => Bun.spawnSync(["bun", "bench/sparse.ts", ...args], { cwd: root });

describe("bench/sparse.ts command line", () => {
  test("--help exits 0 and describes --layout", () => {
    const r = run("--help");
    expect(r.exitCode).toBe(0);
    expect(r.stdout.toString()).toContain("--layout L");
    expect(r.stdout.toString()).toContain("--patterns LIST");
    expect(r.stdout.toString()).toContain("--pattern-dir D");
  });

  for (const bad of ["randm", "random,selected", ","])
    test(`--patterns ${bad} exits 2 with the kinds it takes and the usage`, () => {
      const r = run("--patterns", bad);
      expect(r.exitCode).toBe(2);
      const err = r.stderr.toString();
      expect(err).toContain(`--patterns takes a comma-separated list of random, workload; not "${bad}"`);
      expect(err).toContain("Usage: bun bench/sparse.ts");
    });

  test("a bad --layout exits 2 with the reason and the usage", () => {
    const r = run("--layout", "nhd");
    expect(r.exitCode).toBe(2);
    const err = r.stderr.toString();
    expect(err).toContain('--layout must be bnhd or bhnd, not "nhd"');
    expect(err).toContain("Usage: bun bench/sparse.ts");
  });

  test("a negative --warmup-ms exits 2 with the reason and the usage", () => {
    const r = run("--warmup-ms=-3");
    expect(r.exitCode).toBe(2);
    const err = r.stderr.toString();
    expect(err).toContain(`--warmup-ms: "-3" is not a non-negative integer`);
    expect(err).toContain("Usage: bun bench/sparse.ts");
  });

  for (const [args, reason] of [
    [["--n", "16384,abc"], `--n: "abc" is not a positive integer`],
    [["--heads", "32,8"], `--heads: "32,8" is a list; it takes one positive integer`],
    [["--block", "0"], `--block: "0" is not a positive integer`],
    [["--select", "0.1,1.5"], `--select: "1.5" is not a keep ratio in (0, 1]`],
    [["--select", "0"], `--select: "0" is not a keep ratio in (0, 1]`],
    [["--gen-length=-1"], `--gen-length: "-1" is not a non-negative integer`],
    [["--skip", "1"], `--skip: "1" is not a dense fraction in [0, 1)`],
  ] as const)
    test(`${args.join(" ")} exits 2 with the reason and the usage`, () => {
      const r = run(...args);
      expect(r.exitCode).toBe(2);
      expect(r.stderr.toString()).toContain(reason);
      expect(r.stderr.toString()).toContain("Usage: bun bench/sparse.ts");
    });
});
