#!/usr/bin/env bash
# Fetches the official API client SDKs the loopback wire-format test drives (tests/loopback/
# sdk_test.sh): `openai` and `@anthropic-ai/sdk` from npm into ${MOEBENCH_CACHE:-<repo>/.cache}/sdk.
# Idempotent: SDKs already there at their pinned versions are skipped. Prints the node_modules
# directory.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest=${MOEBENCH_CACHE:-$root/.cache}/sdk
# NOTE: openai 7.x needs node >= 22; 6.x is the last line that runs on Debian 12's node 20.
openai_version=6.49.0
anthropic_version=1.12.0

command -v npm >/dev/null ||
  { echo "fetch_sdks: npm not found (apt-get install npm)" >&2; exit 2; }
stamp=$dest/.fetched-openai-$openai_version-anthropic-$anthropic_version
if [ ! -f "$stamp" ]; then
  rm -rf "$dest" && mkdir -p "$dest"
  npm install --prefix "$dest" --no-audit --no-fund --silent "openai@$openai_version" \
    "@anthropic-ai/sdk@$anthropic_version" >&2 ||
    { echo "fetch_sdks: npm install openai@$openai_version" \
        "@anthropic-ai/sdk@$anthropic_version failed" >&2; exit 1; }
  touch "$stamp"
fi
echo "$dest/node_modules"
