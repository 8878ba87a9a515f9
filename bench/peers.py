#!/usr/bin/env python3
"""Time PyTorch peers of sparsed's dense attention kernel, and the GPU's ceilings.

Measuring follows DESIGN.md section 4: CUDA events around each call after warm-up
(--warmup calls and at least --warmup-ms of them: at the power cap the first half second
of load reads off the steady state, bench/NOTES.md session 13), median of reps, inputs
rotated so that L2 does not serve them, FLOPs = 4*B*H*N*N*D.
Shapes are BxHxNxD with Nq = Nk = N and Hq = Hkv = H; q, k, v live in memory as
[B, N, H, D] (our library's layout) and SDPA sees [B, H, N, D] views of them.
"""

import argparse
import json
import math
import os
import statistics
import time
import warnings
from datetime import datetime, timezone

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

IMPLS = {
    "sdpa-flash": SDPBackend.FLASH_ATTENTION,
    "sdpa-cudnn": SDPBackend.CUDNN_ATTENTION,
}
DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}
MEMORY_BUDGET = 40e9  # bytes of input sets, kept well under an 80 GB card
L2_FALLBACK = 60 * 2**20
REF_QUERIES = 1024  # queries of the correctness slice: keeps the fp32 score matrix small


def parse_shape(text):
    parts = text.lower().split("x")
    if len(parts) != 4 or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise argparse.ArgumentTypeError(f"shape {text!r} is not BxHxNxD, e.g. 1x32x4096x128")
    return tuple(int(p) for p in parts)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--shapes", required=True,
                   help="comma-separated BxHxNxD shapes, e.g. 1x32x4096x128,1x32x16384x64")
    p.add_argument("--dtype", choices=sorted(DTYPES), default="bf16", help="element type of q, k, v (default bf16)")
    p.add_argument("--out", required=True, help="path of the JSON result file (parent folders are created)")
    p.add_argument("--reps", type=int, default=30, help="timed calls per impl and shape; the median is reported (default 30)")
    p.add_argument("--warmup", type=int, default=5, help="untimed calls before timing (default 5)")
    p.add_argument("--warmup-ms", type=int, default=1000,
                   help="and at least this many milliseconds of them (default 1000; 0: calls only)")
    p.add_argument("--impls", default=",".join(IMPLS),
                   help=f"comma-separated impls among {', '.join(IMPLS)} (default all)")
    p.add_argument("--ceilings", action="store_true",
                   help="also measure a bf16 8192^3 matmul (TFLOP/s) and a large device copy (TB/s)")
    args = p.parse_args()
    args.shapes = [parse_shape(s) for s in args.shapes.split(",") if s]
    args.impls = [s for s in args.impls.split(",") if s]
    unknown = [s for s in args.impls if s not in IMPLS]
    if unknown:
        p.error(f"unknown impls {unknown}; known: {list(IMPLS)}")
    if args.reps < 1 or args.warmup < 0 or args.warmup_ms < 0:
        p.error("--reps must be >= 1, --warmup and --warmup-ms >= 0")
    return args


def time_calls(fn, args_list, reps, warmup, warmup_ms=0):
    """Times each call alone with its own event pair, cycling through args_list.

    Warm-up: `warmup` calls, and with warmup_ms > 0 more until that many milliseconds of
    them have run (each waited for, so that the clock follows the GPU's work).
    Timed calls are queued without synchronising between them so the GPU is never idle
    waiting for Python; the events then measure only the kernel(s) of one call.
    """
    t0 = time.perf_counter()
    warmup_calls = 0
    while warmup_calls < warmup or (time.perf_counter() - t0) * 1e3 < warmup_ms:
        fn(*args_list[warmup_calls % len(args_list)])
        warmup_calls += 1
        if warmup_ms > 0:
            torch.cuda.synchronize()
    torch.cuda.synchronize()
    events = [(torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)) for _ in range(reps)]
    for i, (start, end) in enumerate(events):
        call_args = args_list[(warmup_calls + i) % len(args_list)]
        start.record()
        fn(*call_args)
        end.record()
    torch.cuda.synchronize()
    return [start.elapsed_time(end) for start, end in events]


