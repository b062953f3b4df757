#!/usr/bin/env bash
# cuBLAS is loaded on first use (kernels/cublas_api.cu), not at every process start: no binary
# lists it as needed, and `moebench --version` starts without loading it. (A linked cuBLAS loaded
# libcublasLt, 541 MB, and ran its initializers in every moebench and test process: 0.4 s of CPU.)
# Usage: check_cublas_on_use.sh MOEBENCH [BINARY...]
set -euo pipefail
for bin in "$@"; do
  if readelf -d "$bin" | grep -E 'NEEDED.*libcublas'; then
    echo "$bin: links cuBLAS (above); it must load it with cublas_api() on first use" >&2
    exit 1
  fi
done
loaded=$(LD_DEBUG=libs "$1" --version 2>&1 >/dev/null | grep -E 'calling init: .*libcublas' || true)
if [ -n "$loaded" ]; then
  echo "$1 --version loaded cuBLAS at start: $loaded" >&2
  exit 1
fi
echo "ok: cuBLAS is not loaded at start ($*)"
