// A synthetic long-context workload for the demo: per layer and denoising step, Q/K/V [1, N, H, D]
// whose attention has the structure SparseD exploits (shared/DESIGN.md section 1): heads differ (a
// local band, sink columns, clusters of queries reading particular key ranges, plus noise), and each
// head drifts slowly across steps, so a pattern selected at the switch step stays nearly right.
//
// The structure is real in Q K^T, not painted onto scores. Each head splits its D dims into
//   [0, 2F)        band: q_i, k_j = a_f (cos f w0 x, sin f w0 x), f = 1..F, so that
//                  s q_i.k_j = beta sum_f c_f cos(f w0 (x_i - x_j)) / sum_f c_f: a truncated Fourier
//                  series of a Gaussian of width sigma, periodic in P = N + 4 sigma so that its only
//                  other peak lies outside the sequence (F harmonics cannot make sigma below ~0.6 N/F,
//                  and random frequencies instead would scatter spurious far-field spikes);
//   2F             sink: every query carries the same large component, sink keys carry it too;
//   2F+1 .. 2F+C   clusters: queries of a cluster's query range and keys of its key range share one
//                  direction;
//   the rest (R)   iid noise, a logit noise of std nu in expectation, kept out of the structured dims
//                  so that it does not multiply the large structured components.
// Logit heights come from the share of a row's softmax mass each component should hold against the
// N background keys, so the structure survives at any N. Drift, reached at the last step and scaled
// by `drift`: the band's query positions shift, cluster key ranges slide, band and cluster heights
// change a little, and part of the noise (and of V) is redrawn. Values are rounded to bf16, as the
// kernels see them. Deterministic from the seed.
import { invalid } from "./errors";
import { rng } from "./random";

export interface WorkloadOptions {
  n: number; // tokens N (Nq = Nk)
  heads: number; // H (Hq = Hkv)
  headDim: number; // D, at least 16
  layers: number;
  steps: number; // denoising steps S: the drift reaches its full size at step S - 1
  seed?: number; // default 1
  drift?: number; // in [0, 1], default 0.3; 0 freezes the workload across steps
}

export type HeadKind = "local" | "sink" | "cluster" | "mixed";
const KINDS: readonly HeadKind[] = ["local", "sink", "cluster", "mixed"];

export interface Cluster {
  q0: number; // queries [q0, q1)
  q1: number;
  k0: number; // read keys [k0, k1) at step 0
  k1: number;
  shift: number; // signed tokens the key range slides by at full drift
}

export interface HeadSpec {
  kind: HeadKind;
  bandWidth: number; // sigma of the band's Gaussian profile, in tokens
  bandLogit: number; // the band's height at i = j, in logits
  bandShift: number; // signed tokens the band's query positions move by at full drift
  sinks: number[]; // key positions every query attends to
  sinkLogit: number;
  clusters: Cluster[];
  clusterLogit: number;
  noise: number; // logit noise std nu
  heightDrift: number; // relative change of the band and cluster heights at full drift
}

/** Host data of one tensor [1, N, H, D]: float64 values (already bf16) or raw bf16 bits. */
export interface WorkloadTensor<A extends Float64Array | Uint16Array = Float64Array> {
  data: A;
  shape: [number, number, number, number];
}

export interface WorkloadStep<A extends Float64Array | Uint16Array = Float64Array> {
  q: WorkloadTensor<A>;
  k: WorkloadTensor<A>;
  v: WorkloadTensor<A>;
}

/**
 * Per kind: the ratio of a row's mass each component should hold to the mass of the N background
 * keys, the logit noise, how many clusters and extra sinks (beyond token 0) to draw.
 */
const KIND_PARAMS: Record<HeadKind, { band: number; sink: number; cluster: number; noise: number; clusters: [number, number]; extraSinks: [number, number] }> = {
  local: { band: 30, sink: 0.3, cluster: 0, noise: 0.5, clusters: [0, 0], extraSinks: [0, 0] },
  sink: { band: 1, sink: 20, cluster: 0, noise: 0.5, clusters: [0, 0], extraSinks: [1, 3] },
  cluster: { band: 1, sink: 0.3, cluster: 20, noise: 0.5, clusters: [3, 8], extraSinks: [0, 0] },
  mixed: { band: 4, sink: 1, cluster: 4, noise: 1, clusters: [1, 2], extraSinks: [0, 1] },
};

function mix(...xs: number[]): number {
  let h = 0x811c9dc5;
  for (const x of xs) {
    h = Math.imul(h ^ (x >>> 0), 0x01000193);
    h ^= h >>> 13;
    h = Math.imul(h, 0x5bd1e995);
    h ^= h >>> 15;
  }
  return h >>> 0;
}

