#!/bin/bash
# session 5 probe: the hot tiles' fold interleaved with the next tile's wgmma issues (wsI) vs wsE0
set -u
echo "== tests I"; SPARSED_LIB_DIR=probe/wsI timeout 80 bun test --timeout 900000 test/select.gpu.test.ts -t w12 2>&1 | grep -E "\(fail\)|pass$|fail$|rror" | head -12
SPARSED_LIB_DIR=probe/wsI timeout 80 bun test --timeout 900000 test/select.gpu.test.ts -t w12 2>&1 | grep -c " 0/.*rows differ"
for e in E0 I E0 I; do echo "== bench $e"; SPARSED_LIB_DIR=probe/ws$e timeout 100 bun bench/sparse.ts --n 16384,65536 --select 0.3 --iterations 10 --out $OUT/sparse$e.json 2>&1 | grep -E " dense |selection select_hd128_bm128_bn128_w12" ; done
M=""
for s in barrier long_scoreboard wait math_pipe_throttle mio_throttle short_scoreboard dispatch_stall no_instruction selected not_selected branch_resolving; do M="$M,smsp__average_warps_issue_stalled_${s}_per_issue_active.ratio"; done
M="${M#,},sm__inst_executed_pipe_xu.avg.pct_of_peak_sustained_active,sm__pipe_shared_cycles_active.avg.pct_of_peak_sustained_active,smsp__issue_active.avg.pct_of_peak_sustained_active,sm__cycles_elapsed.avg"
echo "== ncu I"; SPARSED_LIB_DIR=probe/wsI timeout 100 ncu --kernel-name select_ws_sm90_kernel --launch-count 1 --metrics "$M" bun bench/sparse.ts --n 16384 --select 0.3 --iterations 2 --out /tmp/x.json > $OUT/ncu_I.txt 2>&1
grep -E "stalled|pct|elapsed" $OUT/ncu_I.txt | sed 's/smsp__average_warps_issue_stalled_//; s/_per_issue_active.ratio//; s/.avg.pct_of_peak_sustained_active//' | awk '{print $1, $NF}' | tr '\n' ';'; echo
