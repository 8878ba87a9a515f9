#!/bin/bash
# session 11, call 1: d5 (rot) timed against base; the SASS of base; cuobjdump/nvdisasm brought back for offline SASS reading.
set -u
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee $OUT/gpu.txt
CB=$(dirname $(readlink -f $(which cuobjdump 2>/dev/null || echo /usr/local/cuda/bin/cuobjdump)))
ls $CB | head -40 > $OUT/cudabin.txt
ldd $CB/cuobjdump $CB/nvdisasm >> $OUT/cudabin.txt 2>&1
tar -C $CB -cJf $OUT/tools.txz cuobjdump nvdisasm 2>>$OUT/cudabin.txt
cuobjdump -sass probe/base/libsparsed.so | xz -c > $OUT/sass-base.txt.xz
SPARSED_LIB_DIR=probe/rot SPARSED_TEST_SEED=11401 timeout 90 bun test --timeout 900000 test/sparse.gpu.test.ts > $OUT/rot-tests.log 2>&1; echo "rot sparse tests rc=$?"; grep -E "\(fail\)|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/rot-tests.log | head -4
for R in 1 2; do for L in base rot; do SPARSED_LIB_DIR=probe/$L timeout 60 bun probe/tsp.ts 16384,65536 0.3,0.1 10 "r$R $L" 2>&1 | tee -a $OUT/tsp.log; done; done
M=lts__t_sector_hit_rate.pct,dram__bytes_read.sum,sm__pipe_tensor_op_hmma_cycles_active.avg.pct_of_peak_sustained_active,gpu__time_duration.sum
for L in base rot; do SPARSED_LIB_DIR=probe/$L timeout 60 ncu --clock-control none -k regex:dense_ws --launch-skip 1 --launch-count 1 --metrics $M bun probe/one.ts 65536 32 0.1 sparse_fwd_hd128_bm128_bn128_w12_s2_bf16_sm90a > $OUT/ncu-$L.log 2>&1; echo "ncu $L rc=$?"; grep -E "lts__|dram__|tensor|duration" $OUT/ncu-$L.log; done
tar -C $OUT -czf $OUT/logs.tgz ncu-base.log ncu-rot.log cudabin.txt && rm -f $OUT/ncu-base.log $OUT/ncu-rot.log $OUT/cudabin.txt
