// `bun run check` (the second half of `npm start`): a short dense-attention check. On a GPU it runs
// our kernel on random inputs and holds it against the float64 CPU reference; without one it runs
// the CPU reference backend on a small problem and says why the GPU was not used.
import { dense } from "./dense";
import { deviceInfo, gpuUnavailableReason } from "./device";
import { native } from "./native";
import { referenceAttention, relativeError, type HostInputs } from "./reference";
import { rng, uniform } from "./random";
import { decode, encode } from "./dtype";
import { DeviceTensor } from "./tensor";
import { compareWithReference, countNonFinite, freeProblem, makeProblem } from "./verify";

function checkGpu(): boolean {
  const info = deviceInfo();
  console.log(`check: GPU ${info.name} (compute capability ${info.computeCapability.join(".")}, ${info.smCount} SMs)`);
  const shape = { batch: 2, nq: 1000, nk: 1337, hq: 8, hkv: 2, headDim: 128 };
  let ok = true;
  for (const dtype of ["bf16", "fp16"] as const) {
    const seed = Date.now() % 100000;
    const p = makeProblem(shape, dtype, seed, true);
    const out = DeviceTensor.empty([shape.batch, shape.nq, shape.hq, shape.headDim], dtype);
    const lse = DeviceTensor.empty([shape.batch, shape.hq, shape.nq], "f32");
    try {
      out.buffer.fill(0xff); // NaN: every element must be written
      const t0 = performance.now();
      const r = dense(p.q, p.k, p.v, { out, lse });
      const o = out.toHost();
      const ms = performance.now() - t0;
      const c = compareWithReference(p, o, lse.toHost(), 16, seed);
      const unwritten = countNonFinite(o);
      const pass = unwritten === 0 && c.err <= 2 * c.errLowPrecision + 1e-4 && c.lseMaxAbs < 1e-3;
      ok &&= pass;
      console.log(
        `check: ${r.variant}: B=2 Nq=1000 Nk=1337 Hq/Hkv=8/2 D=128 strided: rel err ${c.err.toExponential(2)} ` +
          `(plain ${dtype} ${c.errLowPrecision.toExponential(2)}), lse max abs ${c.lseMaxAbs.toExponential(2)}, ` +
          `${unwritten} unwritten, ${c.rows} rows checked, ${ms.toFixed(1)} ms incl. copies: ${pass ? "PASS" : "FAIL"}`,
      );
    } finally {
      freeProblem(p);
      out.free();
      lse.free();
    }
  }
  return ok;
}

function checkCpu(reason: string): boolean {
  console.log(`check: no GPU (${reason}); running the CPU reference backend`);
  const shape = { batch: 1, nq: 256, nk: 300, hq: 4, hkv: 2, headDim: 64 };
  const next = rng(1234);
  const bf = (n: number, lo: number, hi: number) => decode(encode(uniform(n, next, lo, hi), "bf16"), "bf16");
  const x: HostInputs = {
    q: bf(shape.nq * shape.hq * 64, -1.5, 1.5),
    k: bf(shape.nk * shape.hkv * 64, -1.5, 1.5),
    v: bf(shape.nk * shape.hkv * 64, -1, 1),
    shape,
    scale: 1 / 8,
  };
  const t0 = performance.now();
  const ref = referenceAttention(x);
  const ms = performance.now() - t0;
  const low = referenceAttention(x, "bf16");
  const err = relativeError(low.out, ref.out);
  const lseMin = Math.min(...ref.lse);
  const lseMax = Math.max(...ref.lse);
  const pass = Number.isFinite(err) && err < 1e-2 && countNonFinite(ref.out) === 0;
  console.log(
    `check: CPU dense attention B=1 Nq=256 Nk=300 Hq/Hkv=4/2 D=64 (float64): ${ms.toFixed(0)} ms, LSE in [${lseMin.toFixed(3)}, ${lseMax.toFixed(3)}]; ` +
      `a plain bf16 evaluation differs by ${err.toExponential(2)} (expected 1e-3..1e-2): ${pass ? "PASS" : "FAIL"}`,
  );
  return pass;
}

const lib = native();
console.log(`check: library ${lib.libraryPath} with ${lib.manifest.variants.length} kernel variants (${lib.manifest.gencodes.join(", ")})`);
const reason = gpuUnavailableReason();
process.exit((reason ? checkCpu(reason) : checkGpu()) ? 0 : 1);
