// A SparsePattern on the device: the int32 counts and indices in SparsePattern's layout (src/pattern.ts),
// which the selection kernel writes and the sparse kernel reads, plus the shape it was built for.
import { SparsedError } from "./errors";
import { checkPatternShape, SparsePattern, type PatternShape } from "./pattern";
import { DeviceTensor } from "./tensor";

export class DevicePattern {
  readonly nqb: number;
  readonly nkb: number;

  private constructor(
    readonly shape: Readonly<PatternShape>,
    readonly counts: DeviceTensor, // i32 [B, Hq, nqb]
    readonly indices: DeviceTensor, // i32 [B, Hq, nqb, nkb]
  ) {
    this.nqb = Math.ceil(shape.nq / shape.blockSize);
    this.nkb = Math.ceil(shape.nk / shape.blockSize);
  }

  /** Uninitialized device storage for a pattern of this shape (what select() fills). */
  static empty(shape: PatternShape): DevicePattern {
    checkPatternShape(shape);
    const nqb = Math.ceil(shape.nq / shape.blockSize);
    const nkb = Math.ceil(shape.nk / shape.blockSize);
    const counts = DeviceTensor.empty([shape.batch, shape.hq, nqb], "i32");
    try {
      return new DevicePattern({ ...shape }, counts, DeviceTensor.empty([shape.batch, shape.hq, nqb, nkb], "i32"));
    } catch (e) {
      counts.free();
      throw e;
    }
  }

  /** Upload a host pattern (validated first, so the kernels only ever see well-formed lists). */
  static fromHost(p: SparsePattern): DevicePattern {
    p.validate();
    const d = DevicePattern.empty(p.shape);
    try {
      d.counts.buffer.copyFromHost(p.counts);
      d.indices.buffer.copyFromHost(p.indices);
    } catch (e) {
      d.free();
      throw e;
    }
    return d;
  }

  toHost(): SparsePattern {
    return new SparsePattern({ ...this.shape }, this.counts.toHostRaw() as Int32Array, this.indices.toHostRaw() as Int32Array);
  }

  /** The sparsed_pattern struct (include/sparsed.h), written at `at` of `view`. */
  writeStruct(view: DataView, at: number): void {
    if (this.counts.buffer.freed) throw new SparsedError("FREED", "pattern was freed");
    view.setBigUint64(at, this.counts.ptr, true);
    view.setBigUint64(at + 8, this.indices.ptr, true);
    view.setInt32(at + 16, this.shape.blockSize, true);
    view.setInt32(at + 20, this.nqb, true);
    view.setInt32(at + 24, this.nkb, true);
    view.setInt32(at + 28, 0, true);
  }

  free(): void {
    this.counts.free();
    this.indices.free();
  }

  [Symbol.dispose](): void {
    this.free();
  }
}

export const PATTERN_STRUCT_BYTES = 32; // sizeof(sparsed_pattern)
