// Tuning tables (src/tuning.ts), the sweep's CSV and CLI, the selection comparison rule
// (src/variant-check.ts) and the dense variant picked to write block LSEs (src/dense.ts): CPU only.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseVariantId } from "../codegen/variants";
import { SparsePattern } from "../src/pattern";
import { activeTables, buildTable, lookupTuned, parseSource, readTable, readTables, replaceOps, tableFileName, TUNING_DIR, tunedVariant, TuningError, validateTable, type SweepTiming, type TuningTable } from "../src/tuning";
import { allowedFlips, compareSelection } from "../src/variant-check";
import { toCsv } from "../bench/sweep";
import { bestBlockLseVariant } from "../src/dense";

const H200: TuningTable = {
  gpu: "NVIDIA H200",
  entries: [
    { op: "dense_fwd", headDim: 128, dtype: "bf16", nMin: 1, nMax: 8192, variant: "dense_fwd_a" },
    { op: "dense_fwd", headDim: 128, dtype: "bf16", nMin: 8193, nMax: 2 ** 31 - 1, variant: "dense_fwd_b" },
    { op: "select", headDim: 128, dtype: "bf16", block: 128, nMin: 1, nMax: 2 ** 31 - 1, variant: "select_c" },
    { op: "select", headDim: 128, dtype: "bf16", block: 64, nMin: 1, nMax: 2 ** 31 - 1, variant: "select_d" },
  ],
};

describe("tuning table lookup", () => {
  test("the GPU's entry by op, head dim, dtype, block and N range (bounds inclusive)", () => {
    const key = { op: "dense_fwd" as const, headDim: 128, dtype: "bf16" };
    expect(lookupTuned([H200], "NVIDIA H200", { ...key, n: 8192 })?.variant).toBe("dense_fwd_a");
    expect(lookupTuned([H200], "NVIDIA H200", { ...key, n: 8193 })?.variant).toBe("dense_fwd_b");
    expect(lookupTuned([H200], "NVIDIA H200", { ...key, headDim: 64, n: 100 })).toBeUndefined();
    expect(lookupTuned([H200], "NVIDIA H200", { ...key, dtype: "fp16", n: 100 })).toBeUndefined();
    expect(lookupTuned([H200], "NVIDIA H200", { op: "select", headDim: 128, dtype: "bf16", n: 100, block: 64 })?.variant).toBe("select_d");
    expect(lookupTuned([H200], "NVIDIA H200", { op: "select", headDim: 128, dtype: "bf16", n: 100, block: 32 })).toBeUndefined();
  });

  test("an unknown GPU has no entry, so dispatch falls back to its defaults", () => {
    expect(lookupTuned([H200], "NVIDIA H100 80GB HBM3", { op: "dense_fwd", headDim: 128, dtype: "bf16", n: 100 })).toBeUndefined();
    const built = [{ id: "dense_fwd_a" }, { id: "dense_fwd_b" }];
    expect(tunedVariant(built, "NVIDIA A100", { op: "dense_fwd", headDim: 128, dtype: "bf16", n: 100 }, () => true, [H200])).toBeUndefined();
  });

  test("a tuned variant is used only when it is built and usable", () => {
    const key = { op: "dense_fwd" as const, headDim: 128, dtype: "bf16", n: 100 };
    expect(tunedVariant([{ id: "dense_fwd_a" }], "NVIDIA H200", key, () => true, [H200])?.id).toBe("dense_fwd_a");
    expect(tunedVariant([{ id: "dense_fwd_b" }], "NVIDIA H200", key, () => true, [H200])).toBeUndefined(); // a not built
    expect(tunedVariant([{ id: "dense_fwd_a" }], "NVIDIA H200", key, () => false, [H200])).toBeUndefined(); // not for this GPU
  });

  test("SPARSED_TUNING=off ignores the tables; a folder replaces tuning/", () => {
    const saved = process.env.SPARSED_TUNING;
    try {
      process.env.SPARSED_TUNING = "off";
      expect(activeTables()).toEqual([]);
      const dir = mkdtempSync(join(tmpdir(), "sparsed-tuning-"));
      writeFileSync(join(dir, "x.json"), JSON.stringify(H200));
      process.env.SPARSED_TUNING = dir;
      expect(activeTables().map((t) => t.gpu)).toEqual(["NVIDIA H200"]);
    } finally {
      if (saved === undefined) delete process.env.SPARSED_TUNING;
      else process.env.SPARSED_TUNING = saved;
    }
  });

  test("bad tables are errors that name the file and the field", () => {
    const bad = (t: unknown, msg: RegExp) => expect(() => validateTable(t, "t.json")).toThrow(msg);
    bad([], /t\.json: "gpu" must be/);
    bad({ gpu: "X" }, /"entries" must be an array/);
    bad({ gpu: "X", entries: [{ ...H200.entries[0], op: "conv" }] }, /entries\[0\]\.op "conv" is not one of/);
    bad({ gpu: "X", entries: [{ ...H200.entries[0], nMin: 10, nMax: 5 }] }, /nMin 10 > nMax 5/);
    bad({ gpu: "X", entries: [{ ...H200.entries[0], nMin: 0 }] }, /nMin must be a positive integer/);
    bad({ gpu: "X", entries: [{ op: "select", headDim: 128, dtype: "bf16", nMin: 1, nMax: 2, variant: "select_x" }] }, /block .* is required for select/);
    bad({ gpu: "X", entries: [{ ...H200.entries[0], variant: "select_x" }] }, /variant must be a dense_fwd variant id/);
    const dir = mkdtempSync(join(tmpdir(), "sparsed-tuning-"));
    writeFileSync(join(dir, "broken.json"), "{ nope");
    expect(() => readTables(dir)).toThrow(TuningError);
    expect(() => readTables(dir)).toThrow(/broken\.json/);
  });

  test("the committed tables are valid and name real variant ids", () => {
    const tables = readTables(TUNING_DIR);
    for (const t of tables) {
      expect(tableFileName(t.gpu)).toMatch(/^[a-z0-9-]+\.json$/);
      for (const e of t.entries) expect(parseVariantId(e.variant).op).toBe(e.op);
    }
  });

  test("file names from GPU names", () => {
    expect(tableFileName("NVIDIA H200")).toBe("nvidia-h200.json");
    expect(tableFileName("NVIDIA H100 80GB HBM3")).toBe("nvidia-h100-80gb-hbm3.json");
  });
});

