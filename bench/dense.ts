// `bun run bench`: dense attention TFLOP/s of our kernels on the GPU, as a table and JSON
// (same row format as bench/peers.py, so bench/chart.ts and bench/compare.ts read both).
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { dense, pickDenseVariant } from "../src/dense";
import { deviceInfo, gpuUnavailableReason, synchronize } from "../src/device";
import { DTYPE_CODE, type Dtype } from "../src/dtype";
import { native } from "../src/native";
import { DeviceTensor } from "../src/tensor";
import { attentionFlops, parsePositiveInt, parsePositiveInts, parseWarmupMs, timeGpu, tflops, WARMUP_MS, warmupMsHelp } from "./measure";
import { sweepMain } from "./sweep";

const HELP = `Usage: bun run bench [flags]
Times our dense attention kernels (CUDA events, tinybench, median after warm-up) and writes JSON.
  --n LIST           sequence lengths, Nq = Nk (default 4096,16384,65536)
  --d LIST           head dims (default 64,128)
  --heads N          Hq = Hkv (default 32)
  --batch N          (default 1)
  --dtype DTYPE      bf16 or fp16 (default bf16)
  --iterations N     timed samples per shape (default 30)
  --warmup N         warm-up launches per shape (default 5)
  --warmup-ms MS     ${warmupMsHelp(21)}
  --all-variants     time every built variant for each head dim, not only the default
  --out FILE         JSON output (default bench/results/tmp/sparsed-dense.json)
  --sweep            the configuration sweep instead: every variant checked, then timed over a grid
                     (dense, sparse, select), JSON + CSV, optionally a tuning table; --sweep --help lists its flags
  -h, --help`;

async function main(): Promise<number> {
  if (process.argv.includes("--sweep")) return sweepMain(process.argv.slice(2));
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        n: { type: "string", default: "4096,16384,65536" },
        d: { type: "string", default: "64,128" },
        heads: { type: "string", default: "32" },
        batch: { type: "string", default: "1" },
        dtype: { type: "string", default: "bf16" },
        iterations: { type: "string", default: "30" },
        warmup: { type: "string", default: "5" },
        "warmup-ms": { type: "string", default: String(WARMUP_MS) },
        "all-variants": { type: "boolean", default: false },
        out: { type: "string", default: "bench/results/tmp/sparsed-dense.json" },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (e) {
    console.error(`bench: ${(e as Error).message}\n${HELP}`);
    return 2;
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const dtype = values.dtype as Dtype;
  if (!(dtype in DTYPE_CODE)) {
    console.error(`bench: --dtype must be bf16 or fp16`);
    return 2;
  }
  let warmupMs: number, H: number, B: number, iterations: number, warmup: number, ds: number[], ns: number[];
  try {
    warmupMs = parseWarmupMs(values["warmup-ms"]);
    [H, B, iterations, warmup] = (["heads", "batch", "iterations", "warmup"] as const).map((f) => parsePositiveInt(values[f], `--${f}`)) as [number, number, number, number];
    ds = parsePositiveInts(values.d, "--d");
    ns = parsePositiveInts(values.n, "--n");
  } catch (e) {
    console.error(`bench: ${(e as Error).message}\n${HELP}`);
    return 2;
  }
  const reason = gpuUnavailableReason();
  if (reason) {
    console.error(`bench: needs a GPU: ${reason}`);
    return 1;
  }
  const info = deviceInfo();
  console.log(`bench: ${info.name} (${info.smCount} SMs), ${native().libraryPath}`);
  const rows: Record<string, unknown>[] = [];
  for (const D of ds)
    for (const N of ns) {
      const shape = [B, N, H, D];
      // Two input sets when one fits in L2 three times over, so consecutive launches miss the cache.
      const setBytes = 4 * N * H * D * 2 * B;
      const sets = setBytes < 3 * info.l2Bytes ? 2 : 1;
      const inputs = Array.from({ length: sets }, (_, i) => {
        const [q, k, v] = [0, 1, 2].map(() => DeviceTensor.empty(shape, dtype));
        [q, k, v].forEach((t, j) => native().call("sparsed_fill_uniform", t!.ptr, BigInt(B * N * H * D), DTYPE_CODE[dtype], BigInt(1000 * i + j + 1), -1.5, 1.5, 0n));
        return { q: q!, k: k!, v: v!, out: DeviceTensor.empty(shape, dtype), lse: DeviceTensor.empty([B, H, N], "f32") };
      });
      const s = { batch: B, nq: N, nk: N, hq: H, hkv: H, headDim: D, dtype };
      const variants = values["all-variants"]
        ? native().manifest.variants.filter((e) => e.op === "dense_fwd" && e.headDim === D && e.dtype === dtype).map((e) => e.id)
        : [pickDenseVariant(s).id];
      for (const variant of variants) {
        let turn = 0;
        const t = await timeGpu(variant, () => {
          const x = inputs[turn++ % sets]!;
          dense(x.q, x.k, x.v, { out: x.out, lse: x.lse, variant });
        }, { iterations, warmup, warmupMs });
        const row = { impl: `sparsed-${variant.slice(variant.lastIndexOf("_") + 1)}`, variant, B, H, N, D, dtype, ms_median: t.msMedian, ms_min: t.msMin, ms_max: t.msMax, tflops: tflops(attentionFlops(B, H, N, N, D), t.msMedian), samples: t.samples };
        rows.push(row);
        console.log(`  D=${D} N=${N} ${variant}: ${t.msMedian.toFixed(3)} ms, ${row.tflops.toFixed(1)} TFLOP/s`);
      }
      synchronize();
      for (const x of inputs) [x.q, x.k, x.v, x.out, x.lse].forEach((t) => t.free());
    }
  const result = { gpu: info.name, sm_count: info.smCount, driver: info.driverVersion, runtime: info.runtimeVersion, date: new Date().toISOString(), iterations, warmup, warmup_ms: warmupMs, rows };
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(values.out, JSON.stringify(result, null, 2) + "\n");
  console.table(rows.map((r) => ({ variant: r.variant, D: r.D, N: r.N, "ms (median)": Number((r.ms_median as number).toFixed(3)), "TFLOP/s": Number((r.tflops as number).toFixed(1)) })));
  console.log(`bench: wrote ${values.out}`);
  return 0;
}

process.exit(await main());
