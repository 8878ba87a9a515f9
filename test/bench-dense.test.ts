// bun run bench's command line (bench/dense.ts, and its --sweep), without a GPU: --help names the warm-up flags, and a
// bad --warmup-ms or size is a usage error (exit 2) before any GPU work.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { expectUsageError } from "./support/cli";

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
    expectUsageError(run("--warmup-ms", "x"), `--warmup-ms: "x" is not a non-negative integer`, "Usage: bun run bench [flags]");
    expectUsageError(run("--sweep", "--warmup-ms=1.5"), `--warmup-ms: "1.5" is not a non-negative integer`, "Usage: bun run bench --sweep");
  });

  for (const [args, reason] of [
    [["--n", "4096,"], `--n: "" is not a positive integer`],
    [["--d", "64.5"], `--d: "64.5" is not a positive integer`],
    [["--batch", "1,2"], `--batch: "1,2" is a list; it takes one positive integer`],
  ] as const)
    test(`${args.join(" ")} exits 2 with the reason and the usage`, () => {
      expectUsageError(run(...args), reason, "Usage: bun run bench [flags]");
    });
});
