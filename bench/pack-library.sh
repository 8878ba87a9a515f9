#!/usr/bin/env bash
# Packs the built library for the GPU machine: the uncompressed generated/libsparsed.so plus the .gpu
# pack (Bun, node_modules) can exceed what a device call carries (64 MiB), the xz-compressed copy is
# about a tenth of it. Writes .gpu/lib/{libsparsed.so.xz, manifest.json}; carry ".gpu" (not
# "generated") and bench/gpu-sweep.sh unpacks it and points SPARSED_LIB_DIR at it. Other commands:
#   xz -dc .gpu/lib/libsparsed.so.xz > .gpu/lib/libsparsed.so && export SPARSED_LIB_DIR=.gpu/lib
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -f generated/libsparsed.so && -f generated/manifest.json ]] || { echo "pack-library: no generated/libsparsed.so: run bun run generate first" >&2; exit 1; }
mkdir -p .gpu/lib
cp generated/manifest.json .gpu/lib/manifest.json
xz -T0 -3 -c generated/libsparsed.so > .gpu/lib/libsparsed.so.xz
rm -f .gpu/lib/libsparsed.so
echo "pack-library: .gpu/lib/libsparsed.so.xz ($(du -h .gpu/lib/libsparsed.so.xz | cut -f1)) and its manifest"
