// The variant space without a GPU: every rejection reason on a config that breaks only that rule, the
// id format (stages after the warps) and its round trip, and the parse errors of malformed ids.
import { describe, expect, test } from "bun:test";
import { DEFAULT_TILES, defaultStages, expandVariants, hasProducer, keyChunk, parseVariantId, smemBytes, tilesDivideBlock, validateVariant, variantId, type VariantConfig } from "../codegen/variants";

// Valid configs, one per kernel family; each case below changes what breaks exactly one rule.
const dense90: VariantConfig = { op: "dense_fwd", headDim: 128, blockM: 128, blockN: 64, warps: 8, stages: 2, dtype: "bf16", arch: "sm90a" };
const dense80: VariantConfig = { ...dense90, warps: 4, arch: "sm80" };
const sparse90: VariantConfig = { ...dense90, op: "sparse_fwd" };
const sparse80: VariantConfig = { ...dense80, op: "sparse_fwd", blockM: 64, blockN: 64 };
const select90: VariantConfig = { ...dense90, op: "select", blockN: 128, stages: 4 };
const select80: VariantConfig = { ...dense80, op: "select", blockM: 64, blockN: 64 };

describe("the base configs", () => {
  test("are valid", () => {
    for (const c of [dense90, dense80, sparse90, sparse80, select90, select80]) expect(validateVariant(c)).toEqual([]);
  });
});