const SQRT12 = Math.sqrt(12); // uniform(-0.5, 0.5) * SQRT12 has variance 1
const BAND_CUTOFF = 3.5; // harmonics up to F w0 sigma >= this keep the band's Gaussian profile

interface Band {
  w0: number; // base frequency 2 pi / P
  weights: Float64Array; // c_f / sum c (f = 1..F)
}

export class Workload {
  readonly n: number;
  readonly heads: number;
  readonly headDim: number;
  readonly layers: number;
  readonly steps: number;
  readonly seed: number;
  readonly drift: number;
  /** Per head: F band harmonics (2F dims), C cluster dims, R noise dims (plus one sink dim). */
  readonly bandPairs: number;
  readonly clusterDims: number;
  readonly noiseDims: number;
  private readonly specs: HeadSpec[][]; // [layer][head]
  private readonly bands: Band[][]; // [layer][head]

  constructor(opts: WorkloadOptions) {
    for (const key of ["n", "heads", "headDim", "layers", "steps"] as const)
      if (!(Number.isInteger(opts[key]) && opts[key] > 0)) throw invalid(`workload: ${key} = ${opts[key]} must be a positive integer`);
    if (opts.headDim < 16) throw invalid(`workload: headDim = ${opts.headDim} is too small; the structure needs at least 16 dims`);
    const drift = opts.drift ?? 0.3;
    if (!(Number.isFinite(drift) && drift >= 0 && drift <= 1)) throw invalid(`workload: drift = ${drift} must be in [0, 1]`);
    this.n = opts.n;
    this.heads = opts.heads;
    this.headDim = opts.headDim;
    this.layers = opts.layers;
    this.steps = opts.steps;
    this.seed = (opts.seed ?? 1) >>> 0;
    this.drift = drift;
    this.clusterDims = Math.min(8, Math.floor(opts.headDim / 8));
    this.noiseDims = Math.floor(opts.headDim / 8);
    this.bandPairs = Math.floor((opts.headDim - 1 - this.clusterDims - this.noiseDims) / 2);
    this.noiseDims = opts.headDim - 1 - this.clusterDims - 2 * this.bandPairs;
    this.specs = [];
    this.bands = [];
    for (let l = 0; l < this.layers; l++) {
      const specs: HeadSpec[] = [];
      const bands: Band[] = [];
      for (let h = 0; h < this.heads; h++) {
        const spec = this.makeSpec(KINDS[(h + l) % KINDS.length]!, rng(mix(this.seed, 0x51, l, h)));
        specs.push(spec);
        bands.push(this.makeBand(spec.bandWidth));
      }
      this.specs.push(specs);
      this.bands.push(bands);
    }
  }

  /** The narrowest band F harmonics of period P = N + 4 sigma can draw: F (2 pi / P) sigma = BAND_CUTOFF. */
  get minBandWidth(): number {
    const k = BAND_CUTOFF / (2 * Math.PI * this.bandPairs);
    return (k * this.n) / (1 - 4 * k);
  }

  private makeBand(sigma: number): Band {
    const w0 = (2 * Math.PI) / (this.n + 4 * sigma);
    const weights = new Float64Array(this.bandPairs);
    let sum = 0;
    for (let f = 0; f < weights.length; f++) sum += weights[f] = Math.exp(-(((f + 1) * w0 * sigma) ** 2) / 2);
    for (let f = 0; f < weights.length; f++) weights[f]! /= sum;
    return { w0, weights };
  }

  private makeSpec(kind: HeadKind, next: () => number): HeadSpec {
    const N = this.n;
    const p = KIND_PARAMS[kind];
    const between = (lo: number, hi: number) => lo + (hi - lo) * next();
    const int = (lo: number, hi: number) => Math.min(hi, Math.floor(between(lo, hi + 1))); // [lo, hi]
    const sign = () => (next() < 0.5 ? -1 : 1);
    // Against N background keys under logit noise nu (E[e^noise] = e^(nu^2/2)), m keys at logit beta
    // hold ratio r of the background's mass when m e^beta = r N e^(nu^2/2).
    const nu = p.noise;
    const clampLogit = (b: number) => Math.min(16, Math.max(1, b));
    const logit = (r: number, m: number) => (r <= 0 ? 0 : clampLogit(Math.log((r * N) / Math.max(1, m)) + (nu * nu) / 2));

    const bandWidth = this.minBandWidth * between(1, 2);
    // A Gaussian profile beta exp(-d^2 / 2 sigma^2) holds about e^beta sigma sqrt(2 pi / beta) (Laplace).
    let bandLogit = logit(p.band, 2.5 * bandWidth);
    for (let it = 0; it < 4; it++) bandLogit = logit(p.band, bandWidth * Math.sqrt((2 * Math.PI) / bandLogit));
    const sinks = [0];
    for (let e = int(...p.extraSinks); e > 0; e--) sinks.push(int(1, N - 1));
    const uniqueSinks = [...new Set(sinks)].sort((a, b) => a - b);
    const clusters: Cluster[] = [];
    const nClusters = Math.min(this.clusterDims, int(...p.clusters));
    let keyLen = 0;
    for (let c = 0; c < nClusters; c++) {
      const lq = Math.max(1, Math.round(N * between(1 / 16, 1 / 4)));
      const lk = Math.max(4, Math.round(N * between(1 / 64, 1 / 24)));
      const q0 = int(0, N - lq);
      const k0 = int(0, Math.max(0, N - lk));
      clusters.push({ q0, q1: q0 + lq, k0, k1: Math.min(N, k0 + lk), shift: sign() * lk * between(0.3, 0.8) });
      keyLen += lk;
    }
    return {
      kind,
      bandWidth,
      bandLogit,
      bandShift: sign() * bandWidth * between(0.5, 1.5),
      sinks: uniqueSinks,
      sinkLogit: logit(p.sink, uniqueSinks.length),
      clusters,
      clusterLogit: nClusters > 0 ? logit(p.cluster, keyLen / nClusters) : 0,
      noise: nu,
      heightDrift: between(-0.3, 0.3),
    };
  }

