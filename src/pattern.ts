// A block-sparse attention pattern on the host (shared/DESIGN.md section 1, "Pattern selection", step 3).
//
// Layout (public: the CUDA selection writes exactly these int32 arrays, and a device pattern copied
// to the host becomes one of these):
//   counts  Int32Array [B, Hq, nqb]        number of kv blocks kept by query block i of head h
//   indices Int32Array [B, Hq, nqb, nkb]   per row, counts[] ascending kv block indices, then -1s
// with nqb = ceil(Nq / blockSize), nkb = ceil(Nk / blockSize). The last block of either axis may be
// partial (a tail); it still counts as one block.
import { invalid } from "./errors";

export interface PatternShape {
  batch: number;
  hq: number;
  nq: number;
  nk: number;
  blockSize: number;
}

export interface PatternJSON {
  shape: PatternShape;
  counts: number[];
  indices: number[];
}

const describe = (s: PatternShape) => `B=${s.batch} Hq=${s.hq} Nq=${s.nq} Nk=${s.nk} blockSize=${s.blockSize}`;

/** Every size a positive integer (the block counts follow from them). */
export function checkPatternShape(s: PatternShape): void {
  for (const key of ["batch", "hq", "nq", "nk", "blockSize"] as const)
    if (!(Number.isInteger(s[key]) && s[key] > 0)) throw invalid(`SparsePattern: ${key} = ${s[key]} must be a positive integer`);
}

export class SparsePattern {
  readonly shape: Readonly<PatternShape>;
  readonly nqb: number;
  readonly nkb: number;

  /** Checks array lengths only; call validate() for the per-row rules (the constructor stays O(1)). */
  constructor(
    shape: PatternShape,
    readonly counts: Int32Array,
    readonly indices: Int32Array,
  ) {
    checkPatternShape(shape);
    this.shape = Object.freeze({ batch: shape.batch, hq: shape.hq, nq: shape.nq, nk: shape.nk, blockSize: shape.blockSize });
    this.nqb = Math.ceil(shape.nq / shape.blockSize);
    this.nkb = Math.ceil(shape.nk / shape.blockSize);
    const rows = shape.batch * shape.hq * this.nqb;
    if (counts.length !== rows) throw invalid(`SparsePattern: counts has ${counts.length} entries, expected B*Hq*nqb = ${rows} for ${describe(shape)}`);
    if (indices.length !== rows * this.nkb)
      throw invalid(`SparsePattern: indices has ${indices.length} entries, expected B*Hq*nqb*nkb = ${rows * this.nkb} for ${describe(shape)}`);
  }

  /** rows[b][h][i] lists the kept kv blocks of that row (any order); the result is validated. */
  static fromRows(shape: PatternShape, rows: number[][][][]): SparsePattern {
    checkPatternShape(shape);
    const nqb = Math.ceil(shape.nq / shape.blockSize);
    const nkb = Math.ceil(shape.nk / shape.blockSize);
    const counts = new Int32Array(shape.batch * shape.hq * nqb);
    const indices = new Int32Array(counts.length * nkb).fill(-1);
    for (let b = 0; b < shape.batch; b++)
      for (let h = 0; h < shape.hq; h++)
        for (let i = 0; i < nqb; i++) {
          const list = rows[b]?.[h]?.[i];
          if (!list) throw invalid(`SparsePattern.fromRows: row (b=${b}, h=${h}, i=${i}) is missing; give rows[B][Hq][nqb] lists`);
          if (list.length > nkb) throw invalid(`SparsePattern.fromRows: row (b=${b}, h=${h}, i=${i}) lists ${list.length} blocks, more than nkb = ${nkb}`);
          const r = (b * shape.hq + h) * nqb + i;
          counts[r] = list.length;
          indices.set([...list].sort((x, y) => x - y), r * nkb);
        }
    const p = new SparsePattern(shape, counts, indices);
    p.validate();
    return p;
  }

  /** Every kv block kept for every query block (the pattern of select = 1). */
  static full(shape: PatternShape): SparsePattern {
    checkPatternShape(shape);
    const nqb = Math.ceil(shape.nq / shape.blockSize);
    const nkb = Math.ceil(shape.nk / shape.blockSize);
    const all = Array.from({ length: nkb }, (_, j) => j);
    return SparsePattern.fromRows(shape, Array.from({ length: shape.batch }, () => Array.from({ length: shape.hq }, () => Array.from({ length: nqb }, () => all))));
  }

  private rowIndex(b: number, h: number, i: number): number {
    const { batch, hq } = this.shape;
    const inRange = (x: number, n: number) => Number.isInteger(x) && x >= 0 && x < n;
    if (!(inRange(b, batch) && inRange(h, hq) && inRange(i, this.nqb)))
      throw invalid(`SparsePattern: row (b=${b}, h=${h}, i=${i}) is outside [${batch}, ${hq}, ${this.nqb}]`);
    return (b * hq + h) * this.nqb + i;
  }

  /** The kept kv block indices of query block i of head h (a view, not a copy). */
  row(b: number, h: number, i: number): Int32Array {
    const r = this.rowIndex(b, h, i);
    return this.indices.subarray(r * this.nkb, r * this.nkb + this.counts[r]!);
  }