describe("each rejection reason, alone", () => {
  const cases: [string, VariantConfig, string][] = [
    ["unknown op", { ...dense90, op: "dense_bwd" as never }, "op dense_bwd is not supported (supported: dense_fwd, sparse_fwd, select)"],
    ["head dim", { ...dense90, headDim: 96 as never }, "head dim 96 is not supported (supported: 64, 128)"],
    ["dtype", { ...dense90, dtype: "fp8" as never }, "dtype fp8 is not supported (supported: bf16, fp16)"],
    ["blockM", { ...dense80, blockM: 96 }, "blockM 96 is not supported (supported: 32, 64, 128, 192, 256)"],
    ["blockN (attention)", { ...dense80, blockN: 96 }, "blockN 96 is not supported (supported: 32, 64, 128, 192)"],
    ["blockN 192 outside the warp-specialized hd128 kernels", { ...dense90, blockN: 192 }, "blockN 192 is offered for the warp-specialized sm90a attention kernels at head dim 128 only (blockM 128, 12 warps)"],
    ["warps", { ...dense80, warps: 6 }, "warps 6 is not supported (supported: 2, 4, 8, 12, 16, 20)"],
    ["arch", { ...dense90, arch: "sm100" as never }, "arch sm100 is not supported (supported: sm80, sm90a)"],
    ["select blockN is a pattern block size", { ...select90, blockN: 96 }, "select blockN 96 is not a pattern block size (select blockN is the pattern block size b: one of 32, 64, 128)"],
    ["sm80 select is one pattern block", { ...select80, blockN: 128 }, "sm80 select tiles are one pattern block: blockM = blockN, warps = blockM / 16"],
    [
      "sm90a select takes whole warpgroups of whole blocks",
      { ...select90, blockM: 192, warps: 12, stages: 6 },
      "sm90a select takes whole warpgroups of whole pattern blocks: blockM in 128, 192, 256 and a multiple of blockN (128)",
    ],
    ["attention blockM 256", { ...dense90, blockM: 256, warps: 16 }, "blockM 256 and 16 or 20 warps are offered for sm90a select only (attention tiles that large spill registers)"],
    ["dense blockM 32", { ...dense80, blockM: 32, blockN: 32, warps: 2 }, "dense blockM 32 is not offered (use 64 or more)"],
    [
      "sparse tile does not divide the pattern block",
      { ...sparse90, blockM: 192, warps: 12 },
      "tile does not divide the pattern block: sparse_fwd blockM 192 and blockN 64 must both divide one of the pattern block sizes 32, 64, 128 (blockM and blockN from 32, 64, 128)",
    ],
    ["sm80 rows per warp", { ...dense80, warps: 2 }, "blockM / warps = 64: each warp must own 16 or 32 query rows"],
    ["sm90a warpgroups", { ...dense90, warps: 4 }, "sm90a kernels use one warpgroup (4 warps) per 64 rows: warps must be blockM / 16 = 8 (or 12 with a producer warpgroup, at blockM 128; select also 20: four consumers)"],
    [
      "the warp-specialized kernel takes blockM 128",
      { ...dense90, blockM: 64, warps: 8 },
      "the warp-specialized sm90a kernels (warps = blockM / 16 + 4: a producer warpgroup; select also blockM / 8 + 4) take blockM 128 only (two or, for select, four consumer warpgroups)",
    ],
    [
      "the warp-specialized select takes blockM 128",
      { ...select90, blockM: 192, blockN: 64, warps: 16, stages: 3 },
      "the warp-specialized sm90a kernels (warps = blockM / 16 + 4: a producer warpgroup; select also blockM / 8 + 4) take blockM 128 only (two or, for select, four consumer warpgroups)",
    ],
    [
      "the warp-specialized select's ring of 128-key tiles takes 2 to 4 stages",
      { ...select90, warps: 12, stages: 5 },
      "stages 5: the warp-specialized sm90a select's ring of 128-key tiles takes 2, 3, 4 stages",
    ],
    ["sm90a attention blockN 32", { ...dense90, blockN: 32 }, "sm90a attention kernels take blockN 64 or 128"],
    [
      "two stages only (sm90a dense)",
      { ...dense90, stages: 3 },
      "stages 3: the double-buffered kernels (every sm80 kernel by cp.async, sm90a dense_fwd and sparse_fwd by TMA): stages must be 2",
    ],
    [
      "two stages only (sm80 select)",
      { ...select80, stages: 4 },
      "stages 4: the double-buffered kernels (every sm80 kernel by cp.async, sm90a dense_fwd and sparse_fwd by TMA): stages must be 2",
    ],
    [
      "sm90a select ring below 3",
      { ...select90, stages: 2 },
      "stages 2: the sm90a select TMA ring takes 3 to 8 stages (below 3 its two-tiles-per-step loop deadlocks)",
    ],
    [
      "sm90a select ring above 8",
      { ...select90, stages: 9 },
      "stages 9: the sm90a select TMA ring takes 3 to 8 stages (below 3 its two-tiles-per-step loop deadlocks)",
    ],
    [
      "shared memory",
      { ...dense80, blockM: 192, blockN: 128, warps: 12 },
      "needs 180224 bytes of shared memory, over the 166912 that sm80 allows (use smaller tiles or fewer stages)",
    ],
  ];
  for (const [name, cfg, reason] of cases)
    test(name, () => {
      expect(validateVariant(cfg)).toEqual([reason]);
    });

  test("the two-stage rule covers every double-buffered family, the ring rule sm90a select only", () => {
    for (const c of [dense90, dense80, sparse90, sparse80, select80]) {
      expect(validateVariant({ ...c, stages: 3 }).join()).toMatch(/double-buffered kernels .*: stages must be 2/);
      expect(validateVariant({ ...c, stages: 1 }).join()).toMatch(/double-buffered kernels .*: stages must be 2/);
    }
    for (const stages of [3, 4, 5, 6, 7, 8]) expect(validateVariant({ ...select90, stages })).toEqual([]);
    for (const stages of [0, 1, 2, 3.5, 9]) expect(validateVariant({ ...select90, stages }).join()).toMatch(/TMA ring takes 3 to 8 stages/);
  });

  test("sparse tiles must divide a pattern block; every tile that does is accepted", () => {
    for (const blockM of [32, 64, 128]) expect(validateVariant({ ...sparse80, blockM, blockN: 32, warps: blockM / 16 })).toEqual([]);
    expect(validateVariant({ ...sparse80, blockM: 192, blockN: 32, warps: 12 }).join()).toMatch(/tile does not divide the pattern block/);
    // The same tiles are fine for dense attention (no pattern).
    expect(validateVariant({ ...dense90, blockM: 192, warps: 12 })).toEqual([]);
  });

  test("every reason of a config is reported, not just the first", () => {
    const problems = validateVariant({ ...dense90, blockN: 32, warps: 4, stages: 3 });
    expect(problems).toHaveLength(3);
    expect(problems.join("\n")).toMatch(/warps must be blockM \/ 16 = 8/);
    expect(problems.join("\n")).toMatch(/take blockN 64 or 128/);
    expect(problems.join("\n")).toMatch(/stages must be 2/);
  });
});

