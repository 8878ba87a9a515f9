// bun run bench's command line (bench/dense.ts, and its --sweep), without a GPU: --help names the warm-up flags, and a
// bad --warmup-ms or size is a usage error (exit 2) before any GPU work.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";

const root = join(import.meta.dir, "..");
const run = (...args: string[]) => Bun.spawnSync(["bun", "bench/dense.ts", ...args], { cwd: root });

describe("bun run bench command line", () => {
  test("--help and --sweep --help describe --warmup and --warmup-ms", () => {
    for (const args of [["--help"], ["--sweep", "--help"]]) {
      const r = run(...args);
      expect(r.exitCode).toBe(0);
      expect(r.stdout.toString()).toContain("--warmup N");
      expect(r.stdout.toString()).toContain("--warmup-ms MS");
    }
  });

  test("a bad --warmup-ms exits 2 with the reason and the usage", () => {
    const dense = run("--warmup-ms", "x");
    expect(dense.exitCode).toBe(2);
    expect(dense.stderr.toString()).toContain(`--warmup-ms: "x" is not a non-negative integer`);
    expect(dense.stderr.toString()).toContain("Usage: bun run bench [flags]");
    const sweep = run("--sweep", "--warmup-ms=1.5");
    expect(sweep.exitCode).toBe(2);
    expect(sweep.stderr.toString()).toContain(`--warmup-ms: "1.5" is not a non-negative integer`);
    expect(sweep.stderr.toString()).toContain("Usage: bun run bench --sweep");
  });

  for (const [args, reason] of [
    [["--n", "4096,"], `--n: "" is not a positive integer`],
    [["--d", "64.5"], `--d: "64.5" is not a positive integer`],
    [["--batch", "1,2"], `--batch: "1,2" is a list; it takes one positive integer`],
  ] as const)
    test(`${args.join(" ")} exits 2 with the reason and the usage`, () => {
      const r = run(...args);
      expect(r.exitCode).toBe(2);
      expect(r.stderr.toString()).toContain(reason);
      expect(r.stderr.toString()).toContain("Usage: bun run bench [flags]");
    });
});
