// Side-by-side table of result files from one GPU session: our kernels against the peers per shape,
// with speed ratios (ours / peer, > 1 means we are faster). Usage: bun bench/compare.ts a.json b.json ...
import { readFileSync } from "node:fs";

interface Row {
  impl: string;
  variant?: string;
  B: number;
  H: number;
  N: number;
  D: number;
  dtype: string;
  ms_median?: number;
  tflops?: number;
  error?: string;
}

export function compareRows(rows: Row[]): string {
  const ok = rows.filter((r) => typeof r.ms_median === "number");
  const shapes = [...new Set(ok.map((r) => `${r.D}|${r.N}|${r.B}|${r.H}|${r.dtype}`))].sort((a, b) => {
    const [da, na] = a.split("|").map(Number);
    const [db, nb] = b.split("|").map(Number);
    return da! - db! || na! - nb!;
  });
  const ours = (r: Row) => r.impl.startsWith("sparsed");
  const peers = [...new Set(ok.filter((r) => !ours(r)).map((r) => r.impl))];
  const lines = [`| D | N | B×H | dtype | sparsed (best variant) TFLOP/s | ${peers.map((p) => `${p} TFLOP/s | sparsed / ${p}`).join(" | ")} |`];
  lines.push(`|${" --- |".repeat(5 + 2 * peers.length)}`);
  for (const key of shapes) {
    const [D, N, B, H, dtype] = key.split("|");
    const same = ok.filter((r) => `${r.D}|${r.N}|${r.B}|${r.H}|${r.dtype}` === key);
    const best = same.filter(ours).sort((a, b) => a.ms_median! - b.ms_median!)[0];
    const cells = peers.map((p) => {
      const peer = same.find((r) => r.impl === p);
      if (!peer) return "– | –";
      return `${peer.tflops!.toFixed(1)} | ${best ? (peer.ms_median! / best.ms_median!).toFixed(3) : "–"}`;
    });
    lines.push(`| ${D} | ${N} | ${B}×${H} | ${dtype} | ${best ? `${best.tflops!.toFixed(1)} (${best.variant})` : "–"} | ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}

if (import.meta.main) {
  const files = process.argv.slice(2);
  if (files.length === 0 || files.includes("--help") || files.includes("-h")) {
    console.log("Usage: bun bench/compare.ts RESULT.json [RESULT.json ...]\nPrints a markdown table: our best variant per shape against each peer, with time ratios peer/ours.");
    process.exit(files.length === 0 ? 2 : 0);
  }
  const docs = files.map((f) => JSON.parse(readFileSync(f, "utf8")) as { gpu: string; rows: Row[] });
  const gpus = [...new Set(docs.map((d) => d.gpu))];
  console.log(`GPU: ${gpus.join(", ")}${gpus.length > 1 ? "  (WARNING: results from different GPUs are not comparable)" : ""}\n`);
  console.log(compareRows(docs.flatMap((d) => d.rows)));
}
