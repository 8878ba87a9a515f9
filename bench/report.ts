// `bun run report [--out DIR] FILE|DIR ...`: SVG charts and a markdown summary of one benchmark run,
// drawn from its JSON result files (bench/dense.ts, bench/sparse.ts, bench/sweep.ts, bench/peers.py,
// bench/peers_sparse.py). Dependency-free: the SVG is written by hand, like bench/chart.ts.
//
// Every row is classified by (impl, op); rows this report cannot use (unknown impl or op, failed runs,
// missing numbers) are skipped and listed in report.md, never fatal. Rows of several files merge.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { escapeXml, formatN } from "./chart.ts";

// ---------------------------------------------------------------------------------------------------
// Reading and classifying rows

type Json = Record<string, unknown>;

export type ResultFile = {
  path: string;
  gpu: string;
  date?: string;
  /** Scalar header fields other than gpu, date and rows (driver, torch, nvcc, ...). */
  meta: Record<string, string | number | boolean>;
  rows: unknown[];
  /** bf16 matmul TFLOP/s from the file's `ceilings.matmul_tflops` (bench/peers.py --ceilings). */
  matmulCeiling?: number;
};

/** What a row is measured on. bench/sparse.ts writes neither B nor dtype: it runs B=1 in bf16. */
type Shape = { gpu: string; B: number; H?: number; D: number; dtype: string };

type Base = Shape & { file: string; impl: string; variant?: string; N: number; ours: boolean };
export type DenseRow = Base & { ms: number; tflops: number; series: string; full: boolean };
/** pattern: "random" (the benchmarks' random places; rows that name none), "workload" (what our selection
 *  picks on the demo's workload, bench/workload-pattern.ts) or another file's source. */
export type SparseRow = Base & { ms: number; x: number; block?: number; select?: number; density?: number; tflopsKept?: number; isDefault: boolean; pattern: string };
export type SelectRow = Base & { ms: number; block?: number; select?: number };
export type ScheduleRow = Base & { select?: number; steps?: number; skip?: number; loopMs: number; allDenseMs?: number; speedup?: number };
export type Skipped = { file: string; index: number; impl: string; reason: string };

export type Dataset = {
  files: ResultFile[];
  gpus: string[];
  /** Every dense row, duplicates included (denominators prefer the same file's own dense call). */
  denseAll: DenseRow[];
  /** One row per (shape, N, series): a full timing (with ms_min) beats a reference row; then later files win. */
  dense: DenseRow[];
  sparse: SparseRow[];
  select: SelectRow[];
  schedule: ScheduleRow[];
  ceilings: Map<string, number>;
  skipped: Skipped[];
  warnings: string[];
};

type Role = "dense" | "sparse" | "select" | "schedule" | "ceiling";

/** Peer impls by name (bench/peers.py, bench/peers_sparse.py); other `sdpa-*` backends are dense peers too. */
const PEER_ROLES: Record<string, Role> = {
  "sdpa-flash": "dense",
  "sdpa-cudnn": "dense",
  "flex-sparse": "sparse",
  "torch-selection": "select",
  "schedule-pytorch": "schedule",
};

const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const pos = (v: unknown): number | undefined => {
  const n = num(v);
  return n !== undefined && n > 0 ? n : undefined;
};
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

export const isOurs = (impl: string): boolean => impl === "sparsed" || impl.startsWith("sparsed-");

function roleOf(impl: string, op: string | undefined): Role | undefined {
  if (isOurs(impl)) {
    if (op === undefined) return "dense"; // bench/dense.ts rows: impl sparsed-<arch>, no op
    return (["dense", "sparse", "select", "schedule"] as const).find((r) => r === op);
  }
  if (/^(ceiling|matmul)/.test(impl)) return "ceiling";
  const role = PEER_ROLES[impl] ?? (impl.startsWith("sdpa-") ? "dense" : undefined);
  if (role === undefined) return undefined;
  // A peer row in a file that also says op: the op must agree with what the impl measures.
  return op === undefined || op === role ? role : undefined;
}

/** "sparsed sm90a bm128 bn64 w8" for dense_fwd_hd128_bm128_bn64_w8_bf16_sm90a (the panel names D and dtype). */
export function variantLabel(variant: string | undefined, impl: string): string {
  if (!variant) return impl;
  const m = /^(?:dense_fwd|sparse_fwd|select)_hd\d+_(.+?)_(?:bf16|fp16)_(sm\w+)$/.exec(variant);
  return m ? `sparsed ${m[2]} ${m[1]!.replace(/_/g, " ")}` : variant;
}

const dtypeOf = (row: Json): string => str(row.dtype) ?? /_(bf16|fp16)_/.exec(str(row.variant) ?? "")?.[1] ?? "bf16";

type Classified =
  | { role: "dense"; row: DenseRow }
  | { role: "sparse"; row: SparseRow }
  | { role: "select"; row: SelectRow }
  | { role: "schedule"; row: ScheduleRow }
  | { role: "ceiling"; tflops: number }
  | { role: "skip"; reason: string };

export function classifyRow(raw: unknown, file: ResultFile): Classified {
  const skip = (reason: string): Classified => ({ role: "skip", reason });
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) return skip("not an object");
  const r = raw as Json;
  const impl = str(r.impl);
  if (!impl) return skip("no impl");
  if (r.error !== undefined) return skip(`failed run: ${String(r.error).split("\n")[0]!.slice(0, 120)}`);
  if (r.correct === false) return skip("marked correct: false");
  const op = r.op === undefined ? undefined : (str(r.op) ?? String(r.op));
  const role = roleOf(impl, op);
  if (!role) return skip(`unknown impl/op ${impl}${op === undefined ? "" : `/${op}`}`);
  if (role === "ceiling") {
    const t = pos(r.tflops) ?? pos(r.matmul_tflops);
    return t === undefined ? skip("ceiling row without tflops") : { role, tflops: t };
  }
  const N = pos(r.N), D = pos(r.D);
  if (N === undefined || D === undefined) return skip("no numeric N and D");
  const base: Base = {
    gpu: file.gpu,
    B: pos(r.B) ?? 1,
    H: pos(r.H),
    D,
    dtype: dtypeOf(r),
    file: file.path,
    impl,
    variant: str(r.variant),
    N,
    ours: isOurs(impl),
  };
  if (role === "schedule") {
    const loopMs = pos(r.sparsed_ms);
    if (loopMs === undefined) return skip("schedule row without sparsed_ms");
    return {
      role,
      row: { ...base, select: num(r.select), steps: num(r.steps), skip: num(r.skip), loopMs, allDenseMs: pos(r.all_dense_ms), speedup: pos(r.speedup) },
    };
  }
  const ms = pos(r.ms_median);
  if (ms === undefined) return skip("no ms_median");
  if (role === "dense") {
    const flops = base.H === undefined ? undefined : 4 * base.B * base.H * N * N * D;
    const tflops = pos(r.tflops) ?? (flops === undefined ? undefined : flops / (ms * 1e-3) / 1e12);
    if (tflops === undefined) return skip("dense row without tflops (and no H to compute it)");
    const series = base.ours ? variantLabel(base.variant, impl) : impl;
    return { role, row: { ...base, ms, tflops, series, full: num(r.ms_min) !== undefined } };
  }
  if (role === "sparse") {
    const density = pos(r.density), select = pos(r.select);
    const x = density ?? select;
    if (x === undefined) return skip("sparse row without density or select");
    return { role, row: { ...base, ms, x, block: pos(r.block), select, density, tflopsKept: pos(r.tflops_kept), isDefault: r.default === true, pattern: str(r.pattern) ?? "random" } };
  }
  return { role, row: { ...base, ms, block: pos(r.block), select: pos(r.select) } };
}

