#!/usr/bin/env bash
# Packs what the GPU machine lacks to build moebench into .deps/ (carry it, then on the device:
# `source .deps/env.sh`). On top of ../shared/tools/device-prep.sh (cpp-httplib, Oniguruma) the
# device lacks the ICU, SQLite and OpenSSL headers. The whole carry must stay under 64 MiB, so
# static archives and the ICU libraries we do not link are dropped, and the .so dev links point
# at the runtimes the device already has (Ubuntu 24.04: libsqlite3.so.0, libssl.so.3).
# Usage: bash scripts/device_deps.sh   then carry [".deps", ".cache/tokenizers/deepseek_v3"]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mkdir -p .git/info
# libarchive (data fetch) and libb2, which Debian's libarchive13 links and Ubuntu may lack.
bash "$root/../shared/tools/device-prep.sh" libicu-dev libicu72 libsqlite3-dev libssl-dev \
  libarchive-dev libarchive13 libb2-1
lib=.deps/usr/lib/x86_64-linux-gnu
find .deps -name '*.a' -delete
rm -f "$lib"/libicui18n* "$lib"/libicuio* "$lib"/libicutest* "$lib"/libicutu*
ln -sf /usr/lib/x86_64-linux-gnu/libsqlite3.so.0 "$lib/libsqlite3.so"
ln -sf /usr/lib/x86_64-linux-gnu/libssl.so.3 "$lib/libssl.so"
ln -sf /usr/lib/x86_64-linux-gnu/libcrypto.so.3 "$lib/libcrypto.so"
du -sh .deps | cut -f1 | xargs echo ".deps trimmed:"
