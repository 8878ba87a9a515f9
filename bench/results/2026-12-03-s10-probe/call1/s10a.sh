#!/bin/bash
# session 10, call 1: (a) the library of 81810ae (select_block_lse: generation exps only for j >= g): block-LSE suite + memcheck;
# (b) probe dyn (tiles claimed from a counter) against base (same 4 variants, fixed order): dense+sparse suites, racecheck/synccheck/memcheck, timings.
set -u
xz -dc .gpu/lib/libsparsed.so.xz > .gpu/lib/libsparsed.so
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $OUT/gpu.txt
SPARSED_LIB_DIR=.gpu/lib SPARSED_TEST_SEED=10101 timeout 100 bun test --timeout 900000 test/block-lse.gpu.test.ts > $OUT/blse.log 2>&1; echo "block-lse tests (library) rc=$?"; grep -E "\(fail\)|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/blse.log | head -6
SPARSED_LIB_DIR=.gpu/lib SPARSED_TEST_SEED=10102 timeout 60 compute-sanitizer --tool memcheck --print-limit 10 bun test --timeout 900000 test/block-lse.gpu.test.ts -t "bn192_w12_s2_bf16.*(N=160|Nq=20|Nq=301|N=300)" > $OUT/blse-memcheck.log 2>&1; echo "block-lse memcheck rc=$?"; grep -E "SUMMARY|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/blse-memcheck.log | tail -3
export SPARSED_LIB_DIR=probe/dyn
SPARSED_TEST_SEED=10103 timeout 120 bun test --timeout 900000 test/dense.gpu.test.ts test/sparse.gpu.test.ts test/block-lse.gpu.test.ts > $OUT/dyn-tests.log 2>&1; echo "dyn dense+sparse+block-lse tests rc=$?"; grep -E "\(fail\)|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/dyn-tests.log | head -6
for T in racecheck synccheck memcheck; do SPARSED_TEST_SEED=10104 timeout 70 compute-sanitizer --tool $T --print-limit 10 bun test --timeout 900000 test/dense.gpu.test.ts test/sparse.gpu.test.ts -t "(N=1 |N=1$|N=77 GQA|Nq=300 Nk=700|Nq=Nk=300|Nq=200 Nk=1000)" > $OUT/dyn-$T.log 2>&1; echo "dyn $T rc=$?"; grep -E "SUMMARY|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/dyn-$T.log | tail -3; done
for R in 1 2; do for L in base dyn; do SPARSED_LIB_DIR=probe/$L timeout 60 bun probe/tsp.ts 16384,65536 0.3,0.1 10 "r$R $L" 2>&1 | tee -a $OUT/tsp.log; done; done
for L in base dyn; do SPARSED_LIB_DIR=probe/$L timeout 30 bun probe/tsp.ts 65536 0.1 10 "H8 $L" 8 2>&1 | tee -a $OUT/tsp.log; done
cuobjdump -sass probe/dyn/libsparsed.so > $OUT/dyn.sass 2>/dev/null; python3 - <<'PY' > $OUT/spills.txt
import re,os
cur=None; out=[]
for l in open(os.environ['OUT']+'/dyn.sass'):
    if 'Function :' in l: cur=l.strip()
    elif re.search(r'\b(STL|LDL)\b', l) and cur and 'ELb1EEELi0' in cur and 'Li192' in cur: out.append(l.strip())
print('\n'.join(out[:60]))
PY
grep -c . $OUT/spills.txt; xz -9 $OUT/dyn.sass
tar -C $OUT -czf $OUT/logs.tgz blse-memcheck.log dyn-racecheck.log dyn-synccheck.log dyn-memcheck.log gpu.txt && rm -f $OUT/blse-memcheck.log $OUT/dyn-racecheck.log $OUT/dyn-synccheck.log $OUT/dyn-memcheck.log $OUT/gpu.txt
