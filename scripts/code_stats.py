#!/usr/bin/env python3
"""Sizes of moebench's own code: lines per folder, files over a limit and the longest functions.

    python3 scripts/code_stats.py [--root DIR] [--top N] [--check]

--check exits 1 when a file outside kernels/ has more than 600 lines or a function outside
kernels/ more than 80 (the limits of docs/ARCHITECTURE.md); tests/ are not counted.

Functions are found the way clang-format lays them out: a definition starts on a line at namespace
depth (no indentation, or inside a class) whose statement ends with "{" and holds "(", and ends at
its matching brace. Lambdas and local classes count toward their enclosing function.
"""
import argparse
import collections
import os
import re
import sys

ROOTS = ["common", "kernels", "tasks", "backends", "harness", "reports"]
EXTS = (".h", ".cpp", ".cu", ".cuh")
FILE_LIMIT, FUNCTION_LIMIT = 600, 80
CONTROL = re.compile(r"^\s*(if|for|while|switch|catch|do|else|return|namespace|struct|class|enum|union)\b")


def strip_code(line, state):
    """Removes comments and string/char literals (state carries /* */ across lines)."""
    out, i = [], 0
    while i < len(line):
        if state.get("raw"):  # inside a raw string literal opened on an earlier line
            end = line.find(state["raw"], i)
            if end < 0:
                return "".join(out)
            i, state["raw"] = end + len(state["raw"]), None
            out.append('""')
            continue
        if state["block"]:
            end = line.find("*/", i)
            if end < 0:
                return "".join(out)
            state["block"], i = False, end + 2
            continue
        c = line[i]
        if line.startswith("//", i):
            break
        if line.startswith("/*", i):
            state["block"], i = True, i + 2
            continue
        if line.startswith('R"', i):
            m = re.match(r'R"([^(]*)\(', line[i:])
            if m:
                close = ")" + m.group(1) + '"'
                end = line.find(close, i)
                if end < 0:
                    state["raw"] = close
                    return "".join(out)
                out.append('""')
                i = end + len(close)
                continue
        if c in "\"'":
            j = i + 1
            while j < len(line) and line[j] != c:
                j += 2 if line[j] == "\\" else 1
            out.append(c + c)
            i = j + 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


def functions(path):
    """(name, first line, length in lines) of each function defined in the file."""
    state = {"block": False}
    lines = [strip_code(l.rstrip("\n"), state) for l in open(path, encoding="utf-8", errors="replace")]
    found, depth, start, name, pending = [], 0, None, None, ""
    scopes = []  # per open brace: True when it opened a namespace/class body (a definition scope)
    for n, code in enumerate(lines, 1):
        if start is None:
            pending = (pending + " " + code.strip()).strip() if code.strip() else pending
        for ch in code:
            if ch == "{":
                at_scope = all(scopes)
                text = pending.rstrip("{").strip()
                is_fn = (start is None and at_scope and "(" in text and not CONTROL.match(text)
                         and not text.endswith("=") and not text.startswith("#"))
                if is_fn:
                    m = re.search(r"([~\w:]+(?:operator\s*\S+?)?)\s*$", text[: text.index("(")])
                    start, name, fn_depth = n, (m.group(1) if m else text[:40]), len(scopes)
                    scopes.append(False)
                else:
                    scopes.append(start is None and bool(re.match(
                        r"^(.*\b(namespace|struct|class|union)\b[^=]*|extern \"\"\s*)$", text)))
                pending = ""
            elif ch == "}":
                if scopes:
                    scopes.pop()
                if start is not None and len(scopes) == fn_depth:
                    found.append((name, start, n - start + 1))
                    start = None
                pending = ""
            elif ch == ";" and start is None:
                pending = ""
    return found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default=os.path.join(os.path.dirname(__file__), ".."))
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    per_folder = collections.Counter()
    files, fns = [], []
    for top in ROOTS:
        for d, _, names in os.walk(os.path.join(a.root, top)):
            for f in sorted(names):
                if not f.endswith(EXTS):
                    continue
                p = os.path.join(d, f)
                rel = os.path.relpath(p, a.root)
                n = sum(1 for _ in open(p, encoding="utf-8", errors="replace"))
                per_folder[os.path.dirname(rel)] += n
                files.append((n, rel))
                fns += [(length, f"{rel}:{line}", fn) for fn, line, length in functions(p)]
    print("lines per folder:")
    for folder in sorted(per_folder):
        print(f"  {per_folder[folder]:6d}  {folder}/")
    print(f"  {sum(per_folder.values()):6d}  total")
    outside = lambda rel: not rel.startswith("kernels/") and not rel.startswith("kernels:")
    big_files = sorted([f for f in files if f[0] > FILE_LIMIT and outside(f[1])], reverse=True)
    long_fns = sorted([f for f in fns if f[0] > FUNCTION_LIMIT and outside(f[1])], reverse=True)
    print(f"files over {FILE_LIMIT} lines (outside kernels/): {len(big_files)}")
    for n, rel in big_files:
        print(f"  {n:5d}  {rel}")
    print(f"longest {a.top} functions:")
    for length, where, fn in sorted(fns, reverse=True)[: a.top]:
        print(f"  {length:5d}  {fn}  {where}")
    print(f"functions over {FUNCTION_LIMIT} lines (outside kernels/): {len(long_fns)}")
    for length, where, fn in long_fns:
        print(f"  {length:5d}  {fn}  {where}")
    if a.check and (big_files or long_fns):
        sys.exit(f"code_stats: {len(big_files)} files over {FILE_LIMIT} lines and {len(long_fns)} "
                 f"functions over {FUNCTION_LIMIT} lines outside kernels/")


if __name__ == "__main__":
    main()
