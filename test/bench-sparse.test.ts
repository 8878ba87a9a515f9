// bench/sparse.ts's command line, without a GPU: --help names every flag, a bad --layout, --patterns, size,
// ratio, schedule setting or --warmup-ms is a usage error (exit 2) before any GPU work.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { expectUsageError } from "./support/cli";

const root = join(import.meta.dir, "..");
const run = (...args: string[]) => Bun.spawnSync(["bun", "bench/sparse.ts", ...args], { cwd: root });
const USAGE = "Usage: bun bench/sparse.ts";

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
      expectUsageError(run("--patterns", bad), `--patterns takes a comma-separated list of random, workload; not "${bad}"`, USAGE);
    });

  for (const [args, reason] of [
    [["--layout", "nhd"], '--layout must be bnhd or bhnd, not "nhd"'],
    [["--warmup-ms=-3"], `--warmup-ms: "-3" is not a non-negative integer`],
    [["--n", "16384,abc"], `--n: "abc" is not a positive integer`],
    [["--heads", "32,8"], `--heads: "32,8" is a list; it takes one positive integer`],
    [["--block", "0"], `--block: "0" is not a positive integer`],
    [["--block", "96"], "blockSize = 96: the pattern block size must be one of 32, 64, 128"],
    [["--select", "0.1,abc"], `--select: "abc" is not a number`],
    [["--select", "0.1,1.5"], "select = 1.5: the selection ratio must be in (0, 1]"],
    [["--select", "0"], "select = 0: the selection ratio must be in (0, 1]"],
    [["--gen-length=-1"], "genLength = -1: the generation length must be a non-negative integer"],
    [["--skip", "1"], "skip = 1: the dense fraction must be in [0, 1)"],
    [["--skip", "0.2,0.3"], `--skip: "0.2,0.3" is a list; it takes one number`],
  ] as const)
    test(`${args.join(" ")} exits 2 with the reason and the usage`, () => {
      expectUsageError(run(...args), reason, USAGE);
    });
});