export function buildDataset(files: ResultFile[]): Dataset {
  const ds: Dataset = {
    files,
    gpus: [...new Set(files.map((f) => f.gpu))],
    denseAll: [],
    dense: [],
    sparse: [],
    select: [],
    schedule: [],
    ceilings: new Map(),
    skipped: [],
    warnings: [],
  };
  for (const file of files) {
    if (file.matmulCeiling !== undefined && !ds.ceilings.has(file.gpu)) ds.ceilings.set(file.gpu, file.matmulCeiling);
    file.rows.forEach((raw, index) => {
      const c = classifyRow(raw, file);
      switch (c.role) {
        case "dense":
          ds.denseAll.push(c.row);
          break;
        case "sparse":
          ds.sparse.push(c.row);
          break;
        case "select":
          ds.select.push(c.row);
          break;
        case "schedule":
          ds.schedule.push(c.row);
          break;
        case "ceiling":
          if (!ds.ceilings.has(file.gpu)) ds.ceilings.set(file.gpu, c.tflops);
          break;
        case "skip": {
          const impl = raw && typeof raw === "object" ? String((raw as Json).impl ?? "?") : "?";
          ds.skipped.push({ file: file.path, index, impl, reason: c.reason });
        }
      }
    });
  }
  const best = new Map<string, DenseRow>();
  for (const r of ds.denseAll) {
    const key = `${shapeKey(r)}|${r.N}|${r.series}`;
    const old = best.get(key);
    if (!old || r.full || !old.full) best.set(key, r);
  }
  ds.dense = [...best.values()];
  if (ds.gpus.length > 1) {
    ds.warnings.push(`results come from different GPUs (${ds.gpus.join(", ")}): they are not comparable and are kept apart (panels and table rows per GPU)`);
  }
  return ds;
}

const shapeKey = (s: Shape) => `${s.gpu}|${s.B}|${s.H ?? "?"}|${s.D}|${s.dtype}`;
const sameShape = (a: Shape, b: Shape) => shapeKey(a) === shapeKey(b);
const byShapeN = (a: Shape & { N: number }, b: Shape & { N: number }) =>
  a.gpu.localeCompare(b.gpu) || a.D - b.D || a.B - b.B || (a.H ?? 0) - (b.H ?? 0) || a.dtype.localeCompare(b.dtype) || a.N - b.N;

/** Our dense call at this shape and N: the fastest, from the same file (the same run) when it has one. */
export function ourDense(ds: Dataset, shape: Shape, N: number, file?: string): DenseRow | undefined {
  const all = ds.denseAll.filter((d) => d.ours && d.N === N && sameShape(d, shape));
  const same = all.filter((d) => d.file === file);
  return (same.length ? same : all).sort((a, b) => a.ms - b.ms)[0];
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const t of items) {
    const k = key(t);
    const list = m.get(k);
    if (list) list.push(t);
    else m.set(k, [t]);
  }
  return m;
}

const fastest = <T extends { ms: number }>(rows: T[]): T | undefined => [...rows].sort((a, b) => a.ms - b.ms)[0];

// ---------------------------------------------------------------------------------------------------
// A small multi-panel line chart in SVG

const PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#17becf"];
const REFERENCE = "#c00000";
const PANEL_W = 400;
const PANEL_H = 280;
const PANEL_TITLE_H = 24;
const GAP_X = 84;
const GAP_Y = 76;
const MARGIN = { left: 76, top: 62, right: 24, bottom: 56 };
const LEGEND_ROW = 20;
const CHAR_WIDTH = 6.8; // rough width of a 12px sans-serif character, for sizing the legend
const MAX_COLS = 3;

type Marker = "circle" | "square" | "diamond" | "none";
export type SeriesStyle = { name: string; color: string; dash?: string; marker: Marker };
type Line = { style: SeriesStyle; points: { x: number; y: number; tip: string }[] };
type HLine = { style: SeriesStyle; y: number; label: string };
type Panel = { title: string; lines: Line[]; hlines: HLine[] };
type Scale = { kind: "linear" | "log2" | "log10"; lo: number; hi: number; step?: number };
type ChartSpec = {
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  x: Scale;
  y: Scale;
  xFormat: (v: number) => string;
  yFormat: (v: number) => string;
  panels: Panel[];
  legend: SeriesStyle[];
};

const f = (x: number) => String(Math.round(x * 10) / 10);
/** A tick value without floating-point noise: 0.1, 2, 250. */
export const formatTick = (v: number) => String(Number(v.toPrecision(4)));

const t = (v: number, s: Scale) => (s.kind === "linear" ? v : s.kind === "log2" ? Math.log2(v) : Math.log10(v));

function project(s: Scale, a: number, b: number): (v: number) => number {
  const lo = t(s.lo, s), hi = t(s.hi, s);
  return (v) => a + ((t(v, s) - lo) / (hi - lo || 1)) * (b - a);
}

/** 0 to a round maximum at or above max * 1.05, with at most 10 ticks. */
export function linearScale(max: number): Scale {
  const top = Math.max(max, 1e-9) * 1.05;
  const power = 10 ** Math.floor(Math.log10(top / 10));
  const step = [1, 2, 2.5, 5, 10, 20, 25, 50].map((m) => m * power).find((s) => Math.ceil(top / s) <= 10)!;
  return { kind: "linear", lo: 0, hi: Number((Math.ceil(top / step) * step).toPrecision(6)), step };
}

function linearTicks(s: Scale): number[] {
  const step = s.step ?? s.hi / 5;
  const out: number[] = [];
  for (let i = 0; i * step <= s.hi * (1 + 1e-9); i++) out.push(Number((i * step).toPrecision(6)));
  return out;
}

/** Powers of two around [min, max], padded so end points stay off the frame. */
export function log2Scale(min: number, max: number): Scale {
  const pad = min === max ? 1 : 0.3;
  return { kind: "log2", lo: 2 ** (Math.log2(min) - pad), hi: 2 ** (Math.log2(max) + pad) };
}

function log2Ticks(s: Scale): number[] {
  const out: number[] = [];
  for (let k = Math.ceil(Math.log2(s.lo) - 1e-9); k <= Math.floor(Math.log2(s.hi) + 1e-9); k++) out.push(2 ** k);
  return out.length > 9 ? out.filter((_, i) => i % 2 === 0) : out;
}

const steps125 = (k: number) => [1, 2, 5].map((m) => Number((m * 10 ** k).toPrecision(3)));