describe("building a table from a sweep", () => {
  const row = (op: SweepTiming["op"], variant: string, N: number, ms: number, extra: Partial<SweepTiming> = {}): SweepTiming => ({ op, variant, N, D: 128, dtype: "bf16", ms_median: ms, ...extra });

  test("the fastest correct variant per N, ranges split at geometric midpoints, equal neighbours merged", () => {
    const rows = [
      row("dense", "dense_fwd_a", 1024, 1.0),
      row("dense", "dense_fwd_b", 1024, 2.0),
      row("dense", "dense_fwd_a", 4096, 5.0),
      row("dense", "dense_fwd_b", 4096, 6.0),
      row("dense", "dense_fwd_a", 16384, 30),
      row("dense", "dense_fwd_b", 16384, 20),
      row("dense", "dense_fwd_c", 16384, 1, { correct: false }), // failed the gate: never chosen
    ];
    const t = buildTable("G", rows);
    expect(t.entries.map((e) => [e.variant, e.nMin, e.nMax])).toEqual([
      ["dense_fwd_a", 1, Math.floor(Math.sqrt(4096 * 16384))],
      ["dense_fwd_b", Math.floor(Math.sqrt(4096 * 16384)) + 1, 2 ** 31 - 1],
    ]);
    expect(lookupTuned([t], "G", { op: "dense_fwd", headDim: 128, dtype: "bf16", n: 16384 })?.variant).toBe("dense_fwd_b");
  });

  test("sparse: per pattern block, by the sum over the select ratios, among variants timed at all of them", () => {
    const rows = [
      row("sparse", "sparse_fwd_a", 4096, 1.0, { block: 64, select: 0.1 }),
      row("sparse", "sparse_fwd_a", 4096, 3.0, { block: 64, select: 0.5 }),
      row("sparse", "sparse_fwd_b", 4096, 1.5, { block: 64, select: 0.1 }),
      row("sparse", "sparse_fwd_b", 4096, 2.0, { block: 64, select: 0.5 }),
      row("sparse", "sparse_fwd_c", 4096, 0.1, { block: 64, select: 0.1 }), // one ratio only: not comparable
      row("sparse", "sparse_fwd_a", 4096, 1.0, { block: 128, select: 0.1 }),
    ];
    const t = buildTable("G", rows);
    const get = (block: number) => lookupTuned([t], "G", { op: "sparse_fwd", headDim: 128, dtype: "bf16", n: 4096, block })?.variant;
    expect(get(64)).toBe("sparse_fwd_b");
    expect(get(128)).toBe("sparse_fwd_a");
    expect(get(32)).toBeUndefined();
    expect(() => validateTable(JSON.parse(JSON.stringify(t)))).not.toThrow();
  });
});

