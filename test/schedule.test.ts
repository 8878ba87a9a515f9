// The denoising schedule (shared/DESIGN.md section 1, "Schedule").
import { describe, expect, test } from "bun:test";
import { SparsedError } from "../src/errors";
import { phaseOf, switchStep, validateSchedule, type ScheduleConfig } from "../src/schedule";

const phases = (steps: number, skip: number) => Array.from({ length: steps }, (_, t) => phaseOf(t, { steps, skip }));

describe("switchStep", () => {
  test("floor(S * skip) + 1", () => {
    expect(switchStep(10, 0)).toBe(1);
    expect(switchStep(10, 0.2)).toBe(3);
    expect(switchStep(10, 0.25)).toBe(3); // floor(2.5) + 1
    expect(switchStep(1024, 0.2)).toBe(205); // floor(204.8) + 1
    expect(switchStep(7, 0.5)).toBe(4);
  });

  test("float64 product like the published int(S * skip) + 1", () => {
    expect(100 * 0.29).toBeLessThan(29);
    expect(switchStep(100, 0.29)).toBe(29);
    expect(switchStep(10, 0.3)).toBe(4); // 10 * 0.3 = 3.0000000000000004
  });
});

describe("phaseOf", () => {
  test("skip = 0: step 0 dense, step 1 selects, the rest sparse", () => {
    expect(phases(5, 0)).toEqual(["dense", "select", "sparse", "sparse", "sparse"]);
  });

  test("skip = 0.2 over 10 steps: switch at 3", () => {
    expect(phases(10, 0.2)).toEqual(["dense", "dense", "dense", "select", "sparse", "sparse", "sparse", "sparse", "sparse", "sparse"]);
  });

  test("switch at the last step: selects, never reuses", () => {
    expect(phases(4, 0.5)).toEqual(["dense", "dense", "dense", "select"]);
    expect(phases(2, 0)).toEqual(["dense", "select"]);
  });

  test("switchStep >= S: the whole run is dense", () => {
    expect(phases(4, 0.75)).toEqual(["dense", "dense", "dense", "dense"]); // switch 4
    expect(phases(1, 0)).toEqual(["dense"]); // switch 1 = S
    expect(phases(3, 0.99)).toEqual(["dense", "dense", "dense"]);
  });

  test("step out of range or fractional", () => {
    for (const t of [-1, 10, 1.5, NaN]) expect(() => phaseOf(t, { steps: 10, skip: 0.2 })).toThrow(/out of range: steps run 0\.\.9/);
  });
});

describe("validateSchedule", () => {
  const good: ScheduleConfig = { steps: 64, skip: 0.2, select: 0.3, blockSize: 64, genLength: 32 };

  test("accepts a good config and the edges of the ranges", () => {
    validateSchedule(good);
    validateSchedule({ ...good, skip: 0, select: 1, genLength: 0, blockSize: 32 });
    validateSchedule({ ...good, blockSize: 128, selectionScale: 0.25 });
  });

  const bad: [Partial<ScheduleConfig>, RegExp][] = [
    [{ steps: 0 }, /steps = 0: .*positive integer/],
    [{ steps: 2.5 }, /steps = 2\.5/],
    [{ skip: 1 }, /skip = 1: .*\[0, 1\)/],
    [{ skip: -0.1 }, /skip = -0\.1/],
    [{ skip: NaN }, /skip = NaN/],
    [{ select: 0 }, /select = 0: .*\(0, 1\]/],
    [{ select: 1.5 }, /select = 1\.5/],
    [{ blockSize: 48 }, /blockSize = 48: .*one of 32, 64, 128/],
    [{ blockSize: 16 }, /blockSize = 16/],
    [{ genLength: -1 }, /genLength = -1: .*non-negative integer/],
    [{ genLength: 3.5 }, /genLength = 3\.5/],
    [{ selectionScale: 0 }, /selectionScale = 0: .*positive finite/],
    [{ selectionScale: Infinity }, /selectionScale = Infinity/],
  ];
  for (const [change, message] of bad)
    test(`rejects ${Object.entries(change).map(([key, x]) => `${key} = ${x}`)}`, () => {
      let err: unknown;
      try {
        validateSchedule({ ...good, ...change });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SparsedError);
      expect((err as SparsedError).code).toBe("INVALID");
      expect((err as SparsedError).message).toMatch(message);
    });
});