/** 1-2-5 bounds around [min, max] with some room. */
export function log10Scale(min: number, max: number, fixedHi?: number): Scale {
  const lo = min / 1.25, hi = max * 1.25;
  const candidates = Array.from({ length: 40 }, (_, i) => steps125(i - 20)).flat();
  return {
    kind: "log10",
    lo: [...candidates].reverse().find((c) => c <= lo) ?? lo,
    hi: fixedHi ?? candidates.find((c) => c >= hi) ?? hi,
  };
}

function log10Ticks(s: Scale): number[] {
  const all = Array.from({ length: 40 }, (_, i) => steps125(i - 20))
    .flat()
    .filter((v) => v >= s.lo * (1 - 1e-9) && v <= s.hi * (1 + 1e-9));
  return all.length > 10 ? all.filter((v) => Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-9) : all;
}

const ticksOf = (s: Scale) => (s.kind === "linear" ? linearTicks(s) : s.kind === "log2" ? log2Ticks(s) : log10Ticks(s));

function markerSvg(m: Marker, x: number, y: number, color: string, attrs = "", tip?: string): string {
  const inner = tip === undefined ? "" : `<title>${escapeXml(tip)}</title>`;
  const close = (open: string) => (inner ? `${open}>${inner}</${open.slice(1, open.indexOf(" "))}>` : `${open}/>`);
  switch (m) {
    case "circle":
      return close(`<circle ${attrs}cx="${f(x)}" cy="${f(y)}" r="3.8" fill="${color}"`);
    case "square":
      return close(`<rect ${attrs}x="${f(x - 3.5)}" y="${f(y - 3.5)}" width="7" height="7" fill="${color}"`);
    case "diamond":
      return close(`<path ${attrs}d="M${f(x)} ${f(y - 5)}L${f(x + 5)} ${f(y)}L${f(x)} ${f(y + 5)}L${f(x - 5)} ${f(y)}Z" fill="${color}"`);
    case "none":
      return "";
  }
}