  /** The structure of head h of a layer (at step 0; HeadSpec says how it drifts). */
  head(layer: number, h: number): HeadSpec {
    const spec = this.specs[layer]?.[h];
    if (!spec) throw invalid(`workload: no head ${h} in layer ${layer} (${this.layers} layers of ${this.heads} heads)`);
    return spec;
  }

  /** How far the drift has gone at a step: 0 at step 0, `drift` at the last step. */
  driftAt(step: number): number {
    return this.steps > 1 ? (this.drift * Math.min(step, this.steps - 1)) / (this.steps - 1) : 0;
  }

  get shape(): [number, number, number, number] {
    return [1, this.n, this.heads, this.headDim];
  }

  /** Q, K, V of one layer at one step as float64 values (bf16-rounded): the CPU backend's input. */
  tensors(layer: number, step: number): WorkloadStep<Float64Array> {
    const x = this.generate(layer, step);
    const wrap = (v: Float32Array): WorkloadTensor<Float64Array> => {
      roundToBf16InPlace(v);
      return { data: Float64Array.from(v), shape: this.shape };
    };
    return { q: wrap(x.q), k: wrap(x.k), v: wrap(x.v) };
  }

  /** The same values as raw bf16 bits (a quarter of the memory; what a device upload takes at large N). */
  tensorsBf16(layer: number, step: number): WorkloadStep<Uint16Array> {
    const x = this.generate(layer, step);
    return { q: { data: bf16BitsOf(x.q), shape: this.shape }, k: { data: bf16BitsOf(x.k), shape: this.shape }, v: { data: bf16BitsOf(x.v), shape: this.shape } };
  }

