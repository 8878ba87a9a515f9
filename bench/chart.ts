// Grouped bar chart of TFLOP/s per (D, N) and implementation, as a dependency-free SVG string.
// Benchmarks write JSON (DESIGN.md section 4); this draws it. Run directly, it is a small CLI.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export type ChartRow = { impl: string; N: number; D: number; tflops: number };

export type ChartOptions = {
  title: string;
  subtitle?: string;
  /** Drawn as a dashed horizontal line, e.g. the bf16 matmul ceiling. */
  ceiling?: { label: string; tflops: number };
};

const PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f"];
const BAR_WIDTH = 26;
const BAR_GAP = 3;
const GROUP_GAP = 30;
const PLOT_HEIGHT = 320;
const MARGIN = { left: 70, top: 78, bottom: 52, right: 24 };
const CHAR_WIDTH = 7; // rough width of a 12px sans-serif character, for sizing the legend

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

/** "16k" for multiples of 1024, else the plain number. */
export function formatN(n: number): string {
  return n % 1024 === 0 ? `${n / 1024}k` : String(n);
}

export function groupLabel(D: number, N: number): string {
  return `D=${D} N=${formatN(N)}`;
}

/** A 1, 2 or 5 times a power of ten step giving about `target` ticks up to `max`. */
function niceStep(max: number, target = 6): number {
  const raw = max / target;
  const power = 10 ** Math.floor(Math.log10(raw));
  const mantissa = [1, 2, 5, 10].find((m) => m * power >= raw) ?? 10;
  return mantissa * power;
}

// Coordinates to one decimal keep the SVG short and diffs readable.
const f = (x: number) => String(Math.round(x * 10) / 10);

