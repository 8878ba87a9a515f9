// 16-bit element types on the host: encode/decode between float32 and the raw 16-bit patterns the
// kernels read, with round-to-nearest-even (the rounding the kernels' conversions use).

export type Dtype = "bf16" | "fp16";
export const DTYPE_CODE: Record<Dtype, number> = { bf16: 0, fp16: 1 }; // enum sparsed_dtype

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const f16 = new Float16Array(1);
const u16 = new Uint16Array(f16.buffer);

export function bf16Bits(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  if ((bits & 0x7f800000) === 0x7f800000 && bits & 0x7fffff) return (bits >>> 16) | 0x40; // keep NaN a NaN
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

export function bf16Value(bits: number): number {
  u32[0] = (bits & 0xffff) << 16;
  return f32[0]!;
}

export function fp16Bits(x: number): number {
  f16[0] = x;
  return u16[0]!;
}

export function fp16Value(bits: number): number {
  u16[0] = bits;
  return f16[0]!;
}

/** Round a number to the nearest representable value of the dtype. */
export function roundTo(dtype: Dtype, x: number): number {
  return dtype === "bf16" ? bf16Value(bf16Bits(x)) : Math.f16round(x);
}

export function encode(values: ArrayLike<number>, dtype: Dtype): Uint16Array {
  const out = new Uint16Array(values.length);
  const conv = dtype === "bf16" ? bf16Bits : fp16Bits;
  for (let i = 0; i < values.length; i++) out[i] = conv(values[i]!);
  return out;
}

export function decode(bits: Uint16Array, dtype: Dtype): Float64Array {
  const out = new Float64Array(bits.length);
  const conv = dtype === "bf16" ? bf16Value : fp16Value;
  for (let i = 0; i < bits.length; i++) out[i] = conv(bits[i]!);
  return out;
}
