// The native library from TypeScript, on any machine: it loads, the ABI matches, and where there is
// no GPU every call that needs one throws a SparsedError instead of crashing the process.
import { describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ABI_VERSION } from "../codegen/build";
import { dense } from "../src/dense";
import { DeviceBuffer, deviceCount, gpuUnavailableReason } from "../src/device";
import { SparsedError } from "../src/errors";
import { native } from "../src/native";
import { DeviceTensor } from "../src/tensor";
import { ensureLibrary } from "./support/library";

await ensureLibrary();
const noGpu = gpuUnavailableReason() !== undefined;
const ROOT = join(import.meta.dir, "..");

describe("native library", () => {
  test("loads once, with the manifest's kernels and the same ABI version", () => {
    const lib = native();
    expect(native()).toBe(lib);
    expect(lib.manifest.abiVersion).toBe(ABI_VERSION);
    expect(lib.manifest.variants.length).toBeGreaterThan(0);
  });

  test("a missing library is a NOT_BUILT error that says to run generate (in a fresh process)", () => {
    const empty = mkdtempSync(join(tmpdir(), "sparsed-nolib-"));
    const r = Bun.spawnSync([process.execPath, "-e", `import { native } from "./src/native"; try { native(); } catch (e) { console.log(e.code + ": " + e.message); }`], {
      cwd: ROOT,
      env: { ...process.env, SPARSED_LIB_DIR: empty },
    });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.toString()).toMatch(/^NOT_BUILT: .*run `bun run generate`/);
  });

  test.skipIf(!noGpu)("without a GPU: device count 0, allocation and kernel calls throw NO_DEVICE", () => {
    expect(deviceCount()).toBe(0);
    expect(() => DeviceBuffer.alloc(1024)).toThrow(SparsedError);
    try {
      DeviceBuffer.alloc(1024);
    } catch (e) {
      expect((e as SparsedError).code).toBe("NO_DEVICE");
      expect((e as Error).message).toMatch(/no usable CUDA GPU or driver/);
    }
    // Well-formed tensors over foreign pointers: everything validates, then the GPU is missing.
    const t = (shape: number[]) => DeviceTensor.fromPointer(0x7f0000000000n, shape, "bf16");
    const call = () => dense(t([1, 8, 2, 64]), t([1, 8, 2, 64]), t([1, 8, 2, 64]), { out: t([1, 8, 2, 64]), lse: null });
    expect(call).toThrow(SparsedError);
    try {
      call();
    } catch (e) {
      expect((e as SparsedError).code).toBe("NO_DEVICE");
    }
  });

  test.skipIf(noGpu)("with a GPU: a device-memory round trip", () => {
    const data = Uint16Array.from({ length: 4096 }, (_, i) => (i * 2654435761) & 0xffff);
    using buf = DeviceBuffer.fromHost(data);
    const back = new Uint16Array(data.length);
    buf.copyToHost(back);
    expect(back).toEqual(data);
  });
});