export function renderTflopsChart(rows: ChartRow[], opts: ChartOptions): string {
  for (const r of rows) {
    if (!Number.isFinite(r.tflops) || r.tflops < 0) throw new Error(`bad tflops ${r.tflops} for ${r.impl} D=${r.D} N=${r.N}`);
  }
  // Impls keep the order they first appear in, so the caller decides who stands first in each group.
  const impls = [...new Set(rows.map((r) => r.impl))];
  const groups = [...new Map(rows.map((r) => [`${r.D}/${r.N}`, { D: r.D, N: r.N }])).values()].sort(
    (a, b) => a.D - b.D || a.N - b.N,
  );
  // A later row for the same bar replaces an earlier one (later files override earlier ones).
  const value = new Map(rows.map((r) => [`${r.impl}\u0000${r.D}/${r.N}`, r.tflops]));

  const top = Math.max(0, ...rows.map((r) => r.tflops), opts.ceiling?.tflops ?? 0) * 1.08 || 1;
  const step = niceStep(top);
  const yMax = Math.ceil(top / step) * step;
  const groupWidth = impls.length * BAR_WIDTH + Math.max(0, impls.length - 1) * BAR_GAP;
  const plotWidth = Math.max(groups.length * (groupWidth + GROUP_GAP) + GROUP_GAP, 320);
  const legendWidth = 24 + 20 + CHAR_WIDTH * Math.max(0, ...impls.map((i) => i.length));
  const width = MARGIN.left + plotWidth + legendWidth + MARGIN.right;
  const height = MARGIN.top + PLOT_HEIGHT + MARGIN.bottom;
  const x0 = MARGIN.left;
  const yBase = MARGIN.top + PLOT_HEIGHT;
  const y = (v: number) => yBase - (v / yMax) * PLOT_HEIGHT;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${f(width)}" height="${f(height)}" viewBox="0 0 ${f(width)} ${f(height)}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect x="0" y="0" width="${f(width)}" height="${f(height)}" fill="#ffffff"/>`,
    `<text x="${f(x0)}" y="26" font-size="16" font-weight="bold">${escapeXml(opts.title)}</text>`,
  );
  if (opts.subtitle) out.push(`<text x="${f(x0)}" y="46" fill="#555555">${escapeXml(opts.subtitle)}</text>`);

  // Y axis: gridlines, tick labels and the unit.
  out.push(`<g class="y-axis">`);
  for (let v = 0; v <= yMax + step / 2; v += step) {
    const ty = y(v);
    out.push(
      `<line x1="${f(x0)}" y1="${f(ty)}" x2="${f(x0 + plotWidth)}" y2="${f(ty)}" stroke="#e0e0e0"/>`,
      `<text x="${f(x0 - 8)}" y="${f(ty + 4)}" text-anchor="end">${escapeXml(String(Math.round(v * 100) / 100))}</text>`,
    );
  }
  const midY = MARGIN.top + PLOT_HEIGHT / 2;
  out.push(
    `<text x="18" y="${f(midY)}" text-anchor="middle" transform="rotate(-90 18 ${f(midY)})">TFLOP/s</text>`,
    `<line x1="${f(x0)}" y1="${f(MARGIN.top)}" x2="${f(x0)}" y2="${f(yBase)}" stroke="#333333"/>`,
    `<line x1="${f(x0)}" y1="${f(yBase)}" x2="${f(x0 + plotWidth)}" y2="${f(yBase)}" stroke="#333333"/>`,
    `</g>`,
  );

  // Bars, each with its rounded value above it, and the group label below the axis.
  groups.forEach((g, gi) => {
    const gx = x0 + GROUP_GAP + gi * (groupWidth + GROUP_GAP);
    out.push(`<g class="group">`);
    impls.forEach((impl, ii) => {
      const v = value.get(`${impl}\u0000${g.D}/${g.N}`);
      if (v === undefined) return;
      const bx = gx + ii * (BAR_WIDTH + BAR_GAP);
      const by = y(v);
      out.push(
        `<rect data-impl="${escapeXml(impl)}" data-d="${g.D}" data-n="${g.N}" data-tflops="${v}" x="${f(bx)}" y="${f(by)}" width="${BAR_WIDTH}" height="${f(yBase - by)}" fill="${PALETTE[ii % PALETTE.length]}"/>`,
        `<text x="${f(bx + BAR_WIDTH / 2)}" y="${f(by - 4)}" text-anchor="middle" font-size="10">${Math.round(v)}</text>`,
      );
    });
    out.push(
      `<text class="group-label" x="${f(gx + groupWidth / 2)}" y="${f(yBase + 20)}" text-anchor="middle">${escapeXml(groupLabel(g.D, g.N))}</text>`,
      `</g>`,
    );
  });

  if (opts.ceiling) {
    const cy = y(opts.ceiling.tflops);
    out.push(
      `<g class="ceiling">`,
      `<line x1="${f(x0)}" y1="${f(cy)}" x2="${f(x0 + plotWidth)}" y2="${f(cy)}" stroke="#c00000" stroke-width="1.5" stroke-dasharray="6 4"/>`,
      `<text x="${f(x0 + plotWidth - 4)}" y="${f(cy - 5)}" text-anchor="end" fill="#c00000">${escapeXml(`${opts.ceiling.label} ${Math.round(opts.ceiling.tflops)}`)}</text>`,
      `</g>`,
    );
  }

  // Legend to the right of the plot, one swatch per impl in bar order.
  const lx = x0 + plotWidth + 24;
  out.push(`<g class="legend">`);
  impls.forEach((impl, ii) => {
    const ly = MARGIN.top + ii * 20;
    out.push(
      `<rect data-legend="${escapeXml(impl)}" x="${f(lx)}" y="${f(ly)}" width="12" height="12" fill="${PALETTE[ii % PALETTE.length]}"/>`,
      `<text x="${f(lx + 18)}" y="${f(ly + 10)}">${escapeXml(impl)}</text>`,
    );
  });
  out.push(`</g>`, `</svg>`);
  return out.join("\n") + "\n";
}

type ResultFile = { gpu?: string; rows?: Record<string, unknown>[]; ceilings?: { matmul_tflops?: number } };

const USAGE = `usage: bun bench/chart.ts --out PATH [--title TEXT] FILE.json [FILE.json ...]

Draws a grouped bar chart of TFLOP/s per (D, N) and impl from benchmark result files
of the form {gpu, rows: [{impl, N, D, tflops, ...}], ceilings?: {matmul_tflops}}.
Rows without a numeric tflops (failed runs) are skipped; a later file's row replaces an
earlier one for the same impl, D and N. The first matmul ceiling found is drawn as a line.

  --out PATH     where to write the SVG (parent folders are created)
  --title TEXT   chart title (default "Attention forward throughput")
  --help         show this help`;

function fail(message: string): never {
  console.error(`chart: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function main(argv: string[]): void {
  let out: string | undefined;
  let title = "Attention forward throughput";
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--help" || arg === "-h") {
      console.log(USAGE);
      return;
    } else if (arg === "--out" || arg === "--title") {
      const next = argv[++i];
      if (next === undefined) fail(`${arg} needs a value`);
      if (arg === "--out") out = next;
      else title = next;
    } else if (arg.startsWith("-")) {
      fail(`unknown flag ${arg}`);
    } else {
      files.push(arg);
    }
  }
  if (!out) fail("--out is required");
  if (files.length === 0) fail("no result files given");

  const rows: ChartRow[] = [];
  const gpus = new Set<string>();
  const dtypes = new Set<string>();
  let ceiling: ChartOptions["ceiling"];
  for (const file of files) {
    const data = JSON.parse(readFileSync(file, "utf8")) as ResultFile;
    if (data.gpu) gpus.add(data.gpu);
    const matmul = data.ceilings?.matmul_tflops;
    if (!ceiling && typeof matmul === "number") ceiling = { label: "bf16 matmul", tflops: matmul };
    for (const r of data.rows ?? []) {
      if (typeof r.tflops !== "number" || !Number.isFinite(r.tflops)) continue;
      rows.push({ impl: String(r.impl), N: Number(r.N), D: Number(r.D), tflops: r.tflops });
      if (typeof r.dtype === "string") dtypes.add(r.dtype);
    }
  }
  if (rows.length === 0) fail("no rows with a numeric tflops in the given files");
  // A speed claim compares numbers from one GPU; say so loudly when the files disagree.
  if (gpus.size > 1) console.error(`chart: warning: results come from different GPUs: ${[...gpus].join(", ")}`);

  const subtitle = [[...gpus].join(", ") || "unknown GPU", [...dtypes].join(", ")].filter(Boolean).join(" · ");
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, renderTflopsChart(rows, { title, subtitle, ceiling }));
  console.log(out);
}

if (import.meta.main) main(process.argv.slice(2));
