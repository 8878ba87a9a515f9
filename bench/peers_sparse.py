#!/usr/bin/env python3
"""Time the PyTorch peers of sparsed's SparseD path: sparse attention, selection, dense, and the schedule.

Impls (shared/DESIGN.md sections 1 and 4; the bars are in issue 3):
  flex-sparse      torch.compile'd FlexAttention with a BlockMask built from kv block lists; the pattern
                   keeps floor(nkb*select)+1 random blocks per row, drawn exactly as bench/sparse.ts's
                   randomPattern (mulberry32, seed 11), or is read from --pattern (SparsePattern.toJSON(),
                   e.g. the files bench/sparse.ts --patterns workload writes). Rows say which: "pattern"
                   is "random", or the file's "source" ("workload"; "file" where it names none).
                   TFLOP/s count only kept (query, key) pairs: 4 * D * kept, tails at their real size.
  torch-selection  the published SparseD selection (INV-WZQ/SparseD, LLaDA attention): per query block a
                   full softmax row over all keys, block means, top-k; then the generation part over keys
                   [g*b, N) with its own top-k; union; turned into kv block lists as flex needs them.
  sdpa-flash       dense SDPA FlashAttention-2, timed by bench/peers.py, so ratios come from one run.
--schedule adds per-phase estimates of one layer's denoising loop for the PyTorch stack.
Shapes are BxHxNxD, bf16, Nq = Nk = N, Hq = Hkv = H; q, k, v live as [B, N, H, D] and are viewed as
[B, H, N, D], like bench/peers.py.
"""

import argparse
import json
import math
import os
import statistics
import sys

import numpy as np
import torch
import torch._dynamo  # noqa: F401  (its config is set below)
import torch.nn.functional as F
from torch.nn.attention.flex_attention import BlockMask, flex_attention

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers  # noqa: E402  (bench/peers.py: timing, input rotation, the SDPA rows)

IMPLS = ("flex-sparse", "torch-selection", "sdpa-flash")
DTYPE, DTYPE_NAME = torch.bfloat16, "bf16"
REF_QUERIES = 512  # queries of the masked fp32 reference slice
SEED = 11  # bench/sparse.ts draws every random pattern with this seed

