// DeviceTensor: a typed, strided view of a DeviceBuffer. Strides are in elements; the last dimension
// is always contiguous (the kernels read rows of head_dim with 16-byte loads).
import { DeviceBuffer } from "./device";
import { decode, encode, type Dtype } from "./dtype";
import { invalid } from "./errors";

export type TensorDtype = Dtype | "f32" | "i32";
export const ELEMENT_BYTES: Record<TensorDtype, number> = { bf16: 2, fp16: 2, f32: 4, i32: 4 };

export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function checkShape(shape: readonly number[], what: string): void {
  if (shape.length === 0 || shape.some((d) => !Number.isSafeInteger(d) || d < 0))
    throw invalid(`${what}: shape [${shape.join(", ")}] must be non-negative integers`);
}

export class DeviceTensor {
  private constructor(
    readonly buffer: DeviceBuffer,
    readonly shape: readonly number[],
    readonly strides: readonly number[],
    readonly offset: number,
    readonly dtype: TensorDtype,
    /** Whether free() releases the buffer: true for tensors that allocated it, false for views. */
    readonly owner: boolean,
  ) {}

  static empty(shape: readonly number[], dtype: TensorDtype): DeviceTensor {
    checkShape(shape, "DeviceTensor.empty");
    const buf = DeviceBuffer.alloc(Math.max(1, numel(shape)) * ELEMENT_BYTES[dtype]);
    return new DeviceTensor(buf, [...shape], contiguousStrides(shape), 0, dtype, true);
  }

  /** Upload numbers (rounded to the dtype) or raw 16-bit patterns / float32 values. */
  static fromHost(data: ArrayLike<number> | Uint16Array | Float32Array | Int32Array, shape: readonly number[], dtype: TensorDtype): DeviceTensor {
    checkShape(shape, "DeviceTensor.fromHost");
    if (data.length !== numel(shape)) throw invalid(`DeviceTensor.fromHost: ${data.length} values for shape [${shape.join(", ")}]`);
    const raw =
      dtype === "f32" ? Float32Array.from(data) : dtype === "i32" ? Int32Array.from(data) : data instanceof Uint16Array ? data : encode(data, dtype);
    const t = DeviceTensor.empty(shape, dtype);
    t.buffer.copyFromHost(raw);
    return t;
  }

  /** A tensor over memory allocated elsewhere; `bufferBytes`, when known, bounds-checks it. */
  static fromPointer(ptr: bigint, shape: readonly number[], dtype: TensorDtype, strides?: readonly number[], bufferBytes?: number): DeviceTensor {
    checkShape(shape, "DeviceTensor.fromPointer");
    const t = new DeviceTensor(DeviceBuffer.wrap(ptr, bufferBytes), [...shape], strides ? [...strides] : contiguousStrides(shape), 0, dtype, false);
    t.checkBounds();
    return t;
  }

  /** A strided view of the same memory (element offset and strides relative to the buffer start);
   *  it does not own the memory: free the tensor it came from. */
  view(shape: readonly number[], strides: readonly number[], offset = 0): DeviceTensor {
    checkShape(shape, "DeviceTensor.view");
    if (strides.length !== shape.length) throw invalid(`view: ${strides.length} strides for a ${shape.length}-d shape`);
    const t = new DeviceTensor(this.buffer, [...shape], [...strides], offset, this.dtype, false);
    t.checkBounds();
    return t;
  }

  /** Highest element index the view touches, plus one. */
  get extent(): number {
    if (this.shape.some((d) => d === 0)) return this.offset;
    return this.offset + this.shape.reduce((acc, d, i) => acc + (d - 1) * this.strides[i]!, 0) + 1;
  }

  private checkBounds(): void {
    if (!Number.isSafeInteger(this.offset) || this.offset < 0) throw invalid(`view offset ${this.offset} must be a non-negative integer`);
    if (this.strides.some((s) => !Number.isSafeInteger(s) || s < 0)) throw invalid(`strides [${this.strides.join(", ")}] must be non-negative integers`);
    if (this.extent * ELEMENT_BYTES[this.dtype] > this.buffer.bytes)
      throw invalid(`view [${this.shape.join(", ")}] with strides [${this.strides.join(", ")}] and offset ${this.offset} reaches past its buffer of ${this.buffer.bytes} bytes`);
  }

  get ptr(): bigint {
    return this.buffer.ptr + BigInt(this.offset * ELEMENT_BYTES[this.dtype]);
  }

  get isContiguous(): boolean {
    return contiguousStrides(this.shape).every((s, i) => this.shape[i] === 1 || s === this.strides[i]);
  }

  /** Copy to the host, gathered into a contiguous array in shape order (raw 16-bit patterns, float32 or int32). */
  toHostRaw(): Uint16Array | Float32Array | Int32Array {
    const n = numel(this.shape);
    const bytes = ELEMENT_BYTES[this.dtype];
    const make = (len: number) => (this.dtype === "f32" ? new Float32Array(len) : this.dtype === "i32" ? new Int32Array(len) : new Uint16Array(len));
    const span = Math.max(0, this.extent - this.offset);
    const all = make(span);
    this.buffer.copyToHost(all, this.offset * bytes);
    if (this.isContiguous) return all.subarray(0, n);
    const out = make(n);
    const idx = new Array<number>(this.shape.length).fill(0);
    for (let i = 0; i < n; i++) {
      let src = 0;
      for (let d = 0; d < idx.length; d++) src += idx[d]! * this.strides[d]!;
      out[i] = all[src]!;
      for (let d = idx.length - 1; d >= 0 && ++idx[d]! === this.shape[d]; d--) idx[d] = 0;
    }
    return out;
  }

  /** Copy to the host as float64 values in shape order. */
  toHost(): Float64Array {
    const raw = this.toHostRaw();
    return raw instanceof Uint16Array ? decode(raw, this.dtype as Dtype) : Float64Array.from(raw);
  }

  free(): void {
    if (this.owner) this.buffer.free();
  }

  [Symbol.dispose](): void {
    this.free();
  }
}
