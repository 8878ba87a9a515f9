#!/bin/bash
# session 13, call 2: x4 = the epilogue's global stores (store_rows) of a tile deferred under the next tile's S_0 (O / l into the
# stage right after the last P V); x4qo = x4 + L2 evict_first on Q loads and O stores; qo (call 1); S = shipped. Four rounds;
# the dense and sparse suites and racecheck / synccheck / memcheck on x4.
set -u
T0=$SECONDS
source .gpu/setup.sh >/dev/null && export OUT
xz -dc .gpu/lib/libsparsed.so.xz > .gpu/lib/libsparsed.so
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee $OUT/gpu.txt
LIBS="x4 qo x4qo"
for L in $LIBS; do xz -dc probe/lib$L/libsparsed.so.xz > probe/lib$L/libsparsed.so; done
lib() { case $1 in S) echo .gpu/lib;; *) echo probe/lib$1;; esac; }
export SPARSED_LIB_DIR=probe/libx4 SPARSED_TEST_SEED=13002
timeout 150 bun test --timeout 900000 test/sparse.gpu.test.ts test/dense.gpu.test.ts test/block-lse.gpu.test.ts > $OUT/test.log 2>&1; echo "x4 suites rc=$?"; grep -E "\(fail\)|^ *[0-9]+ (pass|fail)$|^Ran" $OUT/test.log | head -5
RF="_w12_s2_.*(N=77 GQA 28/4 batch 2|Nq=Nk=77 4/1 keep everything|N=160 GQA 4/2 batch 2|deferred generation part)"
for TOOL in racecheck synccheck memcheck; do timeout 60 compute-sanitizer --tool $TOOL --print-limit 20 bun test --timeout 900000 test/sparse.gpu.test.ts -t "$RF" > $OUT/$TOOL.log 2>&1; echo "$TOOL rc=$?"; grep -E "RACECHECK SUMMARY|ERROR SUMMARY|^ *[0-9]+ (pass|fail)$" $OUT/$TOOL.log | tail -3; done
echo "checks at $((SECONDS - T0)) s"
for r in 1 2 3 4; do for L in S $LIBS; do SPARSED_LIB_DIR=$(lib $L) timeout 60 bun probe/tpad.ts 65536 0.3,0.1 10 "$L-$r" 2>&1 | tee -a $OUT/tpad.log; done; echo "round $r at $((SECONDS - T0)) s"; done
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
