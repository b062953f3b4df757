#!/usr/bin/python3
"""Dev-time check (not run by CI): how often our C++ math_equivalent agrees with lm-eval's sympy
is_equiv (simplify(parse_latex(a) - parse_latex(b)) == 0) on the MATH test corpus.

Needs Debian's python3-sympy (1.11) and python3-antlr4 (4.9.1) plus the ANTLR 4.7 tool
(`apt-get install antlr4`): sympy's shipped parser is generated for runtime 4.10, so this script
regenerates it from sympy's LaTeX.g4 into a temp dir and points sympy at it.

Usage:
  MOEBENCH_MATH_EQUIV_DUMP=/tmp/equiv.jsonl build/tests/test_math "math_equivalent verdicts*"
  /usr/bin/python3 scripts/math_equiv_diff.py /tmp/equiv.jsonl
"""
import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile

import sympy

GRAMMAR = os.path.join(os.path.dirname(sympy.__file__), "parsing", "latex", "LaTeX.g4")


def load_module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)


def sympy_parse_latex():
    """parse_latex backed by a parser generated here with the installed ANTLR tool."""
    out = tempfile.mkdtemp(prefix="sympy_latex_")
    subprocess.run(["antlr4", "-Dlanguage=Python3", "-no-visitor", "-no-listener", "-o", out,
                    GRAMMAR], check=True, cwd=os.path.dirname(GRAMMAR))
    load_module("sympy.parsing.latex._antlr.latexlexer", os.path.join(out, "LaTeXLexer.py"))
    load_module("sympy.parsing.latex._antlr.latexparser", os.path.join(out, "LaTeXParser.py"))
    import sympy.parsing.latex._parse_latex_antlr as antlr_glue
    antlr_glue.version = lambda name: "4.10"  # the glue insists on the runtime it shipped for
    from sympy.parsing.latex import parse_latex
    return parse_latex


def lm_eval_is_equiv(parse_latex, a, b):
    """minerva_math is_equiv: any failure (parse, subtract, simplify, 5 s timeout) is False."""
    def on_alarm(signum, frame):
        raise TimeoutError()
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(5)
    try:
        return sympy.simplify(parse_latex(a) - parse_latex(b)) == 0
    except Exception:
        return False
    finally:
        signal.alarm(0)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    parse_latex = sympy_parse_latex()
    rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8") if line.strip()]
    seen, agree, diffs = set(), 0, []
    for row in rows:
        key = (row["a"], row["b"])
        if key in seen:
            continue
        seen.add(key)
        theirs = bool(lm_eval_is_equiv(parse_latex, row["a"], row["b"]))
        if theirs == row["ours"]:
            agree += 1
        else:
            diffs.append((row["a"], row["b"], row["ours"], theirs))
    print(f"math_equivalent vs sympy: {agree}/{len(seen)} distinct pairs agree")
    for a, b, ours, theirs in diffs:
        print(f"  ours={int(ours)} sympy={int(theirs)}  {a!r} vs {b!r}")


if __name__ == "__main__":
    main()
