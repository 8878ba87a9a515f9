// What the SparseD runtime needs from an attention implementation (shared/DESIGN.md section 2,
// "Backends"). T is the tensor type ([B, N, H, D] Q/K/V/O), L what dense() returns as the LSE
// ([B, Hq, Nq], natural log), P the pattern object select() builds and sparse() consumes. The CPU
// backend uses host arrays and a host SparsePattern; the CUDA backend device tensors, a device fp32
// LSE and a device pattern (int32 counts/indices in SparsePattern's layout).
import type { HostShape } from "./reference";

export interface DenseOptions<T> {
  scale: number;
  wantLse: boolean;
  out?: T; // write O here instead of allocating (must be [B, Nq, Hq, D])
  // The pattern block size of a select() that follows over the same Q, K at this scale: a backend may
  // also return the block LSEs for it (blockLse), from which select() needs no Q K^T pass.
  blockLseSize?: number;
}

export interface SelectOptions {
  blockSize: number;
  select: number;
  genLength: number;
  selectionScale: number;
  attentionScale: number; // the scale the LSE was computed with; the LSE serves only when both scales are equal
}

export interface SparseOptions<T> {
  scale: number;
  wantLse?: boolean; // also return the LSE over the kept keys (the demo's "attention mass kept" needs it)
  out?: T;
}

export interface AttentionBackend<T, L = unknown, P = unknown> {
  readonly name: string; // "cpu" | "cuda"
  /** Validates Q [B, Nq, Hq, D], K and V [B, Nk, Hkv, D] (and any backend limit) and returns the sizes. */
  shapeOf(q: T, k: T, v: T): HostShape;
  /** Dense attention; lse is set when wantLse is. */
  dense(q: T, k: T, v: T, opts: DenseOptions<T>): { out: T; lse?: L; blockLse?: L };
  /** Builds the block-sparse pattern from Q, K and (optionally) the LSE of the dense pass over them,
   *  and its block LSEs where it returned them. */
  select(q: T, k: T, lse: L | undefined, opts: SelectOptions, blockLse?: L): P;
  /** Block-sparse attention over a pattern that select() built for the same shapes; lse (over the
   *  kept keys only, [B, Hq, Nq]) is set when wantLse is. */
  sparse(q: T, k: T, v: T, pattern: P, opts: SparseOptions<T>): { out: T; lse?: L };
  /** Frees a backend object the runtime drops (an LSE or block LSEs after selection, a pattern at step 0). */
  release?(x: L | P): void;
  /** Waits for queued work, so that host timers around a call measure the work, not its launch. */
  synchronize?(): void;
}