describe("shared memory accounts for the stages", () => {
  test("attention kernels: Q plus stages x (K + V) tiles", () => {
    expect(smemBytes(dense90)).toBe((128 + 2 * 2 * 64) * 128 * 2 + 1024);
    expect(smemBytes(dense80)).toBe((128 + 2 * 2 * 64) * 128 * 2);
    expect(smemBytes({ ...dense90, stages: 3 }) - smemBytes(dense90)).toBe(2 * 64 * 128 * 2);
    // The warp-specialized kernel holds an O stage beside Q (dense_ws_sm90.cuh's kOOffset).
    expect(smemBytes({ ...dense90, blockN: 128, warps: 12 })).toBe((128 + 128 + 2 * 2 * 128) * 128 * 2 + 1024);
    // ... except at blockN 192, whose two stages of K and V leave no room (O from registers).
    expect(smemBytes({ ...dense90, blockN: 192, warps: 12 })).toBe((128 + 2 * 2 * 192) * 128 * 2 + 1024);
    expect(validateVariant({ ...dense90, blockN: 192, warps: 12 })).toEqual([]);
    // The sparse kernel at blockN 192 copies 64-key chunks, each from its own kv block: it serves a
    // pattern block that blockM and 64 divide, though 192 divides none.
    const sparse192 = { ...dense90, op: "sparse_fwd" as const, blockN: 192, warps: 12 };
    expect(validateVariant(sparse192)).toEqual([]);
    expect(keyChunk(192)).toBe(64);
    expect(keyChunk(128)).toBe(128);
    expect([32, 64, 128].filter((b) => tilesDivideBlock(sparse192, b))).toEqual([128]);
    expect(validateVariant({ ...sparse192, headDim: 64 })).toContain("blockN 192 is offered for the warp-specialized sm90a attention kernels at head dim 128 only (blockM 128, 12 warps)");
  });

  test("sm80 select: Q plus stages K tiles", () => {
    expect(smemBytes(select80)).toBe((64 + 2 * 64) * 128 * 2);
  });

  test("sm90a select: Q, the ring, barriers, slots, deferred entries, counts and alignment", () => {
    // Q 32768, ring 4 x 16384, slots 128 x 2 warpgroups, barriers 16 x 4, entries 8 x 128 x (8 + 1), counts 32, 1024.
    expect(smemBytes(select90)).toBe(32768 + 65536 + 256 + 64 + 9216 + 32 + 1024);
    expect(smemBytes({ ...select90, stages: 6 }) - smemBytes(select90)).toBe(2 * 64 * 128 * 2 + 2 * 16);
    // b = 32: two kv blocks per 64-key tile, twice the slots.
    expect(smemBytes({ ...select90, blockN: 32 }) - smemBytes(select90)).toBe(256);
  });
});

