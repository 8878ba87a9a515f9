import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ChartRow, renderTflopsChart } from "../bench/chart.ts";

const IMPLS = ["sparsed", "sdpa-flash", "sdpa <cudnn> & co"];
const DS = [64, 128];
const NS = [4096, 16384, 32768];

// Distinct values per bar so that heights can be told apart.
const fixture: ChartRow[] = IMPLS.flatMap((impl, i) =>
  DS.flatMap((D, j) => NS.map((N, k) => ({ impl, D, N, tflops: 100 + 150 * i + 60 * j + 17 * k + 0.4 }))),
);

/** Throws unless every opening tag is closed in order; returns the tag names seen. */
function checkBalanced(svg: string): string[] {
  const stack: string[] = [];
  const seen: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([A-Za-z][\w:-]*)((?:[^>"']|"[^"]*"|'[^']*')*?)(\/?)>/g)) {
    const [, closing, name, , selfClosing] = m;
    seen.push(name!);
    if (closing) {
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open}>`);
    } else if (!selfClosing) {
      stack.push(name!);
    }
  }
  if (stack.length) throw new Error(`unclosed: ${stack.join(", ")}`);
  return seen;
}

function bars(svg: string): { impl: string; tflops: number; height: number }[] {
  return [...svg.matchAll(/<rect data-impl="([^"]*)"[^>]*>/g)].map((m) => ({
    impl: m[1]!,
    tflops: Number(/data-tflops="([^"]+)"/.exec(m[0])![1]),
    height: Number(/ height="([^"]+)"/.exec(m[0])![1]),
  }));
}

describe("renderTflopsChart", () => {
  const svg = renderTflopsChart(fixture, {
    title: "Dense <forward>",
    subtitle: "NVIDIA H100 & friends",
    ceiling: { label: "bf16 matmul", tflops: 780 },
  });

  test("is a well-formed svg document", () => {
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    const tags = checkBalanced(svg);
    expect(tags[0]).toBe("svg");
    // Only escaped text: no stray '<' or '&' outside tags and entities.
    const text = svg.replace(/<[^>]*>/g, "");
    expect(text).not.toMatch(/<|&(?!amp;|lt;|gt;|quot;|apos;)/);
  });

  test("the balance checker catches a broken document", () => {
    expect(() => checkBalanced("<svg><g></svg>")).toThrow();
    expect(() => checkBalanced("<svg><g>")).toThrow();
  });

  test("one legend entry per impl", () => {
    const legend = [...svg.matchAll(/data-legend="([^"]*)"/g)].map((m) => m[1]);
    expect(legend).toEqual(["sparsed", "sdpa-flash", "sdpa &lt;cudnn&gt; &amp; co"]);
  });

  test("one bar per row", () => {
    expect(bars(svg)).toHaveLength(IMPLS.length * DS.length * NS.length);
  });

  test("a label for every group, ordered by D then N", () => {
    const labels = [...svg.matchAll(/class="group-label"[^>]*>([^<]*)</g)].map((m) => m[1]);
    expect(labels).toEqual(["D=64 N=4k", "D=64 N=16k", "D=64 N=32k", "D=128 N=4k", "D=128 N=16k", "D=128 N=32k"]);
  });

  test("each bar carries its rounded value", () => {
    for (const r of fixture) expect(svg).toContain(`>${Math.round(r.tflops)}</text>`);
  });

  test("text is escaped", () => {
    expect(svg).toContain("sdpa &lt;cudnn&gt; &amp; co");
    expect(svg).toContain("Dense &lt;forward&gt;");
    expect(svg).toContain("NVIDIA H100 &amp; friends");
    expect(svg).not.toContain("<cudnn>");
  });

  test("bar height grows with the value", () => {
    const sorted = bars(svg).sort((a, b) => a.tflops - b.tflops);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]!.height).toBeGreaterThan(sorted[i - 1]!.height);
    // Heights are proportional to values from a zero baseline.
    const [lo, hi] = [sorted[0]!, sorted.at(-1)!];
    expect(hi.height / lo.height).toBeCloseTo(hi.tflops / lo.tflops, 1);
  });

  test("the ceiling is a dashed line above every bar", () => {
    const line = /<g class="ceiling">\s*<line [^>]*y1="([^"]+)"[^>]*stroke-dasharray/.exec(svg);
    expect(line).not.toBeNull();
    const tops = [...svg.matchAll(/<rect data-impl[^>]* y="([^"]+)"/g)].map((m) => Number(m[1]));
    // SVG y grows downwards: the line lies above a bar when its y is smaller than the bar's top.
    expect(Number(line![1])).toBeLessThan(Math.min(...tops));
  });

  test("missing bars are left out, not drawn as zero", () => {
    const partial = renderTflopsChart(fixture.filter((r) => !(r.impl === "sparsed" && r.D === 64)), { title: "t" });
    expect(bars(partial)).toHaveLength(fixture.length - NS.length);
    checkBalanced(partial);
  });
});

describe("chart CLI", () => {
  const dir = mkdtempSync(join(tmpdir(), "chart-"));
  const run = (...args: string[]) =>
    Bun.spawnSync([process.execPath, join(import.meta.dir, "../bench/chart.ts"), ...args], { stderr: "pipe", stdout: "pipe" });

  test("merges files, skips rows without tflops and names the gpu", () => {
    const a = join(dir, "a.json");
    const b = join(dir, "b.json");
    writeFileSync(a, JSON.stringify({ gpu: "NVIDIA H100 80GB HBM3", rows: fixture.slice(0, 6), ceilings: { matmul_tflops: 700 } }));
    writeFileSync(b, JSON.stringify({ gpu: "NVIDIA H100 80GB HBM3", rows: [...fixture.slice(6), { impl: "x", N: 4096, D: 64, error: "unsupported" }] }));
    const out = join(dir, "nested", "dense.svg");
    const res = run("--out", out, a, b);
    expect(res.exitCode).toBe(0);
    expect(res.stdout.toString().trim()).toBe(out);
    const svg = readFileSync(out, "utf8");
    expect(bars(svg)).toHaveLength(fixture.length);
    expect(svg).toContain("NVIDIA H100 80GB HBM3");
    expect(svg).toContain("stroke-dasharray");
    expect(svg).not.toContain('data-legend="x"');
  });

  test("unknown flags fail", () => {
    const res = run("--bogus", "--out", join(dir, "x.svg"), "f.json");
    expect(res.exitCode).not.toBe(0);
    expect(res.stderr.toString()).toContain("unknown flag --bogus");
  });

  test("--help documents the flags", () => {
    const res = run("--help");
    expect(res.exitCode).toBe(0);
    for (const flag of ["--out", "--title", "--help"]) expect(res.stdout.toString()).toContain(flag);
  });
});
