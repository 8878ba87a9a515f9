// Every bad input gives a clear SparsedError before any native call (none of these need a GPU:
// tensors are views over foreign pointers, which are never dereferenced).
import { describe, expect, test } from "bun:test";
import { dense } from "../src/dense";
import { DeviceBuffer } from "../src/device";
import { selectBlocks } from "../src/select";
import { DeviceTensor } from "../src/tensor";
import { ensureLibrary } from "./support/library";
import { expectInvalid } from "./support/errors";

await ensureLibrary();
const BASE = 0x7f0000000000n;
const t = (shape: number[], dtype: "bf16" | "fp16" | "f32" = "bf16", strides?: number[], ptr = BASE) => DeviceTensor.fromPointer(ptr, shape, dtype, strides);
const q = t([2, 100, 8, 128]);
const kv = t([2, 90, 2, 128]);


describe("dense() validation", () => {
  test("Hq must be a multiple of Hkv", () => {
    expectInvalid(() => dense(t([1, 8, 6, 64]), t([1, 8, 4, 64]), t([1, 8, 4, 64])), /Hq \(6\) must be a multiple of Hkv \(4\)/);
  });
  test("N = 0 and other empty dimensions", () => {
    expectInvalid(() => dense(t([1, 0, 2, 64]), t([1, 8, 2, 64]), t([1, 8, 2, 64])), /every dimension must be >= 1.*N = 0/);
    expectInvalid(() => dense(t([1, 8, 2, 64]), t([1, 0, 2, 64]), t([1, 0, 2, 64])), /every dimension must be >= 1/);
  });
  test("null and misaligned pointers", () => {
    expectInvalid(() => DeviceTensor.fromPointer(0n, [1, 8, 2, 64], "bf16"), /null device pointer/);
    expectInvalid(() => dense(t([1, 8, 2, 64], "bf16", undefined, BASE + 8n), t([1, 8, 2, 64]), t([1, 8, 2, 64])), /q: device pointer 0x7f0000000008 is not 16-byte aligned/);
  });
  test("mismatched shapes and dtypes", () => {
    expectInvalid(() => dense(q, t([1, 90, 2, 128]), t([1, 90, 2, 128])), /batch mismatch: q has 2, k\/v have 1/);
    expectInvalid(() => dense(q, t([2, 90, 2, 64]), t([2, 90, 2, 64])), /head dim mismatch/);
    expectInvalid(() => dense(q, kv, t([2, 91, 2, 128])), /v shape \[2, 91, 2, 128\] must equal k shape/);
    expectInvalid(() => dense(q, t([2, 90, 2, 128], "fp16"), t([2, 90, 2, 128], "fp16")), /share one dtype/);
    expectInvalid(() => dense(t([2, 100, 128]), kv, kv), /must be 4-d/);
    expectInvalid(() => dense(t([2, 100, 8, 128], "f32"), kv, kv), /must be bf16 or fp16/);
  });
  test("strides: last dimension contiguous, others multiples of 8 elements", () => {
    expectInvalid(() => dense(t([2, 100, 8, 128], "bf16", [102400, 1024, 128, 2]), kv, kv), /last dimension must be contiguous/);
    expectInvalid(() => dense(t([2, 100, 8, 128], "bf16", [102400, 1028, 128, 1]), kv, kv), /stride 1 is 1028 elements; strides must be multiples of 8/);
  });
  test("unsupported head dim names the supported ones", () => {
    expectInvalid(() => dense(t([1, 8, 2, 96]), t([1, 8, 2, 96]), t([1, 8, 2, 96])), /head dim 96 is not supported by the templates \(supported: 64, 128\)/);
  });
  test("out and lse shapes", () => {
    expectInvalid(() => dense(q, kv, kv, { out: t([2, 100, 8, 64]) }), /out must be \[2, 100, 8, 128\] bf16/);
    expectInvalid(() => dense(q, kv, kv, { out: t([2, 100, 8, 128]), lse: t([2, 100, 8], "f32") }), /lse must be a contiguous f32 tensor \[2, 8, 100\]/);
    expectInvalid(() => dense(q, kv, kv, { scale: -1 }), /scale must be a positive finite number/);
  });
  test("a requested variant must be built and match the inputs", () => {
    expectInvalid(() => dense(q, kv, kv, { variant: "dense_fwd_hd64_bm64_bn64_w4_s2_bf16_sm80" }), /is not built/, "NOT_BUILT");
  });
  test("views may not reach past their buffer; a freed buffer is not used", () => {
    const buf = DeviceBuffer.wrap(BASE, 1000);
    expect(buf.bytes).toBe(1000);
    expectInvalid(() => DeviceTensor.fromPointer(BASE, [1, 8, 2, 64], "bf16", undefined, 1000), /reaches past its buffer of 1000 bytes/);
    const owned = DeviceTensor.fromPointer(BASE, [1, 8, 2, 64], "bf16", undefined, 4096);
    owned.buffer.free();
    expectInvalid(() => dense(owned, owned, owned), /q was freed/, "FREED");
    expectInvalid(() => owned.buffer.ptr, /used after free/, "FREED");
  });
});

describe("selectBlocks() validation", () => {
  const sq = t([1, 300, 8, 128]);
  const sk = t([1, 300, 2, 128]);
  const base = { blockSize: 64, select: 0.3, genLength: 32 };
  test("block size, keep ratio, generation length, scales", () => {
    expectInvalid(() => selectBlocks(sq, sk, { ...base, blockSize: 48 }), /blockSize = 48.*32, 64, 128/);
    expectInvalid(() => selectBlocks(sq, sk, { ...base, select: 0 }), /select = 0/);
    expectInvalid(() => selectBlocks(sq, sk, { ...base, select: 1.5 }), /select = 1.5/);
    expectInvalid(() => selectBlocks(sq, sk, { ...base, genLength: -1 }), /genLength = -1/);
    expectInvalid(() => selectBlocks(sq, sk, { ...base, selectionScale: Number.NaN }), /selectionScale/);
    expectInvalid(() => selectBlocks(sq, sk, { ...base, attentionScale: -2 }), /attentionScale = -2/);
  });
  test("shapes and the LSE", () => {
    expectInvalid(() => selectBlocks(sq, t([1, 300, 3, 128]), base), /Hq \(8\) must be a multiple of Hkv \(3\)/);
    expectInvalid(() => selectBlocks(sq, t([1, 300, 2, 64]), base), /head dim mismatch/);
    expectInvalid(() => selectBlocks(sq, sk, { ...base, lse: t([1, 300, 8], "f32") }), /lse must be a contiguous f32 tensor \[1, 8, 300\]/);
  });
});