# Every shape is its own compiled graph (dynamic=False gives each the specialised kernel a model run
# would get); lift the recompile limit so a long --shapes list never falls back to eager flex, which
# materialises the N x N scores.
_dyn = torch._dynamo.config
setattr(_dyn, "recompile_limit" if hasattr(_dyn, "recompile_limit") else "cache_size_limit", 64)
flex = torch.compile(flex_attention, dynamic=False)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--shapes", default="1x32x16384x128,1x32x65536x128",
                   help="comma-separated BxHxNxD shapes (default 1x32x16384x128,1x32x65536x128)")
    p.add_argument("--block", type=int, default=128, help="pattern block size b (default 128)")
    p.add_argument("--layout", choices=("bnhd", "bhnd"), default="bnhd",
                   help="memory order of q, k, v: bnhd ([B, N, H, D], our library's native order, seen as [B, H, N, D] "
                        "views; default) or bhnd (contiguous [B, H, N, D]); give bench/sparse.ts the same --layout")
    p.add_argument("--select", default="0.3,0.1", help="comma-separated keep ratios in (0, 1] (default 0.3,0.1)")
    p.add_argument("--gen-length", type=int, default=None,
                   help="generation length G, the tokens at the end of the sequence (default min(1024, N/4) per shape, as bench/sparse.ts)")
    p.add_argument("--reps", type=int, default=30, help="timed calls of flex and SDPA; the median is reported (default 30)")
    p.add_argument("--warmup", type=int, default=5, help="untimed calls before timing (default 5; flex compiles before these)")
    p.add_argument("--warmup-ms", type=int, default=1000,
                   help="and at least this many milliseconds of them (default 1000, as our sweep's; 0: calls only)")
    p.add_argument("--selection-reps", type=int, default=5,
                   help="timed torch-selection calls, after one warm-up (default 5: one call is ~N/b Python iterations)")
    p.add_argument("--impls", default=",".join(IMPLS), help=f"comma-separated among {', '.join(IMPLS)} (default all)")
    p.add_argument("--pattern", default=None,
                   help="comma-separated SparsePattern JSON files (SparsePattern.toJSON() in src/pattern.ts; "
                        "bench/sparse.ts --pattern-dir) that flex-sparse uses instead of random patterns, so both "
                        "sides time the same mask: each on the shape it was built for; a file that fits no shape "
                        "gets an error row")
    p.add_argument("--schedule", action="store_true",
                   help="also estimate the all-dense and the SparseD loop of one layer from the per-step medians")
    p.add_argument("--steps", type=int, default=1024, help="denoising steps S for --schedule (default 1024)")
    p.add_argument("--skip", type=float, default=0.2, help="dense fraction in [0, 1) for --schedule (default 0.2)")
    p.add_argument("--out", default="bench/results/tmp/peers-sparse.json", help="JSON result file, parent folders created (default bench/results/tmp/peers-sparse.json)")
    args = p.parse_args()
    args.shapes = [peers.parse_shape(s) for s in args.shapes.split(",") if s]
    try:
        args.select = [float(s) for s in args.select.split(",") if s]
    except ValueError:
        p.error(f"--select {args.select!r} must be comma-separated numbers, e.g. 0.3,0.1")
    args.impls = [s for s in args.impls.split(",") if s]
    if unknown := [s for s in args.impls if s not in IMPLS]:
        p.error(f"unknown impls {unknown}; known: {list(IMPLS)}")
    if not all(0 < s <= 1 for s in args.select):
        p.error("every --select must be in (0, 1]")
    if args.block < 1 or args.reps < 1 or args.warmup < 0 or args.warmup_ms < 0 or args.selection_reps < 1 or args.steps < 1:
        p.error("--block, --reps, --selection-reps and --steps must be >= 1, --warmup and --warmup-ms >= 0")
    if not 0 <= args.skip < 1:
        p.error("--skip must be in [0, 1)")
    if args.gen_length is not None and args.gen_length < 0:
        p.error("--gen-length must be >= 0")
    return args


# ---- patterns: int32 kv block lists, host (numpy) for counting, device (torch) for flex ----

