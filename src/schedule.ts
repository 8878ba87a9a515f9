// The SparseD denoising schedule (shared/DESIGN.md section 1, "Schedule"): dense steps first, one
// switch step that is dense and then selects the pattern, sparse steps after it.
import { invalid } from "./errors";

export interface ScheduleConfig {
  steps: number; // total denoising steps S
  skip: number; // fraction of steps run dense, in [0, 1)
  select: number; // selection ratio, in (0, 1]
  blockSize: number; // pattern block size b: 32, 64 or 128
  genLength: number; // G: tokens being generated, at the end of the sequence
  selectionScale?: number; // softmax scale of the selection; default the attention scale 1/sqrt(D)
}

export type Phase = "dense" | "select" | "sparse";

/** Block sizes the kernels are built for (the CPU selection itself accepts any positive size). */
export const BLOCK_SIZES: readonly number[] = [32, 64, 128];

/** The parameters selection needs, checked the same way by the schedule and by selectPattern. */
export function validateSelectionParams(p: { select: number; genLength: number; selectionScale?: number }): void {
  if (!(Number.isFinite(p.select) && p.select > 0 && p.select <= 1))
    throw invalid(`select = ${p.select}: the selection ratio must be in (0, 1], e.g. 0.3 keeps about 30% of the kv blocks per query block (1 keeps all)`);
  if (!(Number.isInteger(p.genLength) && p.genLength >= 0))
    throw invalid(`genLength = ${p.genLength}: the generation length must be a non-negative integer (the number of tokens generated at the end of the sequence)`);
  if (p.selectionScale !== undefined && !(Number.isFinite(p.selectionScale) && p.selectionScale > 0))
    throw invalid(`selectionScale = ${p.selectionScale}: must be a positive finite number, or left out for the attention scale 1/sqrt(D) (LLaDA parity: 1/sqrt(Hq))`);
}

export function validateSchedule(cfg: ScheduleConfig): void {
  if (!(Number.isInteger(cfg.steps) && cfg.steps > 0))
    throw invalid(`steps = ${cfg.steps}: the number of denoising steps must be a positive integer`);
  if (!(Number.isFinite(cfg.skip) && cfg.skip >= 0 && cfg.skip < 1))
    throw invalid(`skip = ${cfg.skip}: the dense fraction must be in [0, 1), e.g. 0.2 runs the first 20% of the steps dense (0 switches after step 0)`);
  if (!BLOCK_SIZES.includes(cfg.blockSize))
    throw invalid(`blockSize = ${cfg.blockSize}: the pattern block size must be one of ${BLOCK_SIZES.join(", ")}`);
  validateSelectionParams(cfg);
}

/**
 * floor(S * skip) + 1, evaluated in float64 like the published code's int(S * skip) + 1 (so e.g.
 * S = 100, skip = 0.29 gives 29, since 100 * 0.29 = 28.999999999999996).
 */
export function switchStep(steps: number, skip: number): number {
  return Math.floor(steps * skip) + 1;
}

/**
 * The phase of 0-based step t. A switch step at or past the last step makes the whole run dense
 * (every valid t is then below it), so that case needs no branch of its own.
 */
export function phaseOf(step: number, cfg: Pick<ScheduleConfig, "steps" | "skip">): Phase {
  if (!(Number.isInteger(step) && step >= 0 && step < cfg.steps))
    throw invalid(`step ${step} is out of range: steps run 0..${cfg.steps - 1} (raise \`steps\` or start a new generation at step 0)`);
  const sw = switchStep(cfg.steps, cfg.skip);
  if (step < sw) return "dense";
  return step === sw ? "select" : "sparse";
}
