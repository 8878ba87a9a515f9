// `bun run bench --sweep`: the configuration space measured. Every built variant this GPU runs first
// passes the correctness gate (src/variant-check.ts: a small odd-sized problem against the CPU
// reference; a failing variant is reported and never timed), then is timed over a grid of shapes with
// CUDA events (tinybench: median and spread). Writes one JSON (GPU name, driver, nvcc, the grid, the
// gate's results, the rows; peers' rows merged in with --peers) and the same rows as CSV, and with
// --tuning-out the tuning table (src/tuning.ts) that dispatch then uses on this GPU.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname } from "node:path";
import { parseArgs } from "node:util";
import type { ManifestEntry } from "../codegen/build";
import { tilesDivideBlock } from "../codegen/variants";
import { archPreference, dense } from "../src/dense";
import { DevicePattern } from "../src/device-pattern";
import { deviceInfo, gpuUnavailableReason, synchronize } from "../src/device";
import { DTYPE_CODE, type Dtype } from "../src/dtype";
import { native } from "../src/native";
import { selectBlocks } from "../src/select";
import { sparse } from "../src/sparse";
import { DeviceTensor } from "../src/tensor";
import { buildTable, tablePath, writeTable } from "../src/tuning";
import { checkVariant, type VariantCheck } from "../src/variant-check";
import { attentionFlops, parseWarmupMs, randomPattern, timeGpu, tflops, WARMUP_MS, warmupMsHelp } from "./measure";

export const SWEEP_HELP = `Usage: bun run bench --sweep [flags]
Checks every built variant this GPU runs against the CPU reference, then times the ones that pass over
a grid of shapes (CUDA events, tinybench median and median absolute deviation).
  --ops LIST         dense,sparse,select (default all three)
  --n LIST           sequence lengths, Nq = Nk (default 1024,4096,16384,65536)
  --d LIST           head dims (default 64,128)
  --select LIST      sparse keep ratios (default 0.1,0.3,0.5); the selection is timed at 0.3
  --block LIST       pattern block sizes for sparse and select (default 32,64,128)
  --dtype DTYPE      bf16 or fp16 (default bf16)
  --heads N          Hq = Hkv (default 32)
  --iterations N     timed samples per point (default 10)
  --warmup N         warm-up launches per point (default 3)
  --warmup-ms MS     ${warmupMsHelp(21, "0 with --quick")}
  --quick            a short grid: N 1024,4096, select 0.3, blocks 64,128, 3 samples, no warm-up time
  --ceiling FILE     a bench/peers.py JSON run with --ceilings: rows get ceiling_fraction of its matmul
  --peers LIST       bench/peers.py / peers_sparse.py JSON files whose rows join the output
  --tuning-out PATH  write the tuning table (a folder gets <gpu>.json, e.g. tuning/)
  --out FILE         JSON (default bench/results/tmp/sweep.json); the CSV goes next to it
  -h, --help`;

export interface SweepRow {
  impl: string;
  op: "dense" | "sparse" | "select";
  variant: string;
  arch: string;
  B: number;
  H: number;
  N: number;
  D: number;
  dtype: Dtype;
  block?: number;
  select?: number;
  density?: number;
  gen_length?: number;
  ms_median: number;
  ms_min: number;
  ms_max: number;
  ms_mad: number;
  tflops?: number;
  tflops_kept?: number;
  vs_dense?: number;
  ceiling_fraction?: number;
  correct: true;
}

const CSV_COLUMNS = ["impl", "op", "variant", "arch", "N", "D", "dtype", "block", "select", "density", "ms_median", "ms_mad", "tflops", "tflops_kept", "vs_dense", "ceiling_fraction"] as const;

export function toCsv(rows: object[]): string {
  const cell = (v: unknown) => (v === undefined || v === null ? "" : typeof v === "number" ? String(Number(v.toPrecision(6))) : `"${String(v).replace(/"/g, '""')}"`);
  return [CSV_COLUMNS.join(","), ...rows.map((r) => CSV_COLUMNS.map((c) => cell((r as Record<string, unknown>)[c])).join(","))].join("\n") + "\n";
}

function list<T>(s: string, flag: string, parse: (x: string) => T, ok: (x: T) => boolean): T[] {
  return s.split(",").map((x) => {
    const v = parse(x.trim());
    if (!ok(v)) throw new Error(`${flag}: "${x}" is not valid`);
    return v;
  });
}

