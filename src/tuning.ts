// Tuning tables: per GPU name, op, head dim, dtype (and pattern block size for sparse and select) and
// range of sequence lengths, the variant a sweep measured fastest (bench/sweep.ts writes them into
// tuning/). Dispatch asks `tunedVariant` first and falls back to the built-in defaults
// (codegen/variants.ts DEFAULT_TILES) for a GPU without a table, a shape outside the table, or a
// variant that is not built. SPARSED_TUNING=off ignores the tables; SPARSED_TUNING=DIR reads another folder.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { OPS, type Op } from "../codegen/variants";

export interface TuningEntry {
  op: Op;
  headDim: number;
  dtype: string;
  block?: number; // pattern block size (sparse_fwd, select); absent for dense_fwd
  nMin: number; // inclusive range of Nk this entry serves
  nMax: number;
  variant: string;
  ms?: number; // the measured median that chose it (at the N it was measured at)
  measuredN?: number;
}

export interface TuningTable {
  gpu: string; // exactly as the driver names the device (sparsed_device_info.name)
  source?: string;
  date?: string;
  entries: TuningEntry[];
}

export const TUNING_DIR = join(import.meta.dir, "..", "tuning");

export class TuningError extends Error {}

/** Checks a parsed table's shape; throws TuningError naming the file and the field. */
export function validateTable(t: unknown, file = "table"): TuningTable {
  const fail = (why: string): never => {
    throw new TuningError(`${file}: ${why}`);
  };
  if (typeof t !== "object" || t === null) fail("not a JSON object");
  const table = t as Partial<TuningTable>;
  if (typeof table.gpu !== "string" || !table.gpu) fail('"gpu" must be the device name, e.g. "NVIDIA H200"');
  if (!Array.isArray(table.entries)) fail('"entries" must be an array');
  table.entries!.forEach((e, i) => {
    const at = `entries[${i}]`;
    if (!(OPS as readonly string[]).includes(e.op)) fail(`${at}.op "${e.op}" is not one of ${OPS.join(", ")}`);
    for (const k of ["headDim", "nMin", "nMax"] as const) if (!Number.isInteger(e[k]) || e[k] < 1) fail(`${at}.${k} must be a positive integer`);
    if (e.nMin > e.nMax) fail(`${at}: nMin ${e.nMin} > nMax ${e.nMax}`);
    if (typeof e.dtype !== "string") fail(`${at}.dtype must be a string`);
    if (e.op !== "dense_fwd" && !Number.isInteger(e.block)) fail(`${at}.block (the pattern block size) is required for ${e.op}`);
    if (typeof e.variant !== "string" || !e.variant.startsWith(`${e.op}_`)) fail(`${at}.variant must be a ${e.op} variant id`);
  });
  return table as TuningTable;
}

export function readTable(file: string): TuningTable {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new TuningError(`${file}: ${(e as Error).message}`);
  }
  return validateTable(parsed, file);
}

/** Every table in a folder (*.json), validated. */
export function readTables(dir: string): TuningTable[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => readTable(join(dir, f)));
}

let cache: { key: string; tables: TuningTable[] } | undefined;

/** The tables dispatch uses (cached): tuning/, or SPARSED_TUNING's folder, or none when it is "off". */
export function activeTables(): TuningTable[] {
  const setting = process.env.SPARSED_TUNING ?? TUNING_DIR;
  if (setting === "off") return [];
  if (cache?.key !== setting) cache = { key: setting, tables: readTables(setting) };
  return cache.tables;
}

export interface TuningKey {
  op: Op;
  headDim: number;
  dtype: string;
  n: number; // Nk
  block?: number;
}

/** The entry for a key in the table of this GPU (exact name), or undefined. */
export function lookupTuned(tables: TuningTable[], gpu: string, key: TuningKey): TuningEntry | undefined {
  for (const t of tables) {
    if (t.gpu !== gpu) continue;
    const e = t.entries.find(
      (x) => x.op === key.op && x.headDim === key.headDim && x.dtype === key.dtype && (key.op === "dense_fwd" || x.block === key.block) && key.n >= x.nMin && key.n <= x.nMax,
    );
    if (e) return e;
  }
  return undefined;
}

/**
 * The tuned variant among `built` for this key, if the GPU has a table that names one that is built
 * and `usable` (runs on this GPU, fits the call); else undefined, and the caller uses its defaults.
 */
export function tunedVariant<T extends { id: string }>(built: T[], gpu: string, key: TuningKey, usable: (e: T) => boolean, tables = activeTables()): T | undefined {
  const entry = lookupTuned(tables, gpu, key);
  if (!entry) return undefined;
  const e = built.find((x) => x.id === entry.variant);
  return e && usable(e) ? e : undefined;
}

/** One timing of a sweep, as bench/sweep.ts writes it (the fields a table is built from). */
export interface SweepTiming {
  op: "dense" | "sparse" | "select";
  variant: string;
  N: number;
  D: number;
  dtype: string;
  block?: number;
  select?: number;
  ms_median: number;
  correct?: boolean;
}

const OP_OF = { dense: "dense_fwd", sparse: "sparse_fwd", select: "select" } as const;

