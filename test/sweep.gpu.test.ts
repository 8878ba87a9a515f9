// GPU: a short configuration sweep (bench/sweep.ts) checks every variant against the CPU reference
// before timing it, and its tuning table is valid; the gate fails a wrong output. Skipped, with the
// reason printed, where no GPU is usable.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dense } from "../src/dense";
import { readTable } from "../src/tuning";
import { checkAttentionOutput } from "../src/variant-check";
import { freeProblem, gpuReason, makeProblem } from "./support/attention";

describe.skipIf(!!gpuReason)("the configuration sweep on the GPU", () => {
  test("every variant passes the gate before it is timed; JSON, CSV and the tuning table agree", () => {
    const dir = mkdtempSync(join(tmpdir(), "sparsed-sweep-"));
    const out = join(dir, "sweep.json");
    const args = ["--sweep", "--n", "512", "--d", "64", "--block", "64", "--select", "0.3", "--heads", "4", "--iterations", "2", "--warmup", "1", "--warmup-ms", "0", "--out", out, "--tuning-out", join(dir, "table.json")];
    const r = Bun.spawnSync(["bun", "bench/dense.ts", ...args], { cwd: join(import.meta.dir, ".."), env: { ...process.env, SPARSED_TUNING: "off" } });
    const log = r.stdout.toString() + r.stderr.toString();
    expect(r.exitCode, log).toBe(0);
    const result = JSON.parse(readFileSync(out, "utf8"));
    expect(result.gpu).toBeString();
    const checks = new Map<string, boolean>(result.checks.map((c: { id: string; pass: boolean }) => [c.id, c.pass]));
    expect(checks.size).toBeGreaterThan(0);
    const ops = new Set<string>();
    for (const row of result.rows) {
      expect(checks.get(row.variant), `${row.variant} was timed without passing the gate`).toBe(true);
      expect(row.correct).toBe(true);
      expect(row.ms_median).toBeGreaterThan(0);
      ops.add(row.op);
    }
    expect([...ops].sort()).toEqual(["dense", "select", "sparse"]);
    // The log shows each check before any timing.
    expect(log.indexOf("check [")).toBeLessThan(log.indexOf("D=64 N=512"));
    const csv = readFileSync(join(dir, "sweep.csv"), "utf8").trim().split("\n");
    expect(csv.length).toBe(result.rows.length + 1);
    const table = readTable(join(dir, "table.json"));
    expect(table.gpu).toBe(result.gpu);
    for (const e of table.entries) expect(checks.get(e.variant)).toBe(true);
    expect(new Set(table.entries.map((e) => e.op))).toEqual(new Set(["dense_fwd", "sparse_fwd", "select"]));
  });

  test("the gate fails a kernel whose output is wrong", () => {
    const p = makeProblem({ batch: 1, nq: 100, nk: 130, hq: 2, hkv: 1, headDim: 64 }, "bf16", 5);
    try {
      const good = checkAttentionOutput(p, (out, lse) => dense(p.q, p.k, p.v, { out, lse }), undefined, 5);
      expect(good.pass, good.detail).toBe(true);
      const wrong = checkAttentionOutput(
        p,
        (out, lse) => {
          dense(p.q, p.k, p.v, { out, lse });
          out.buffer.fill(0x3c); // every element 1.2e-2-ish: finite, written, wrong
        },
        undefined,
        5,
      );
      expect(wrong.pass, wrong.detail).toBe(false);
    } finally {
      freeProblem(p);
    }
  });
});
