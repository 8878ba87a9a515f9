import { afterAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildDataset, classifyRow, loadInputs, type ResultFile, sparsePoints, variantLabel, writeReport } from "../bench/report.ts";

const ROOT = resolve(import.meta.dir, "..");
const FIX = join(ROOT, "test/fixtures");
const RUN = join(FIX, "report-run.json");
const LEGACY = join(FIX, "report-legacy.json");
const H100 = join(FIX, "report-h100.json");

const tmp = mkdtempSync(join(tmpdir(), "sparsed-report-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => {
  const d = join(tmp, `out${dirs++}`);
  mkdirSync(d);
  return d;
};

/**
 * A small XML well-formedness check: one root element, tags closed in order, attributes quoted and
 * unique, no raw '<' or stray '&' in text or attribute values. Throws on the first fault.
 */
function checkXml(doc: string): string[] {
  const stack: string[] = [];
  const seen: string[] = [];
  let roots = 0;
  let pos = 0;
  const entity = /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/y;
  const checkText = (text: string, where: string) => {
    for (let i = 0; i < text.length; i++) {
      if (text[i] === "<") throw new Error(`raw < in ${where}`);
      if (text[i] === "&") {
        entity.lastIndex = i;
        if (!entity.test(text)) throw new Error(`bad entity in ${where}: ${text.slice(i, i + 10)}`);
      }
    }
  };
  while (pos < doc.length) {
    const lt = doc.indexOf("<", pos);
    const text = doc.slice(pos, lt < 0 ? doc.length : lt);
    if (stack.length === 0 && text.trim()) throw new Error(`text outside the root: ${text.trim().slice(0, 20)}`);
    checkText(text, "text");
    if (lt < 0) break;
    const gt = doc.indexOf(">", lt);
    if (gt < 0) throw new Error("unterminated tag");
    const tag = doc.slice(lt + 1, gt);
    const m = /^(\/?)([A-Za-z_][\w:.-]*)((?:\s+[A-Za-z_][\w:.-]*="[^"]*")*)\s*(\/?)$/.exec(tag);
    if (!m) throw new Error(`malformed tag <${tag.slice(0, 60)}>`);
    const [, closing, name, attrs, selfClosing] = m;
    const names = [...attrs!.matchAll(/([A-Za-z_][\w:.-]*)="([^"]*)"/g)].map((a) => {
      checkText(a[2]!, `attribute ${a[1]}`);
      return a[1]!;
    });
    if (new Set(names).size !== names.length) throw new Error(`duplicate attribute in <${name}>`);
    seen.push(name!);
    if (closing) {
      if (attrs || selfClosing) throw new Error(`bad closing tag </${name}>`);
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open}>`);
    } else {
      if (stack.length === 0) roots++;
      if (!selfClosing) stack.push(name!);
    }
    pos = gt + 1;
  }
  if (stack.length) throw new Error(`unclosed: ${stack.join(", ")}`);
  if (roots !== 1) throw new Error(`${roots} root elements`);
  return seen;
}

const legendOf = (svg: string) => [...svg.matchAll(/data-legend="([^"]*)"/g)].map((m) => m[1]);
const seriesOf = (svg: string) => [...new Set([...svg.matchAll(/class="series" data-series="([^"]*)"/g)].map((m) => m[1]))];
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** The data points of one series in every panel, from its data-values, checked against its markers. */
function pointsOf(svg: string, series: string): { x: number; y: number }[] {
  const group = new RegExp(`<g class="series" data-series="${escapeRe(series)}" data-values="([^"]*)">([\\s\\S]*?)</g>`, "g");
  return [...svg.matchAll(group)].flatMap((g) => {
    const values = g[1]!.split(" ").map((v) => ({ x: Number(v.split(":")[0]), y: Number(v.split(":")[1]) }));
    const markers = [...g[2]!.matchAll(/data-x="([^"]+)" data-y="([^"]+)"/g)].map((m) => ({ x: Number(m[1]), y: Number(m[2]) }));
    if (markers.length && JSON.stringify(markers) !== JSON.stringify(values)) throw new Error(`${series}: markers differ from data-values`);
    return values;
  });
}

