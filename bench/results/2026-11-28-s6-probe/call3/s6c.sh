#!/bin/bash
# session 6, call C: w20 at 4 and 5 stages: tests, timing (two runs, every built selection variant), sanitizers, ncu
set -u
export SPARSED_LIB_DIR=probe/p2
echo "== select tests w20"
timeout 100 bun test --timeout 900000 test/select.gpu.test.ts -t w20 2>&1 | tee $OUT/select.log | grep -E "\(fail\)|pass$|fail$|rror" | head -20
for i in 1 2; do echo "== bench $i"; SPARSED_TUNING=off timeout 120 bun bench/sparse.ts --n 16384,65536 --select 0.3 --iterations 10 --out $OUT/b$i.json 2>&1 | tee $OUT/b$i.log | grep -E " dense |selection select"; done
echo "== racecheck"; timeout 60 compute-sanitizer --tool racecheck bun test --timeout 900000 test/select.gpu.test.ts -t "w20.*(deferred|N=160)" > $OUT/race.log 2>&1; grep -E "RACECHECK SUMMARY|pass$|fail$" $OUT/race.log
echo "== synccheck"; timeout 60 compute-sanitizer --tool synccheck bun test --timeout 900000 test/select.gpu.test.ts -t "w20.*(deferred|N=160)" > $OUT/sync.log 2>&1; grep -E "ERROR SUMMARY|pass$|fail$" $OUT/sync.log
echo "== memcheck"; timeout 100 compute-sanitizer --tool memcheck bun test --timeout 900000 test/select.gpu.test.ts -t w20 > $OUT/mem.log 2>&1; grep -E "ERROR SUMMARY|pass$|fail$" $OUT/mem.log
M=""
for s in barrier long_scoreboard wait math_pipe_throttle mio_throttle short_scoreboard dispatch_stall no_instruction selected not_selected; do M="$M,smsp__average_warps_issue_stalled_${s}_per_issue_active.ratio"; done
M="${M#,},sm__inst_executed_pipe_xu.avg.pct_of_peak_sustained_active,sm__pipe_shared_cycles_active.avg.pct_of_peak_sustained_active,smsp__issue_active.avg.pct_of_peak_sustained_active,sm__cycles_elapsed.avg"
echo "== ncu w20 s4"; SPARSED_TUNING=off timeout 90 ncu --kernel-name regex:Li4ENS_6bf16_tELi4EvEE --launch-count 1 --metrics "$M" bun bench/sparse.ts --n 16384 --select 0.3 --iterations 2 --out /tmp/x.json > $OUT/ncu.txt 2>&1
grep -E "stalled|pct|elapsed" $OUT/ncu.txt | sed 's/smsp__average_warps_issue_stalled_//; s/_per_issue_active.ratio//; s/.avg.pct_of_peak_sustained_active//' | awk '{print $1, $NF}' | tr '\n' ';'; echo