describe("ids", () => {
  test("the id spells stages after the warps", () => {
    expect(variantId(dense90)).toBe("dense_fwd_hd128_bm128_bn64_w8_s2_bf16_sm90a");
    expect(variantId(select90)).toBe("select_hd128_bm128_bn128_w8_s4_bf16_sm90a");
    expect(variantId({ ...select90, stages: 7 })).toBe("select_hd128_bm128_bn128_w8_s7_bf16_sm90a");
  });

  test("an id without stages names the config's default stages", () => {
    const { stages: _, ...noStages } = select90;
    expect(variantId(noStages)).toBe("select_hd128_bm128_bn128_w8_s4_bf16_sm90a");
    expect(variantId({ ...noStages, blockM: 256, warps: 16 })).toBe("select_hd128_bm256_bn128_w16_s6_bf16_sm90a");
    expect(variantId({ ...noStages, arch: "sm80" })).toBe("select_hd128_bm128_bn128_w8_s2_bf16_sm80");
  });

  test("every default variant round-trips, and its stages are the default for its tiles", () => {
    const all = expandVariants();
    expect(all.length).toBeGreaterThan(0);
    expect(new Set(all.map(variantId)).size).toBe(all.length);
    for (const v of all) {
      expect(parseVariantId(variantId(v))).toEqual(v);
      expect(v.stages).toBe(defaultStages(v));
    }
    // Today's sm90a select rings: 4 at blockM 128, 6 at blockM 256, 3 for the warp-specialized
    // kernel with two consumers, 4 with four (128-key tiles); every other family 2.
    const sm90Select = all.filter((v) => v.op === "select" && v.arch === "sm90a");
    expect(sm90Select.length).toBeGreaterThan(0);
    for (const v of sm90Select) expect(v.stages).toBe(v.warps === 20 ? 4 : hasProducer(v) ? 3 : v.blockM === 128 ? 4 : 6);
    expect(all.filter((v) => !(v.op === "select" && v.arch === "sm90a")).every((v) => v.stages === 2)).toBe(true);
  });

  test("DEFAULT_TILES keep their fastest-first order", () => {
    expect(DEFAULT_TILES.dense_fwd.sm90a![128].map((x) => variantId({ ...dense90, ...x }))).toEqual([
      "dense_fwd_hd128_bm128_bn128_w12_s2_bf16_sm90a",
      "dense_fwd_hd128_bm128_bn192_w12_s2_bf16_sm90a",
      "dense_fwd_hd128_bm128_bn64_w8_s2_bf16_sm90a",
      "dense_fwd_hd128_bm192_bn128_w12_s2_bf16_sm90a",
    ]);
    expect(DEFAULT_TILES.select.sm90a![128].map((x) => `bm${x.blockM}_bn${x.blockN}_w${x.warps}_s${x.stages}`)).toEqual([
      "bm128_bn128_w20_s4",
      "bm128_bn64_w20_s4",
      "bm128_bn32_w20_s4",
      "bm128_bn128_w12_s3",
      "bm128_bn64_w12_s3",
      "bm128_bn32_w12_s3",
      "bm128_bn32_w8_s4",
      "bm256_bn64_w16_s6",
      "bm128_bn128_w8_s4",
      "bm128_bn64_w8_s4",
      "bm256_bn128_w16_s6",
    ]);
  });

  test("hand-written ids parse to their fields and back", () => {
    const cases: [string, Partial<VariantConfig>][] = [
      ["dense_fwd_hd128_bm128_bn64_w8_s2_bf16_sm90a", { op: "dense_fwd", headDim: 128, blockM: 128, blockN: 64, warps: 8, stages: 2, dtype: "bf16", arch: "sm90a" }],
      ["sparse_fwd_hd64_bm32_bn32_w2_s2_fp16_sm80", { op: "sparse_fwd", headDim: 64, blockM: 32, blockN: 32, warps: 2, stages: 2, dtype: "fp16", arch: "sm80" }],
      ["select_hd128_bm128_bn128_w8_s4_bf16_sm90a", { op: "select", headDim: 128, blockM: 128, blockN: 128, warps: 8, stages: 4, dtype: "bf16", arch: "sm90a" }],
      ["select_hd64_bm256_bn64_w16_s7_fp16_sm90a", { op: "select", headDim: 64, blockM: 256, blockN: 64, warps: 16, stages: 7, dtype: "fp16", arch: "sm90a" }],
      ["select_hd128_bm64_bn64_w4_s2_bf16_sm80", { op: "select", headDim: 128, blockM: 64, blockN: 64, warps: 4, stages: 2, dtype: "bf16", arch: "sm80" }],
    ];
    for (const [id, fields] of cases) {
      const cfg = parseVariantId(id);
      expect(cfg).toEqual(fields as VariantConfig);
      expect(variantId(cfg)).toBe(id);
    }
  });
});

