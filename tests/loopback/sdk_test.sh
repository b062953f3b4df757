#!/usr/bin/env bash
# The SDK wire-format test: the official npm clients (openai, @anthropic-ai/sdk; sdk_check.mjs)
# against moebench-loopback, then the OpenAI part (echo and logprobs included) against `moebench
# serve` on a tiny random checkpoint. Needs scripts/fetch_sdks.sh to have run.
# usage: sdk_test.sh MOEBENCH_LOOPBACK MOEBENCH OUT_DIR
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: sdk_test.sh MOEBENCH_LOOPBACK MOEBENCH OUT_DIR" >&2; exit 2; }
loopback=$(realpath "$1")
bin=$(realpath "$2")
out=$3
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
modules=${MOEBENCH_SDK_MODULES:-${MOEBENCH_CACHE:-$root/.cache}/sdk/node_modules}

fail() {
  echo "sdk_test: $*" >&2
  exit 1
}
[ -x "$loopback" ] || fail "no moebench-loopback binary at $1"
[ -x "$bin" ] || fail "no moebench binary at $2"
command -v node >/dev/null || fail "node not found (apt-get install nodejs)"
[ -d "$modules/openai" ] && [ -d "$modules/@anthropic-ai/sdk" ] ||
  fail "no openai / @anthropic-ai/sdk in $modules ---> HINT: run scripts/fetch_sdks.sh"

# OUT_DIR is wiped first, so only one that is empty or that this script made is accepted.
if [ -d "$out" ] && [ -n "$(ls -A "$out")" ] && [ ! -f "$out/.sdk-test" ]; then
  fail "$out is not empty and was not made by sdk_test.sh; give a new directory"
fi
rm -rf "$out" && mkdir -p "$out" && touch "$out/.sdk-test"
out=$(realpath "$out")

source "$root/scripts/lib/servers.sh"
port_regex=':([0-9]+)(/v1)?$'

key=sk-loopback-$$
server_start loopback "$port_regex" "$loopback" --port 0 --api-key "$key" --ledger "$out/ledger.json"
port=${BASH_REMATCH[1]}
node "$here/sdk_check.mjs" loopback "http://127.0.0.1:$port" "$key" "$modules" 2>&1 |
  tee "$out/sdk_check_loopback.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "sdk_check against moebench-loopback failed (log: $out/sdk_check_loopback.log)"

"$bin" model init --family deepseek_v3 --preset tiny -o "$out/model" --force >"$out/model_init.log" 2>&1 ||
  { tail -15 "$out/model_init.log" >&2; fail "model init failed (log: $out/model_init.log)"; }
server_start serve "$port_regex" "$bin" serve "$out/model" --port 0 --threads 1
port=${BASH_REMATCH[1]}
node "$here/sdk_check.mjs" serve "http://127.0.0.1:$port" "" "$modules" 2>&1 |
  tee "$out/sdk_check_serve.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "sdk_check against moebench serve failed (log: $out/sdk_check_serve.log)"
echo "sdk_test: all SDK checks passed"
