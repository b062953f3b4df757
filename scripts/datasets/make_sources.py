#!/usr/bin/env python3
"""Writes tasks/datasets.json, the table `moebench data fetch` downloads from, out of a checked copy
of the datasets (default ../shared/datasets, the copy every SOURCE.md there describes).

Each dataset's upstream repository, commit and the upstream path of each local file are stated
below (from the SOURCE.md files); the SHA-256 and size of every file come from the local copy, so
the table pins exactly the bytes the test sets were verified with. Archives (the MMLU and C-Eval
zips) are checked member by member: their own checksum is unknown here, so the table gives none.

Usage: scripts/datasets/make_sources.py [DATASETS_DIR] > tasks/datasets.json
"""
import hashlib
import json
import os
import sys

RAW = "https://raw.githubusercontent.com/{repo}/{commit}/{path}"
LLAMA_FACTORY = ("hiyouga/LLaMA-Factory", "465ee8119aa489a41bee0b01b3c105a2f3dd137f")
OPENCOMPASS_BUNDLE = ("FormulaMonks/llm-benchmarker-suite", "5d3c8009ab8f5adab4899c34dd203cbf7afcb372")

# dataset -> repo, commit, license, and how a local path maps to the upstream path (a function),
# or for an archive its upstream path and how a local path maps to the member name.
DATASETS = {
    "gsm8k": dict(repo="openai/grade-school-math", commit="3101c7d5072418e28b9008a6636bde82a006892c",
                  license="MIT License", upstream=lambda p: "grade_school_math/data/" + p),
    "humaneval": dict(repo="openai/human-eval", commit="6d43fb980f9fee3c892a914eda09951f772ad10d",
                      license="MIT License", upstream=lambda p: "data/" + p),
    "math500": dict(repo="hkust-nlp/simpleRL-reason", commit="cf1c7858bfc145a27aa733e75d930d34f0d318a6",
                    license="MIT License (openai/prm800k)",
                    upstream=lambda p: "examples/simplelr_math_eval/data/math500/" + p,
                    note="byte-identical to openai/prm800k prm800k/math_splits/test.jsonl (a Git LFS "
                         "file there, oid sha256 35dc4108...)"),
    "mbpp": dict(repo=OPENCOMPASS_BUNDLE[0], commit=OPENCOMPASS_BUNDLE[1],
                 license="upstream google-research/google-research: Apache-2.0",
                 upstream=lambda p: "data/mbpp/" + p,
                 note="the OpenCompass bundle's copy of the full 974-task MBPP"),
    "arc": dict(repo=OPENCOMPASS_BUNDLE[0], commit=OPENCOMPASS_BUNDLE[1],
                license="upstream AI2 ARC: CC BY-SA 4.0", upstream=lambda p: "data/ARC/ARC-c/" + p),
    "mmlu": dict(repo=LLAMA_FACTORY[0], commit=LLAMA_FACTORY[1], license="MIT",
                 archive="evaluation/mmlu/mmlu.zip", member=lambda p: "data/" + p,
                 note="hendrycks/test data.tar's data/ folder, zipped (git blob 1aaee65f)"),
    "ceval": dict(repo=LLAMA_FACTORY[0], commit=LLAMA_FACTORY[1], license="CC BY-NC-SA 4.0",
                  archive="evaluation/ceval/ceval.zip", member=lambda p: p,
                  note="C-Eval's val/, dev/ and test/ folders, zipped (git blob d39274a3)"),
    "cmmlu": dict(repo="haonan-li/CMMLU", commit="d6e7b716d8ac694f38969a6c0407437d1fded799",
                  license="CC BY-NC-SA 4.0", upstream=lambda p: "data/" + p),
    "gaokao": dict(repo="OpenLMLab/GAOKAO-Bench", commit="6dbb24f8d8439041e5431c4c184a582182a6ce9c",
                   license="Apache License 2.0", upstream=lambda p: "Data/" + p),
    "agieval": dict(repo="microsoft/AGIEval", commit="b1187aa0bf0e14125cb9a6c58f25288a4e272e64",
                    license="MIT License",
                    upstream=lambda p: {"few_shot_prompts.csv": "data/few_shot_prompts.csv",
                                        "LICENSE.data.txt": "data/v1/LICENSE"}.get(p, "data/v1/" + p)),
}


def local_files(root):
    out = []
    for dirpath, _, names in os.walk(root):
        for name in names:
            rel = os.path.relpath(os.path.join(dirpath, name), root).replace(os.sep, "/")
            if rel != "SOURCE.md":
                out.append(rel)
    return sorted(out)


def digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest(), os.path.getsize(path)


def entry(name, spec, root):
    d = dict(source=f"{spec['repo']}@{spec['commit']}", license=spec["license"])
    if "note" in spec:
        d["note"] = spec["note"]
    files = []
    for rel in local_files(os.path.join(root, name)):
        sha, size = digest(os.path.join(root, name, rel))
        files.append((rel, sha, size))
    if "archive" in spec:
        url = RAW.format(repo=spec["repo"], commit=spec["commit"], path=spec["archive"])
        members = [dict(path=rel, member=spec["member"](rel), sha256=sha, bytes=size)
                   for rel, sha, size in files]
        d["files"] = [dict(url=url, archive="zip", members=members)]
    else:
        d["files"] = [dict(path=rel, url=RAW.format(repo=spec["repo"], commit=spec["commit"],
                                                    path=spec["upstream"](rel)),
                           sha256=sha, bytes=size) for rel, sha, size in files]
    return d


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__),
                                                               "../../../shared/datasets")
    table = {
        "schema": 1,
        "about": "Where `moebench data fetch` downloads each dataset (a suite spec's dataset.dir) "
                 "from: upstream URLs at pinned commits, the SHA-256 and size of every file it "
                 "writes. --mirror URL fetches <URL>/<host>/<path> instead of https://<host>/<path>. "
                 "Written by scripts/datasets/make_sources.py.",
        "datasets": {name: entry(name, spec, root) for name, spec in DATASETS.items()},
    }
    json.dump(table, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
