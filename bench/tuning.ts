// `bun bench/tuning.ts SWEEP.json`: the tuning table of a sweep's GPU, from the sweep's JSON (no GPU
// needed). `--ops select` replaces only those ops' entries in the existing table: a sweep of some ops
// (`bun run bench --sweep --ops select`) refreshes them without discarding the others. The same
// choice as `bench --sweep --tuning-out` (src/tuning.ts buildTable).
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { OPS, type Op } from "../codegen/variants";
import { buildTable, readTable, replaceOps, tablePath, TUNING_DIR, writeTable } from "../src/tuning";

const HELP = `Usage: bun bench/tuning.ts SWEEP.json [--ops LIST] [--out PATH]
  Writes the tuning table of the sweep's GPU from a sweep's JSON (\`bun run bench --sweep --out FILE\`).
  --ops LIST   replace only these ops' entries (${OPS.join(", ")}) in the table already at --out, keeping
               the others (after a sweep of some ops, e.g. \`bun run bench --sweep --ops select\`)
  --out PATH   the table file, or a folder for <gpu>.json (default tuning/)
  -h, --help`;

function main(argv: string[]): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { ops: { type: "string" }, out: { type: "string", default: TUNING_DIR }, help: { type: "boolean", short: "h", default: false } },
    });
  } catch (e) {
    console.error(`tuning: ${(e as Error).message}\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    console.error(`tuning: give exactly one sweep JSON (got ${positionals.length})\n${HELP}`);
    return 2;
  }
  const ops = values.ops?.split(",").map((s) => s.trim()) ?? [];
  const unknown = ops.filter((o) => !(OPS as readonly string[]).includes(o));
  if (unknown.length) {
    console.error(`tuning: unknown op(s) ${unknown.join(", ")} (supported: ${OPS.join(", ")})`);
    return 2;
  }
  const sweepFile = positionals[0]!;
  let sweep: { gpu?: unknown; date?: string; rows?: unknown };
  try {
    sweep = JSON.parse(readFileSync(sweepFile, "utf8"));
  } catch (e) {
    console.error(`tuning: cannot read the sweep ${sweepFile}: ${(e as Error).message}`);
    return 1;
  }
  if (typeof sweep.gpu !== "string" || !Array.isArray(sweep.rows)) {
    console.error(`tuning: ${sweepFile} is not a sweep's JSON (it needs "gpu" and "rows", as \`bun run bench --sweep --out\` writes)`);
    return 1;
  }
  const out = tablePath(values.out, sweep.gpu);
  let table = buildTable(sweep.gpu, sweep.rows, { source: sweepFile, date: sweep.date });
  if (ops.length) {
    if (!existsSync(out)) {
      console.error(`tuning: no table at ${out} to replace the ${ops.join(", ")} entries of: drop --ops to write a whole table`);
      return 1;
    }
    try {
      table = replaceOps(readTable(out), table, ops as Op[]);
    } catch (e) {
      console.error(`tuning: ${(e as Error).message}`);
      return 1;
    }
  }
  if (!table.entries.length) {
    console.error(`tuning: ${sweepFile} has no timing that passed the correctness gate: nothing written`);
    return 1;
  }
  writeTable(out, table);
  console.log(`tuning: wrote ${out} (${table.entries.length} entries${ops.length ? `; ${ops.join(", ")} from ${sweepFile}` : ""})`);
  for (const e of table.entries)
    if (!ops.length || ops.includes(e.op))
      console.log(`  ${e.op} hd${e.headDim} ${e.dtype}${e.block ? ` b=${e.block}` : ""} N ${e.nMin}-${e.nMax}: ${e.variant}`);
  return 0;
}

process.exit(main(process.argv.slice(2)));
