// Codegen without a GPU: the variant space and its names, rendering (snapshot, strictness), the CLI.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HELP, main, parseArgs, UsageError } from "../codegen/cli";
import { compileTemplate, renderVariant, templateContext } from "../codegen/render";
import { expandVariants, hasProducer, parseVariantId, smemBytes, validateVariant, variantId, type VariantConfig } from "../codegen/variants";

const hd128: VariantConfig = { op: "dense_fwd", headDim: 128, blockM: 192, blockN: 128, warps: 12, stages: 2, dtype: "bf16", arch: "sm90a" };

describe("variant naming", () => {
  test("the id spells every field in a fixed order", () => {
    expect(variantId(hd128)).toBe("dense_fwd_hd128_bm192_bn128_w12_s2_bf16_sm90a");
    expect(variantId({ ...hd128, headDim: 64, blockM: 128, blockN: 64, warps: 4, dtype: "fp16", arch: "sm80" })).toBe("dense_fwd_hd64_bm128_bn64_w4_s2_fp16_sm80");
    expect(variantId({ ...hd128, op: "select", blockM: 256, blockN: 64, warps: 16, stages: 5 })).toBe("select_hd128_bm256_bn64_w16_s5_bf16_sm90a");
  });

  test("ids round-trip for the whole default space", () => {
    const all = expandVariants();
    // Per dtype: dense 3 (hd64) + 5 (hd128), sparse 6 + 7, select 14 + 14 (sm80 3, sm90a 5 + 2 x 3 warp-specialized).
    expect(all.length).toBe(2 * (3 + 5 + 6 + 7 + 14 + 14));
    // The warp-specialized attention kernels: a producer warpgroup beside two consumers, at blockM 128;
    // blockN 128, and 192 at hd128.
    const ws = all.filter((v) => v.op !== "select" && v.arch === "sm90a" && v.warps === v.blockM / 16 + 4);
    expect(ws.length).toBe(2 * 6);
    expect(ws.every((v) => v.blockM === 128 && (v.blockN === 128 || (v.blockN === 192 && v.headDim === 128)))).toBe(true);
    const select = all.filter((v) => v.op === "select");
    expect(select.filter((v) => v.arch === "sm80").every((v) => v.blockM === v.blockN && v.warps === v.blockM / 16)).toBe(true);
    // sm90a: every pattern block size, each CTA whole warpgroups of whole blocks; the warp-specialized
    // kernel (a producer warpgroup beside two or four consumers, 128 rows) at each block size too.
    const sm90 = select.filter((v) => v.arch === "sm90a");
    expect(new Set(sm90.map((v) => v.blockN))).toEqual(new Set([32, 64, 128]));
    const consumers = (v: VariantConfig) => (v.warps - 4) / 4;
    expect(sm90.every((v) => v.blockM % 64 === 0 && v.blockM % v.blockN === 0 && (v.warps === v.blockM / 16 || (hasProducer(v) && [2, 4].includes(consumers(v)))))).toBe(true);
    const wsSelect = sm90.filter((v) => hasProducer(v));
    expect(wsSelect.length).toBe(2 * 2 * 3 * 2);
    expect(wsSelect.every((v) => v.blockM === 128 && ((v.warps === 12 && v.stages === 3) || (v.warps === 20 && v.stages === 4)))).toBe(true);
    for (const w of [12, 20]) expect(new Set(wsSelect.filter((v) => v.warps === w).map((v) => v.blockN))).toEqual(new Set([32, 64, 128]));
    expect(new Set(all.map(variantId)).size).toBe(all.length);
    for (const v of all) expect(parseVariantId(variantId(v))).toEqual(v);
  });

  test("a malformed or invalid id is rejected with the reason", () => {
    expect(() => parseVariantId("dense_fwd_hd128")).toThrow(/not a variant id/);
    expect(() => parseVariantId("dense_fwd_hd96_bm128_bn64_w8_s2_bf16_sm80")).toThrow(/head dim 96 is not supported \(supported: 64, 128\)/);
  });
});