export async function sweepMain(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        sweep: { type: "boolean", default: true },
        ops: { type: "string", default: "dense,sparse,select" },
        n: { type: "string" },
        d: { type: "string", default: "64,128" },
        select: { type: "string" },
        block: { type: "string" },
        dtype: { type: "string", default: "bf16" },
        heads: { type: "string", default: "32" },
        iterations: { type: "string" },
        warmup: { type: "string" },
        "warmup-ms": { type: "string" },
        quick: { type: "boolean", default: false },
        ceiling: { type: "string" },
        peers: { type: "string" },
        "tuning-out": { type: "string" },
        out: { type: "string", default: "bench/results/tmp/sweep.json" },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (e) {
    console.error(`sweep: ${(e as Error).message}\n${SWEEP_HELP}`);
    return 2;
  }
  if (values.help) {
    console.log(SWEEP_HELP);
    return 0;
  }
  const q = values.quick;
  let ops: string[], ns: number[], ds: number[], selects: number[], blocks: number[], H: number, iterations: number, warmup: number, warmupMs: number;
  const posInt = (x: number) => Number.isInteger(x) && x > 0;
  try {
    ops = list(values.ops, "--ops", String, (x) => ["dense", "sparse", "select"].includes(x));
    ns = list(values.n ?? (q ? "1024,4096" : "1024,4096,16384,65536"), "--n", Number, posInt);
    ds = list(values.d, "--d", Number, (x) => x === 64 || x === 128);
    selects = list(values.select ?? (q ? "0.3" : "0.1,0.3,0.5"), "--select", Number, (x) => x > 0 && x <= 1);
    blocks = list(values.block ?? (q ? "64,128" : "32,64,128"), "--block", Number, (x) => [32, 64, 128].includes(x));
    [H] = list(values.heads, "--heads", Number, posInt) as [number];
    [iterations] = list(values.iterations ?? (q ? "3" : "10"), "--iterations", Number, posInt) as [number];
    [warmup] = list(values.warmup ?? (q ? "1" : "3"), "--warmup", Number, (x) => Number.isInteger(x) && x >= 0) as [number];
    warmupMs = parseWarmupMs(values["warmup-ms"] ?? (q ? "0" : String(WARMUP_MS)));
    if (!(values.dtype in DTYPE_CODE)) throw new Error("--dtype must be bf16 or fp16");
  } catch (e) {
    console.error(`sweep: ${(e as Error).message}\n${SWEEP_HELP}`);
    return 2;
  }
  const dtype = values.dtype as Dtype;
  let ceiling: number | undefined;
  const peerRows: Record<string, unknown>[] = [];
  try {
    if (values.ceiling) ceiling = JSON.parse(readFileSync(values.ceiling, "utf8")).ceilings?.matmul_tflops;
    if (values.ceiling && !(ceiling! > 0)) throw new Error(`${values.ceiling} has no ceilings.matmul_tflops (run bench/peers.py --ceilings)`);
    for (const f of values.peers?.split(",") ?? []) for (const r of JSON.parse(readFileSync(f, "utf8")).rows ?? []) peerRows.push({ ...r, source: basename(f) });
  } catch (e) {
    console.error(`sweep: ${(e as Error).message}`);
    return 1;
  }
  const reason = gpuUnavailableReason();
  if (reason) {
    console.error(`sweep: needs a GPU: ${reason}`);
    return 1;
  }
  const info = deviceInfo();
  const lib = native();
  console.log(`sweep: ${info.name}, driver ${info.driverVersion}, library ${lib.manifest.hash}`);
  const OP_NAME = { dense: "dense_fwd", sparse: "sparse_fwd", select: "select" } as const;
  // The dense kernels also run (checked, timed, not reported) when only the selection is swept: they
  // write the LSE it reads and give its ratio's reference.
  const run = new Set<string>(ops.map((o) => OP_NAME[o as keyof typeof OP_NAME]));
  if (run.has("select")) run.add("dense_fwd");
  const candidates = lib.manifest.variants.filter((e) => run.has(e.op) && ds.includes(e.headDim) && e.dtype === dtype && archPreference().includes(e.arch));

  // The gate.
  const checks: VariantCheck[] = [];
  candidates.forEach((e, i) => {
    const c = checkVariant(e, 1000 + i);
    checks.push(c);
    console.log(`sweep: check [${i + 1}/${candidates.length}] ${e.id}: ${c.pass ? "PASS" : "FAIL"} (${c.detail})`);
  });
  const passed = candidates.filter((e) => checks.find((c) => c.id === e.id)!.pass);
  const failed = checks.filter((c) => !c.pass);
  if (failed.length) console.log(`sweep: ${failed.length} variant(s) failed the check and are not timed: ${failed.map((c) => c.id).join(", ")}`);

  const rows: SweepRow[] = [];
  const base = (e: ManifestEntry, N: number, D: number) => ({ impl: "sparsed", variant: e.id, arch: e.arch, B: 1, H, N, D, dtype, correct: true as const });
  const timing = (t: Awaited<ReturnType<typeof timeGpu>>) => ({ ms_median: t.msMedian, ms_min: t.msMin, ms_max: t.msMax, ms_mad: t.msMad });
  const total = ds.length * ns.length;
  let point = 0;
  for (const D of ds)
    for (const N of ns) {
      point++;
      const shape = [1, N, H, D];
      const [qt, kt, vt, out] = [0, 1, 2, 3].map(() => DeviceTensor.empty(shape, dtype)) as [DeviceTensor, DeviceTensor, DeviceTensor, DeviceTensor];
      [qt, kt, vt].forEach((t, j) => lib.call("sparsed_fill_uniform", t.ptr, BigInt(N * H * D), DTYPE_CODE[dtype], BigInt(j + 11), -1.5, 1.5, 0n));
      const lse = DeviceTensor.empty([1, H, N], "f32");
      const flops = attentionFlops(1, H, N, N, D);
      const mine = (op: string, fits: (e: ManifestEntry) => boolean = () => true) => passed.filter((e) => e.op === op && e.headDim === D && fits(e));
      const progress = (what: string, ms: number) => console.log(`sweep: [${point}/${total}] D=${D} N=${N} ${what}: ${ms.toFixed(3)} ms`);
      try {
        let bestDense = Infinity;
        // Dense: every variant (reported when swept); its best time is the selection's reference, its LSE the selection's input.
        for (const e of mine("dense_fwd")) {
          const t = await timeGpu(e.id, () => dense(qt, kt, vt, { out, lse, variant: e.id }), { iterations, warmup, warmupMs });
          bestDense = Math.min(bestDense, t.msMedian);
          if (!ops.includes("dense")) continue;
          const tf = tflops(flops, t.msMedian);
          rows.push({ ...base(e, N, D), op: "dense", ...timing(t), tflops: tf, ...(ceiling ? { ceiling_fraction: tf / ceiling } : {}) });
          progress(e.id, t.msMedian);
        }
        if (ops.includes("sparse"))
          for (const b of blocks)
            for (const select of selects) {
              const host = randomPattern(1, H, N, b, select, 11);
              const pattern = DevicePattern.fromHost(host);
              try {
                for (const e of mine("sparse_fwd", (x) => tilesDivideBlock(x, b))) {
                  const t = await timeGpu(e.id, () => sparse(qt, kt, vt, pattern, { out, lse: null, variant: e.id }), { iterations, warmup, warmupMs });
                  const tk = tflops(flops * host.density(), t.msMedian);
                  rows.push({ ...base(e, N, D), op: "sparse", block: b, select, density: host.density(), ...timing(t), tflops_kept: tk, ...(ceiling ? { ceiling_fraction: tk / ceiling } : {}) });
                  progress(`${e.id} block ${b} select ${select}`, t.msMedian);
                }
              } finally {
                pattern.free();
              }
            }
        if (ops.includes("select"))
          for (const b of blocks) {
            const G = Math.min(1024, Math.floor(N / 4));
            const pattern = DevicePattern.empty({ batch: 1, hq: H, nq: N, nk: N, blockSize: b });
            try {
              for (const e of mine("select", (x) => x.blockN === b)) {
                const t = await timeGpu(e.id, () => selectBlocks(qt, kt, { blockSize: b, select: 0.3, genLength: G, lse, out: pattern, variant: e.id }), { iterations, warmup, warmupMs });
                rows.push({ ...base(e, N, D), op: "select", block: b, select: 0.3, gen_length: G, ...timing(t), ...(bestDense < Infinity ? { vs_dense: t.msMedian / bestDense } : {}) });
                progress(`${e.id} (G=${G})`, t.msMedian);
              }
            } finally {
              pattern.free();
            }
          }
        synchronize();
      } finally {
        [qt, kt, vt, out, lse].forEach((t) => t.free());
      }
    }

  const result = {
    gpu: info.name,
    sm_count: info.smCount,
    driver: info.driverVersion,
    runtime: info.runtimeVersion,
    nvcc: lib.manifest.nvcc ?? "unknown",
    library: lib.manifest.hash,
    date: new Date().toISOString(),
    grid: { ops, n: ns, d: ds, select: selects, block: blocks, dtype, heads: H, iterations, warmup, warmup_ms: warmupMs },
    ...(ceiling ? { ceilings: { matmul_tflops: ceiling } } : {}),
    checks,
    rows: [...rows, ...peerRows],
  };
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(values.out, JSON.stringify(result, null, 2) + "\n");
  const csv = values.out.replace(/\.json$/, "") + ".csv";
  writeFileSync(csv, toCsv(result.rows));
  console.log(`sweep: wrote ${values.out} and ${csv} (${rows.length} timings, ${peerRows.length} peer rows)`);
  if (values["tuning-out"]) {
    const file = tablePath(values["tuning-out"], info.name);
    const table = buildTable(info.name, rows, { source: values.out, date: result.date });
    writeTable(file, table);
    console.log(`sweep: wrote the tuning table ${file} (${table.entries.length} entries)`);
  }
  // The short summary: the fastest variant at each point.
  const best = new Map<string, SweepRow>();
  for (const r of rows) {
    const k = `${r.op} D=${r.D} N=${r.N}${r.block ? ` b=${r.block}` : ""}${r.op === "sparse" ? ` select=${r.select}` : ""}`;
    if (!best.has(k) || best.get(k)!.ms_median > r.ms_median) best.set(k, r);
  }
  console.table([...best].map(([k, r]) => ({ point: k, fastest: r.variant, ms: Number(r.ms_median.toFixed(3)), "TFLOP/s": Number((r.tflops ?? r.tflops_kept ?? 0).toFixed(1)) || "", "x dense": r.vs_dense ? Number(r.vs_dense.toFixed(3)) : "" })));
  return failed.length ? 1 : 0;
}