describe("tables from sweeps (bench/tuning.ts)", () => {
  const root = join(import.meta.dir, "..");
  const run = (...args: string[]) => Bun.spawnSync(["bun", "bench/tuning.ts", ...args], { cwd: root });
  const json = (file: string) => JSON.parse(readFileSync(file, "utf8"));

  test("replaceOps swaps one op's entries and keeps the rest; another GPU's sweep is refused", () => {
    const fresh: TuningTable = { gpu: "NVIDIA H200", source: "s2.json", entries: [{ op: "select", headDim: 64, dtype: "bf16", block: 32, nMin: 1, nMax: 9, variant: "select_e" }] };
    const merged = replaceOps({ ...H200, source: "s1.json", date: "d" }, fresh, ["select"]);
    expect(merged.entries.map((e) => e.variant)).toEqual(["dense_fwd_a", "dense_fwd_b", "select_e"]);
    expect(merged.source).toBe("s1.json; select entries: s2.json");
    expect(merged.date).toBe("d");
    // Again: the source names the latest select sweep once, not a growing list.
    expect(replaceOps(merged, { ...fresh, source: "s3.json" }, ["select"]).source).toBe("s1.json; select entries: s3.json");
    // A sweep of one of a part's ops takes that op from the part; the parts after it stay.
    const three = { ...merged, source: "s1.json; dense_fwd, sparse_fwd entries: s2.json; select entries: s3.json" };
    expect(replaceOps(three, { ...fresh, source: "s4.json" }, ["sparse_fwd"]).source).toBe("s1.json; dense_fwd entries: s2.json; select entries: s3.json; sparse_fwd entries: s4.json");
    expect(() => parseSource("s1.json; select from s2.json")).toThrow(/not "OPS entries: SWEEP"/);
    expect(() => replaceOps(H200, { ...fresh, gpu: "NVIDIA H100 80GB HBM3" }, ["select"])).toThrow(/the sweep is of "NVIDIA H100 80GB HBM3", the table of "NVIDIA H200"/);
  });

  // A committed table's source (parseSource): the base sweep's table with some ops' entries replaced
  // from later sweeps (bun run tuning --ops), each op from one of them.
  const sources = (table: TuningTable) => {
    const src = parseSource(table.source!);
    const named = src.later.flatMap((l) => l.ops);
    expect(new Set(named).size).toBe(named.length);
    return src;
  };
  // The table that a sweep alone builds (no --ops).
  const built = (sweep: string) => {
    const out = join(mkdtempSync(join(tmpdir(), "sparsed-tuning-")), "t.json");
    const r = run(sweep, "--out", out);
    expect(r.exitCode).toBe(0);
    return json(out) as TuningTable;
  };

  for (const file of ["nvidia-h100-80gb-hbm3.json", "nvidia-h200.json"])
    test(`the committed ${file} holds what its source sweeps build`, () => {
      const committed = readTable(join(TUNING_DIR, file));
      const { base, later } = sources(committed);
      expect(later.length).toBeGreaterThan(0);
      const of = (t: TuningTable, ops: string[]) => t.entries.filter((e) => ops.includes(e.op));
      for (const { ops, sweep } of later) expect(of(committed, ops)).toEqual(of(built(sweep), ops));
      // What no later sweep replaced comes from the base (the H200 table has no such entries left: its
      // base, a device path of session 5, was never committed under that name).
      const replaced = later.flatMap((l) => l.ops);
      const rest = [...new Set(committed.entries.map((e) => e.op))].filter((op) => !replaced.includes(op));
      if (rest.length) expect(of(committed, rest)).toEqual(of(built(base), rest));
    });

  test("--ops puts a sweep's entries back into a table without them", () => {
    const file = join(TUNING_DIR, "nvidia-h200.json");
    const committed = json(file) as TuningTable;
    const { ops, sweep } = sources(committed).later.find((l) => l.ops.includes("select"))!;
    const dir = mkdtempSync(join(tmpdir(), "sparsed-tuning-"));
    const out = join(dir, "h200.json");
    writeFileSync(out, JSON.stringify({ ...committed, entries: committed.entries.filter((e) => !ops.includes(e.op)) }));
    const r = run(sweep, "--ops", ops.join(","), "--out", out);
    expect(r.exitCode).toBe(0);
    const back = json(out) as TuningTable;
    // Every entry back, those ops' after the others (replaceOps appends them).
    const key = (e: object) => JSON.stringify(e);
    expect(back.entries.map(key).sort()).toEqual(committed.entries.map(key).sort());
    const k = committed.entries.filter((e) => ops.includes(e.op)).length;
    expect(k).toBeGreaterThan(0);
    expect(back.entries.slice(-k).every((e) => ops.includes(e.op))).toBe(true);
  });

  test("bad input fails with the reason", () => {
    const dir = mkdtempSync(join(tmpdir(), "sparsed-tuning-"));
    writeFileSync(join(dir, "notasweep.json"), JSON.stringify({ rows: 3 }));
    const sweep = "bench/results/2026-11-28-h200-s6-select/sweep-select.json";
    const cases: [string[], number, RegExp][] = [
      [[], 2, /give exactly one sweep JSON/],
      [[sweep, "--ops", "conv"], 2, /unknown op\(s\) conv/],
      [[join(dir, "missing.json")], 1, /cannot read the sweep/],
      [[join(dir, "notasweep.json")], 1, /is not a sweep's JSON/],
      [[sweep, "--ops", "select", "--out", join(dir, "none.json")], 1, /no table at .* to replace the select entries of: drop --ops/],
      [[sweep, "--ops", "select", "--out", join(TUNING_DIR, "nvidia-h100-80gb-hbm3.json")], 1, /the sweep is of "NVIDIA H200"/],
    ];
    for (const [args, code, msg] of cases) {
      const r = run(...args);
      expect(r.exitCode).toBe(code);
      expect(r.stderr.toString()).toMatch(msg);
    }
    expect(run("--help").stdout.toString()).toContain("--ops LIST");
  });
});

describe("generate --tuning", () => {
  const cli = (...args: string[]) => Bun.spawnSync(["bun", "codegen/cli.ts", ...args], { cwd: join(import.meta.dir, "..") });

  test("builds exactly the variants the tables name", () => {
    const dir = mkdtempSync(join(tmpdir(), "sparsed-tuning-"));
    const ids = ["dense_fwd_hd128_bm128_bn64_w8_s2_bf16_sm90a", "select_hd64_bm128_bn64_w8_s4_fp16_sm90a"];
    const table = { gpu: "G", entries: [
      { op: "dense_fwd", headDim: 128, dtype: "bf16", nMin: 1, nMax: 10, variant: ids[0] },
      { op: "dense_fwd", headDim: 128, dtype: "bf16", nMin: 11, nMax: 20, variant: ids[0] },
      { op: "select", headDim: 64, dtype: "fp16", block: 64, nMin: 1, nMax: 20, variant: ids[1] },
    ] };
    writeFileSync(join(dir, "t.json"), JSON.stringify(table));
    const r = cli("--tuning", join(dir, "t.json"), "--list", "--json");
    expect(r.exitCode, r.stderr.toString()).toBe(0);
    expect(JSON.parse(r.stdout.toString()).variants.map((v: { id: string }) => v.id).sort()).toEqual([...ids].sort());
  });

  test("a bad table or a clash with the selection flags is a usage error", () => {
    const dir = mkdtempSync(join(tmpdir(), "sparsed-tuning-"));
    writeFileSync(join(dir, "bad.json"), JSON.stringify({ gpu: "G", entries: [{ op: "select", headDim: 64, dtype: "bf16", nMin: 1, nMax: 2, variant: "select_x" }] }));
    const bad = cli("--tuning", join(dir, "bad.json"), "--list");
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.toString()).toContain("block (the pattern block size) is required");
    const clash = cli("--tuning", join(dir, "bad.json"), "--op", "select", "--list");
    expect(clash.exitCode).toBe(2);
    expect(clash.stderr.toString()).toContain("--tuning names whole variants; drop --op");
  });
});