def l2_bytes():
    props = torch.cuda.get_device_properties(torch.cuda.current_device())
    return getattr(props, "L2_cache_size", 0) or L2_FALLBACK


def count_input_sets(set_bytes):
    """Enough sets that a set is evicted from L2 before it comes round again, within memory."""
    if set_bytes >= 3 * l2_bytes():
        return 1
    free, _ = torch.cuda.mem_get_info()
    cap = max(1, int(min(MEMORY_BUDGET, 0.7 * free) // set_bytes))
    return max(1, min(cap, max(2, math.ceil(3 * l2_bytes() / set_bytes))))


def make_inputs(B, H, N, D, dtype, layout="bnhd"):
    # Random data: zeros would let the hardware skip work and hide wrong results. [B, H, N, D] views of
    # memory in `layout` order: bnhd (our library's native order) or bhnd (contiguous [B, H, N, D]).
    if layout == "bhnd":
        return tuple(torch.randn(B, H, N, D, dtype=dtype, device="cuda") for _ in range(3))
    return tuple(torch.randn(B, N, H, D, dtype=dtype, device="cuda").transpose(1, 2) for _ in range(3))


def rel_err_vs_fp32(out, q, k, v):
    """||out - ref|| / ||ref|| on batch 0, head 0, the first REF_QUERIES queries, all keys."""
    nq = min(q.shape[2], REF_QUERIES)
    q0, k0, v0 = (t[0, 0].float() for t in (q, k, v))
    q0 = q0[:nq]
    scores = (q0 @ k0.T) * (1.0 / math.sqrt(q.shape[-1]))
    ref = torch.softmax(scores, dim=-1) @ v0
    got = out[0, 0, :nq].float()
    return ((got - ref).norm() / ref.norm()).item()


def measure_impl(name, shape, dtype_name, input_sets, reps, warmup, warmup_ms=0):
    B, H, N, D = shape
    row = {"impl": name, "B": B, "H": H, "N": N, "D": D, "dtype": dtype_name}
    # SDPA gives its reasons for refusing a backend as warnings, then raises; keep both.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with sdpa_kernel(IMPLS[name]):
                q, k, v = input_sets[0]
                out = F.scaled_dot_product_attention(q, k, v)
                row["rel_err"] = rel_err_vs_fp32(out, q, k, v)
                del out
                ms = time_calls(F.scaled_dot_product_attention, input_sets, reps, warmup, warmup_ms)
        except Exception as e:  # an unsupported backend raises; record it and go on
            reasons = [str(w.message).strip() for w in caught]
            row["error"] = " | ".join([f"{type(e).__name__}: {str(e).strip()}", *reasons])
            torch.cuda.empty_cache()
            return row
    median = statistics.median(ms)
    row.update(
        ms_median=median,
        ms_min=min(ms),
        ms_max=max(ms),
        tflops=4 * B * H * N * N * D / (median * 1e-3) / 1e12,
        input_sets=len(input_sets),
    )
    return row


def measure_shape(shape, args):
    B, H, N, D = shape
    dtype = DTYPES[args.dtype]
    elem = torch.tensor([], dtype=dtype).element_size()
    set_bytes = 4 * B * N * H * D * elem  # q, k, v and the output each call writes
    n_sets = count_input_sets(set_bytes)
    print(f"shape B={B} H={H} N={N} D={D} {args.dtype}: {n_sets} input set(s) of {set_bytes / 2**20:.0f} MiB", flush=True)
    try:
        input_sets = [make_inputs(B, H, N, D, dtype) for _ in range(n_sets)]
    except torch.cuda.OutOfMemoryError as e:
        torch.cuda.empty_cache()
        msg = f"OutOfMemoryError allocating inputs: {str(e).splitlines()[0]}"
        return [{"impl": name, "B": B, "H": H, "N": N, "D": D, "dtype": args.dtype, "error": msg} for name in args.impls]
    rows = []
    for name in args.impls:
        row = measure_impl(name, shape, args.dtype, input_sets, args.reps, args.warmup, args.warmup_ms)
        if "error" in row:
            print(f"  {name}: error: {row['error']}", flush=True)
        else:
            print(f"  {name}: {row['ms_median']:.3f} ms  {row['tflops']:.1f} TFLOP/s  rel_err {row['rel_err']:.2e}", flush=True)
        rows.append(row)
    del input_sets
    torch.cuda.empty_cache()
    return rows


def measure_ceilings(reps, warmup, warmup_ms=0):
    n = 8192
    a = torch.randn(n, n, dtype=torch.bfloat16, device="cuda")
    b = torch.randn(n, n, dtype=torch.bfloat16, device="cuda")
    ms = statistics.median(time_calls(torch.mm, [(a, b)], reps, warmup, warmup_ms))
    matmul_tflops = 2 * n**3 / (ms * 1e-3) / 1e12
    print(f"ceiling matmul bf16 {n}^3: {ms:.3f} ms  {matmul_tflops:.1f} TFLOP/s", flush=True)
    del a, b

    nbytes = 2 * 2**30  # 2 GiB each way dwarfs L2, so the copy streams from HBM
    src = torch.randint(0, 256, (nbytes,), dtype=torch.uint8, device="cuda")
    dst = torch.empty_like(src)
    ms = statistics.median(time_calls(lambda: dst.copy_(src), [()], reps, warmup, warmup_ms))
    copy_tbps = 2 * nbytes / (ms * 1e-3) / 1e12  # bytes read + bytes written
    print(f"ceiling copy {nbytes / 2**30:.0f} GiB: {ms:.3f} ms  {copy_tbps:.2f} TB/s", flush=True)
    del src, dst
    torch.cuda.empty_cache()
    return {"matmul_tflops": matmul_tflops, "copy_tbps": copy_tbps}


def print_table(rows):
    header = ["impl", "shape", "ms_median", "TFLOP/s", "rel_err"]
    lines = []
    for r in rows:
        shape = f"{r['B']}x{r['H']}x{r['N']}x{r['D']}"
        if "error" in r:
            lines.append([r["impl"], shape, "error", "-", "-"])
        else:
            lines.append([r["impl"], shape, f"{r['ms_median']:.3f}", f"{r['tflops']:.1f}", f"{r['rel_err']:.2e}"])
    print_aligned(header, lines)


def print_aligned(header, lines):
    """Print rows of strings as left-aligned columns."""
    widths = [max(len(x) for x in col) for col in zip(header, *lines)]
    for line in [header, *lines]:
        print("  ".join(x.ljust(w) for x, w in zip(line, widths)).rstrip(), flush=True)


def main():
    args = parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("peers.py needs a CUDA GPU")
    result = {**result_header(args), "rows": []}
    print(f"{result['gpu']}  torch {result['torch']}  cuda {result['cuda']}  L2 {l2_bytes() / 2**20:.0f} MiB", flush=True)
    for shape in args.shapes:
        result["rows"].extend(measure_shape(shape, args))
    if args.ceilings:
        result["ceilings"] = measure_ceilings(args.reps, args.warmup, args.warmup_ms)
    print_table(result["rows"])
    write_result(result, args.out)


def result_header(args):
    """The fields every result file starts with: where and when it was measured, and how."""
    return {
        "gpu": torch.cuda.get_device_name(),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "date": datetime.now(timezone.utc).isoformat(),
        "reps": args.reps,
        "warmup": args.warmup,
        "warmup_ms": args.warmup_ms,
    }


def write_result(result, path):
    """Write the result JSON (creating its folder) and say where."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    print(f"wrote {path}", flush=True)


if __name__ == "__main__":
    main()
