// The SparseD schedule per layer and step (shared/DESIGN.md section 1, "Schedule"), over any backend:
// dense before the switch step, dense with LSE plus selection at it, sparse with that layer's stored
// pattern after it. Step 0 starts a new generation and discards every stored pattern.
import type { AttentionBackend } from "./backend";
import { invalid } from "./errors";
import type { HostShape } from "./reference";
import { phaseOf, switchStep, validateSchedule, type Phase, type ScheduleConfig } from "./schedule";

export interface RuntimeOptions {
  /** Call backend.synchronize() before reading each timer, so stats() measure GPU work (default false). */
  synchronize?: boolean;
}

export interface PhaseStats {
  calls: number;
  ms: number; // host wall time of the whole phase call (for "select": dense pass + selection)
}

export interface RuntimeStats {
  dense: PhaseStats;
  select: PhaseStats & { selectionMs: number }; // selectionMs: the backend.select part alone
  sparse: PhaseStats;
}

interface LayerState<P> {
  lastStep: number;
  shape: HostShape; // recorded at step 0; later steps must match it
  pattern?: P;
}

const fmt = (s: HostShape) => `B=${s.batch} Nq=${s.nq} Nk=${s.nk} Hq=${s.hq} Hkv=${s.hkv} D=${s.headDim}`;
const sameShape = (a: HostShape, b: HostShape) =>
  a.batch === b.batch && a.nq === b.nq && a.nk === b.nk && a.hq === b.hq && a.hkv === b.hkv && a.headDim === b.headDim;
const emptyStats = (): RuntimeStats => ({ dense: { calls: 0, ms: 0 }, select: { calls: 0, ms: 0, selectionMs: 0 }, sparse: { calls: 0, ms: 0 } });

export class SparseDRuntime<T, L = unknown, P = unknown> {
  readonly config: Readonly<ScheduleConfig>;
  readonly switchStep: number;
  private readonly layers = new Map<number, LayerState<P>>();
  private counters = emptyStats();

  constructor(
    config: ScheduleConfig,
    readonly backend: AttentionBackend<T, L, P>,
    private readonly options: RuntimeOptions = {},
  ) {
    validateSchedule(config);
    this.config = Object.freeze({ ...config });
    this.switchStep = switchStep(config.steps, config.skip);
  }

  phaseOf(step: number): Phase {
    return phaseOf(step, this.config);
  }

  /** Attention of one layer at one denoising step; `out`, when given, receives O. */
  attention(layer: number, step: number, q: T, k: T, v: T, out?: T): { out: T; phase: Phase } {
    if (!(Number.isInteger(layer) && layer >= 0)) throw invalid(`layer = ${layer}: layers are numbered by non-negative integers`);
    const phase = this.phaseOf(step);
    const shape = this.backend.shapeOf(q, k, v);
    const state = this.layers.get(layer);
    if (step !== 0) {
      if (!state) throw invalid(`layer ${layer} starts at step ${step}: every layer must run step 0 first (step 0 starts a generation)`);
      if (step !== state.lastStep + 1)
        throw invalid(`layer ${layer}: step ${step} after step ${state.lastStep}; run step ${state.lastStep + 1} next, or step 0 to start a new generation`);
      if (!sameShape(shape, state.shape))
        throw invalid(`layer ${layer}: shapes changed mid-generation at step ${step} (step 0 had ${fmt(state.shape)}, now ${fmt(shape)}); start a new generation at step 0 for new shapes`);
      if (phase === "sparse" && state.pattern === undefined)
        throw invalid(
          `layer ${layer} has no pattern at sparse step ${step}: a layer ran step 0 (a new generation, which discards every pattern) after this layer's switch step ${this.switchStep}; run all layers through the same generation, restarting each at step 0`,
        );
    }

    const scale = 1 / Math.sqrt(shape.headDim);
    const t0 = this.now();
    let result: { out: T };
    let pattern: P | undefined;
    if (phase === "dense") {
      result = this.backend.dense(q, k, v, { scale, wantLse: false, out });
    } else if (phase === "select") {
      const { blockSize, select, genLength } = this.config;
      const selectionScale = this.config.selectionScale ?? scale;
      // At one scale the dense pass may also write block LSEs, and the selection then needs no Q K^T.
      const dense = this.backend.dense(q, k, v, { scale, wantLse: true, out, blockLseSize: selectionScale === scale ? blockSize : undefined });
      const t1 = this.now();
      try {
        pattern = this.backend.select(q, k, dense.lse, { blockSize, select, genLength, selectionScale, attentionScale: scale }, dense.blockLse);
      } finally {
        if (dense.lse !== undefined) this.backend.release?.(dense.lse);
        if (dense.blockLse !== undefined) this.backend.release?.(dense.blockLse);
      }
      this.counters.select.selectionMs += this.now() - t1;
      result = dense;
    } else {
      result = this.backend.sparse(q, k, v, state!.pattern!, { scale, out });
    }
    const s = this.counters[phase];
    s.calls++;
    s.ms += this.now() - t0;

    // The call succeeded: only now move this layer's state forward.
    if (step === 0) {
      this.discardPatterns();
      this.layers.set(layer, { lastStep: 0, shape });
    } else {
      state!.lastStep = step;
      if (pattern !== undefined) {
        if (state!.pattern !== undefined) this.backend.release?.(state!.pattern);
        state!.pattern = pattern;
      }
    }
    return { out: result.out, phase };
  }

  /** The pattern a layer selected in the current generation, if any. */
  patternOf(layer: number): P | undefined {
    return this.layers.get(layer)?.pattern;
  }

  /** Forgets every layer (releasing their patterns), as if no step had run. */
  reset(): void {
    this.discardPatterns();
    this.layers.clear();
  }

  stats(): RuntimeStats {
    return structuredClone(this.counters);
  }

  resetStats(): void {
    this.counters = emptyStats();
  }

  private discardPatterns(): void {
    for (const state of this.layers.values())
      if (state.pattern !== undefined) {
        this.backend.release?.(state.pattern);
        delete state.pattern;
      }
  }

  private now(): number {
    if (this.options.synchronize) this.backend.synchronize?.();
    return performance.now();
  }
}