describe("the sweep's CSV and CLI", () => {
  test("CSV: a header, one line per row, strings quoted, missing cells empty", () => {
    const csv = toCsv([{ impl: "sparsed", op: "dense", variant: 'a"b', N: 1024, ms_median: 1.23456789 }]).trim().split("\n");
    expect(csv[0]).toStartWith("impl,op,variant,arch,N,D,dtype,block,select");
    expect(csv[1]).toBe('"sparsed","dense","a""b",,1024,,,,,,1.23457,,,,,');
  });

  test("bad flags exit 2 with the usage; --help exits 0", () => {
    const run = (...args: string[]) => Bun.spawnSync(["bun", "bench/dense.ts", "--sweep", ...args], { cwd: join(import.meta.dir, "..") });
    const bad = run("--n", "abc");
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.toString()).toContain('--n: "abc" is not valid');
    expect(run("--block", "48").exitCode).toBe(2);
    const help = run("--help");
    expect(help.exitCode).toBe(0);
    expect(help.stdout.toString()).toContain("--tuning-out PATH");
  });
});

describe("the selection comparison rule", () => {
  // One row of 4 kv blocks, g = 4 (no generation part), kA = 2.
  const shape = { batch: 1, hq: 1, nq: 4, nk: 4, blockSize: 1 };
  const imp = (values: number[]) => () => ({ prompt: Float64Array.from(values), generation: new Float64Array(4).fill(-Infinity), nqb: 1, nkb: 4, g: 4, usedLse: true });
  const one = (list: number[]) => SparsePattern.fromRows({ ...shape, nq: 1 }, [[[list]]]);

  test("equal sets: nothing differs", () => {
    const c = compareSelection(one([0, 2]), one([0, 2]), imp([0.5, 0.1, 0.3, 0.1]), 2, 0, 4);
    expect(c).toEqual({ differing: 0, worst: 0, problems: [] });
  });

  test("a near-tie flip is allowed, a worse choice is not", () => {
    const tie = compareSelection(one([0, 1]), one([0, 2]), imp([0.5, 0.3, 0.3000001, 0.1]), 2, 0, 4);
    expect(tie.differing).toBe(1);
    expect(tie.problems).toEqual([]);
    const worse = compareSelection(one([0, 3]), one([0, 2]), imp([0.5, 0.1, 0.3, 0.1]), 2, 0, 4);
    expect(worse.problems.length).toBe(1);
    expect(worse.problems[0]).toContain("prompt importance");
    expect(worse.worst).toBeCloseTo(0.25, 6);
  });

  test("at most 2% of the rows, and at least one, may flip", () => {
    expect(allowedFlips(10)).toBe(1);
    expect(allowedFlips(1000)).toBe(20);
  });
});