describe("parse errors", () => {
  test("malformed ids are not variant ids", () => {
    for (const id of [
      "",
      "dense_fwd_hd128",
      "dense_fwd_hd128_bm128_bn64_w8_sx_bf16_sm90a", // stages not a number
      "dense_fwd_hd128_bm128_bn64_s2_w8_bf16_sm90a", // stages before warps
      "dense_fwd_bm128_hd128_bn64_w8_s2_bf16_sm90a", // fields out of order
      "dense_fwd_hd128_bm128_bn64_w8_s2_bf16_sm90a_x", // trailing field
      "DENSE_FWD_hd128_bm128_bn64_w8_s2_bf16_sm90a",
      " dense_fwd_hd128_bm128_bn64_w8_s2_bf16_sm90a",
    ])
      expect(() => parseVariantId(id)).toThrow(/^not a variant id: ".*" \(expected e\.g\. dense_fwd_hd128_bm128_bn64_w8_s2_bf16_sm80/);
  });

  test("an id in the old format (no stages) says where the stages go, with the default", () => {
    expect(() => parseVariantId("dense_fwd_hd128_bm128_bn64_w8_bf16_sm90a")).toThrow(
      "ids now spell the pipeline stages after the warps: dense_fwd_hd128_bm128_bn64_w8_s2_bf16_sm90a",
    );
    expect(() => parseVariantId("select_hd128_bm256_bn128_w16_bf16_sm90a")).toThrow(
      "ids now spell the pipeline stages after the warps: select_hd128_bm256_bn128_w16_s6_bf16_sm90a",
    );
  });

  test("a well-formed id of an invalid config names every reason", () => {
    expect(() => parseVariantId("dense_fwd_hd128_bm128_bn64_w8_s3_bf16_sm90a")).toThrow(
      /^invalid variant "dense_fwd_hd128_bm128_bn64_w8_s3_bf16_sm90a": stages 3: the double-buffered kernels .* stages must be 2$/,
    );
    expect(() => parseVariantId("select_hd128_bm128_bn128_w8_s2_bf16_sm90a")).toThrow(/two-tiles-per-step loop deadlocks/);
    expect(() => parseVariantId("sparse_fwd_hd128_bm192_bn64_w12_s2_bf16_sm90a")).toThrow(/tile does not divide the pattern block/);
    expect(() => parseVariantId("dense_fwd_hd128_bm128_bn32_w4_s3_bf16_sm90a")).toThrow(
      /warps must be blockM \/ 16 = 8 \(or 12 with a producer warpgroup, at blockM 128; select also 20: four consumers\); sm90a attention kernels take blockN 64 or 128; stages 3/,
    );
  });
});

describe("expandVariants and stages", () => {
  test("stages default per config when other tiles are given", () => {
    const sel = { ops: ["select" as const], archs: ["sm90a"], headDims: [128], dtypes: ["bf16"], blockNs: [128] };
    expect(expandVariants({ ...sel, blockMs: [128], warps: [8] }).map(variantId)).toEqual(["select_hd128_bm128_bn128_w8_s4_bf16_sm90a"]);
    expect(expandVariants({ ...sel, blockMs: [256], warps: [16] }).map(variantId)).toEqual(["select_hd128_bm256_bn128_w16_s6_bf16_sm90a"]);
    // blockN from the family's first default (the warp-specialized bm128 bn128 w12); one that the
    // other tiles cannot take is an error with the reason, not a silent substitute.
    expect(expandVariants({ ops: ["dense_fwd"], archs: ["sm90a"], headDims: [128], dtypes: ["bf16"], blockMs: [128], warps: [12] }).map(variantId)).toEqual([
      "dense_fwd_hd128_bm128_bn128_w12_s2_bf16_sm90a",
    ]);
    expect(() => expandVariants({ ops: ["dense_fwd"], archs: ["sm90a"], headDims: [128], dtypes: ["bf16"], blockMs: [192], blockNs: [192], warps: [12] })).toThrow(/blockN 192 is offered for the warp-specialized/);
    expect(expandVariants({ ops: ["dense_fwd"], archs: ["sm90a"], headDims: [128], dtypes: ["bf16"], blockMs: [192], blockNs: [128], warps: [12] }).map(variantId)).toEqual([
      "dense_fwd_hd128_bm192_bn128_w12_s2_bf16_sm90a",
    ]);
  });

  test("a stages list crosses with the tiles; an invalid one is rejected with the reason", () => {
    const sel = { ops: ["select" as const], archs: ["sm90a"], headDims: [64], dtypes: ["fp16"], blockMs: [128], blockNs: [64], warps: [8] };
    expect(expandVariants({ ...sel, stages: [3, 5, 8] }).map((v) => v.stages)).toEqual([3, 5, 8]);
    expect(() => expandVariants({ ...sel, stages: [2] })).toThrow(/select_hd64_bm128_bn64_w8_s2_fp16_sm90a: stages 2: the sm90a select TMA ring takes 3 to 8 stages/);
    expect(() => expandVariants({ ops: ["sparse_fwd"], archs: ["sm80"], stages: [4] })).toThrow(/stages 4: the double-buffered kernels/);
  });
});
