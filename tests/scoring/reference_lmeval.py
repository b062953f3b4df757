#!/usr/bin/env python3
"""Reference GSM8K scoring as lm-eval 3.0 does it, standard library only, for the parity test.

Written from lm-eval's RegexFilter (lm_eval/filters/extraction.py), TakeFirstFilter and
exact_match_hf_evaluate (lm_eval/api/metrics.py, ported from HF evaluate); numpy is replaced by
plain Python where it behaves the same on these inputs (np.char.lower == str.lower; numpy's
fixed-width unicode arrays drop trailing NULs, reproduced below).

usage: reference_lmeval.py IN.jsonl OUT.jsonl
  IN lines:  {"response": str, "target": str}
  OUT lines: {"strict": str, "flexible": str, "strict_em": float, "flexible_em": float}
"""
import json
import re
import string
import sys

STRICT = r"#### (\-?[0-9\.\,]+)"
FLEXIBLE = r"(-?[$0-9.,]{2,})|(-?[0-9]+)"
EM_REGEXES = [",", "\\$", "(?s).*#### ", "\\.$"]


def regex_filter(pattern, group_select, responses, fallback="[invalid]"):
    """RegexFilter.apply on one document's responses: findall, pick, first non-empty, strip."""
    compiled = re.compile(pattern)
    out = []
    for resp in responses:
        matches = compiled.findall(resp)
        if not matches:
            out.append(fallback)
            continue
        picked = matches[group_select]
        if isinstance(picked, tuple):
            picked = [g for g in picked if g][0]
        out.append(picked.strip())
    return out


def take_first(responses):
    return responses[0]


def exact_match(prediction, reference, regexes_to_ignore=None, ignore_case=False,
                ignore_punctuation=False, ignore_numbers=False):
    """exact_match_hf_evaluate for one prediction/reference pair."""
    pred, ref = prediction, reference
    for pattern in regexes_to_ignore or []:
        pred = re.sub(pattern, "", pred)
        ref = re.sub(pattern, "", ref)
    if ignore_case:
        pred, ref = pred.lower(), ref.lower()
    if ignore_punctuation:
        table = str.maketrans("", "", string.punctuation)
        pred, ref = pred.translate(table), ref.translate(table)
    if ignore_numbers:
        table = str.maketrans("", "", string.digits)
        pred, ref = pred.translate(table), ref.translate(table)
    pred, ref = pred.rstrip("\0"), ref.rstrip("\0")  # numpy '<U' arrays drop trailing NULs
    return 1.0 if pred == ref else 0.0


def score(response, target):
    strict = take_first(regex_filter(STRICT, 0, [response]))
    flexible = take_first(regex_filter(FLEXIBLE, -1, [response]))
    em = lambda p: exact_match(p, target, regexes_to_ignore=EM_REGEXES, ignore_case=True)
    return {"strict": strict, "flexible": flexible, "strict_em": em(strict),
            "flexible_em": em(flexible)}


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: reference_lmeval.py IN.jsonl OUT.jsonl")
    with open(sys.argv[1], encoding="utf-8") as fin, open(sys.argv[2], "w",
                                                          encoding="utf-8") as fout:
        for line in fin:
            item = json.loads(line)
            fout.write(json.dumps(score(item["response"], item["target"])) + "\n")


if __name__ == "__main__":
    main()
