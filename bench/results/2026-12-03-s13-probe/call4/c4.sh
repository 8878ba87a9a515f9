#!/bin/bash
# session 13, call 4: kv = K and V copied with an L2 evict_last policy (TMA cache hint); kvqo = kv + Q loads and O stores evict_first.
# Loops identical to the shipped SASS. Call 3 showed the random pattern costs ~3% at select 0.1 against patterns with a small K/V working set.
# Suites and sanitizers on kv; ncu DRAM bytes and L2 hit rate.
set -u
T0=$SECONDS
source .gpu/setup.sh >/dev/null && export OUT
xz -dc .gpu/lib/libsparsed.so.xz > .gpu/lib/libsparsed.so
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee $OUT/gpu.txt
LIBS="kv kvqo"
for L in $LIBS; do xz -dc probe/lib$L/libsparsed.so.xz > probe/lib$L/libsparsed.so; done
lib() { case $1 in S) echo .gpu/lib;; *) echo probe/lib$1;; esac; }
export SPARSED_LIB_DIR=probe/libkv SPARSED_TEST_SEED=13004
timeout 150 bun test --timeout 900000 test/sparse.gpu.test.ts test/dense.gpu.test.ts test/block-lse.gpu.test.ts > $OUT/test.log 2>&1; echo "kv suites rc=$?"; grep -E "\(fail\)|^ *[0-9]+ (pass|fail)$|^Ran" $OUT/test.log | head -5
RF="_w12_s2_.*(N=77 GQA 28/4 batch 2|Nq=Nk=77 4/1 keep everything|N=160 GQA 4/2 batch 2|deferred generation part)"
for TOOL in racecheck synccheck memcheck; do timeout 60 compute-sanitizer --tool $TOOL --print-limit 20 bun test --timeout 900000 test/sparse.gpu.test.ts -t "$RF" > $OUT/$TOOL.log 2>&1; echo "$TOOL rc=$?"; grep -E "RACECHECK SUMMARY|ERROR SUMMARY|^ *[0-9]+ (pass|fail)$" $OUT/$TOOL.log | tail -3; done
echo "checks at $((SECONDS - T0)) s"
for r in 1 2 3; do for L in S $LIBS; do SPARSED_LIB_DIR=$(lib $L) timeout 60 bun probe/tpad.ts 65536 0.3,0.1 10 "$L-$r" 2>&1 | tee -a $OUT/tpad.log; done; echo "round $r at $((SECONDS - T0)) s"; done
M=lts__t_sector_hit_rate.pct,dram__bytes_read.sum,gpu__time_duration.sum
for L in S $LIBS; do DENSE=0 SPARSED_LIB_DIR=$(lib $L) timeout 90 ncu --metrics $M --kernel-name-base mangled --kernel-name regex:Lb1E --launch-skip 3 --launch-count 1 bun probe/tpad.ts 65536 0.1 1 "ncu-$L" > $OUT/ncu-$L.log 2>&1; echo "ncu $L"; grep -E "lts__|dram__|gpu__time|ERR" $OUT/ncu-$L.log; done
cd $OUT && tar czf logs.tgz *.log && rm -f test.log racecheck.log synccheck.log memcheck.log
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
