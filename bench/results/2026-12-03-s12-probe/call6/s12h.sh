#!/bin/bash
# session 12, call 6: the trace of K (keys read by every lane, no shuffle) against the trace of the library before it
# (TP), 64k: does the step shorten by the ~30-45 cycles the shuffle's wait cost?
set -u
source .gpu/setup.sh && export OUT
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee $OUT/gpu.txt
mkdir -p $OUT/tr
for r in 1 2; do for L in TP TK; do SPARSED_LIB_DIR=probe/lib$L timeout 60 bun probe/trace.ts 65536 0.1,0.3 10 $L-$r $OUT/tr $([ $r = 1 ] && echo 1 || echo 0) 2>&1 | tee -a $OUT/tsp.log; done; done
python3 probe/trace_an.py $OUT/tr/*.bin > $OUT/an.txt 2>&1
rm -rf $OUT/tr
cat $OUT/an.txt | grep -E "bin:|sm0->loop|boundary|clock"; cat $OUT/tsp.log
