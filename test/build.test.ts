// The build without a GPU: nvcc compiles the default variant set into one library, the content hash
// decides rebuilds, and a compiler error names the variant.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BuildError, buildHash, compileLibrary, generate, nvccFlags } from "../codegen/build";
import { DEFAULT_GENCODES } from "../codegen/cli";
import { LIBRARY_NAME } from "../codegen/paths";
import { expandVariants, parseVariantId, symbolOf, variantId } from "../codegen/variants";

describe("build", () => {
  test("the default set compiles with nvcc into one library, and an unchanged build is skipped", async () => {
    const variants = expandVariants();
    const logs: string[] = [];
    const outDir = mkdtempSync(join(tmpdir(), "sparsed-build-")); // generated/ stays as the user built it
    const first = await generate(variants, { gencodes: DEFAULT_GENCODES, outDir, log: (l) => logs.push(l) });
    expect(first.compiled).toBe(true);
    expect(existsSync(join(outDir, LIBRARY_NAME))).toBe(true);
    expect(first.manifest.variants.map((v) => v.id)).toEqual(variants.map(variantId));
    expect(first.manifest.variants.every((v) => v.symbol === symbolOf(v))).toBe(true);
    expect(logs.some((l) => l.startsWith(`rendered ${variants.length} variant(s)`))).toBe(true);
    // The library exports every manifest symbol (the dynamic symbol table lists them).
    const so = readFileSync(join(outDir, LIBRARY_NAME)).toString("latin1");
    for (const v of first.manifest.variants) expect(so).toContain(v.symbol);
    const again = await generate(variants, { gencodes: DEFAULT_GENCODES, outDir });
    expect(again.compiled).toBe(false);
    expect(again.manifest.hash).toBe(first.manifest.hash);
  }, 900_000);

  test("the cache key changes with any source, the flags, or the compiler", () => {
    const dir = mkdtempSync(join(tmpdir(), "sparsed-hash-"));
    const f = join(dir, "a.cu");
    writeFileSync(f, "int a;");
    const flags = nvccFlags({ gencodes: ["sm90a"] });
    const h = buildHash([f], flags, "nvcc 13.0");
    expect(buildHash([f], flags, "nvcc 13.0")).toBe(h);
    expect(buildHash([f], nvccFlags({ gencodes: ["sm80"] }), "nvcc 13.0")).not.toBe(h);
    expect(buildHash([f], flags, "nvcc 13.1")).not.toBe(h);
    writeFileSync(f, "int b;");
    expect(buildHash([f], flags, "nvcc 13.0")).not.toBe(h);
  });

  test("an nvcc failure shows the compiler's error and names the variant", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sparsed-broken-"));
    const id = "dense_fwd_hd64_bm128_bn64_w4_s2_bf16_sm80";
    const file = `${id}.cu`;
    writeFileSync(join(dir, file), "int broken = ;\n");
    const entry = { ...parseVariantId(id), id, symbol: symbolOf(parseVariantId(id)), file };
    const err = await compileLibrary([join(dir, file)], join(dir, "lib.so"), nvccFlags({ gencodes: ["sm80"] }), [entry]).catch((e) => e);
    expect(err).toBeInstanceOf(BuildError);
    expect((err as BuildError).variants).toEqual([id]);
    expect((err as BuildError).message).toContain(`in variant(s) ${id}`);
    expect((err as BuildError).message).toMatch(/error/);
    expect(existsSync(join(dir, "lib.so"))).toBe(false);
  }, 120_000);

  test("a long compile reports its elapsed time while it runs, and stops when nvcc ends", async () => {
    // A stand-in nvcc that takes ~0.6 s and writes its -o target, so the ticks are the only output.
    const dir = mkdtempSync(join(tmpdir(), "sparsed-slow-"));
    const fake = join(dir, "nvcc");
    writeFileSync(fake, '#!/bin/sh\nwhile [ "$1" != "-o" ]; do shift; done\nsleep 0.6\n: > "$2"\n', { mode: 0o755 });
    const ticks: number[] = [];
    const saved = process.env.NVCC;
    process.env.NVCC = fake;
    try {
      await compileLibrary([join(dir, "a.cu")], join(dir, "lib.so"), [], [], { onTick: (s) => ticks.push(s), everyMs: 100 });
    } finally {
      if (saved === undefined) delete process.env.NVCC;
      else process.env.NVCC = saved;
    }
    expect(existsSync(join(dir, "lib.so"))).toBe(true);
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    expect(ticks.every((s, i) => Number.isInteger(s) && s >= 0 && s <= 5 && (i === 0 || s >= ticks[i - 1]!))).toBe(true);
    const after = ticks.length;
    await Bun.sleep(300);
    expect(ticks.length).toBe(after);
  });
});