export function renderLineChart(spec: ChartSpec): string {
  const n = spec.panels.length;
  const cols = Math.min(n, MAX_COLS), rows = Math.ceil(n / cols);
  const gridW = cols * PANEL_W + (cols - 1) * GAP_X;
  const gridH = rows * (PANEL_TITLE_H + PANEL_H) + (rows - 1) * GAP_Y;
  const legendX = MARGIN.left + gridW + 32;
  const legendW = 40 + CHAR_WIDTH * Math.max(0, ...spec.legend.map((s) => s.name.length));
  const legendTop = MARGIN.top + PANEL_TITLE_H;
  const width = Math.max(legendX + legendW, MARGIN.left + 9.5 * spec.title.length, MARGIN.left + CHAR_WIDTH * (spec.subtitle?.length ?? 0)) + MARGIN.right;
  const height = Math.max(MARGIN.top + gridH + MARGIN.bottom, legendTop + spec.legend.length * LEGEND_ROW + MARGIN.bottom);
  const xTicks = ticksOf(spec.x), yTicks = ticksOf(spec.y);

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${f(width)}" height="${f(height)}" viewBox="0 0 ${f(width)} ${f(height)}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect x="0" y="0" width="${f(width)}" height="${f(height)}" fill="#ffffff"/>`,
    `<text class="title" x="${MARGIN.left}" y="26" font-size="16" font-weight="bold">${escapeXml(spec.title)}</text>`,
  ];
  if (spec.subtitle) out.push(`<text class="subtitle" x="${MARGIN.left}" y="46" fill="#555555">${escapeXml(spec.subtitle)}</text>`);

  spec.panels.forEach((panel, i) => {
    const col = i % cols, row = Math.floor(i / cols);
    const px = MARGIN.left + col * (PANEL_W + GAP_X);
    const py = MARGIN.top + PANEL_TITLE_H + row * (PANEL_TITLE_H + PANEL_H + GAP_Y);
    const X = project(spec.x, px, px + PANEL_W);
    const Y = project(spec.y, py + PANEL_H, py);
    out.push(`<g class="panel">`, `<text class="panel-title" x="${f(px)}" y="${f(py - 8)}" font-weight="bold">${escapeXml(panel.title)}</text>`);
    out.push(`<g class="axes">`);
    for (const v of yTicks) {
      out.push(
        `<line x1="${f(px)}" y1="${f(Y(v))}" x2="${f(px + PANEL_W)}" y2="${f(Y(v))}" stroke="#e4e4e4"/>`,
        `<text class="y-tick" x="${f(px - 7)}" y="${f(Y(v) + 4)}" text-anchor="end">${escapeXml(spec.yFormat(v))}</text>`,
      );
    }
    for (const v of xTicks) {
      out.push(
        `<line x1="${f(X(v))}" y1="${f(py)}" x2="${f(X(v))}" y2="${f(py + PANEL_H)}" stroke="#f0f0f0"/>`,
        `<text class="x-tick" x="${f(X(v))}" y="${f(py + PANEL_H + 17)}" text-anchor="middle">${escapeXml(spec.xFormat(v))}</text>`,
      );
    }
    const midY = py + PANEL_H / 2;
    out.push(
      `<rect x="${f(px)}" y="${f(py)}" width="${PANEL_W}" height="${PANEL_H}" fill="none" stroke="#333333"/>`,
      `<text class="x-label" x="${f(px + PANEL_W / 2)}" y="${f(py + PANEL_H + 38)}" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`,
      `<text class="y-label" x="${f(px - 54)}" y="${f(midY)}" text-anchor="middle" transform="rotate(-90 ${f(px - 54)} ${f(midY)})">${escapeXml(spec.yLabel)}</text>`,
      `</g>`,
    );
    // Where the data runs, in pixels (points and every few pixels along each line), to keep labels off it.
    const ink: [number, number][] = [];
    for (const line of panel.lines) {
      const pts = [...line.points].sort((a, b) => a.x - b.x).map((p) => [X(p.x), Y(p.y)] as const);
      pts.forEach(([x1, y1], j) => {
        ink.push([x1, y1]);
        const next = pts[j + 1];
        if (!next) return;
        const steps = Math.ceil(Math.hypot(next[0] - x1, next[1] - y1) / 4);
        for (let k = 1; k < steps; k++) ink.push([x1 + ((next[0] - x1) * k) / steps, y1 + ((next[1] - y1) * k) / steps]);
      });
    }
    for (const h of panel.hlines) {
      const hy = Y(h.y);
      const w = CHAR_WIDTH * h.label.length;
      // Above or below the line, at the left or the right end: the first place with the least data under it.
      const places = [
        { x: px + 6, y: hy - 5, anchor: "start" },
        { x: px + PANEL_W - 6, y: hy - 5, anchor: "end" },
        { x: px + 6, y: hy + 15, anchor: "start" },
        { x: px + PANEL_W - 6, y: hy + 15, anchor: "end" },
      ].filter((p) => p.y - 12 > py && p.y < py + PANEL_H);
      const covered = (p: { x: number; y: number; anchor: string }) => {
        const x0 = p.anchor === "start" ? p.x : p.x - w;
        return ink.filter(([ix, iy]) => ix > x0 - 6 && ix < x0 + w + 6 && iy > p.y - 16 && iy < p.y + 5).length;
      };
      const place = places.reduce((best, p) => (covered(p) < covered(best) ? p : best), places[0] ?? { x: px + 6, y: hy - 5, anchor: "start" });
      out.push(
        `<g class="reference" data-series="${escapeXml(h.style.name)}" data-y="${h.y}">`,
        `<line x1="${f(px)}" y1="${f(hy)}" x2="${f(px + PANEL_W)}" y2="${f(hy)}" stroke="${h.style.color}" stroke-width="1.5" stroke-dasharray="${h.style.dash ?? "6 4"}"/>`,
        `<text x="${f(place.x)}" y="${f(place.y)}" text-anchor="${place.anchor}" fill="${h.style.color}">${escapeXml(h.label)}</text>`,
        `</g>`,
      );
    }
    for (const line of panel.lines) {
      const s = line.style;
      const pts = [...line.points].sort((a, b) => a.x - b.x);
      out.push(`<g class="series" data-series="${escapeXml(s.name)}" data-values="${pts.map((p) => `${p.x}:${p.y}`).join(" ")}">`);
      if (pts.length > 1) {
        out.push(
          `<polyline points="${pts.map((p) => `${f(X(p.x))},${f(Y(p.y))}`).join(" ")}" fill="none" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""}/>`,
        );
      }
      for (const p of pts) out.push(markerSvg(s.marker, X(p.x), Y(p.y), s.color, `data-x="${p.x}" data-y="${p.y}" `, p.tip));
      out.push(`</g>`);
    }
    out.push(`</g>`);
  });

  out.push(`<g class="legend">`);
  spec.legend.forEach((s, i) => {
    const ly = legendTop + i * LEGEND_ROW;
    out.push(
      `<g class="legend-entry" data-legend="${escapeXml(s.name)}">`,
      `<line x1="${f(legendX)}" y1="${f(ly)}" x2="${f(legendX + 26)}" y2="${f(ly)}" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""}/>`,
      markerSvg(s.marker, legendX + 13, ly, s.color),
      `<text x="${f(legendX + 34)}" y="${f(ly + 4)}">${escapeXml(s.name)}</text>`,
      `</g>`,
    );
  });
  out.push(`</g>`, `</svg>`);
  return out.filter(Boolean).join("\n") + "\n";
}

/** Colours by first appearance; after the palette runs out, the marker changes too. */
function styler(): (name: string, kind: "ours" | "peer" | "reference") => SeriesStyle {
  const seen = new Map<string, SeriesStyle>();
  let next = 0;
  return (name, kind) => {
    const old = seen.get(name);
    if (old) return old;
    const i = next++;
    const markers: Marker[] = kind === "ours" ? ["circle", "diamond"] : ["square", "diamond"];
    const style: SeriesStyle =
      kind === "reference"
        ? { name, color: PALETTE[i % PALETTE.length]!, dash: "6 4", marker: "none" }
        : { name, color: PALETTE[i % PALETTE.length]!, marker: markers[Math.floor(i / PALETTE.length) % 2]! };
    seen.set(name, style);
    return style;
  };
}

const gpuTitle = (ds: Dataset) =>
  ds.gpus.length > 1 ? `${ds.gpus.join(" vs ")} (different GPUs: not comparable)` : (ds.gpus[0] ?? "unknown GPU");

const shapeTitle = (ds: Dataset, s: Shape, extra = "") =>
  [ds.gpus.length > 1 ? s.gpu : "", `D=${s.D}`, `B×H=${s.B}×${s.H ?? "?"}`, s.dtype, extra].filter(Boolean).join(" · ");

const fmt1 = (v: number) => v.toFixed(1);
export const fmtMs = (v: number) => (v >= 100 ? v.toFixed(1) : v >= 10 ? v.toFixed(2) : v.toFixed(3));
export const fmtRatio = (v: number) => `${v.toFixed(2)}x`;
/** Three decimals below 10x (the 0.5x bar needs them), two above. */
const timesDense = (v: number) => `${v.toFixed(v < 10 ? 3 : 2)}x`;

// ---------------------------------------------------------------------------------------------------
// The three charts. Each returns undefined when it has nothing to draw.

/** Issue 5's selection bar (a selection call at most 0.5x our dense call at the same shape; issue 3's was 0.6x). */
export const SELECTION_BAR = 0.5;

export function denseChart(ds: Dataset): string | undefined {
  if (ds.dense.length === 0) return undefined;
  const style = styler();
  // Ours first (sorted by name for a stable legend), then the peers in order of appearance.
  const oursNames = [...new Set(ds.dense.filter((r) => r.ours).map((r) => r.series))].sort();
  const peerNames = [...new Set(ds.dense.filter((r) => !r.ours).map((r) => r.series))];
  const legend = [...oursNames.map((s) => style(s, "ours")), ...peerNames.map((s) => style(s, "peer"))];
  const panels: Panel[] = [];
  const groups = groupBy([...ds.dense].sort(byShapeN), shapeKey);
  let ceilingStyle: SeriesStyle | undefined;
  for (const rows of groups.values()) {
    const s = rows[0]!;
    // Peers drawn first, ours on top.
    const lines: Line[] = [...peerNames, ...oursNames]
      .map((name) => ({
        style: style(name, "peer"),
        points: rows
          .filter((r) => r.series === name)
          .map((r) => ({ x: r.N, y: r.tflops, tip: `${name} · N=${formatN(r.N)} · ${fmt1(r.tflops)} TFLOP/s (${fmtMs(r.ms)} ms)` })),
      }))
      .filter((l) => l.points.length > 0);
    const ceiling = ds.ceilings.get(s.gpu);
    const hlines: HLine[] = [];
    if (ceiling !== undefined) {
      ceilingStyle = { name: "bf16 matmul ceiling", color: REFERENCE, dash: "6 4", marker: "none" };
      hlines.push({ style: ceilingStyle, y: ceiling, label: `bf16 matmul ceiling ${fmt1(ceiling)} TFLOP/s` });
    }
    panels.push({ title: shapeTitle(ds, s), lines, hlines });
  }
  if (ceilingStyle) legend.push(ceilingStyle);
  const ns = ds.dense.map((r) => r.N);
  const top = Math.max(...ds.dense.map((r) => r.tflops), ...[...ds.ceilings.values()]);
  return renderLineChart({
    title: `Dense attention forward: TFLOP/s vs N — ${gpuTitle(ds)}`,
    subtitle: `circles: our variants (sparsed <arch> <tile>); squares: peers${ceilingStyle ? "; dashed: bf16 matmul ceiling" : ""}`,
    xLabel: "sequence length N = Nq = Nk (tokens, log2 scale)",
    yLabel: "TFLOP/s (4·B·H·N²·D / time)",
    x: log2Scale(Math.min(...ns), Math.max(...ns)),
    y: linearScale(top),
    xFormat: formatN,
    yFormat: formatTick,
    panels,
    legend,
  });
}

export type SparsePoint = { ours: SparseRow; flex?: SparseRow; dense?: DenseRow };

/** Our fastest variant per (shape, N, block, select or density point, pattern), with Flex on the same
 *  kind of pattern and our dense beside it. */
export function sparsePoints(ds: Dataset): SparsePoint[] {
  const key = (r: SparseRow) => `${shapeKey(r)}|${r.N}|${r.block ?? "?"}|${r.select ?? r.x}|${r.pattern}`;
  const flex = groupBy(
    ds.sparse.filter((r) => !r.ours),
    key,
  );
  const points: SparsePoint[] = [];
  for (const rows of groupBy(
    ds.sparse.filter((r) => r.ours),
    key,
  ).values()) {
    const ours = fastest(rows)!;
    points.push({ ours, flex: fastest(flex.get(key(ours)) ?? []), dense: ourDense(ds, ours, ours.N, ours.file) });
  }
  const kind = (p: SparsePoint) => (p.ours.pattern === "random" ? "" : p.ours.pattern); // random first
  return points.sort((a, b) => byShapeN(a.ours, b.ours) || (a.ours.block ?? 0) - (b.ours.block ?? 0) || (a.ours.select ?? a.ours.x) - (b.ours.select ?? b.ours.x) || kind(a).localeCompare(kind(b)));
}

export function sparseChart(ds: Dataset): string | undefined {
  if (ds.sparse.length === 0) return undefined;
  const style = styler();
  const panelKey = (r: SparseRow) => `${shapeKey(r)}|${r.block ?? "?"}`;
  // One kind of pattern, so that each line is one series of densities: random where there is any
  // (the report's table lists the others).
  const shown = ds.sparse.some((r) => r.pattern === "random") ? "random" : ds.sparse[0]!.pattern;
  const all = ds.sparse.filter((r) => r.pattern === shown).sort((a, b) => byShapeN(a, b) || a.x - b.x);
  const ns = [...new Set(all.map((r) => r.N))].sort((a, b) => a - b);
  // Legend: per N, ours, FlexAttention, the ideal line; styles are fixed here so colours pair up by N.
  const legend: SeriesStyle[] = [];
  const names = (N: number) => ({ ours: `sparsed N=${formatN(N)}`, flex: `flex-sparse N=${formatN(N)}`, ideal: `ideal N=${formatN(N)} (our dense × density)` });
  const used = new Set<string>();
  const panels: Panel[] = [];
  const xs: number[] = [], ys: number[] = [];
  for (const rows of groupBy(all, panelKey).values()) {
    const s = rows[0]!;
    const lines: Line[] = [];
    for (const N of ns) {
      const atN = rows.filter((r) => r.N === N);
      if (atN.length === 0) continue;
      const nm = names(N);
      const best = (ours: boolean) =>
        [...groupBy(atN.filter((r) => r.ours === ours), (r) => String(r.x)).values()].map((g) => fastest(g)!);
      const oursRows = best(true), flexRows = best(false);
      const oursStyle = style(nm.ours, "ours"), flexStyle = style(nm.flex, "peer");
      // Flex first, so that ours is drawn on top where the two nearly coincide.
      if (flexRows.length) {
        lines.push({
          style: flexStyle,
          points: flexRows.map((r) => ({ x: r.x, y: r.ms, tip: `${nm.flex} · density ${r.x.toFixed(3)} · ${fmtMs(r.ms)} ms` })),
        });
        used.add(nm.flex);
      }
      if (oursRows.length) {
        lines.push({
          style: oursStyle,
          points: oursRows.map((r) => ({ x: r.x, y: r.ms, tip: `${nm.ours} · density ${r.x.toFixed(3)} · ${fmtMs(r.ms)} ms (${r.variant ?? r.impl})` })),
        });
        used.add(nm.ours);
      }
      const dense = ourDense(ds, s, N, (oursRows[0] ?? atN[0]!).file);
      if (dense) {
        // Filled in below, once the x range is known: a straight line on log-log axes up to density 1.
        lines.push({ style: { ...style(nm.ours, "ours"), name: nm.ideal, dash: "6 4", marker: "none" }, points: [{ x: Number.NaN, y: dense.ms, tip: "" }] });
        used.add(nm.ideal);
      }
      xs.push(...atN.map((r) => r.x));
      ys.push(...atN.map((r) => r.ms));
    }
    panels.push({ title: shapeTitle(ds, s, s.block ? `block ${s.block}` : ""), lines, hlines: [] });
  }
  const x = log10Scale(Math.min(...xs), 1, 1);
  for (const p of panels) {
    for (const l of p.lines) {
      if (!l.style.name.startsWith("ideal")) continue;
      const denseMs = l.points[0]!.y;
      l.points = [x.lo, 1].map((d) => ({ x: d, y: denseMs * d, tip: `${l.style.name} · density ${d} · ${fmtMs(denseMs * d)} ms` }));
      ys.push(denseMs * x.lo, denseMs);
    }
  }
  for (const N of ns) {
    const nm = names(N);
    const base = style(nm.ours, "ours");
    if (used.has(nm.ours)) legend.push(base);
    if (used.has(nm.flex)) legend.push(style(nm.flex, "peer"));
    if (used.has(nm.ideal)) legend.push({ ...base, name: nm.ideal, dash: "6 4", marker: "none" });
  }
  return renderLineChart({
    title: `Block-sparse attention: time vs density — ${gpuTitle(ds)}`,
    subtitle: `${shown} patterns; ours: the fastest variant per point; dashed: ideal = our dense time at that N × density (= dense at density 1)`,
    xLabel: "density = kept fraction of key blocks (≈ select ratio, log scale)",
    yLabel: "time per call (ms, log scale)",
    x,
    y: log10Scale(Math.min(...ys), Math.max(...ys)),
    xFormat: formatTick,
    yFormat: formatTick,
    panels,
    legend,
  });
}

export type SelectPoint = { ours?: SelectRow; torch?: SelectRow; dense?: DenseRow; key: Shape & { N: number; select?: number; block?: number } };

/** Our fastest selection and the PyTorch selection per (shape, N, select), each over our dense call. */
export function selectPoints(ds: Dataset): SelectPoint[] {
  const key = (r: SelectRow) => `${shapeKey(r)}|${r.block ?? "?"}|${r.N}|${r.select ?? "?"}`;
  const points: SelectPoint[] = [];
  for (const rows of groupBy(ds.select, key).values()) {
    const ours = fastest(rows.filter((r) => r.ours));
    const torch = fastest(rows.filter((r) => !r.ours));
    const k = (ours ?? torch)!;
    points.push({ ours, torch, dense: ourDense(ds, k, k.N, ours?.file), key: k });
  }
  return points.sort((a, b) => byShapeN(a.key, b.key) || (a.key.block ?? 0) - (b.key.block ?? 0) || (a.key.select ?? 0) - (b.key.select ?? 0));
}

export function selectionChart(ds: Dataset): string | undefined {
  const pts = selectPoints(ds).filter((p) => p.dense && (p.ours || p.torch));
  if (pts.length === 0) return undefined;
  const style = styler();
  // Selection cost hardly depends on the select ratio, and lines per ratio would hide one another:
  // one line per impl, each point the highest ratio over the select ratios measured at that N.
  const names = { ours: "sparsed selection", torch: "torch-selection" } as const;
  const legend: SeriesStyle[] = [];
  if (pts.some((p) => p.ours)) legend.push(style(names.ours, "ours"));
  if (pts.some((p) => p.torch)) legend.push(style(names.torch, "peer"));
  const bar: SeriesStyle = { name: `bar: selection ≤ ${SELECTION_BAR}x a dense call`, color: REFERENCE, dash: "6 4", marker: "none" };
  legend.push(bar);
  const panels: Panel[] = [];
  const ys: number[] = [SELECTION_BAR];
  for (const rows of groupBy(pts, (p) => `${shapeKey(p.key)}|${p.key.block ?? "?"}`).values()) {
    const lines: Line[] = [];
    // Peers first so that ours is drawn on top.
    for (const who of ["torch", "ours"] as const) {
      const points: Line["points"] = [];
      for (const atN of groupBy(
        rows.filter((p) => p[who]),
        (p) => String(p.key.N),
      ).values()) {
        const worst = atN.map((p) => ({ p, r: p[who]!, ratio: p[who]!.ms / p.dense!.ms })).sort((a, b) => b.ratio - a.ratio)[0]!;
        ys.push(worst.ratio);
        const sel = worst.r.select === undefined ? "" : ` select=${worst.r.select}`;
        points.push({
          x: worst.r.N,
          y: worst.ratio,
          tip: `${names[who]}${sel} · N=${formatN(worst.r.N)} · ${fmtMs(worst.r.ms)} ms = ${worst.ratio.toFixed(3)}x our dense (${fmtMs(worst.p.dense!.ms)} ms)`,
        });
      }
      if (points.length) lines.push({ style: style(names[who], who === "ours" ? "ours" : "peer"), points });
    }
    const k = rows[0]!.key;
    panels.push({ title: shapeTitle(ds, k, k.block ? `block ${k.block}` : ""), lines, hlines: [{ style: bar, y: SELECTION_BAR, label: `bar ${SELECTION_BAR}x dense (project target)` }] });
  }
  const ns = pts.map((p) => p.key.N);
  const lo = Math.min(...ys), hi = Math.max(...ys);
  const logY = hi / lo > 8;
  return renderLineChart({
    title: `Block selection cost vs N — ${gpuTitle(ds)}`,
    subtitle: "selection time ÷ our fastest dense call at the same shape; per N the highest over the select ratios measured",
    xLabel: "sequence length N (tokens, log2 scale)",
    yLabel: `selection time ÷ our dense call (×${logY ? ", log scale" : ""})`,
    x: log2Scale(Math.min(...ns), Math.max(...ns)),
    y: logY ? log10Scale(lo, hi) : linearScale(hi),
    xFormat: formatN,
    yFormat: (v) => `${formatTick(v)}x`,
    panels,
    legend,
  });
}

// ---------------------------------------------------------------------------------------------------
// report.md

const cell = (s: string) => s.replace(/\|/g, "\\|");
const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;
const table = (head: string[], rows: string[][]) =>
  [`| ${head.map(cell).join(" | ")} |`, `|${" --- |".repeat(head.length)}`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");

export const CHARTS = {
  dense: { file: "tflops-vs-n.svg", alt: "Dense attention TFLOP/s vs N" },
  sparse: { file: "sparse-vs-select.svg", alt: "Sparse attention time vs density" },
  selection: { file: "selection-vs-n.svg", alt: "Selection cost vs N" },
} as const;
export type ChartName = keyof typeof CHARTS;

function denseTable(ds: Dataset): string {
  const multi = ds.gpus.length > 1;
  const peers = [...new Set(ds.dense.filter((r) => !r.ours).map((r) => r.impl))];
  const hasCeiling = ds.ceilings.size > 0;
  const head = [
    ...(multi ? ["GPU"] : []),
    "D",
    "N",
    "B×H",
    "dtype",
    "sparsed best TFLOP/s (variant)",
    ...peers.flatMap((p) => [`${p} TFLOP/s`, `ours / ${p}`]),
    ...(hasCeiling ? ["ours / matmul ceiling"] : []),
  ];
  const rows: string[][] = [];
  for (const group of groupBy([...ds.dense].sort(byShapeN), (r) => `${shapeKey(r)}|${r.N}`).values()) {
    const s = group[0]!;
    const best = group.filter((r) => r.ours).sort((a, b) => b.tflops - a.tflops)[0];
    const ceiling = ds.ceilings.get(s.gpu);
    rows.push([
      ...(multi ? [cell(s.gpu)] : []),
      String(s.D),
      formatN(s.N),
      `${s.B}×${s.H ?? "?"}`,
      s.dtype,
      best ? `**${fmt1(best.tflops)}** (${code(best.variant ?? best.impl)})` : "–",
      ...peers.flatMap((p) => {
        const peer = group.filter((r) => r.impl === p).sort((a, b) => b.tflops - a.tflops)[0];
        return peer ? [fmt1(peer.tflops), best ? fmtRatio(best.tflops / peer.tflops) : "–"] : ["–", "–"];
      }),
      ...(hasCeiling ? [best && ceiling ? `${((100 * best.tflops) / ceiling).toFixed(1)}%` : "–"] : []),
    ]);
  }
  const notes = [
    "Ratios are TFLOP/s ours ÷ peer on the same shape (> 1: ours is faster).",
    ...[...ds.ceilings].map(([gpu, c]) => `bf16 matmul ceiling${multi ? ` (${gpu})` : ""}: ${fmt1(c)} TFLOP/s.`),
    ...(hasCeiling
      ? [
          "The ceiling is bench/peers.py's torch.mm of two 8192 x 8192 normal-distributed bf16 matrices in the same run: under a power cap a product's rate depends on its data, so a kernel on other data can pass it.",
        ]
      : []),
  ];
  return `${table(head, rows)}\n\n${notes.join(" ")}`;
}

function sparseTable(ds: Dataset): string {
  const multi = ds.gpus.length > 1;
  const pts = sparsePoints(ds);
  const kinds = pts.some((p) => p.ours.pattern !== "random");
  const head = [
    ...(multi ? ["GPU"] : []),
    "D",
    "N",
    "block",
    "select",
    ...(kinds ? ["pattern"] : []),
    "density",
    "sparsed ms (variant)",
    "Flex ms",
    "ours / Flex",
    "ideal ms",
    "% of our dense TFLOP/s on kept blocks",
  ];
  const rows = pts.map(({ ours, flex, dense }) => {
    const kept = ours.tflopsKept ?? (dense ? (dense.tflops * dense.ms * ours.x) / ours.ms : undefined);
    return [
      ...(multi ? [cell(ours.gpu)] : []),
      String(ours.D),
      formatN(ours.N),
      ours.block === undefined ? "–" : String(ours.block),
      ours.select === undefined ? "–" : String(ours.select),
      ...(kinds ? [cell(ours.pattern)] : []),
      ours.density === undefined ? "–" : ours.density.toFixed(4),
      `**${fmtMs(ours.ms)}** (${code(ours.variant ?? ours.impl)}${ours.isDefault ? ", default" : ""})`,
      flex ? fmtMs(flex.ms) : "–",
      flex ? fmtRatio(flex.ms / ours.ms) : "–",
      dense ? fmtMs(dense.ms * ours.x) : "–",
      dense && kept !== undefined ? `${((100 * kept) / dense.tflops).toFixed(1)}%` : "–",
    ];
  });
  const patternNote = kinds
    ? ' Pattern: "random" keeps floor(nkb × select) + 1 blocks a row at random places; "workload" is what our selection picks on the demo\'s workload at its switch step (counts vary by row, neighbouring rows keep similar blocks), timed on the same inputs as random; Flex times the same mask.'
    : "";
  return `${table(head, rows)}\n\nours / Flex is Flex time ÷ our time (> 1: ours is faster); ideal = our dense time at that N × density. Our dense: the fastest dense call at the same shape, from the same file when it has one.${patternNote}`;
}

function selectTable(ds: Dataset): string {
  const multi = ds.gpus.length > 1;
  const head = [
    ...(multi ? ["GPU"] : []),
    "D",
    "N",
    "block",
    "select",
    "sparsed ms (variant)",
    "× our dense",
    "torch-selection ms",
    "× our dense",
    "torch / ours",
    "our dense ms",
  ];
  const x = (r: SelectRow | undefined, d: DenseRow | undefined) => (r && d ? timesDense(r.ms / d.ms) : "–");
  const rows = selectPoints(ds).map(({ ours, torch, dense, key }) => [
    ...(multi ? [cell(key.gpu)] : []),
    String(key.D),
    formatN(key.N),
    key.block === undefined ? "–" : String(key.block),
    key.select === undefined ? "–" : String(key.select),
    ours ? `**${fmtMs(ours.ms)}** (${code(ours.variant ?? ours.impl)})` : "–",
    ours && dense ? (ours.ms / dense.ms <= SELECTION_BAR ? `**${timesDense(ours.ms / dense.ms)}**` : timesDense(ours.ms / dense.ms)) : "–",
    torch ? fmtMs(torch.ms) : "–",
    x(torch, dense),
    ours && torch ? fmtRatio(torch.ms / ours.ms) : "–",
    dense ? fmtMs(dense.ms) : "–",
  ]);
  return `${table(head, rows)}\n\nThe project's bar: selection ≤ ${SELECTION_BAR}x one dense call at the same shape (bold where met).`;
}

