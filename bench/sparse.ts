// `bun bench/sparse.ts`: block-sparse attention and selection against our dense kernel on the GPU
// (CUDA events, tinybench medians), as a table and JSON. Sparse TFLOP/s count only kept blocks
// (shared/DESIGN.md section 4). Two kinds of pattern, both timed on the same uniform inputs as the
// dense call: "random" keeps floor(nkb * select) + 1 random blocks per row, the size isolated
// selection gives the prompt part (bench/peers_sparse.py draws the same pattern); "workload" is what
// our selection picks on the demo's workload (bench/workload-pattern.ts), written to --pattern-dir for
// bench/peers_sparse.py --pattern. The schedule figure is per-phase medians times step counts on the
// random pattern (the demo runs a real loop).
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { tilesDivideBlock } from "../codegen/variants";
import { archPreference, blockLseShape, blockLseVariant, dense } from "../src/dense";
import { DevicePattern } from "../src/device-pattern";
import { deviceInfo, gpuUnavailableReason, synchronize } from "../src/device";
import { DTYPE_CODE } from "../src/dtype";
import { native } from "../src/native";
import { switchStep, validateSchedule } from "../src/schedule";
import { pickSelectVariant, selectBlocks } from "../src/select";
import { pickSparseVariant, sparse } from "../src/sparse";
import { cudaDriver } from "../src/demo";
import type { SparsePattern } from "../src/pattern";
import { DeviceTensor } from "../src/tensor";
import { attentionFlops, neighbourOverlap, parsePositiveInt, parseNumber, parseNumbers, parsePositiveInts, parseWarmupMs, randomPattern, randomTwin, timeGpu, tflops, WARMUP_MS, warmupMsHelp } from "./measure";
import { workloadPatterns, writePatternFiles } from "./workload-pattern";

const PATTERN_KINDS = ["random", "workload"] as const;

