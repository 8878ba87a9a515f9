// The CUDA backend of the SparseD runtime: device tensors, the library's dense, select and sparse
// kernels, a device fp32 LSE and a DevicePattern (src/backend.ts describes the interface).
import type { AttentionBackend, DenseOptions, SelectOptions, SparseOptions } from "./backend";
import { attentionShape, blockLseShape, blockLseVariant, dense } from "./dense";
import { synchronize } from "./device";
import { DevicePattern } from "./device-pattern";
import { SparsedError } from "./errors";
import type { HostShape } from "./reference";
import { BLOCK_SIZES } from "./schedule";
import { selectBlocks } from "./select";
import { sparse } from "./sparse";
import { DeviceTensor } from "./tensor";

export class CudaBackend implements AttentionBackend<DeviceTensor, DeviceTensor, DevicePattern> {
  readonly name = "cuda";

  shapeOf(q: DeviceTensor, k: DeviceTensor, v: DeviceTensor): HostShape {
    const { dtype: _, ...shape } = attentionShape(q, k, v);
    return shape;
  }

  dense(q: DeviceTensor, k: DeviceTensor, v: DeviceTensor, opts: DenseOptions<DeviceTensor>) {
    const shape = attentionShape(q, k, v);
    const bs = opts.blockLseSize;
    // Block LSEs where a dense variant writes them (sm90a, blockN 128 or 192) and the LSE is wanted: the
    // selection then reads O(Nq * Nk / b) floats instead of running Q K^T.
    const blockLse = opts.wantLse && bs !== undefined && BLOCK_SIZES.includes(bs) && blockLseVariant(shape, bs) ? tryAlloc(blockLseShape(shape, bs)) : undefined;
    if (blockLse) {
      try {
        const r = dense(q, k, v, { scale: opts.scale, out: opts.out, blockLse: { out: blockLse, blockSize: bs! } });
        return { out: r.out, lse: r.lse ?? undefined, blockLse };
      } catch (e) {
        blockLse.free();
        throw e;
      }
    }
    const r = dense(q, k, v, { scale: opts.scale, out: opts.out, lse: opts.wantLse ? undefined : null });
    return { out: r.out, lse: r.lse ?? undefined };
  }

  select(q: DeviceTensor, k: DeviceTensor, lse: DeviceTensor | undefined, opts: SelectOptions, blockLse?: DeviceTensor): DevicePattern {
    return selectBlocks(q, k, {
      blockLse,
      blockSize: opts.blockSize,
      select: opts.select,
      genLength: opts.genLength,
      selectionScale: opts.selectionScale,
      attentionScale: opts.attentionScale,
      lse: lse ?? null,
    });
  }

  sparse(q: DeviceTensor, k: DeviceTensor, v: DeviceTensor, pattern: DevicePattern, opts: SparseOptions<DeviceTensor>) {
    const r = sparse(q, k, v, pattern, { scale: opts.scale, out: opts.out, lse: opts.wantLse ? undefined : null });
    return { out: r.out, lse: r.lse ?? undefined };
  }

  release(x: DeviceTensor | DevicePattern): void {
    x.free();
  }

  synchronize(): void {
    synchronize();
  }
}

/** An f32 device tensor, or undefined where the device has no room for it (4 B a row and kv block: the
 *  caller then takes the path that needs none). */
function tryAlloc(shape: number[]): DeviceTensor | undefined {
  try {
    return DeviceTensor.empty(shape, "f32");
  } catch (e) {
    if (e instanceof SparsedError && e.code === "CUDA") return undefined;
    throw e;
  }
}

export function createCudaBackend(): CudaBackend {
  return new CudaBackend();
}
