#!/bin/bash
# session 6, call A: four-consumer selection (w20) tests and timing against w12; dense/sparse tests on 0b870a6's epilogue
set -u
export SPARSED_LIB_DIR=probe/p1
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee $OUT/gpu.txt
echo "== select tests"
timeout 150 bun test --timeout 900000 test/select.gpu.test.ts 2>&1 | tee $OUT/select.log | grep -E "\(fail\)|pass$|fail$|rror" | head -20
echo "== dense/sparse tests"
timeout 100 bun test --timeout 900000 test/dense.gpu.test.ts test/sparse.gpu.test.ts 2>&1 | tee $OUT/ds.log | grep -E "\(fail\)|pass$|fail$" | head
for i in 1 2; do echo "== bench $i"; timeout 100 bun bench/sparse.ts --n 16384,65536 --select 0.3 --iterations 10 --out $OUT/sparse$i.json 2>&1 | tee $OUT/bench$i.log | grep -E " dense |selection" ; done
M=""
for s in barrier long_scoreboard wait math_pipe_throttle mio_throttle short_scoreboard dispatch_stall no_instruction selected not_selected; do M="$M,smsp__average_warps_issue_stalled_${s}_per_issue_active.ratio"; done
M="${M#,},sm__inst_executed_pipe_xu.avg.pct_of_peak_sustained_active,sm__pipe_shared_cycles_active.avg.pct_of_peak_sustained_active,smsp__issue_active.avg.pct_of_peak_sustained_active,sm__cycles_elapsed.avg"
echo "== ncu w20"; timeout 100 ncu --kernel-name regex:Li4EvEE --launch-count 1 --metrics "$M" bun bench/sparse.ts --n 16384 --select 0.3 --iterations 2 --out /tmp/x.json > $OUT/ncu.txt 2>&1
grep -E "stalled|pct|elapsed" $OUT/ncu.txt | sed 's/smsp__average_warps_issue_stalled_//; s/_per_issue_active.ratio//; s/.avg.pct_of_peak_sustained_active//' | awk '{print $1, $NF}' | tr '\n' ';'; echo
