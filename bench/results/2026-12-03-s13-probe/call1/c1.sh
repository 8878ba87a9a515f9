#!/bin/bash
# session 13, call 1: (a) the steady loop's start address: libP = the 3 hd128 w12 variants with P NANOSLEEPs before the consumer's
# code (loop SASS identical, start + 16 P bytes; sparse bn128 shipped at 16 mod 128, dense bn128 80, bn192 96); (b) libqo = Q loads
# and O stores with an L2 evict_first policy (loops identical). S = the shipped library. Three rounds, then ncu L2 of S and qo.
set -u
T0=$SECONDS
source .gpu/setup.sh >/dev/null && export OUT
xz -dc .gpu/lib/libsparsed.so.xz > .gpu/lib/libsparsed.so
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee $OUT/gpu.txt
LIBS="0 1 2 3 4 5 6 7 qo"
for L in $LIBS; do xz -dc probe/lib$L/libsparsed.so.xz > probe/lib$L/libsparsed.so; done
lib() { case $1 in S) echo .gpu/lib;; *) echo probe/lib$1;; esac; }
for r in 1 2 3; do for L in S $LIBS; do SPARSED_LIB_DIR=$(lib $L) timeout 60 bun probe/tpad.ts 65536 0.3,0.1 10 "$L-$r" 2>&1 | tee -a $OUT/tpad.log; done; echo "round $r at $((SECONDS - T0)) s"; done
M=lts__t_sector_hit_rate.pct,dram__bytes_read.sum,dram__bytes_write.sum,gpu__time_duration.sum,sm__pipe_tensor_op_gmma_cycles_active.avg.pct_of_peak_sustained_active
for L in S qo; do DENSE=0 SPARSED_LIB_DIR=$(lib $L) timeout 90 ncu --metrics $M --kernel-name-base mangled --kernel-name regex:Lb1E --launch-skip 3 --launch-count 1 bun probe/tpad.ts 65536 0.1 1 "ncu-$L" > $OUT/ncu-$L.log 2>&1; echo "ncu $L rc=$?"; grep -E "lts__|dram__|gpu__time|gmma|ERR" $OUT/ncu-$L.log; done
echo "total $((SECONDS - T0)) s"
python3 - <<'PY'
import re,os,collections,statistics as st
d=collections.defaultdict(lambda: collections.defaultdict(list))
for l in open(os.environ['OUT']+'/tpad.log'):
    m=re.match(r"(\w+)-\d N=\d+: (.*)",l)
    if not m: continue
    for k,v in re.findall(r"(\S+) ([\d.]+)",m.group(2)): d[m.group(1)][k].append(float(v))
base=d['S']
print("lib  " + "  ".join(f"{k:>22}" for k in base))
for L,row in d.items():
    print(f"{L:4} " + "  ".join(f"{st.median(row[k]):8.3f} {100*(st.median(row[k])/st.median(base[k])-1):+5.1f}% {max(row[k])-min(row[k]):5.2f}" for k in base))
PY