describe("variant validation", () => {
  test("each rejection reason", () => {
    expect(validateVariant({ ...hd128, dtype: "fp8" as never })).toEqual(["dtype fp8 is not supported (supported: bf16, fp16)"]);
    expect(validateVariant({ ...hd128, warps: 8 }).join()).toMatch(/one warpgroup \(4 warps\) per 64 rows: warps must be blockM \/ 16 = 12/);
    expect(validateVariant({ ...hd128, blockN: 32 }).join()).toMatch(/sm90a attention kernels take blockN 64 or 128/);
    expect(validateVariant({ ...hd128, arch: "sm80", blockM: 128, warps: 3 as never }).join()).toMatch(/warps 3 is not supported/);
    expect(validateVariant({ ...hd128, arch: "sm80", blockM: 128, warps: 2 }).join()).toMatch(/each warp must own 16 or 32 query rows/);
    expect(validateVariant({ ...hd128, op: "select", arch: "sm80", blockM: 64, blockN: 128, warps: 4 }).join()).toMatch(/sm80 select tiles are one pattern block/);
    expect(validateVariant({ ...hd128, op: "select", blockM: 128, blockN: 96 as never, warps: 8, stages: 4 }).join()).toMatch(/select blockN 96 is not a pattern block size/);
    expect(validateVariant({ ...hd128, op: "select", blockM: 192, blockN: 128, warps: 12 }).join()).toMatch(/whole warpgroups of whole pattern blocks/);
    expect(validateVariant({ ...hd128, op: "select", blockM: 64, blockN: 64, warps: 4 }).join()).toMatch(/whole warpgroups of whole pattern blocks/);
    expect(validateVariant({ ...hd128, op: "select", blockM: 256, blockN: 32, warps: 16, stages: 6 })).toEqual([]);
    expect(validateVariant({ ...hd128, blockM: 256, blockN: 64, warps: 16 }).join()).toMatch(/for sm90a select only/);
    expect(validateVariant({ ...hd128, op: "dense_fwd", arch: "sm80", blockM: 32, blockN: 32, warps: 2 }).join()).toMatch(/dense blockM 32 is not offered/);
    expect(validateVariant({ ...hd128, arch: "sm80", blockM: 64, warps: 8 }).join()).toMatch(/each warp must own 16 or 32 query rows/);
    const big = { ...hd128, arch: "sm80" as const, blockM: 192, blockN: 128, warps: 12 };
    expect(smemBytes(big)).toBeGreaterThan(163 * 1024);
    expect(validateVariant(big).join()).toMatch(/shared memory, over the 166912 that sm80 allows/);
    expect(validateVariant({ ...hd128, stages: 3 }).join()).toMatch(/double-buffered kernels .*: stages must be 2/);
    expect(validateVariant({ ...hd128, op: "select", blockM: 128, blockN: 64, warps: 8, stages: 2 }).join()).toMatch(/takes 3 to 8 stages/);
    expect(validateVariant(hd128)).toEqual([]);
  });

  test("expandVariants reports every problem of a selection", () => {
    expect(() => expandVariants({ headDims: [128], archs: ["sm90a"], blockNs: [32] })).toThrow(/blockN 64 or 128/);
  });
});

