// Test support for the GPU tests: the skip reason (printed once) and the poison check.
import { expect } from "bun:test";
import { gpuUnavailableReason } from "../../src/device";
import { countNonFinite, type Strided } from "../../src/verify";

export * from "../../src/verify";

export const gpuReason = gpuUnavailableReason();
if (gpuReason) console.log(`GPU tests skipped: ${gpuReason}`);

/** One shape of a GPU test: sizes, how the inputs sit in memory (src/verify.ts's Strided), how many rows to check per head. */
export interface ShapeCase {
  name: string;
  batch: number;
  nq: number;
  nk: number;
  hq: number;
  hkv: number;
  strided: Strided;
  rows: number;
  rising?: number; // keys scaled by 1 + rising n / nk (makeProblem): row maxima that keep rising along the keys
}

/** Every element was written: none is still NaN from the poison, none is infinite. */
export function expectAllWritten(values: Float64Array, what: string): void {
  const bad = countNonFinite(values);
  expect(bad, `${what}: ${bad} of ${values.length} elements not written (still NaN) or not finite`).toBe(0);
}