function scheduleTable(ds: Dataset): string {
  const multi = ds.gpus.length > 1;
  const key = (r: ScheduleRow) => `${shapeKey(r)}|${r.N}|${r.select ?? "?"}|${r.steps ?? "?"}|${r.skip ?? "?"}`;
  const head = [
    ...(multi ? ["GPU"] : []),
    "D",
    "N",
    "select",
    "steps",
    "skip",
    "sparsed loop ms",
    "speedup vs our all-dense loop",
    "PyTorch loop ms",
    "speedup vs its all-dense (SDPA) loop",
    "PyTorch ms ÷ sparsed ms",
  ];
  const rows: string[][] = [];
  for (const group of [...groupBy(ds.schedule, key).values()].sort((a, b) => byShapeN(a[0]!, b[0]!) || (a[0]!.select ?? 0) - (b[0]!.select ?? 0))) {
    const s = group[0]!;
    const ours = group.filter((r) => r.ours).at(-1);
    const torch = group.filter((r) => !r.ours).at(-1);
    const speed = (r: ScheduleRow | undefined) => (r?.speedup !== undefined ? fmtRatio(r.speedup) : r?.allDenseMs ? fmtRatio(r.allDenseMs / r.loopMs) : "–");
    rows.push([
      ...(multi ? [cell(s.gpu)] : []),
      String(s.D),
      formatN(s.N),
      s.select === undefined ? "–" : String(s.select),
      s.steps === undefined ? "–" : String(s.steps),
      s.skip === undefined ? "–" : String(s.skip),
      ours ? fmt1(ours.loopMs) : "–",
      speed(ours),
      torch ? fmt1(torch.loopMs) : "–",
      speed(torch),
      ours && torch ? `**${fmtRatio(torch.loopMs / ours.loopMs)}**` : "–",
    ]);
  }
  return `${table(head, rows)}\n\nOne layer's denoising loop, per-phase medians × step counts (bench/sparse.ts, bench/peers_sparse.py --schedule); PyTorch = SDPA FlashAttention-2 + FlexAttention + the PyTorch selection.`;
}