def mulberry32(seed, count):
    """The first `count` draws of src/random.ts's rng(seed). Its state only ever grows by a constant,
    so the n-th state is seed + n * 0x6d2b79f5 and all draws vectorise; uint32 wraps like Math.imul."""
    n = np.arange(1, count + 1, dtype=np.uint64)
    t = ((np.uint64(seed) + n * np.uint64(0x6D2B79F5)) & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    t = (t ^ (t >> np.uint32(15))) * (t | np.uint32(1))
    t ^= t + (t ^ (t >> np.uint32(7))) * (t | np.uint32(61))
    return (t ^ (t >> np.uint32(14))).astype(np.float64) / 4294967296.0


def random_pattern(B, H, N, b, select, seed=SEED):
    """bench/sparse.ts randomPattern: per row (b, h, i in order) a partial Fisher-Yates shuffle of the
    nkb block indices, k swaps with draws r = i + floor(u * (nkb - i)); the first k kept, ascending."""
    nb = math.ceil(N / b)
    k = min(nb, math.floor(nb * select) + 1)
    rows = B * H * nb
    u = mulberry32(seed, rows * k).reshape(rows, k)
    perm = np.tile(np.arange(nb, dtype=np.int32), (rows, 1))
    at = np.arange(rows)
    for i in range(k):  # rows shuffle independently, so one vectorised swap per position
        r = i + np.floor(u[:, i] * (nb - i)).astype(np.int64)
        kept = perm[at, r]
        perm[at, r] = perm[at, i]
        perm[at, i] = kept
    indices = np.full((rows, nb), -1, dtype=np.int32)
    indices[:, :k] = np.sort(perm[:, :k], axis=1)
    return np.full((B, H, nb), k, dtype=np.int32), indices.reshape(B, H, nb, nb)


def load_pattern(path):
    with open(path) as f:
        o = json.load(f)
    s = o["shape"]
    b = int(s.get("blockSize", o.get("blockSize")))
    nqb, nkb = math.ceil(s["nq"] / b), math.ceil(s["nk"] / b)
    counts = np.asarray(o["counts"], dtype=np.int32).reshape(s["batch"], s["hq"], nqb)
    indices = np.asarray(o["indices"], dtype=np.int32).reshape(s["batch"], s["hq"], nqb, nkb)
    # bench/workload-pattern.ts's files also say where they came from and at which select.
    label = {"pattern": str(o.get("source", "file")), "pattern_file": path}
    if isinstance(o.get("select"), (int, float)):
        label["select"] = float(o["select"])
    return {"shape": s, "block": b, "counts": counts, "indices": indices, "label": label}


def pattern_fits(pattern, shape):
    B, H, N, _ = shape
    s = pattern["shape"]
    return (s["batch"], s["hq"], s["nq"], s["nk"]) == (B, H, N, N)


def kept_pairs(counts, indices, N, b):
    """(query, key) pairs inside kept blocks, tails at their real size (SparsePattern.keptPairs())."""
    nqb, nkb = indices.shape[-2:]
    rows = np.minimum(b, N - np.arange(nqb) * b).astype(np.int64)
    cols = np.minimum(b, N - np.arange(nkb) * b).astype(np.int64)
    valid = np.arange(nkb) < counts[..., None]
    per_row = np.where(valid, cols[np.clip(indices, 0, nkb - 1)], 0).sum(-1)
    return int((per_row * rows).sum())


def to_device(counts, indices):
    # Entries past a row's count are never read but must be valid block numbers for flex.
    idx = np.where(indices < 0, 0, indices)
    return torch.from_numpy(counts).cuda(), torch.from_numpy(np.ascontiguousarray(idx)).cuda()


def flex_block_mask(counts, indices, N, b):
    # The blocks go in as "full" blocks: the mask inside them is all-true (noop mask_mod), which is how
    # create_block_mask would file them, and it lets flex skip mask_mod; seq_lengths marks the tails.
    # Only compiled flex honours the lists (eager flex applies mask_mod alone, i.e. dense attention);
    # rel_err would show such a fallback.
    return BlockMask.from_kv_blocks(torch.zeros_like(counts), torch.zeros_like(indices),
                                    full_kv_num_blocks=counts, full_kv_indices=indices,
                                    BLOCK_SIZE=b, seq_lengths=(N, N))


def masked_rel_err(out, q, k, v, counts, indices, b):
    """||out - ref|| / ||ref|| against fp32 masked attention on batch 0, head 0, the first REF_QUERIES queries."""
    N, nkb = q.shape[2], indices.shape[-1]
    nq = min(N, REF_QUERIES)
    nqb = math.ceil(nq / b)
    c, idx = counts[0, 0, :nqb], indices[0, 0, :nqb].long()
    valid = torch.arange(nkb, device=idx.device) < c[:, None]
    blocks = torch.zeros(nqb, nkb + 1, dtype=torch.bool, device=idx.device)
    blocks.scatter_(1, torch.where(valid, idx, nkb), True)  # padding lands in the dropped column nkb
    keep = blocks[:, :nkb].repeat_interleave(b, 0)[:nq].repeat_interleave(b, 1)[:, :N]
    q0, k0, v0 = (t[0, 0].float() for t in (q, k, v))
    scores = (q0[:nq] @ k0.T) * (1.0 / math.sqrt(q.shape[-1]))
    ref = torch.softmax(scores.masked_fill(~keep, float("-inf")), dim=-1) @ v0
    got = out[0, 0, :nq].float()
    return ((got - ref).norm() / ref.norm()).item()


# ---- the published selection ----

def block_topk(probs, b, k):
    # As the published create_attention_block_mask: zero-pad to whole blocks, mean over each b x b
    # block (so the divisor is b*b), top-k per query block. .abs() is theirs too (a no-op on
    # probabilities, but a pass over the data they pay for).
    rows, cols = probs.shape[-2:]
    padded = F.pad(probs, (0, -cols % b, 0, -rows % b))
    importance = padded.unfold(2, b, b).unfold(3, b, b).abs().mean(dim=(-1, -2))
    return torch.topk(importance, k=k, dim=-1, sorted=False).indices  # [B, H, 1, k]


def torch_selection(q, k, b, select, G, scale):
    """DESIGN.md section 1 "isolated selection", computed the way the published LLaDA code does:
    bf16 q K^T per query block, an fp32 softmax cast back to bf16, block means, top-k, a bool
    [B, H, nqb, nkb] mask; then the kv block lists (counts, ascending indices) that flex consumes."""
    B, H, N, _ = q.shape
    nqb = nkb = math.ceil(N / b)
    g = next((i for i in range(nqb) if N - i * b <= G), nqb - 1)
    kA = min(nkb, math.floor(nkb * select) + 1)
    kB = min(nkb - g, math.floor((nkb - g) * select) + 1)
    mask = torch.zeros(B, H, nqb, nkb, dtype=torch.bool, device=q.device)
    kT, kgT = k.transpose(2, 3), k[:, :, g * b:].transpose(2, 3)
    for i in range(nqb):  # prompt part: softmax over all keys
        p = torch.softmax((q[:, :, i * b:(i + 1) * b] @ kT) * scale, dim=-1, dtype=torch.float32).to(q.dtype)
        mask[:, :, i].scatter_(-1, block_topk(p, b, kA)[:, :, 0], True)
    mask[:, :, :, g:] = False
    gen = mask[:, :, :, g:]  # a view: the union is written in place
    for i in range(nqb):  # generation part: its own softmax over keys [g*b, N)
        p = torch.softmax((q[:, :, i * b:(i + 1) * b] @ kgT) * scale, dim=-1, dtype=torch.float32).to(q.dtype)
        gen[:, :, i].scatter_(-1, block_topk(p, b, kB)[:, :, 0], True)
    cols = torch.arange(nkb, dtype=torch.int32, device=q.device).expand_as(mask)
    indices = torch.where(mask, cols, nkb).sort(dim=-1).values.clamp_max_(nkb - 1)
    return mask.sum(-1, dtype=torch.int32), indices


# ---- measuring ----

def base_row(impl, shape, **extra):
    B, H, N, D = shape
    return {"impl": impl, "B": B, "H": H, "N": N, "D": D, "dtype": DTYPE_NAME, **extra}


def guarded(row, body):
    """Runs body(row) and records any failure (flex compile errors, OOM) in the row instead of raising."""
    try:
        body(row)
    except Exception as e:
        row["error"] = f"{type(e).__name__}: {' '.join(str(e).split())[:500]}"  # compile errors run to pages
        torch.cuda.empty_cache()
    return row


def timing_fields(ms):
    median = statistics.median(ms)
    return {"ms_median": median, "ms_min": min(ms), "ms_max": max(ms)}


def measure_flex(shape, input_sets, counts_np, indices_np, b, args, **label):
    B, H, N, D = shape

    def body(row):
        counts, indices = to_device(counts_np, indices_np)
        mask = flex_block_mask(counts, indices, N, b)
        q, k, v = input_sets[0]
        row["rel_err"] = masked_rel_err(flex(q, k, v, block_mask=mask), q, k, v, counts, indices, b)
        ms = peers.time_calls(lambda q, k, v: flex(q, k, v, block_mask=mask), input_sets, args.reps, args.warmup, args.warmup_ms)
        kept = kept_pairs(counts_np, indices_np, N, b)
        row.update(timing_fields(ms), density=float(counts_np.sum()) / (counts_np.size * indices_np.shape[-1]),
                   kept_fraction=kept / (B * H * N * N), input_sets=len(input_sets))
        row["tflops_kept"] = 4 * D * kept / (row["ms_median"] * 1e-3) / 1e12

    return guarded(base_row("flex-sparse", shape, block=b, **label), body)


def measure_selection(shape, input_sets, select, args):
    B, H, N, D = shape
    G = min(1024, N // 4) if args.gen_length is None else args.gen_length
    scale = 1.0 / math.sqrt(D)  # DESIGN's default; the published 1/sqrt(Hq) costs the same

    def body(row):
        qk_sets = [(q, k) for q, k, _ in input_sets]
        fn = lambda q, k: torch_selection(q, k, args.block, select, G, scale)  # noqa: E731
        counts, indices = fn(*qk_sets[0])
        row["density"] = counts.sum().item() / (counts.numel() * indices.shape[-1])
        row.update(timing_fields(peers.time_calls(fn, qk_sets, args.selection_reps, 1)))

    return guarded(base_row("torch-selection", shape, block=args.block, select=select, gen_length=G), body)


def measure_shape(shape, args, patterns):
    B, H, N, D = shape
    elem = torch.tensor([], dtype=DTYPE).element_size()
    set_bytes = 4 * B * N * H * D * elem  # q, k, v and the output each call writes
    n_sets = peers.count_input_sets(set_bytes)
    print(f"shape B={B} H={H} N={N} D={D} {DTYPE_NAME}, layout {args.layout}: {n_sets} input set(s) of {set_bytes / 2**20:.0f} MiB", flush=True)
    try:
        input_sets = [peers.make_inputs(B, H, N, D, DTYPE, args.layout) for _ in range(n_sets)]
    except torch.cuda.OutOfMemoryError as e:
        torch.cuda.empty_cache()
        return [base_row(name, shape, error=f"OutOfMemoryError allocating inputs: {str(e).splitlines()[0]}") for name in args.impls]
    rows = []
    if "sdpa-flash" in args.impls:
        rows.append(report(peers.measure_impl("sdpa-flash", shape, DTYPE_NAME, input_sets, args.reps, args.warmup, args.warmup_ms)))
    if "flex-sparse" in args.impls:
        for pattern in patterns:
            if pattern_fits(pattern, shape):
                rows.append(report(measure_flex(shape, input_sets, pattern["counts"], pattern["indices"], pattern["block"],
                                                args, **pattern["label"])))
    for select in args.select:
        if "flex-sparse" in args.impls and not patterns:
            counts, indices = random_pattern(B, H, N, args.block, select)
            rows.append(report(measure_flex(shape, input_sets, counts, indices, args.block, args, select=select,
                                            pattern="random", seed=SEED)))
        if "torch-selection" in args.impls:
            rows.append(report(measure_selection(shape, input_sets, select, args)))
    del input_sets
    torch.cuda.empty_cache()
    return rows


def schedule_rows(rows, args):
    """One layer's loop (DESIGN.md section 1): steps t <= switchStep are dense and the pattern is
    selected at t = switchStep, the rest are sparse; switchStep >= S means all dense, no selection.
    Per-phase medians times step counts."""
    switch = math.floor(args.steps * args.skip) + 1
    n_dense = min(switch + 1, args.steps)
    n_select = 1 if switch < args.steps else 0
    n_sparse = args.steps - n_dense
    out = []
    for shape in args.shapes:
        same = [r for r in rows if (r["B"], r["H"], r["N"], r["D"]) == shape and "error" not in r]
        for select in args.select:
            # The random pattern's row where there is one; a --pattern row at this select, or one that carries
            # no select (it then stands for every one), otherwise.
            flex_rows = [r for r in same if r["impl"] == "flex-sparse" and r.get("select", select) == select]
            flex_row = next((r for r in flex_rows if r.get("pattern", "random") == "random"), next(iter(flex_rows), None))
            phases = {  # field: (impl, steps it runs, its row)
                "dense_ms": ("sdpa-flash", n_dense, next((r for r in same if r["impl"] == "sdpa-flash"), None)),
                "selection_ms": ("torch-selection", n_select,
                                 next((r for r in same if r["impl"] == "torch-selection" and r["select"] == select), None)),
                "sparse_ms": ("flex-sparse", n_sparse, flex_row),
            }
            row = base_row("schedule-pytorch", shape, select=select, steps=args.steps, skip=args.skip,
                           switch_step=switch, dense_steps=n_dense, sparse_steps=n_sparse)
            if missing := [impl for impl, count, r in phases.values() if count and r is None]:
                row["error"] = f"no timing for {', '.join(missing)} (not in --impls, or it failed)"
            else:
                row.update({field: r["ms_median"] for field, (_, count, r) in phases.items() if count})
                row["all_dense_ms"] = args.steps * row["dense_ms"]
                row["sparsed_ms"] = sum(count * r["ms_median"] for _, count, r in phases.values() if count)
                row["speedup"] = row["all_dense_ms"] / row["sparsed_ms"]
            out.append(report(row))
    return out


def report(row):
    shape = f"{row['B']}x{row['H']}x{row['N']}x{row['D']}"
    tag = f"{row['impl']} {shape}" + (f" select={row['select']}" if "select" in row else "") + \
        (f" {row['pattern']} pattern" if row.get("pattern", "random") != "random" else "")
    if "error" in row:
        print(f"  {tag}: error: {row['error']}", flush=True)
    elif row["impl"] == "schedule-pytorch":
        print(f"  {tag}: all-dense {row['all_dense_ms']:.1f} ms, SparseD {row['sparsed_ms']:.1f} ms, "
              f"{row['speedup']:.2f}x ({row['dense_steps']} dense + selection + {row['sparse_steps']} sparse steps)", flush=True)
    else:
        tflops = row.get("tflops_kept", row.get("tflops"))
        extra = "" if tflops is None else f"  {tflops:.1f} TFLOP/s" + (" on kept blocks" if "tflops_kept" in row else "")
        extra += f"  rel_err {row['rel_err']:.2e}" if "rel_err" in row else ""
        extra += f"  density {row['density']:.3f}" if "density" in row else ""
        print(f"  {tag}: {row['ms_median']:.3f} ms{extra}", flush=True)
    return row


def print_table(rows):
    header = ["impl", "shape", "select", "pattern", "ms_median", "TFLOP/s", "rel_err", "density", "speedup"]
    fmt = lambda r, key, spec: "-" if r.get(key) is None else format(r[key], spec)  # noqa: E731
    lines = []
    for r in rows:
        shape = f"{r['B']}x{r['H']}x{r['N']}x{r['D']}"
        select = "file" if "pattern" in r and "select" not in r else fmt(r, "select", "g")
        pattern = r.get("pattern", "-")
        if "error" in r:
            lines.append([r["impl"], shape, select, pattern, "error", "-", "-", "-", "-"])
            continue
        ms = r["sparsed_ms"] if r["impl"] == "schedule-pytorch" else r["ms_median"]
        tflops = r.get("tflops_kept", r.get("tflops"))
        lines.append([r["impl"], shape, select, pattern, f"{ms:.3f}", "-" if tflops is None else f"{tflops:.1f}",
                      fmt(r, "rel_err", ".2e"), fmt(r, "density", ".3f"), fmt(r, "speedup", ".2f")])
    peers.print_aligned(header, lines)


def main():
    args = parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("peers_sparse.py needs a CUDA GPU")
    patterns = []
    for path in [p for p in (args.pattern or "").split(",") if p]:
        try:
            patterns.append(load_pattern(path))
        except (OSError, KeyError, TypeError, ValueError) as e:
            raise SystemExit(f"--pattern {path}: {type(e).__name__}: {e}; expected SparsePattern.toJSON() output")
    result = {
        **peers.result_header(args),
        "selection_reps": args.selection_reps,
        "block": args.block,
        "layout": args.layout,
        "rows": [],
    }
    print(f"{result['gpu']}  torch {result['torch']}  cuda {result['cuda']}", flush=True)
    for shape in args.shapes:
        result["rows"].extend(measure_shape(shape, args, patterns))
    if "flex-sparse" in args.impls:
        for pattern in patterns:
            if not any(pattern_fits(pattern, shape) for shape in args.shapes):
                s = pattern["shape"]
                row = {"impl": "flex-sparse", "B": s["batch"], "H": s["hq"], "N": s["nq"], "D": None, "dtype": DTYPE_NAME,
                       **pattern["label"], "error": f"--pattern was built for B={s['batch']} Hq={s['hq']} Nq={s['nq']} "
                                                    f"Nk={s['nk']}, which no --shapes entry is (Nq = Nk = N)"}
                result["rows"].append(report(row))
    if args.schedule:
        print(f"schedule: S={args.steps} skip={args.skip}", flush=True)
        result["rows"].extend(schedule_rows(result["rows"], args))
    print_table(result["rows"])
    peers.write_result(result, args.out)


if __name__ == "__main__":
    main()