describe("rendering", () => {
  const ws = { ...hd128, op: "sparse_fwd" as const, blockM: 128, warps: 12 };
  for (const v of [hd128, ws, { ...hd128, arch: "sm80" as const, blockM: 128, blockN: 64, warps: 4, dtype: "fp16" as const }, { ...hd128, op: "select" as const, blockM: 256, blockN: 128, warps: 16, stages: 6 }]) {
    test(`${variantId(v)} matches its committed snapshot`, () => {
      const file = join(import.meta.dir, "snapshots", `${variantId(v)}.cu`);
      const text = renderVariant(v);
      if (process.env.SPARSED_UPDATE_SNAPSHOTS === "1") writeFileSync(file, text);
      expect(existsSync(file), `missing snapshot ${file}: run with SPARSED_UPDATE_SNAPSHOTS=1 once`).toBe(true);
      expect(text).toBe(readFileSync(file, "utf8"));
      expect(text).toContain("GENERATED FILE");
      expect(text).toContain(`extern "C" int sparsed_${variantId(v)}(`);
    });
  }

  test("the select sm90a kernel's ring depth is the variant's stages; the double-buffered kernels assert 2", () => {
    const sel = { ...hd128, op: "select" as const, blockM: 128, blockN: 64, warps: 8 };
    expect(renderVariant({ ...sel, stages: 5 })).toContain("sparsed::SelectSm90Config</*D=*/128, /*b=*/64, /*BM=*/128, /*stages=*/5, sparsed::bf16_t>");
    expect(renderVariant({ ...sel, stages: 3 })).toContain("/*stages=*/3,");
    expect(renderVariant(hd128)).toContain("static_assert(2 == 2,");
    for (const op of ["dense_fwd", "sparse_fwd", "select"] as const)
      for (const arch of ["sm80", "sm90a"] as const) {
        const text = renderVariant({ ...hd128, op, arch, blockM: 64, blockN: 64, warps: 4, stages: 7 });
        expect(text.includes("static_assert(7 == 2,") || text.includes("/*stages=*/7,")).toBe(true);
      }
  });

  test("warps = blockM / 16 + 4 (select also blockM / 8 + 4) renders the warp-specialized kernel, blockM / 16 the other", () => {
    expect(renderVariant(ws)).toContain("sparsed::DenseWsSm90Config</*D=*/128, /*BN=*/128, sparsed::bf16_t, /*sparse=*/true>");
    expect(renderVariant({ ...ws, op: "dense_fwd" })).toContain("sparsed::launch_dense_ws_sm90<");
    expect(renderVariant({ ...ws, warps: 8 })).toContain("sparsed::DenseSm90Config</*D=*/128, /*BM=*/128, /*BN=*/128, sparsed::bf16_t, /*sparse=*/true>");
    // select: the warp-specialized selection (its launch hands other calls to the bm128 kernel), or the other.
    const sel = { ...ws, op: "select" as const, blockN: 64, stages: 3 };
    const text = renderVariant(sel);
    expect(text).toContain("sparsed::SelectWsSm90Config</*D=*/128, /*b=*/64, /*stages=*/3, sparsed::bf16_t, /*consumers=*/2>");
    expect(text).toContain("sparsed::launch_select_ws_sm90<");
    expect(text).not.toContain("SelectSm90Config<");
    // warps = blockM / 8 + 4: four consumers (select only; attention has no such kernel).
    expect(renderVariant({ ...sel, warps: 20, stages: 4 })).toContain("sparsed::SelectWsSm90Config</*D=*/128, /*b=*/64, /*stages=*/4, sparsed::bf16_t, /*consumers=*/4>");
    expect(validateVariant({ ...ws, warps: 20 }).join()).toMatch(/for sm90a select only/);
    expect(renderVariant({ ...sel, warps: 8, stages: 4 })).toContain("sparsed::launch_select_sm90<");
  });

  test("strict mode: a field the template needs but the context lacks is an error", () => {
    const t = compileTemplate("int x = {{headDim}} + {{missingField}};");
    expect(() => t(templateContext(hd128))).toThrow(/missingField/);
  });

  test("no HTML escaping of C++", () => {
    expect(compileTemplate("{{x}}")({ x: "a<b> && c" })).toBe("a<b> && c");
  });
});