function metaLine(file: ResultFile): string {
  const bits = Object.entries(file.meta)
    .slice(0, 8)
    .map(([k, v]) => `${k} ${v}`);
  if (file.matmulCeiling !== undefined) bits.push(`matmul ceiling ${fmt1(file.matmulCeiling)} TFLOP/s`);
  return bits.join(", ");
}

export function renderMarkdown(ds: Dataset, outDir: string, written: Set<ChartName>): string {
  const out: string[] = [];
  out.push(`# Benchmark report — ${gpuTitle(ds)}`, "");
  out.push(`Generated by \`bun run report\` (bench/report.ts) from ${ds.files.length} result file${ds.files.length === 1 ? "" : "s"}.`, "");
  const dates = [...new Set(ds.files.map((f) => f.date).filter((d): d is string => !!d))].sort();
  out.push(`- **GPU:** ${ds.gpus.join(", ")}`);
  out.push(`- **Date${dates.length === 1 ? "" : "s"}:** ${dates.length ? dates.join(", ") : "not recorded"}`);
  out.push(`- **Sources:**`);
  for (const file of ds.files) {
    const rel = relative(outDir, file.path) || basename(file.path);
    const used = file.rows.length - ds.skipped.filter((s) => s.file === file.path).length;
    const meta = metaLine(file);
    out.push(`  - [${cell(basename(file.path))}](${encodeURI(rel)}): ${file.gpu}${file.date ? `, ${file.date}` : ""}; ${used} of ${file.rows.length} rows used${meta ? ` (${meta})` : ""}`);
  }
  if (ds.skipped.length) {
    out.push(`- **Skipped rows (${ds.skipped.length}):**`);
    for (const [reason, list] of groupBy(ds.skipped, (s) => s.reason)) {
      const where = list.map((s) => `${basename(s.file)}#${s.index}`).slice(0, 6).join(", ") + (list.length > 6 ? ", …" : "");
      out.push(`  - ${list.length} × ${cell(reason)} (${where})`);
    }
  } else {
    out.push(`- **Skipped rows:** none`);
  }
  for (const w of ds.warnings) out.push("", `> **Warning:** ${w}`);

  const chart = (name: ChartName, what: string) =>
    written.has(name) ? `![${CHARTS[name].alt}](${CHARTS[name].file})` : `_No ${what} rows: ${CHARTS[name].file} was not written._`;

  out.push("", "## Dense attention", "", chart("dense", "dense"), "");
  if (ds.dense.length) out.push(denseTable(ds), "");
  out.push("## Sparse attention vs select ratio", "", chart("sparse", "sparse"), "");
  if (sparsePoints(ds).length) out.push(sparseTable(ds), "");
  else if (ds.sparse.length) out.push("_Only peer sparse rows: no table of ours against them._", "");
  out.push("## Selection", "", chart("selection", "selection (with a dense call of ours at the same shape)"), "");
  if (ds.select.length) out.push(selectTable(ds), "");
  if (ds.schedule.length) out.push("## SparseD schedule", "", scheduleTable(ds), "");
  return out.join("\n").replace(/\n+$/, "\n");
}

