// `bun run demo` end to end on the CPU backend at a tiny size: the JSON figures are consistent with
// the schedule, and bad flags exit 2.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { switchStep } from "../src/schedule";

const DEMO = join(import.meta.dir, "..", "src", "demo.ts");

function runDemo(args: string[]): { code: number; stdout: string; stderr: string } {
  const p = Bun.spawnSync([process.execPath, DEMO, ...args], { stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode ?? -1, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}

const TINY = ["--backend", "cpu", "--n", "160", "--heads", "2", "--head-dim", "32", "--layers", "2", "--block-size", "32", "--json", "--quiet"];

function figures(args: string[]) {
  const r = runDemo([...TINY, ...args]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  const last = r.stdout.trimEnd().split("\n").at(-1)!;
  return { text: r.stdout, json: JSON.parse(last) };
}

describe("bun run demo (CPU backend)", () => {
  test("phases, density, mass and error at select 0.3", () => {
    const steps = 7;
    const skip = 0.3;
    const { text, json } = figures(["--steps", String(steps), "--skip", String(skip), "--select", "0.3", "--sample-every", "2"]);
    expect(text).toContain("speedup over all-dense");
    const sw = switchStep(steps, skip); // 3
    const L = 2;
    expect(json.config.switchStep).toBe(sw);
    expect(json.phases.dense.calls).toBe(L * sw);
    expect(json.phases.select.calls).toBe(L);
    expect(json.phases.sparse.calls).toBe(L * (steps - sw - 1));
    expect(json.config.sampledSteps).toEqual([3, 5, 6]);
    expect(json.samples).toHaveLength(L * 3);

    expect(json.density.overall).toBeGreaterThan(0);
    expect(json.density.overall).toBeLessThanOrEqual(1);
    expect(json.density.minHead).toBeLessThanOrEqual(json.density.maxHead);
    expect(json.heads).toHaveLength(2 * 2);
    for (const s of json.samples) {
      expect(s.massKept).toBeGreaterThan(0);
      expect(s.massKept).toBeLessThanOrEqual(1 + 1e-12);
      expect(s.relError).toBeGreaterThanOrEqual(0);
      expect(Number.isFinite(s.relError)).toBe(true);
    }
    expect(json.massKept.mean).toBeGreaterThan(0.5); // the workload's structure is what the pattern keeps
    expect(Number.isFinite(json.speedup)).toBe(true);
    expect(json.speedup).toBeGreaterThan(0);
    expect(json.allDenseEstimateMs).toBeCloseTo(json.phases.dense.msPerCall * L * steps, 6);
  });

  test("select 1 keeps every block: all mass, the dense output", () => {
    const { json } = figures(["--steps", "4", "--skip", "0", "--select", "1", "--sample-every", "1"]);
    expect(json.density.overall).toBe(1);
    for (const s of json.samples) {
      expect(Math.abs(s.massKept - 1)).toBeLessThan(1e-9);
      expect(s.relError).toBeLessThan(1e-9);
    }
    expect(Number.isFinite(json.speedup)).toBe(true);
  });

  test("a run whose switch step is past the last step is all dense", () => {
    const { json } = figures(["--steps", "2", "--skip", "0.9"]);
    expect(json.phases.dense.calls).toBe(2 * 2);
    expect(json.phases.select.calls + json.phases.sparse.calls).toBe(0);
    expect(json.density).toBeNull();
    expect(json.samples).toEqual([]);
    expect(json.speedup).toBeCloseTo(1, 0);
  });

  test("bad flags and values exit 2 with a message", () => {
    const unknown = runDemo(["--backend", "cpu", "--frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/frobnicate/);
    const badValue = runDemo(["--backend", "cpu", "--select", "1.5"]);
    expect(badValue.code).toBe(2);
    expect(badValue.stderr).toMatch(/select/);
    const notNumber = runDemo(["--backend", "cpu", "--n", "lots"]);
    expect(notNumber.code).toBe(2);
  });

  test("--help documents every flag", () => {
    const r = runDemo(["--help"]);
    expect(r.code).toBe(0);
    for (const flag of ["--n", "--steps", "--skip", "--select", "--block-size", "--gen-length", "--layers", "--heads", "--head-dim", "--backend", "--sample-every", "--json", "--seed"])
      expect(r.stdout).toContain(flag);
  });
});