describe("the dense variant that writes block LSEs (src/dense.ts)", () => {
  const entry = (id: string) => ({ ...parseVariantId(id), id, symbol: `sparsed_${id}`, file: `${id}.cu` });
  const built = [
    "dense_fwd_hd128_bm128_bn192_w12_s2_bf16_sm90a",
    "dense_fwd_hd128_bm128_bn128_w12_s2_bf16_sm90a",
    "dense_fwd_hd128_bm128_bn64_w8_s2_bf16_sm90a",
    "dense_fwd_hd128_bm128_bn64_w4_s2_bf16_sm80",
    "dense_fwd_hd64_bm128_bn128_w12_s2_bf16_sm90a",
    "sparse_fwd_hd128_bm128_bn128_w12_s2_bf16_sm90a",
  ].map(entry);
  const hd128 = { headDim: 128, dtype: "bf16" as const };

  test("blockN 128 (the held-max softmax) before the wider blockN 192, at every block size", () => {
    for (const b of [32, 64, 128]) expect(bestBlockLseVariant(built, hd128, b)?.id).toBe("dense_fwd_hd128_bm128_bn128_w12_s2_bf16_sm90a");
  });

  test("blockN 192 where no blockN 128 variant is built, except for blocks of 32 keys", () => {
    const wide = built.filter((e) => e.blockN !== 128);
    expect(bestBlockLseVariant(wide, hd128, 128)?.id).toBe("dense_fwd_hd128_bm128_bn192_w12_s2_bf16_sm90a");
    expect(bestBlockLseVariant(wide, hd128, 64)?.id).toBe("dense_fwd_hd128_bm128_bn192_w12_s2_bf16_sm90a");
    expect(bestBlockLseVariant(wide, hd128, 32)).toBeUndefined();
  });

  test("only dense warp-specialized sm90a variants of the call's head dim and dtype", () => {
    expect(bestBlockLseVariant(built, { headDim: 64, dtype: "bf16" }, 128)?.id).toBe("dense_fwd_hd64_bm128_bn128_w12_s2_bf16_sm90a");
    expect(bestBlockLseVariant(built, { headDim: 128, dtype: "fp16" }, 128)).toBeUndefined();
    expect(bestBlockLseVariant(built.filter((e) => e.op !== "dense_fwd" || e.arch === "sm80" || e.warps === 8), hd128, 128)).toBeUndefined();
  });
});
