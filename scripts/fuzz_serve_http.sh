#!/usr/bin/env bash
# Fuzzed request bodies against `moebench serve` over HTTP (issue 15): starts serve on a tiny
# random qwen3_moe checkpoint, sends BODIES bodies from the built-in seeds, the committed serve
# regression inputs and any CORPUS_DIR given (e.g. the libFuzzer corpus of the serve_request
# target), mutated, alternately to /v1/chat/completions and /v1/completions, and prints the
# answers by endpoint and status class. Exit 1 when any answer was not a 2xx/4xx with a JSON body,
# or the server then failed a well-formed request; the offending bodies are kept in OUT_DIR/bad.
# usage: fuzz_serve_http.sh BUILD_DIR OUT_DIR BODIES [CORPUS_DIR...]
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: fuzz_serve_http.sh BUILD_DIR OUT_DIR BODIES [CORPUS_DIR...]" >&2; exit 2; }
build=$(realpath "$1")
out=$2
bodies=$3
shift 3
bin=$build/moebench
fuzz=$build/tests/moebench-serve-http-fuzz
for b in "$bin" "$fuzz"; do
  [ -x "$b" ] || { echo "fuzz_serve_http: no $b (build moebench and the tests first)" >&2; exit 2; }
done
mkdir -p "$out"
out=$(realpath "$out")
root=$(cd "$(dirname "$0")/.." && pwd)

source "$root/scripts/lib/servers.sh"
"$bin" model init --family qwen3_moe --preset tiny -o "$out/model" --force >"$out/model_init.log" 2>&1 ||
  { cat "$out/model_init.log" >&2; exit 1; }
server_start serve 'http://127\.0\.0\.1:([0-9]+)' "$bin" serve "$out/model" --port 0 --threads 1
port=${BASH_REMATCH[1]}

corpus=()
regressions=$root/tests/fuzz/regressions/serve_request
[ -d "$regressions" ] && corpus+=(--corpus "$regressions")
for d in "$@"; do corpus+=(--corpus "$d"); done
rm -rf "$out/bad"
status=0
"$fuzz" --port "$port" --bodies "$bodies" --out "$out/bad" "${corpus[@]}" || status=$?
[ $status -eq 0 ] || { echo "fuzz_serve_http: serve's log ($out/serve.log):" >&2; tail -5 "$out/serve.log" >&2; }
exit $status