  /** Kept blocks over all blocks (a tail block counts as one block). */
  density(): number {
    let kept = 0;
    for (const c of this.counts) kept += c;
    return kept / (this.counts.length * this.nkb);
  }

  /** density() of each (b, h): Float64Array [B * Hq]. */
  densityPerHead(): Float64Array {
    const out = new Float64Array(this.shape.batch * this.shape.hq);
    for (let bh = 0; bh < out.length; bh++) {
      let kept = 0;
      for (let i = 0; i < this.nqb; i++) kept += this.counts[bh * this.nqb + i]!;
      out[bh] = kept / (this.nqb * this.nkb);
    }
    return out;
  }

  /** (query, key) pairs inside kept blocks, tails counted by their real size: the sparse FLOPs are 4 * D * keptPairs(). */
  keptPairs(): number {
    const { nq, nk, blockSize: bs } = this.shape;
    let pairs = 0;
    for (let r = 0; r < this.counts.length; r++) {
      const i = r % this.nqb;
      const rows = Math.min(bs, nq - i * bs);
      let cols = 0;
      for (let n = 0; n < this.counts[r]!; n++) cols += Math.min(bs, nk - this.indices[r * this.nkb + n]! * bs);
      pairs += rows * cols;
    }
    return pairs;
  }

  /** keptPairs() over all B * Hq * Nq * Nk pairs. */
  keptFraction(): number {
    const { batch, hq, nq, nk } = this.shape;
    return this.keptPairs() / (batch * hq * nq * nk);
  }

  /** Every count in 1..nkb; the listed indices ascending (so unique) and in [0, nkb); the rest -1. */
  validate(): void {
    const nkb = this.nkb;
    for (let r = 0; r < this.counts.length; r++) {
      const where = () => {
        const i = r % this.nqb;
        const bh = (r - i) / this.nqb;
        return `SparsePattern row (b=${Math.floor(bh / this.shape.hq)}, h=${bh % this.shape.hq}, i=${i})`;
      };
      const c = this.counts[r]!;
      if (c < 1 || c > nkb) throw invalid(`${where()}: count ${c} must be in 1..${nkb} (every query block keeps at least one kv block)`);
      for (let n = 0; n < nkb; n++) {
        const j = this.indices[r * nkb + n]!;
        if (n >= c) {
          if (j !== -1) throw invalid(`${where()}: entry ${n} past the count ${c} is ${j}; padding must be -1`);
        } else if (j < 0 || j >= nkb) {
          throw invalid(`${where()}: kv block ${j} at entry ${n} is outside [0, ${nkb})`);
        } else if (n > 0 && j <= this.indices[r * nkb + n - 1]!) {
          throw invalid(`${where()}: kv blocks must be strictly ascending (unique); entry ${n} is ${j} after ${this.indices[r * nkb + n - 1]}`);
        }
      }
    }
  }

  /** Throws unless the pattern was built for these sizes (and this block size, when given). */
  checkCompatible(shape: { batch: number; hq: number; nq: number; nk: number; blockSize?: number }): void {
    const s = this.shape;
    const bs = shape.blockSize ?? s.blockSize;
    if (shape.batch !== s.batch || shape.hq !== s.hq || shape.nq !== s.nq || shape.nk !== s.nk || bs !== s.blockSize)
      throw invalid(
        `SparsePattern was built for ${describe(s)} but is used with ${describe({ ...shape, blockSize: bs })}; ` +
          `select a new pattern for these shapes (a new generation starts at step 0)`,
      );
  }

  equals(other: SparsePattern): boolean {
    const a = this.shape;
    const b = other.shape;
    if (a.batch !== b.batch || a.hq !== b.hq || a.nq !== b.nq || a.nk !== b.nk || a.blockSize !== b.blockSize) return false;
    for (let r = 0; r < this.counts.length; r++) if (this.counts[r] !== other.counts[r]) return false;
    for (let n = 0; n < this.indices.length; n++) if (this.indices[n] !== other.indices[n]) return false;
    return true;
  }

  toJSON(): PatternJSON {
    return { shape: { ...this.shape }, counts: Array.from(this.counts), indices: Array.from(this.indices) };
  }

  /** Inverse of toJSON (accepts the parsed object or the JSON text); the result is validated. */
  static fromJSON(json: PatternJSON | string): SparsePattern {
    const o = (typeof json === "string" ? JSON.parse(json) : json) as Partial<PatternJSON> | null;
    if (!o || typeof o.shape !== "object" || !Array.isArray(o.counts) || !Array.isArray(o.indices))
      throw invalid("SparsePattern.fromJSON: expected { shape, counts: number[], indices: number[] } as written by toJSON()");
    const ints = (xs: unknown[], what: string) => {
      if (!xs.every((x) => Number.isInteger(x))) throw invalid(`SparsePattern.fromJSON: ${what} must hold integers only`);
      return Int32Array.from(xs as number[]);
    };
    const p = new SparsePattern(o.shape, ints(o.counts, "counts"), ints(o.indices, "indices"));
    p.validate();
    return p;
  }
}