/**
 * A table from a sweep: for each (op, D, dtype, block) and each measured N, the variant with the
 * least median time (summed over the select ratios measured, for sparse and select), only among
 * variants that passed the correctness gate; each N serves up to the geometric midpoint to the next
 * measured N (the first from 1, the last without limit), and neighbours with the same winner merge.
 */
export function buildTable(gpu: string, rows: SweepTiming[], meta: { source?: string; date?: string } = {}): TuningTable {
  const groups = new Map<string, Map<number, Map<string, number>>>();
  for (const r of rows) {
    if (r.correct === false || !(r.op in OP_OF) || !(r.ms_median > 0)) continue;
    const key = JSON.stringify([OP_OF[r.op], r.D, r.dtype, r.op === "dense" ? null : (r.block ?? null)]);
    const byN = groups.get(key) ?? new Map<number, Map<string, number>>();
    groups.set(key, byN);
    const totals = byN.get(r.N) ?? new Map<string, number>();
    byN.set(r.N, totals);
    totals.set(r.variant, (totals.get(r.variant) ?? 0) + r.ms_median);
  }
  const entries: TuningEntry[] = [];
  for (const [key, byN] of [...groups].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const [op, headDim, dtype, block] = JSON.parse(key) as [Op, number, string, number | null];
    // A variant must have been timed at every select ratio of that N to be compared by its sum.
    const ns = [...byN.keys()].sort((a, b) => a - b);
    const winners = ns.map((n) => {
      const totals = byN.get(n)!;
      const counts = new Map<string, number>();
      for (const r of rows) if (r.N === n && r.D === headDim && r.dtype === dtype && OP_OF[r.op] === op && (op === "dense_fwd" || r.block === block) && r.correct !== false) counts.set(r.variant, (counts.get(r.variant) ?? 0) + 1);
      const most = Math.max(...counts.values());
      const [variant, ms] = [...totals].filter(([v]) => counts.get(v) === most).sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1))[0]!;
      return { n, variant, ms: ms / most };
    });
    winners.forEach((w, i) => {
      const nMin = i === 0 ? 1 : Math.floor(Math.sqrt(ns[i - 1]! * w.n)) + 1;
      const nMax = i === ns.length - 1 ? 2 ** 31 - 1 : Math.floor(Math.sqrt(w.n * ns[i + 1]!));
      const last = entries[entries.length - 1];
      if (i > 0 && last && last.variant === w.variant) last.nMax = nMax;
      else entries.push({ op, headDim, dtype, ...(block === null ? {} : { block }), nMin, nMax, variant: w.variant, ms: w.ms, measuredN: w.n });
    });
  }
  return { gpu, ...meta, entries };
}

/**
 * A table's source, "BASE[; OPS entries: SWEEP]...": the sweep the table was built from, then the later
 * sweeps whose entries replaced those ops' (each op named in one part at most: the last sweep of it).
 */
export interface TableSource {
  base: string;
  later: { ops: string[]; sweep: string }[];
}

export function parseSource(source: string): TableSource {
  const [base, ...parts] = source.split("; ");
  return {
    base: base!,
    later: parts.map((part) => {
      const m = /^(.+) entries: (.+)$/.exec(part);
      if (!m) throw new TuningError(`table source part "${part}" is not "OPS entries: SWEEP"`);
      return { ops: m[1]!.split(", "), sweep: m[2]! };
    }),
  };
}

export function formatSource(s: TableSource): string {
  return [s.base, ...s.later.map((l) => `${l.ops.join(", ")} entries: ${l.sweep}`)].join("; ");
}

/**
 * `old` with `fresh`'s entries for `ops` in place of its own (a sweep of some ops only, e.g. a
 * select-only sweep); the other ops' entries, the GPU and the date stay. The source names both sweeps:
 * the earlier parts lose the replaced ops (a part left with none goes), `fresh` is named for them.
 */
export function replaceOps(old: TuningTable, fresh: TuningTable, ops: readonly Op[]): TuningTable {
  if (old.gpu !== fresh.gpu) throw new TuningError(`the sweep is of "${fresh.gpu}", the table of "${old.gpu}": write into that GPU's table`);
  const src = parseSource(old.source ?? "?");
  const later = src.later.map((l) => ({ ...l, ops: l.ops.filter((op) => !ops.includes(op as Op)) })).filter((l) => l.ops.length > 0);
  return {
    gpu: old.gpu,
    source: formatSource({ base: src.base, later: [...later, { ops: [...ops], sweep: fresh.source ?? "?" }] }),
    ...(old.date ? { date: old.date } : {}),
    entries: [...old.entries.filter((e) => !ops.includes(e.op)), ...fresh.entries.filter((e) => ops.includes(e.op))],
  };
}

/** Where a GPU's table goes: `dest` itself when it names a .json file, else `<dest>/<gpu>.json`. */
export function tablePath(dest: string, gpu: string): string {
  return dest.endsWith(".json") ? dest : join(dest, tableFileName(gpu));
}

/** Writes a table as indented JSON, creating its folder. */
export function writeTable(file: string, table: TuningTable): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(table, null, 2) + "\n");
}

/** A file name for a GPU's table: "NVIDIA H200" -> "nvidia-h200.json". */
export function tableFileName(gpu: string): string {
  return `${gpu.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "")}.json`;
}
