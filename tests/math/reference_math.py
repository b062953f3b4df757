#!/usr/bin/env python3
"""Python reference for moebench's MATH normalization: lm-eval's minerva_math and hendrycks_math
helpers re-stated with the standard library only, for the C++ parity test.

Usage: reference_math.py IN.jsonl OUT.jsonl
Each input line is {"s": str, "b": str}; each output line carries, for that record, what every
helper returns (null where lm-eval returns None or raises).
"""
import json
import re
import sys

INVALID_ANSWER = "[invalidanswer]"

# minerva_math: (before, after) applied in order with str.replace.
SUBSTITUTIONS = [
    ("an ", ""), ("a ", ""), (".$", "$"), ("\\$", ""), ("\\ ", ""), (" ", ""),
    ("mbox", "text"), (",\\text{and}", ","), ("\\text{and}", ","), ("\\text{m}", "\\text{}"),
]
REMOVED_EXPRESSIONS = [
    "square", "ways", "integers", "dollars", "mph", "inches", "ft", "hours", "km", "units",
    "\\ldots", "sue", "points", "feet", "minutes", "digits", "cents", "degrees", "cm", "gm",
    "pounds", "meters", "meals", "edges", "students", "childrentickets", "multiples",
    "\\text{s}", "\\text{.}", "\\text{\ns}", "\\text{}^2", "\\text{}^3", "\\text{\n}",
    "\\text{}", "\\mathrm{th}", "^\\circ", "^{\\circ}", "\\;", ",\\!", "{,}", '"', "\\dots",
]


def last_boxed_only_string(s):
    if "\\boxed " in s:
        return "\\boxed " + s.split("\\boxed ")[-1].split("$")[0]
    idx = s.rfind("\\boxed")
    if idx < 0:
        idx = s.rfind("\\fbox")
    if idx < 0:
        return None
    depth = 0
    for i in range(idx, len(s)):
        if s[i] == "{":
            depth += 1
        if s[i] == "}":
            depth -= 1
            if depth == 0:
                return s[idx:i + 1]
    return None


def remove_boxed(s):
    """None where lm-eval's asserts fail."""
    if "\\boxed " in s:
        return s[len("\\boxed "):] if s.startswith("\\boxed ") else None
    if s.startswith("\\boxed{") and s.endswith("}"):
        return s[len("\\boxed{"):-1]
    return None


def get_unnormalized_answer(text):
    text += "I hope it is correct."
    m = re.search(r"Final Answer: The final answer is(.*?). I hope it is correct.", text)
    return m.group(1).strip() if m else INVALID_ANSWER


def normalize_final_answer(a):
    a = a.split("=")[-1]
    for before, after in SUBSTITUTIONS:
        a = a.replace(before, after)
    for expr in REMOVED_EXPRESSIONS:
        a = a.replace(expr, "")
    a = re.sub(r"(.*?)(\$)(.*?)(\$)(.*)", "$\\3$", a)
    a = re.sub(r"(\\text\{)(.*?)(\})", "\\2", a)
    a = re.sub(r"(\\textbf\{)(.*?)(\})", "\\2", a)
    a = re.sub(r"(\\overline\{)(.*?)(\})", "\\2", a)
    a = re.sub(r"(\\boxed\{)(.*)(\})", "\\2", a)
    a = re.sub(r"(frac)([^{])(.)", "frac{\\2}{\\3}", a)
    a = re.sub(r"(sqrt)([^{])", "sqrt{\\2}", a)
    a = a.replace("$", "")
    if a.replace(",", "").isdigit():
        a = a.replace(",", "")
    return a


def hendrycks_extract_answer(resp):
    dollars = [i for i, c in enumerate(resp) if c == "$"]
    if len(dollars) <= 1:
        return resp
    return resp[dollars[0] + 1:dollars[-1]]


def _fix_fracs(s):
    pieces = s.split("\\frac")
    out = pieces[0]
    for piece in pieces[1:]:
        out += "\\frac"
        if piece[0] == "{":  # IndexError on an empty piece, as in lm-eval
            out += piece
            continue
        if len(piece) < 2:
            return s
        a, b, rest = piece[0], piece[1], piece[2:]
        out += ("{" + a + "}{" + b + "}" + rest) if b != "{" else ("{" + a + "}" + b + rest)
    return out


def _fix_a_slash_b(s):
    parts = s.split("/")
    if len(parts) != 2:
        return s
    a, b = int(parts[0]), int(parts[1])  # ValueError escapes, as in lm-eval
    if s != "{}/{}".format(a, b):
        return s
    return "\\frac{" + str(a) + "}{" + str(b) + "}"


def _remove_right_units(s):
    if "\\text{ " not in s:
        return s
    parts = s.split("\\text{ ")
    assert len(parts) == 2
    return parts[0]


def _fix_sqrt(s):
    if "\\sqrt" not in s:
        return s
    parts = s.split("\\sqrt")
    out = parts[0]
    for piece in parts[1:]:
        if piece[0] != "{":  # IndexError on an empty piece, as in lm-eval
            out += "\\sqrt{" + piece[0] + "}" + piece[1:]
        else:
            out += "\\sqrt" + piece
    return out


def strip_string(s):
    for before, after in [("\n", ""), ("\\!", ""), ("\\\\", "\\"), ("tfrac", "frac"),
                          ("dfrac", "frac"), ("\\left", ""), ("\\right", ""),
                          ("^{\\circ}", ""), ("^\\circ", ""), ("\\$", "")]:
        s = s.replace(before, after)
    s = _remove_right_units(s)
    s = s.replace("\\%", "").replace("\\%", "")
    s = s.replace(" .", " 0.").replace("{.", "{0.")
    if not s:
        return s
    if s[0] == ".":
        s = "0" + s
    if len(s.split("=")) == 2 and len(s.split("=")[0]) <= 2:
        s = s.split("=")[1]
    s = _fix_sqrt(s)
    s = s.replace(" ", "")
    s = _fix_fracs(s)
    if s == "0.5":
        s = "\\frac{1}{2}"
    return _fix_a_slash_b(s)


def strip_string_or_none(s):
    try:
        return strip_string(s)
    except Exception:
        return None


def is_equiv(a, b):
    try:
        return strip_string(a) == strip_string(b)
    except Exception:
        return a == b


def record(s, b):
    boxed = last_boxed_only_string(s)
    unboxed = remove_boxed(boxed) if boxed is not None else None
    unnormalized = get_unnormalized_answer(s)
    return {
        "s": s,
        "b": b,
        "unnormalized": unnormalized,
        "minerva": normalize_final_answer(unnormalized),
        "normalize": normalize_final_answer(s),
        "last_boxed": boxed,
        "remove_boxed": remove_boxed(s),
        "boxed_answer": unboxed,
        "gold_minerva": normalize_final_answer(unboxed) if unboxed is not None else None,
        "hendrycks_answer": hendrycks_extract_answer(s),
        "strip": strip_string_or_none(s),
        "is_equiv": is_equiv(hendrycks_extract_answer(s), b),
    }


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: reference_math.py IN.jsonl OUT.jsonl")
    with open(sys.argv[1], encoding="utf-8") as fin, \
            open(sys.argv[2], "w", encoding="utf-8") as fout:
        for line in fin:
            if line.strip():
                rec = json.loads(line)
                fout.write(json.dumps(record(rec["s"], rec.get("b", ""))) + "\n")


if __name__ == "__main__":
    main()
