// Device memory owned from TypeScript: DeviceBuffer (explicit free(), `using` via Symbol.dispose, a
// guard against use after free) and the device queries.
import { native } from "./native";
import { SparsedError, invalid } from "./errors";

export interface DeviceInfo {
  name: string;
  computeCapability: [number, number];
  smCount: number;
  l2Bytes: number;
  globalMemBytes: number;
  maxSmemPerBlock: number;
  driverVersion: number;
  runtimeVersion: number;
}

/** Number of visible CUDA devices; 0 where there is no GPU or driver (never throws for that). */
export function deviceCount(): number {
  const out = new Int32Array(1);
  try {
    native().call("sparsed_device_count", out);
  } catch (e) {
    if (e instanceof SparsedError && e.code === "NO_DEVICE") return 0;
    throw e;
  }
  return out[0]!;
}

/** Why no GPU can be used, or undefined when one can (library missing counts as a reason). */
export function gpuUnavailableReason(): string | undefined {
  try {
    return deviceCount() > 0 ? undefined : native().lastError() || "no CUDA device (cudaGetDeviceCount found none)";
  } catch (e) {
    return (e as Error).message;
  }
}

export function deviceInfo(): DeviceInfo {
  const buf = new ArrayBuffer(256 + 4 * 4 + 8 + 4 * 3 + 4); // sparsed_device_info, padded
  native().call("sparsed_device_get", new Uint8Array(buf));
  const view = new DataView(buf);
  const bytes = new Uint8Array(buf, 0, 256);
  const nameEnd = bytes.indexOf(0);
  let off = 256;
  const i32 = () => ((off += 4), view.getInt32(off - 4, true));
  const cc: [number, number] = [i32(), i32()];
  const smCount = i32();
  const l2Bytes = i32();
  const globalMemBytes = Number(view.getBigInt64(off, true));
  off += 8;
  return {
    name: new TextDecoder().decode(bytes.subarray(0, nameEnd < 0 ? 256 : nameEnd)),
    computeCapability: cc,
    smCount,
    l2Bytes,
    globalMemBytes,
    maxSmemPerBlock: i32(),
    driverVersion: i32(),
    runtimeVersion: i32(),
  };
}

let deviceInfoCache: DeviceInfo | undefined;
/** deviceInfo() of the first call; the process uses one device. */
export function cachedDeviceInfo(): DeviceInfo {
  return (deviceInfoCache ??= deviceInfo());
}

/** A region of device memory. Owned buffers are freed by free() or `using`; wrapped ones never are. */
export class DeviceBuffer {
  #ptr: bigint;
  #freed = false;

  private constructor(
    ptr: bigint,
    readonly bytes: number,
    readonly owned: boolean,
  ) {
    this.#ptr = ptr;
  }

  static alloc(bytes: number): DeviceBuffer {
    if (!Number.isSafeInteger(bytes) || bytes <= 0) throw invalid(`DeviceBuffer.alloc: bytes must be a positive integer (got ${bytes})`);
    const out = new BigUint64Array(1);
    native().call("sparsed_malloc", out, BigInt(bytes));
    return new DeviceBuffer(out[0]!, bytes, true);
  }

  static fromHost(data: NodeJS.TypedArray): DeviceBuffer {
    const buf = DeviceBuffer.alloc(data.byteLength);
    try {
      buf.copyFromHost(data);
    } catch (e) {
      buf.free();
      throw e;
    }
    return buf;
  }

  /** Memory allocated elsewhere (another framework). `bytes` enables bounds checks of views on it. */
  static wrap(ptr: bigint, bytes = Number.POSITIVE_INFINITY): DeviceBuffer {
    if (ptr === 0n) throw invalid("DeviceBuffer.wrap: null device pointer");
    return new DeviceBuffer(ptr, bytes, false);
  }

  get freed(): boolean {
    return this.#freed;
  }

  get ptr(): bigint {
    if (this.#freed) throw new SparsedError("FREED", "DeviceBuffer used after free()");
    return this.#ptr;
  }

  #range(byteOffset: number, length: number, what: string): void {
    if (!Number.isSafeInteger(byteOffset) || byteOffset < 0 || byteOffset + length > this.bytes)
      throw invalid(`${what}: ${length} bytes at offset ${byteOffset} do not fit in a buffer of ${this.bytes} bytes`);
  }

  copyFromHost(data: NodeJS.TypedArray, byteOffset = 0): void {
    this.#range(byteOffset, data.byteLength, "copyFromHost");
    if (data.byteLength === 0) return;
    native().call("sparsed_memcpy_htod", this.ptr + BigInt(byteOffset), data, BigInt(data.byteLength));
  }

  copyToHost(dst: NodeJS.TypedArray, byteOffset = 0): void {
    this.#range(byteOffset, dst.byteLength, "copyToHost");
    if (dst.byteLength === 0) return;
    native().call("sparsed_memcpy_dtoh", dst, this.ptr + BigInt(byteOffset), BigInt(dst.byteLength));
  }

  /** Set every byte (e.g. 0xff to poison an output: 0xffff is NaN in bf16 and fp16). */
  fill(byte: number, stream = 0n): void {
    native().call("sparsed_memset", this.ptr, byte, BigInt(this.bytes), stream);
  }

  free(): void {
    if (this.#freed) return;
    this.#freed = true;
    if (this.owned) native().call("sparsed_free", this.#ptr);
  }

  [Symbol.dispose](): void {
    this.free();
  }
}

export function synchronize(): void {
  native().call("sparsed_synchronize");
}