// ---------------------------------------------------------------------------------------------------
// Files and the CLI

export class InputError extends Error {}

function readResult(path: string, explicit: boolean, warnings: string[]): ResultFile | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new InputError(`cannot read ${path}: ${(e as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${path} is not valid JSON: ${(e as Error).message}`);
  }
  if (!data || typeof data !== "object" || !Array.isArray((data as Json).rows)) {
    const msg = `${path} is not a benchmark result (expected an object with a "rows" array)`;
    if (explicit) throw new InputError(msg);
    warnings.push(`${msg}; skipped`);
    return undefined;
  }
  const d = data as Json;
  const meta: ResultFile["meta"] = {};
  for (const [k, v] of Object.entries(d)) {
    if (["gpu", "date", "rows"].includes(k)) continue;
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") meta[k] = v;
  }
  const ceilings = d.ceilings as Json | undefined;
  return {
    path,
    gpu: str(d.gpu) ?? "unknown GPU",
    date: str(d.date),
    meta,
    rows: d.rows as unknown[],
    matmulCeiling: pos(ceilings && typeof ceilings === "object" ? ceilings.matmul_tflops : undefined),
  };
}

/** Result files from paths: a file is read as given; a directory gives its *.json files (not recursive), by name. */
export function loadInputs(paths: string[]): { files: ResultFile[]; warnings: string[] } {
  const warnings: string[] = [];
  const files: ResultFile[] = [];
  for (const p of paths) {
    if (!existsSync(p)) throw new InputError(`no such file or directory: ${p}`);
    if (statSync(p).isDirectory()) {
      const names = readdirSync(p)
        .filter((n) => n.endsWith(".json"))
        .sort();
      if (names.length === 0) throw new InputError(`no .json files in ${p}`);
      for (const n of names) {
        const file = readResult(join(p, n), false, warnings);
        if (file) files.push(file);
      }
    } else {
      files.push(readResult(p, true, warnings)!);
    }
  }
  if (files.length === 0) throw new InputError("no benchmark result files among the inputs");
  return { files, warnings };
}

