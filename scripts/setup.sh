#!/usr/bin/env bash
# Installs what moebench needs to build and test from Debian packages. Idempotent: packages already
# present are skipped, and nothing runs apt when all are there.
set -euo pipefail
pkgs=(build-essential cmake pkg-config git python3
      nlohmann-json3-dev libcli11-dev libtomlplusplus-dev libsqlite3-dev catch2 libbenchmark-dev
      libonig-dev zlib1g-dev libssl-dev libcpp-httplib-dev libopenblas-dev libicu-dev
      libarchive-dev  # data fetch: the MMLU and C-Eval zips
      openssl  # the CLI makes the HTTPS test's self-signed certificate
      clang libclang-rt-14-dev llvm  # scripts/fuzz.sh: libFuzzer runtime, llvm-symbolizer
      slurm-wlm munge)  # tests/slurm: a one-host Slurm cluster (scripts/slurm/local_cluster.sh)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#pkgs[@]} packages present"
  exit 0
fi
echo "setup: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