describe("generate CLI", () => {
  test("flags select the variant set", () => {
    const o = parseArgs(["--op", "dense_fwd", "--head-dim", "64", "--dtype=fp16", "--arch", "sm80", "--gencode", "sm90a"]);
    expect(expandVariants(o.selection).map(variantId)).toEqual(["dense_fwd_hd64_bm128_bn64_w4_s2_fp16_sm80"]);
    expect(o.gencodes).toEqual(["sm90a"]);
  });

  test("unknown flags and unsupported values fail listing what is supported", () => {
    expect(() => parseArgs(["--head-dims", "64"])).toThrow(UsageError);
    expect(() => parseArgs(["--head-dims", "64"])).toThrow(/supported: --op --head-dim/);
    expect(() => parseArgs(["--head-dim", "96"])).toThrow(/unsupported value "96" \(supported: 64, 128\)/);
    expect(() => parseArgs(["--dtype", "fp32"])).toThrow(/supported: bf16, fp16/);
    expect(() => parseArgs(["--gencode", "sm70"])).toThrow(/supported: sm90a, sm80/);
    expect(() => parseArgs(["--variant", "dense_fwd_hd64_bm128_bn64_w4_s2_fp16_sm80", "--dtype", "bf16"])).toThrow(/drop --dtype/);
    expect(() => parseArgs(["--variant", "dense_fwd_hd64_bm128_bn64_w4_s2_fp16_sm80", "--stages", "2"])).toThrow(/drop --stages/);
    expect(() => parseArgs(["--stages", "9"])).toThrow(/--stages: unsupported value "9" \(supported: 2, 3, 4, 5, 6, 7, 8\)/);
    expect(() => parseArgs(["--stages", "two"])).toThrow(/--stages: "two" is not an integer/);
  });

  test("--stages and the config file's stages select the ring depth", () => {
    const o = parseArgs(["--op", "select", "--arch", "sm90a", "--head-dim", "128", "--dtype", "bf16", "--block-m", "128", "--block-n", "64", "--warps", "8", "--stages", "3,8"]);
    expect(o.selection.stages).toEqual([3, 8]);
    expect(expandVariants(o.selection).map(variantId)).toEqual(["select_hd128_bm128_bn64_w8_s3_bf16_sm90a", "select_hd128_bm128_bn64_w8_s8_bf16_sm90a"]);
    const dir = mkdtempSync(join(tmpdir(), "sparsed-cli-"));
    const cfg = join(dir, "config.json");
    writeFileSync(cfg, JSON.stringify({ ops: ["select"], archs: ["sm90a"], headDims: [64], dtypes: ["fp16"], blockMs: [256], blockNs: [128], warps: [16], stages: [7] }));
    expect(expandVariants(parseArgs(["--config", cfg]).selection).map(variantId)).toEqual(["select_hd64_bm256_bn128_w16_s7_fp16_sm90a"]);
    expect(parseArgs(["--config", cfg, "--stages", "4"]).selection.stages).toEqual([4]); // the command line wins
    // A stages value a kernel does not take is rejected with the reason.
    expect(() => expandVariants(parseArgs(["--op", "dense_fwd", "--stages", "3"]).selection)).toThrow(/stages 3: the double-buffered kernels .* stages must be 2/);
  });

  test("--variant reports the problems of every bad id; exit 2", async () => {
    const errs: string[] = [];
    const origErr = console.error;
    console.error = (s: string) => errs.push(s);
    try {
      expect(await main(["--list", "--variant", "select_hd128_bm128_bn64_w8_s2_bf16_sm90a,dense_fwd_hd128_bm128_bn64_w8_bf16_sm90a"])).toBe(2);
    } finally {
      console.error = origErr;
    }
    expect(errs.join()).toMatch(/invalid variant "select_hd128_bm128_bn64_w8_s2_bf16_sm90a": stages 2: the sm90a select TMA ring takes 3 to 8 stages/);
    expect(errs.join()).toMatch(/not a variant id: "dense_fwd_hd128_bm128_bn64_w8_bf16_sm90a" .*dense_fwd_hd128_bm128_bn64_w8_s2_bf16_sm90a\)/);
  });

  test("--help documents every flag", () => {
    for (const f of ["sparse_fwd", "select", "--op", "--head-dim", "--dtype", "--arch", "--block-m", "--block-n", "--warps", "--stages", "--variant", "--config", "--gencode", "--force", "--ptxas-info", "--list", "--json"])
      expect(HELP).toContain(f);
  });

  test("--list --json prints the variants without building; bad input exits 2", async () => {
    const lines: string[] = [];
    const orig = console.log;
    console.log = (s: string) => lines.push(s);
    try {
      expect(await main(["--list", "--json", "--head-dim", "128"])).toBe(0);
    } finally {
      console.log = orig;
    }
    const listed = JSON.parse(lines.join("\n"));
    expect(listed.variants.map((v: { id: string }) => v.id)).toEqual(expandVariants({ headDims: [128] }).map(variantId));
    expect(listed.variants.map((v: { stages: number }) => v.stages)).toEqual(expandVariants({ headDims: [128] }).map((v) => v.stages));
    const errs: string[] = [];
    const origErr = console.error;
    console.error = (s: string) => errs.push(s);
    try {
      expect(await main(["--bogus"])).toBe(2);
    } finally {
      console.error = origErr;
    }
    expect(errs.join()).toMatch(/unknown flag "--bogus"/);
  });
});