  /** Unrounded float32 values of Q, K, V [1, N, H, D]. */
  private generate(layer: number, step: number): { q: Float32Array; k: Float32Array; v: Float32Array } {
    if (!(Number.isInteger(layer) && layer >= 0 && layer < this.layers)) throw invalid(`workload: layer ${layer} is outside 0..${this.layers - 1}`);
    if (!(Number.isInteger(step) && step >= 0)) throw invalid(`workload: step ${step} must be a non-negative integer`);
    const { n: N, heads: H, headDim: D, bandPairs: F, noiseDims: R } = this;
    const t = this.driftAt(step);
    const s = 1 / Math.sqrt(D); // the attention scale the logit heights are meant for
    const sinkDim = 2 * F;
    const clusterDim0 = sinkDim + 1;
    const noiseDim0 = D - R;
    // Noise = sqrt(1 - rho) * base + sqrt(rho) * redrawn: the base stream is the same at every step.
    const rho = Math.min(1, t);
    const keepBase = Math.sqrt(1 - rho) * SQRT12;
    const fresh = Math.sqrt(rho) * SQRT12;

    const heads = this.specs[layer]!.map((spec, h) => {
      const band = this.bands[layer]![h]!;
      const heightScale = 1 + spec.heightDrift * t;
      const amp = Math.sqrt((spec.bandLogit * heightScale) / s);
      const sink = Math.sqrt(spec.sinkLogit / s);
      const sinkColumn = new Float64Array(N);
      spec.sinks.forEach((j, e) => (sinkColumn[j] = sink * (e === 0 ? 1 : 0.8 + (0.4 * (mix(this.seed, layer, h, j) % 1000)) / 1000)));
      return {
        // s * (sum over the R noise dims of sigma^2 u u') has std sigma^2 s sqrt(R) = nu.
        sigma: Math.sqrt(spec.noise / (s * Math.sqrt(R))),
        amps: band.weights.map((c) => amp * Math.sqrt(c)),
        rotCos: Float64Array.from({ length: F }, (_, f) => Math.cos((f + 1) * band.w0)),
        rotSin: Float64Array.from({ length: F }, (_, f) => Math.sin((f + 1) * band.w0)),
        w0: band.w0,
        sink,
        sinkColumn,
        cluster: Math.sqrt((spec.clusterLogit * heightScale) / s),
        qShift: spec.bandShift * t,
        clusters: spec.clusters.map((c) => {
          const shift = Math.round(c.shift * t);
          return { q0: c.q0, q1: c.q1, k0: Math.max(0, c.k0 + shift), k1: Math.min(N, c.k1 + shift) };
        }),
      };
    });

    const make = (which: "q" | "k" | "v"): Float32Array => {
      const tag = which.charCodeAt(0);
      const base = new UniformStream(mix(this.seed, 0xba5e, layer, tag));
      const redrawn = new UniformStream(mix(this.seed, 0xf7e5, layer, tag, step));
      const out = new Float32Array(N * H * D);
      const addNoise = (from: number, to: number, sigma: number) => {
        base.add(out, from, to, sigma * keepBase);
        if (rho > 0) redrawn.add(out, from, to, sigma * fresh);
      };
      if (which === "v") {
        addNoise(0, out.length, 1);
        return out;
      }
      // cos/sin of f w0 x_i, advanced from token to token by rotation (no trig in the loop).
      const x0 = (hd: (typeof heads)[number]) => (which === "q" ? hd.qShift : 0);
      const cosState = heads.map((hd) => Float64Array.from({ length: F }, (_, f) => Math.cos((f + 1) * hd.w0 * x0(hd))));
      const sinState = heads.map((hd) => Float64Array.from({ length: F }, (_, f) => Math.sin((f + 1) * hd.w0 * x0(hd))));
      for (let i = 0; i < N; i++)
        for (let h = 0; h < H; h++) {
          const hd = heads[h]!;
          const c = cosState[h]!;
          const sn = sinState[h]!;
          const { amps, rotCos, rotSin } = hd;
          const off = (i * H + h) * D;
          for (let f = 0; f < F; f++) {
            const a = amps[f]!;
            const cf = c[f]!;
            const sf = sn[f]!;
            out[off + 2 * f] = a * cf;
            out[off + 2 * f + 1] = a * sf;
            c[f] = cf * rotCos[f]! - sf * rotSin[f]!;
            sn[f] = sf * rotCos[f]! + cf * rotSin[f]!;
          }
          out[off + sinkDim] = which === "q" ? hd.sink : hd.sinkColumn[i]!;
          for (let ci = 0; ci < hd.clusters.length; ci++) {
            const cl = hd.clusters[ci]!;
            if (which === "q" ? i >= cl.q0 && i < cl.q1 : i >= cl.k0 && i < cl.k1) out[off + clusterDim0 + ci] = hd.cluster;
          }
          addNoise(off + noiseDim0, off + D, hd.sigma);
        }
      return out;
    };
    return { q: make("q"), k: make("k"), v: make("v") };
  }
}

/** mulberry32 (as src/random.ts), with the loop inside the method: a closure call per value costs 3x. */
class UniformStream {
  private a: number;
  constructor(seed: number) {
    this.a = seed | 0;
  }
  /** out[e] += scale * u for e in [from, to), u uniform in [-0.5, 0.5). */
  add(out: Float32Array, from: number, to: number, scale: number): void {
    let a = this.a;
    for (let e = from; e < to; e++) {
      a = (a + 0x6d2b79f5) | 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      out[e]! += scale * (((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5);
    }
    this.a = a;
  }
}

/** The bf16 bits of a float32's bits, nearest even (as src/dtype.ts's bf16Bits; the values are finite). */
function roundBits(b: number): number {
  const hi = b >>> 16;
  const lo = b & 0xffff;
  return (lo > 0x8000 || (lo === 0x8000 && (hi & 1) === 1) ? hi + 1 : hi) & 0xffff;
}

/** Round float32 values to bf16 in place. */
function roundToBf16InPlace(x: Float32Array): void {
  const u = new Int32Array(x.buffer, x.byteOffset, x.length);
  for (let e = 0; e < u.length; e++) u[e] = roundBits(u[e]!) << 16;
}

/** The bf16 bit patterns of float32 values. */
function bf16BitsOf(x: Float32Array): Uint16Array {
  const u = new Int32Array(x.buffer, x.byteOffset, x.length);
  const out = new Uint16Array(x.length);
  for (let e = 0; e < u.length; e++) out[e] = roundBits(u[e]!);
  return out;
}
