// The sweep's command line (bun run bench --sweep), without a GPU: --help names the warm-up flags, and a bad
// --warmup-ms is a usage error (exit 2) before any GPU work.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";

const root = join(import.meta.dir, "..");
const run = (...args: string[]) => Bun.spawnSync(["bun", "bench/dense.ts", "--sweep", ...args], { cwd: root });

describe("bench --sweep command line", () => {
  test("--help describes --warmup and --warmup-ms", () => {
    const r = run("--help");
    expect(r.exitCode).toBe(0);
    expect(r.stdout.toString()).toContain("--warmup N");
    expect(r.stdout.toString()).toContain("--warmup-ms MS");
  });

  test("a fractional --warmup-ms exits 2 with the reason and the usage", () => {
    const r = run("--warmup-ms=1.5");
    expect(r.exitCode).toBe(2);
    const err = r.stderr.toString();
    expect(err).toContain(`--warmup-ms: "1.5" is not valid`);
    expect(err).toContain("Usage: bun run bench --sweep");
  });
});