const HELP = `Usage: bun bench/sparse.ts [flags]
  --n LIST         sequence lengths (default 16384,65536)
  --d N            head dim (default 128)
  --heads N        Hq = Hkv (default 32)
  --block N        pattern block size (default 128)
  --select LIST    keep ratios (default 0.3,0.1)
  --patterns LIST  random (floor(nkb * select) + 1 random blocks a row), workload (what our selection
                   picks on the demo's workload at its switch step: counts vary by row, neighbouring
                   rows keep similar blocks; ~20 s of host work a pattern set at 64k) or both (default
                   random,workload); the schedule figure uses random
  --pattern-dir D  where the workload patterns go as SparsePattern JSON, for bench/peers_sparse.py
                   --pattern (default bench/results/tmp/patterns)
  --gen-length N   G for the selection (default min(1024, N/4): a long-context answer; N/4 stresses
                   the generation part, which costs the selection one more pass over its keys)
  --steps N        schedule length for the projected SparseD loop (default 1024)
  --skip X         schedule skip, in [0, 1) (default 0.2)
  --iterations N   timed samples (default 20)
  --warmup-ms MS   ${warmupMsHelp(19)}
  --layout L       memory order of q, k, v, out: bnhd ([B, N, H, D], the library's native order; default)
                   or bhnd ([B, H, N, D] contiguous, PyTorch's usual one, passed as strides); give
                   bench/peers_sparse.py the same --layout to compare like with like
  --out FILE       JSON (default bench/results/tmp/sparsed-sparse.json)
  -h, --help`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        n: { type: "string", default: "16384,65536" },
        d: { type: "string", default: "128" },
        heads: { type: "string", default: "32" },
        block: { type: "string", default: "128" },
        select: { type: "string", default: "0.3,0.1" },
        patterns: { type: "string", default: "random,workload" },
        "pattern-dir": { type: "string", default: "bench/results/tmp/patterns" },
        "gen-length": { type: "string" },
        steps: { type: "string", default: "1024" },
        skip: { type: "string", default: "0.2" },
        iterations: { type: "string", default: "20" },
        "warmup-ms": { type: "string", default: String(WARMUP_MS) },
        layout: { type: "string", default: "bnhd" },
        out: { type: "string", default: "bench/results/tmp/sparsed-sparse.json" },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (e) {
    console.error(`bench/sparse: ${(e as Error).message}\n${HELP}`);
    return 2;
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const layout = values.layout;
  if (layout !== "bnhd" && layout !== "bhnd") {
    console.error(`bench/sparse: --layout must be bnhd or bhnd, not "${layout}"\n${HELP}`);
    return 2;
  }
  const kinds = values.patterns.split(",").filter((x) => x !== "");
  const unknown = kinds.filter((x) => !(PATTERN_KINDS as readonly string[]).includes(x));
  if (kinds.length === 0 || unknown.length > 0) {
    console.error(`bench/sparse: --patterns takes a comma-separated list of ${PATTERN_KINDS.join(", ")}; not "${values.patterns}"\n${HELP}`);
    return 2;
  }
  const patternKinds = PATTERN_KINDS.filter((x) => kinds.includes(x));
  let warmupMs: number, D: number, H: number, b: number, iterations: number, steps: number, skip: number, ns: number[], selects: number[];
  let genOverride: number | undefined;
  try {
    warmupMs = parseWarmupMs(values["warmup-ms"]);
    [D, H, b, iterations, steps] = (["d", "heads", "block", "iterations", "steps"] as const).map((f) => parsePositiveInt(values[f], `--${f}`)) as [number, number, number, number, number];
    ns = parsePositiveInts(values.n, "--n");
    selects = parseNumbers(values.select, "--select");
    skip = parseNumber(values.skip, "--skip");
    genOverride = values["gen-length"] === undefined ? undefined : parseNumber(values["gen-length"], "--gen-length");
    // The schedule's own checks (steps, skip, block size, select, G), as the runtime makes them.
    for (const select of selects) validateSchedule({ steps, skip, select, blockSize: b, genLength: genOverride ?? 0 });
  } catch (e) {
    console.error(`bench/sparse: ${(e as Error).message}\n${HELP}`);
    return 2;
  }
  const reason = gpuUnavailableReason();
  if (reason) {
    console.error(`bench/sparse: needs a GPU: ${reason}`);
    return 1;
  }
  const info = deviceInfo();
  console.log(`bench/sparse: ${info.name}, layout ${layout}`);
  const rows: Record<string, unknown>[] = [];
  const genLength = (N: number) => genOverride ?? Math.min(1024, Math.floor(N / 4));
  const driver = patternKinds.includes("workload") ? await cudaDriver() : undefined;
  for (const N of ns) {
    // SparseD's own patterns first, on the workload's tensors, which are freed before the bench's.
    const chosen = new Map<number, SparsePattern>();
    if (driver) {
      const t0 = performance.now();
      console.log(`  N=${N} workload patterns: building the demo's workload (host work, ~${Math.max(1, Math.round((20 * N) / 65536))} s) and selecting ...`);
      const cfg = { n: N, heads: H, headDim: D, blockSize: b, genLength: genLength(N), selects };
      const r = workloadPatterns(driver, cfg);
      mkdirSync(values["pattern-dir"], { recursive: true });
      const files = writePatternFiles(values["pattern-dir"], cfg, r);
      for (const { select, pattern } of r.patterns) chosen.set(select, pattern);
      console.log(`  N=${N} workload patterns (switch step ${r.step}) in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${r.patterns.map(({ select, pattern }) => `select ${select} density ${pattern.density().toFixed(4)}, neighbouring rows share ${(100 * neighbourOverlap(pattern)).toFixed(0)}% (random places: ${(100 * neighbourOverlap(randomTwin(pattern, 11))).toFixed(0)}%)`).join("; ")}; ${files.join(", ")}`);
    }
    const shape = [1, N, H, D];
    // Each tensor is [1, N, H, D] to the API; with bhnd it views head-major memory through strides.
    const bases = [0, 1, 2, 3].map(() => DeviceTensor.empty(layout === "bnhd" ? shape : [1, H, N, D], "bf16"));
    const [q, k, v, out] = bases.map((t) => (layout === "bnhd" ? t : t.view(shape, [H * N * D, D, N * D, 1]))) as [DeviceTensor, DeviceTensor, DeviceTensor, DeviceTensor];
    bases.slice(0, 3).forEach((t, j) => native().call("sparsed_fill_uniform", t.ptr, BigInt(N * H * D), DTYPE_CODE.bf16, BigInt(j + 7), -1.5, 1.5, 0n));
    const lse = DeviceTensor.empty([1, H, N], "f32");
    const denseFlops = attentionFlops(1, H, N, N, D);
    let variant = "";
    const td = await timeGpu("dense", () => (variant = dense(q, k, v, { out, lse }).variant), { iterations, warmupMs });
    rows.push({ impl: "sparsed", op: "dense", variant, N, D, H, ms_median: td.msMedian, tflops: tflops(denseFlops, td.msMedian) });
    console.log(`  N=${N} dense ${variant}: ${td.msMedian.toFixed(3)} ms, ${tflops(denseFlops, td.msMedian).toFixed(1)} TFLOP/s`);
    // Every built variant this GPU runs is timed; the default pick (as the runtime would choose) feeds
    // the ratios and the schedule, the others are listed for comparison.
    const runnable = (op: string, fits: (e: { blockM: number; blockN: number }) => boolean) =>
      native().manifest.variants.filter((e) => e.op === op && e.headDim === D && e.dtype === "bf16" && archPreference().includes(e.arch) && fits(e));
    const shapeOf = { batch: 1, nq: N, nk: N, hq: H, hkv: H, headDim: D, dtype: "bf16" as const };
    const sparseDefault = pickSparseVariant(shapeOf, b).id, selectDefault = pickSelectVariant(shapeOf, b).id;
    const sparseIds = [sparseDefault, ...runnable("sparse_fwd", (e) => tilesDivideBlock(e, b)).map((e) => e.id).filter((id) => id !== sparseDefault)];
    const selectIds = [selectDefault, ...runnable("select", (e) => e.blockN === b).map((e) => e.id).filter((id) => id !== selectDefault)];
    // Block LSEs (where a dense variant writes them): the switch step's dense call writes them and the
    // selection reads them, as the runtime does; that selection's cost is the dense call's extra time
    // plus the selection pass.
    const blse = blockLseVariant(shapeOf, b) ? DeviceTensor.empty(blockLseShape(shapeOf, b), "f32") : null;
    let tz = { msMedian: Number.NaN };
    if (blse) {
      tz = await timeGpu("dense + block LSE", () => dense(q, k, v, { out, lse, blockLse: { out: blse, blockSize: b } }), { iterations, warmupMs });
      console.log(`  N=${N} dense writing block LSEs (b=${b}): ${tz.msMedian.toFixed(3)} ms = ${(tz.msMedian / td.msMedian).toFixed(3)}x the dense call`);
    }
    for (const select of selects) {
      let ts = { msMedian: Number.NaN };
      let pattern: DevicePattern | undefined;
      for (const kind of patternKinds) {
        const host = kind === "random" ? randomPattern(1, H, N, b, select, 11) : chosen.get(select)!;
        pattern?.free();
        pattern = DevicePattern.fromHost(host);
        const kept = 4 * D * host.keptPairs();
        for (const id of sparseIds) {
          const m = await timeGpu("sparse", () => sparse(q, k, v, pattern!, { out, lse, variant: id }), { iterations, warmupMs });
          const t = tflops(kept, m.msMedian);
          const row = { impl: "sparsed", op: "sparse", variant: id, default: id === sparseDefault, pattern: kind, N, D, H, block: b, select, density: host.density(), ms_median: m.msMedian, tflops_kept: t, vs_dense_tflops: t / tflops(denseFlops, td.msMedian), speedup_vs_dense: td.msMedian / m.msMedian };
          rows.push(row);
          // The schedule figure takes the random pattern's time where it is measured.
          if (id === sparseDefault && (kind === "random" || Number.isNaN(ts.msMedian))) ts = m;
          console.log(`  N=${N} sparse select=${select} ${kind} (density ${host.density().toFixed(3)}) ${id}: ${m.msMedian.toFixed(3)} ms, ${t.toFixed(1)} TFLOP/s on kept blocks = ${(100 * row.vs_dense_tflops).toFixed(0)}% of dense, ${row.speedup_vs_dense.toFixed(2)}x faster`);
        }
      }
      // Selection at the switch step, from the dense pass's LSE, into a preallocated pattern.
      const G = genLength(N);
      let tsel = { msMedian: Number.NaN };
      for (const id of selectIds) {
        const m = await timeGpu("select", () => selectBlocks(q, k, { blockSize: b, select, genLength: G, lse, out: pattern!, variant: id }), { iterations, warmupMs });
        rows.push({ impl: "sparsed", op: "select", variant: id, default: id === selectDefault && !blse, N, D, H, block: b, select, ms_median: m.msMedian, vs_dense: m.msMedian / td.msMedian });
        if (id === selectDefault) tsel = m;
        console.log(`  N=${N} select=${select} selection ${id}: ${m.msMedian.toFixed(3)} ms = ${(m.msMedian / td.msMedian).toFixed(2)}x dense`);
      }
      if (blse) {
        const m = await timeGpu("select from block LSE", () => selectBlocks(q, k, { blockSize: b, select, genLength: G, lse, blockLse: blse, out: pattern! }), { iterations, warmupMs });
        tsel = { msMedian: tz.msMedian - td.msMedian + m.msMedian };
        rows.push({ impl: "sparsed", op: "select", variant: "block-lse", default: true, N, D, H, block: b, select, ms_median: tsel.msMedian, vs_dense: tsel.msMedian / td.msMedian, dense_block_lse_ms: tz.msMedian, selection_pass_ms: m.msMedian });
        console.log(`  N=${N} select=${select} selection from block LSEs: pass ${m.msMedian.toFixed(3)} ms; with the dense call's extra ${(tz.msMedian - td.msMedian).toFixed(3)} ms = ${(tsel.msMedian / td.msMedian).toFixed(3)}x dense`);
      }
      const sw = switchStep(steps, skip);
      const denseSteps = Math.min(steps, sw + 1); // t <= switchStep run dense (the switch step too, before selecting)
      const sparseSteps = steps - denseSteps;
      const loopMs = denseSteps * td.msMedian + (sparseSteps > 0 ? tsel.msMedian + sparseSteps * ts.msMedian : 0);
      const sched = { impl: "sparsed", op: "schedule", N, D, H, block: b, select, steps, skip, select_path: blse ? "block-lse" : selectDefault, select_ms: tsel.msMedian, select_vs_dense: tsel.msMedian / td.msMedian, dense_steps: denseSteps, sparse_steps: sparseSteps, sparsed_ms: loopMs, all_dense_ms: steps * td.msMedian, speedup: (steps * td.msMedian) / loopMs };
      rows.push(sched);
      console.log(`  N=${N} select=${select}: selection ${tsel.msMedian.toFixed(3)} ms = ${sched.select_vs_dense.toFixed(2)}x dense; ${steps}-step loop ${(loopMs / 1000).toFixed(2)} s vs all-dense ${((steps * td.msMedian) / 1000).toFixed(2)} s = ${sched.speedup.toFixed(2)}x`);
      pattern!.free();
    }
    synchronize();
    [...bases, lse].forEach((t) => t.free());
    blse?.free();
  }
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(values.out, JSON.stringify({ gpu: info.name, date: new Date().toISOString(), layout, iterations, warmup_ms: warmupMs, rows }, null, 2) + "\n");
  console.log(`bench/sparse: wrote ${values.out}`);
  return 0;
}

process.exit(await main());