function cli(...args: string[]) {
  const p = Bun.spawnSync({ cmd: [process.execPath, "bench/report.ts", ...args], cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}

describe("the XML checker", () => {
  test("accepts a small document and rejects broken ones", () => {
    expect(checkXml(`<svg a="1"><g><text>a &amp; b</text></g><rect/></svg>`)).toEqual(["svg", "g", "text", "text", "g", "rect", "svg"]);
    expect(() => checkXml("<svg><g></svg>")).toThrow();
    expect(() => checkXml("<svg><g>")).toThrow();
    expect(() => checkXml("<svg>a < b</svg>")).toThrow();
    expect(() => checkXml("<svg>AT&T</svg>")).toThrow();
    expect(() => checkXml(`<svg a="x" a="y"/>`)).toThrow();
    expect(() => checkXml(`<svg a=1/>`)).toThrow();
    expect(() => checkXml("<svg/><svg/>")).toThrow();
  });
});

describe("rows", () => {
  const file: ResultFile = { path: "x.json", gpu: "GPU", meta: {}, rows: [] };
  test("are classified by impl and op", () => {
    expect(classifyRow({ impl: "sparsed-sm90a", variant: "v", N: 4096, D: 64, H: 32, ms_median: 1, tflops: 2 }, file).role).toBe("dense");
    expect(classifyRow({ impl: "sparsed", op: "dense", N: 4096, D: 64, H: 32, ms_median: 1, tflops: 2 }, file).role).toBe("dense");
    expect(classifyRow({ impl: "sdpa-flash", N: 4096, D: 64, H: 32, ms_median: 1, tflops: 2 }, file).role).toBe("dense");
    expect(classifyRow({ impl: "sparsed", op: "sparse", N: 4096, D: 64, ms_median: 1, select: 0.3 }, file).role).toBe("sparse");
    expect(classifyRow({ impl: "flex-sparse", N: 4096, D: 64, ms_median: 1, density: 0.3 }, file).role).toBe("sparse");
    expect(classifyRow({ impl: "torch-selection", N: 4096, D: 64, ms_median: 100 }, file).role).toBe("select");
    expect(classifyRow({ impl: "schedule-pytorch", N: 4096, D: 64, sparsed_ms: 100 }, file).role).toBe("schedule");
  });

  test("that cannot be used are skipped with a reason", () => {
    const reason = (r: unknown) => {
      const c = classifyRow(r, file);
      return c.role === "skip" ? c.reason : `used as ${c.role}`;
    };
    expect(reason({ impl: "mystery", N: 1, D: 1, ms_median: 1, tflops: 1 })).toContain("unknown impl/op mystery");
    expect(reason({ impl: "sparsed", op: "backward", N: 1, D: 1, ms_median: 1 })).toContain("sparsed/backward");
    expect(reason({ impl: "sdpa-flash", op: "sparse", N: 1, D: 1, ms_median: 1 })).toContain("unknown impl/op");
    expect(reason({ impl: "sdpa-cudnn", N: 1, D: 1, error: "OOM\ntrace" })).toBe("failed run: OOM");
    expect(reason({ impl: "sparsed", op: "dense", N: 1, D: 1, ms_median: 1, tflops: 1, correct: false })).toContain("correct: false");
    expect(reason({ impl: "sparsed", op: "dense", N: 1, D: 1, tflops: 1 })).toContain("no ms_median");
    expect(reason({ impl: "sparsed", op: "sparse", N: 1, D: 1, ms_median: 1 })).toContain("without density or select");
    expect(reason(42)).toBe("not an object");
  });

  test("dense TFLOP/s is computed from the shape when a row lacks it", () => {
    const c = classifyRow({ impl: "sparsed", op: "dense", B: 1, H: 32, N: 4096, D: 128, ms_median: 1 }, file);
    if (c.role !== "dense") throw new Error(c.role);
    expect(c.row.tflops).toBeCloseTo((4 * 32 * 4096 * 4096 * 128) / 1e-3 / 1e12, 6);
  });

  test("variant ids get a short series label", () => {
    expect(variantLabel("dense_fwd_hd128_bm128_bn64_w8_bf16_sm90a", "sparsed")).toBe("sparsed sm90a bm128 bn64 w8");
    expect(variantLabel("select_hd128_bm256_bn128_w16_bf16_sm90a", "sparsed")).toBe("sparsed sm90a bm256 bn128 w16");
    expect(variantLabel("dense_fwd_hd128_bm192_bn128_w12_s2_bf16_sm90a", "sparsed")).toBe("sparsed sm90a bm192 bn128 w12 s2");
    expect(variantLabel("odd-variant", "sparsed")).toBe("odd-variant");
    expect(variantLabel(undefined, "sparsed-sm80")).toBe("sparsed-sm80");
  });

  test("a full dense timing beats a reference row of the same kernel; a later file beats an earlier one", () => {
    const row = (ms: number, tflops: number, full: boolean) => ({ impl: "sparsed", op: "dense", variant: "dense_fwd_hd128_bm128_bn64_w8_bf16_sm90a", B: 1, H: 32, N: 4096, D: 128, dtype: "bf16", ms_median: ms, tflops, ...(full ? { ms_min: ms } : {}) });
    const a: ResultFile = { path: "a.json", gpu: "G", meta: {}, rows: [row(1, 100, true)] };
    const b: ResultFile = { path: "b.json", gpu: "G", meta: {}, rows: [row(0.9, 110, false)] };
    const c: ResultFile = { path: "c.json", gpu: "G", meta: {}, rows: [row(0.8, 120, true)] };
    expect(buildDataset([a, b]).dense.map((r) => r.tflops)).toEqual([100]);
    expect(buildDataset([b, a]).dense.map((r) => r.tflops)).toEqual([100]);
    expect(buildDataset([a, b, c]).dense.map((r) => r.tflops)).toEqual([120]);
  });
});

describe("sparse points on two kinds of pattern", () => {
  // bench/sparse.ts --patterns random,workload and bench/peers_sparse.py on the same masks; rows that
  // name no pattern (older files, the sweep) are random.
  const base = { B: 1, H: 32, N: 16384, D: 128, dtype: "bf16", block: 128, select: 0.1 };
  const ours = (pattern: string | undefined, ms: number, density: number) => ({ impl: "sparsed", op: "sparse", variant: "sparse_fwd_v", default: true, ...base, ...(pattern ? { pattern } : {}), density, ms_median: ms });
  const flex = (pattern: string, ms: number, density: number) => ({ impl: "flex-sparse", ...base, pattern, density, ms_median: ms });
  const dense = { impl: "sparsed", op: "dense", variant: "dense_fwd_v", ...base, ms_median: 6, tflops: 700 };
  const file: ResultFile = { path: "s.json", gpu: "G", meta: {}, rows: [dense, ours(undefined, 0.76, 0.1016), ours("workload", 0.73, 0.1041), flex("workload", 1.2, 0.1041), flex("random", 1.15, 0.1016)] };

  test("each kind is its own point, beside Flex on the same kind, random first", () => {
    const pts = sparsePoints(buildDataset([file]));
    expect(pts.map((p) => [p.ours.pattern, p.ours.ms, p.flex?.ms])).toEqual([
      ["random", 0.76, 1.15],
      ["workload", 0.73, 1.2],
    ]);
  });

  test("the table gains a pattern column and says what the kinds are; the chart draws random only", () => {
    const dir = freshDir();
    const path = join(dir, "s.json");
    writeFileSync(path, JSON.stringify({ gpu: "G", rows: file.rows }));
    writeReport([path], dir);
    const md = readFileSync(join(dir, "report.md"), "utf8");
    expect(md).toContain("| D | N | block | select | pattern | density |");
    expect(md).toMatch(/\| 0\.1 \| random \| 0\.1016 \|.*\| 1\.150 \| 1\.51x \| 0\.610 \| 80\.2% \|/);
    expect(md).toMatch(/\| 0\.1 \| workload \| 0\.1041 \|.*\| 1\.200 \| 1\.64x \| 0\.625 \| 85\.6% \|/);
    expect(md).toContain('"workload" is what our selection picks');
    const svg = readFileSync(join(dir, "sparse-vs-select.svg"), "utf8");
    expect(pointsOf(svg, "sparsed N=16k")).toEqual([{ x: 0.1016, y: 0.76 }]);
    expect(pointsOf(svg, "flex-sparse N=16k")).toEqual([{ x: 0.1016, y: 1.15 }]);
    expect(svg).toContain("random patterns;");
  });

  test("a file of one kind keeps the table as it was, without the column", () => {
    const dir = freshDir();
    const path = join(dir, "r.json");
    writeFileSync(path, JSON.stringify({ gpu: "G", rows: [dense, ours(undefined, 0.76, 0.1016)] }));
    writeReport([path], dir);
    expect(readFileSync(join(dir, "report.md"), "utf8")).toContain("| D | N | block | select | density |");
  });
});

describe("report from the fixtures", () => {
  const out = freshDir();
  const result = writeReport([RUN, LEGACY], out);
  const read = (name: string) => readFileSync(join(out, name), "utf8");
  const dense = read("tflops-vs-n.svg"), sparse = read("sparse-vs-select.svg"), selection = read("selection-vs-n.svg");
  const md = read("report.md");

  test("writes the three charts and report.md", () => {
    expect(result.written.map((p) => p.slice(out.length + 1))).toEqual(["tflops-vs-n.svg", "sparse-vs-select.svg", "selection-vs-n.svg", "report.md"]);
  });

  test("every chart is well-formed XML with a titled GPU, axis labels and units", () => {
    for (const svg of [dense, sparse, selection]) {
      expect(checkXml(svg)[0]).toBe("svg");
      expect(svg).toMatch(/class="title"[^>]*>[^<]*NVIDIA H200</);
      expect(svg).toMatch(/class="x-label"[^>]*>[^<]*\(tokens|class="x-label"[^>]*>density/);
      expect(svg).toMatch(/class="y-label"[^>]*>[^<]*(TFLOP\/s|ms|÷)/);
    }
  });

  test("dense chart: a series and legend entry for each of our variants and each peer, and the ceiling", () => {
    const names = ["sparsed sm80 bm64 bn64 w4", "sparsed sm90a bm128 bn64 w8", "sdpa-flash", "sdpa-cudnn"];
    expect(legendOf(dense)).toEqual([...names, "bf16 matmul ceiling"]);
    expect(seriesOf(dense).sort()).toEqual([...names].sort());
    // One panel per head dim; the D=64 variant (legacy file) and the D=128 one share a label and a colour.
    expect([...dense.matchAll(/class="panel-title"[^>]*>([^<]*)</g)].map((m) => m[1])).toEqual(["D=64 · B×H=1×32 · bf16", "D=128 · B×H=1×32 · bf16"]);
    expect(pointsOf(dense, "sparsed sm90a bm128 bn64 w8")).toEqual([
      { x: 4096, y: 350 },
      { x: 16384, y: 380 },
      { x: 4096, y: 500 },
      { x: 16384, y: 520 },
    ]);
    expect(dense).toContain(`class="reference" data-series="bf16 matmul ceiling" data-y="800"`);
    expect(dense).toContain("stroke-dasharray");
    const xTicks = [...dense.matchAll(/class="x-tick"[^>]*>([^<]*)</g)].map((m) => m[1]);
    expect(xTicks).toEqual(["4k", "8k", "16k", "4k", "8k", "16k"]);
  });

  test("dense chart: higher TFLOP/s is drawn higher, the ceiling above all", () => {
    const cy = (series: string) => Number(new RegExp(`data-series="${series}"[^>]*>\\s*<polyline points="[\\d.]+,([\\d.]+)`).exec(dense)![1]);
    const ceiling = Number(/class="reference"[^>]*>\s*<line x1="[\d.]+" y1="([\d.]+)"/.exec(dense)![1]);
    // At N=4k in the D=64 panel: ours 350 above sdpa-flash 280; both under the 800 ceiling.
    expect(cy("sparsed sm90a bm128 bn64 w8")).toBeLessThan(cy("sdpa-flash"));
    expect(ceiling).toBeLessThan(cy("sparsed sm90a bm128 bn64 w8"));
  });

  test("sparse chart: ours and Flex per N, and the ideal line = our dense time × density", () => {
    expect(legendOf(sparse)).toEqual(["sparsed N=16k", "flex-sparse N=16k", "ideal N=16k (our dense × density)"]);
    expect(pointsOf(sparse, "sparsed N=16k")).toEqual([
      { x: 0.1, y: 1.25 },
      { x: 0.3, y: 3.2 },
    ]);
    expect(pointsOf(sparse, "flex-sparse N=16k")).toEqual([
      { x: 0.1, y: 1.5 },
      { x: 0.3, y: 4 },
    ]);
    // Our dense call at 16k takes 10 ms: a dashed line from the left edge (density 0.05) to 10 ms at density 1.
    expect(sparse).toMatch(/data-series="ideal N=16k \(our dense × density\)"[^>]*>\s*<polyline[^>]*stroke-dasharray="6 4"/);
    expect(pointsOf(sparse, "ideal N=16k (our dense × density)")).toEqual([
      { x: 0.05, y: 0.5 },
      { x: 1, y: 10 },
    ]);
  });

  test("selection chart: ours and the PyTorch selection over our dense call, with the labelled 0.5x bar", () => {
    expect(legendOf(selection)).toEqual(["sparsed selection", "torch-selection", "bar: selection ≤ 0.5x a dense call"]);
    expect(pointsOf(selection, "sparsed selection").map((p) => [p.x, Number(p.y.toFixed(4))])).toEqual([
      [4096, 0.7],
      [16384, 0.45],
    ]);
    expect(pointsOf(selection, "torch-selection").map((p) => [p.x, p.y])).toEqual([[16384, 12]]);
    expect(selection).toContain(`class="reference" data-series="bar: selection ≤ 0.5x a dense call" data-y="0.5"`);
    expect(selection).toContain("bar 0.5x dense (project target)");
  });

  test("report.md names the GPU, dates and sources and embeds the charts", () => {
    expect(md).toContain("# Benchmark report — NVIDIA H200");
    expect(md).toContain("2026-11-28T09:00:00.000Z, 2026-11-28T10:00:00.000Z");
    expect(md).toContain("[report-run.json](");
    expect(md).toContain("19 of 24 rows used");
    for (const f of ["tflops-vs-n.svg", "sparse-vs-select.svg", "selection-vs-n.svg"]) expect(md).toContain(`](${f})`);
  });

  test("report.md dense table: best variant, peers and ratios computed from the fixture", () => {
    // 500 / 400 = 1.25x sdpa-flash, 500 / 625 = 0.80x sdpa-cudnn, 500 / 800 = 62.5% of the ceiling.
    expect(md).toContain("| 128 | 4k | 1×32 | bf16 | **500.0** (`dense_fwd_hd128_bm128_bn64_w8_bf16_sm90a`) | 400.0 | 1.25x | 625.0 | 0.80x | 62.5% |");
    expect(md).toContain("| 64 | 16k | 1×32 | bf16 | **380.0** (`dense_fwd_hd64_bm128_bn64_w8_bf16_sm90a`) | 304.0 | 1.25x | – | – | 47.5% |");
  });

  test("report.md sparse, selection and schedule tables", () => {
    // Flex 4.0 / ours 3.2 = 1.25x; ideal 10 ms × 0.3 = 3.000 ms; 480 / 520 TFLOP/s = 92.3% of our dense.
    expect(md).toContain("| 128 | 16k | 128 | 0.3 | 0.3000 | **3.200** (`sparse_fwd_hd128_bm128_bn64_w8_bf16_sm90a`) | 4.000 | 1.25x | 3.000 | 92.3% |");
    expect(md).toContain("| 128 | 16k | 128 | 0.1 | 0.1000 | **1.250** (`sparse_fwd_hd128_bm128_bn64_w8_bf16_sm90a`) | 1.500 | 1.20x | 1.000 | 76.9% |");
    // 4.5 / 10 = 0.450x (under the 0.5x bar: bold); torch 120 / 10 = 12.00x; 120 / 4.5 = 26.67x.
    expect(md).toContain("| 128 | 16k | 128 | 0.3 | **4.500** (`select_hd128_bm128_bn128_w8_bf16_sm90a`) | **0.450x** | 120.0 | 12.00x | 26.67x | 10.00 |");
    expect(md).toContain("| 128 | 4k | 128 | 0.3 | **0.420** (`select_hd128_bm128_bn128_w8_bf16_sm90a`) | 0.700x | – | – | – | 0.600 |");
    expect(md).toContain("| 128 | 16k | 0.3 | 1024 | 0.2 | 4000.0 | 2.56x | 5000.0 | 2.56x | **1.25x** |");
  });

  test("unknown, failed and incorrect rows are skipped and listed, never drawn", () => {
    expect(md).toContain("**Skipped rows (5):**");
    expect(md).toContain("1 × unknown impl/op mystery-kernel (report-run.json#21)");
    expect(md).toContain("1 × unknown impl/op sparsed/backward (report-run.json#22)");
    expect(md).toContain("1 × failed run: OutOfMemoryError allocating inputs (report-run.json#9)");
    expect(md).toContain("1 × marked correct: false (report-run.json#4)");
    for (const svg of [dense, sparse, selection]) {
      expect(svg).not.toContain("mystery");
      expect(svg).not.toContain("bm256");
      expect(svg).not.toContain("9999");
    }
    expect(result.messages.join("\n")).toContain("skipped 5 row(s)");
  });
});

describe("report edge cases", () => {
  test("files from different GPUs: a warning, and GPU names in titles, panels and tables", () => {
    const out = freshDir();
    const r = writeReport([RUN, H100], out);
    expect(r.messages.join("\n")).toContain("warning: results come from different GPUs (NVIDIA H200, NVIDIA H100 80GB HBM3)");
    const md = readFileSync(join(out, "report.md"), "utf8");
    expect(md).toContain("> **Warning:** results come from different GPUs");
    expect(md).toContain("| GPU | D | N |");
    expect(md).toContain("| NVIDIA H100 80GB HBM3 | 128 | 4k | 1×32 | bf16 | **430.0**");
    const svg = readFileSync(join(out, "tflops-vs-n.svg"), "utf8");
    expect(svg).toMatch(/class="title"[^>]*>[^<]*NVIDIA H200 vs NVIDIA H100 80GB HBM3 \(different GPUs: not comparable\)</);
    const panels = [...svg.matchAll(/class="panel-title"[^>]*>([^<]*)</g)].map((m) => m[1]);
    expect(panels).toEqual(["NVIDIA H100 80GB HBM3 · D=128 · B×H=1×32 · bf16", "NVIDIA H200 · D=128 · B×H=1×32 · bf16"]);
    // The ceiling belongs to the H200's file: drawn in its panel only.
    expect(svg.match(/class="reference"/g)).toHaveLength(1);
    checkXml(svg);
  });

  test("a chart without data is not written, and report.md and stdout say so", () => {
    const out = freshDir();
    writeFileSync(join(out, "report-legacy.json"), readFileSync(LEGACY));
    const r = cli(out);
    expect(r.code).toBe(0);
    expect(existsSync(join(out, "tflops-vs-n.svg"))).toBe(true);
    expect(existsSync(join(out, "sparse-vs-select.svg"))).toBe(false);
    expect(existsSync(join(out, "selection-vs-n.svg"))).toBe(false);
    expect(r.stdout).toContain(`no sparse rows: ${join(out, "sparse-vs-select.svg")} not written`);
    expect(r.stdout).toContain("selection-vs-n.svg not written");
    const md = readFileSync(join(out, "report.md"), "utf8");
    expect(md).toContain("_No sparse rows: sparse-vs-select.svg was not written._");
    expect(md).toContain("selection-vs-n.svg was not written._");
    expect(md).not.toContain("](sparse-vs-select.svg)");
  });
});

describe("CLI", () => {
  test("--help documents the flags", () => {
    const r = cli("--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("usage: bun run report [--out DIR] FILE|DIR ...");
    expect(r.stdout).toContain("--out DIR");
  });

  test("a directory: reads its *.json, writes into it by default and prints the paths", () => {
    const dir = freshDir();
    copyFileSync(RUN, join(dir, "a.json"));
    copyFileSync(LEGACY, join(dir, "b.json"));
    writeFileSync(join(dir, "notes.txt"), "not json");
    writeFileSync(join(dir, "pattern.json"), JSON.stringify({ counts: [1, 2] }));
    const r = cli(dir);
    expect(r.code).toBe(0);
    const printed = r.stdout.trim().split("\n").filter((l) => !l.startsWith("report:"));
    expect(printed).toEqual(["tflops-vs-n.svg", "sparse-vs-select.svg", "selection-vs-n.svg", "report.md"].map((f) => join(dir, f)));
    // A JSON without rows inside a directory is skipped with a warning, not fatal.
    expect(r.stdout).toContain("pattern.json is not a benchmark result");
    expect(loadInputs([dir]).files.map((f) => f.path)).toEqual([join(dir, "a.json"), join(dir, "b.json")]);
  });

  test("--out DIR and a file: the report lands in DIR", () => {
    const out = join(freshDir(), "nested", "deeper");
    const r = cli("--out", out, RUN);
    expect(r.code).toBe(0);
    expect(existsSync(join(out, "report.md"))).toBe(true);
    expect(r.stdout).toContain(join(out, "report.md"));
  });

  test("unknown flags and missing arguments exit 2 with a message", () => {
    const a = cli("--bogus", RUN);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain("report: unknown flag --bogus");
    const b = cli();
    expect(b.code).toBe(2);
    expect(b.stderr).toContain("no result files or directories given");
    const c = cli(RUN, "--out");
    expect(c.code).toBe(2);
    expect(c.stderr).toContain("--out needs a directory");
  });

  test("missing or invalid input exits 1 with a clear error and writes nothing", () => {
    const dir = freshDir();
    const missing = cli("--out", dir, join(dir, "nope.json"));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`no such file or directory: ${join(dir, "nope.json")}`);
    const bad = join(dir, "bad.json");
    writeFileSync(bad, "{ rows: [");
    const invalid = cli("--out", dir, bad);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain(`${bad} is not valid JSON`);
    const norows = join(dir, "norows.json");
    writeFileSync(norows, JSON.stringify({ gpu: "X" }));
    const shape = cli("--out", dir, norows);
    expect(shape.code).toBe(1);
    expect(shape.stderr).toContain('is not a benchmark result (expected an object with a "rows" array)');
    const unusable = join(dir, "unusable.json");
    writeFileSync(unusable, JSON.stringify({ gpu: "X", rows: [{ impl: "mystery", N: 1, D: 1, ms_median: 1 }] }));
    const none = cli("--out", dir, unusable);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("no usable rows");
    expect(existsSync(join(dir, "report.md"))).toBe(false);
    const empty = freshDir();
    const noJson = cli(empty);
    expect(noJson.code).toBe(1);
    expect(noJson.stderr).toContain(`no .json files in ${empty}`);
  });
});