export function defaultOutDir(paths: string[]): string {
  const first = paths[0]!;
  return existsSync(first) && statSync(first).isDirectory() ? first : dirname(first);
}

export type ReportResult = { written: string[]; messages: string[]; markdown: string };

/** Reads the inputs, writes the charts that have data and report.md into outDir. */
export function writeReport(paths: string[], outDir = defaultOutDir(paths)): ReportResult {
  const { files, warnings } = loadInputs(paths);
  const ds = buildDataset(files);
  ds.warnings.unshift(...warnings);
  const used = ds.dense.length + ds.sparse.length + ds.select.length + ds.schedule.length;
  if (used === 0) throw new InputError(`no usable rows in ${files.map((f) => f.path).join(", ")} (${ds.skipped.length} skipped)`);
  mkdirSync(outDir, { recursive: true });
  const messages: string[] = [];
  for (const w of ds.warnings) messages.push(`warning: ${w}`);
  if (ds.skipped.length) messages.push(`skipped ${ds.skipped.length} row(s) it cannot use (listed in report.md)`);
  const written: string[] = [];
  const charts = new Set<ChartName>();
  const renders: [ChartName, (d: Dataset) => string | undefined, string][] = [
    ["dense", denseChart, "dense"],
    ["sparse", sparseChart, "sparse"],
    ["selection", selectionChart, "selection (with our dense call at the same shape)"],
  ];
  for (const [name, render, what] of renders) {
    const svg = render(ds);
    const path = join(outDir, CHARTS[name].file);
    if (svg === undefined) {
      messages.push(`no ${what} rows: ${path} not written`);
      continue;
    }
    writeFileSync(path, svg);
    charts.add(name);
    written.push(path);
  }
  const markdown = renderMarkdown(ds, outDir, charts);
  const md = join(outDir, "report.md");
  writeFileSync(md, markdown);
  written.push(md);
  return { written, messages, markdown };
}

export const USAGE = `usage: bun run report [--out DIR] FILE|DIR ...

Renders one benchmark run's JSON result files as SVG charts and a markdown summary:
  tflops-vs-n.svg       dense TFLOP/s vs N per head dim: each of our variants, each peer, the matmul ceiling
  sparse-vs-select.svg  sparse time vs density per N: ours, FlexAttention, ideal = our dense × density
                        (random patterns where there are any; report.md's table lists every kind)
  selection-vs-n.svg    selection time ÷ our dense call vs N (ours, PyTorch's), with the 0.5x bar
  report.md             GPU, dates, sources, dense/sparse/selection/schedule tables, the charts
A chart without data is not written (report.md says so). Inputs: files {gpu, ..., rows: [...]} from
bench/dense.ts, bench/sparse.ts, bench/sweep.ts, bench/peers.py and bench/peers_sparse.py; a directory
stands for its *.json files. Rows it cannot use (unknown impl/op, errors) are skipped and listed.

  --out DIR   where to write (default: the first input directory, or the first file's directory)
  -h, --help  show this help

Exit status: 0 written, 1 unreadable or unusable input, 2 bad usage.`;

export function main(argv: string[]): number {
  let out: string | undefined;
  const inputs: string[] = [];
  const usage = (message: string) => {
    console.error(`report: ${message}\n\n${USAGE}`);
    return 2;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--help" || arg === "-h") {
      console.log(USAGE);
      return 0;
    } else if (arg === "--out" || arg.startsWith("--out=")) {
      const value = arg === "--out" ? argv[++i] : arg.slice("--out=".length);
      if (!value) return usage("--out needs a directory");
      out = value;
    } else if (arg === "--") {
      inputs.push(...argv.slice(i + 1));
      break;
    } else if (arg.startsWith("-") && arg !== "-") {
      return usage(`unknown flag ${arg}`);
    } else {
      inputs.push(arg);
    }
  }
  if (inputs.length === 0) return usage("no result files or directories given");
  try {
    const { written, messages } = writeReport(inputs, out ?? defaultOutDir(inputs));
    for (const m of messages) console.log(`report: ${m}`);
    for (const p of written) console.log(p);
    return 0;
  } catch (e) {
    if (e instanceof InputError) {
      console.error(`report: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

if (import.meta.main) process.exit(main(process.argv.slice(2)));
