#!/usr/bin/env python3
"""Reference answer extraction as openai/simple-evals does it, standard library only, for the
parity test of harness/scoring/filters_simple_evals.cpp.

Copied from simple-evals main as of the HealthBench release (mgsm_eval.py and humaneval_eval.py at
commit 5e623c2b400af62a1278e23595f95b0853d7fe8a; common.py and mmlu_eval.py at the same state:
ANSWER_PATTERN_MULTICHOICE and the template use `[ \\t]*`, older versions had `\\s*`):
  common.py        ANSWER_PATTERN, MULTILINGUAL_ANSWER_PATTERN_TEMPLATE,
                   MULTILINGUAL_ANSWER_REGEXES, normalize_response, normalize_extracted_answer
  mmlu_eval.py     the extraction loop of MMLUEval.__call__.fn
  math_eval.py     re.search(ANSWER_PATTERN, response_text), group 1
  mgsm_eval.py     parse_answer, score_mgsm
  humaneval_eval.py find_code
The only changes: the answer regexes are raw strings (upstream writes "Answer\\s*:" in plain
strings, which Python 3.12 warns about; same pattern text), their invisible characters are written
as escapes, and simple_evals_mc's `letters` generalisation (see mc_template). strip_think is
moebench's rule (filters_text.cpp), which runs before every simple-evals step.

usage: reference_simple_evals.py IN.jsonl OUT.jsonl
  IN lines:  {"kind": "mc"|"math"|"mgsm"|"code", "response": str, "gold": str,
              "letters": str (mc, default "ABCD"), "prefix": str (mgsm, default "Answer")}
  OUT lines: {"extracted": str|null, "verdict": bool|null}
    mc: verdict = extracted == gold; mgsm: score_mgsm(gold, extracted); math, code: null.
"""
import json
import re
import sys

# --- common.py --------------------------------------------------------------------------------

ANSWER_PATTERN = r"(?i)Answer\s*:\s*([^\n]+)"
MULTILINGUAL_ANSWER_PATTERN_TEMPLATE = (
    "(?i){}[ \t]*([A-D]|[أ-د]|[অ]|[ব]|[ড]|[ঢ]|[Ａ]|[Ｂ]|[Ｃ]|[Ｄ])"
)
# All the different ways "Answer" is written in different languages
MULTILINGUAL_ANSWER_REGEXES = [
    r"Answer\s*:",
    r"Answer\s*:" + "\u200b" * 6,  # Korean invisible character
    r"উত্তর\s*:",
    r"उत्तर\s*:",
    r"উত্তরঃ",
    r"উত্তর\s*:",
    r"Antwort\s*:",
    r"답변\s*:",
    r"정답\s*:",
    r"답\s*:",
    r"答案\s*：",
    r"答案\s*:",
    r"答\s*：",
    r"答\s*:",
    r"答复\s*：",
    r"答曰\s*：",
    r"الإجابة:",
    r"الجواب:",
    r"إجابة:",
    r"الإجابة النهائية:",
    r"الإجابة الصحيحة:",
    r"الإجابة الصحيحة هي:",
    r"الإجابة هي:",
    r"الجواب النهائي:",
    r"Respuesta\s*:",
    r"Risposta\s*:",
    r"答え\s*:",
    r"答え\s*：",
    r"回答\s*:",
    r"回答\s*：",
    r"解答\s*:",
    r"Jawaban\s*:",
    r"Réponse\s*:",
    r"Resposta\s*:",
    r"Jibu\s*:",
    r"Idahun\s*:",
    r"Ìdáhùn\s*:",
    r"Idáhùn\s*:",
    "A\u0300m\u1ecd\u0300na\u0300" + r"\s*:",  # upstream stores these two decomposed (NFD)
    r"Àdáhùn\s*:",
    "A\u0300nu\u0301go\u0323" + r"\s*:",
    r"Àṣàyàn\s*:",
]


def normalize_response(response: str) -> str:
    """
    Normalize the response by removing markdown and LaTeX formatting that may prevent a match.
    """

    return (
        response.replace("**", "")
        .replace("$\\boxed{", "")
        .replace("}$", "")
        .replace("\\$", "")
        .replace("$\\text{", "")
        .replace("$", "")
        .replace("\\mathrm{", "")
        .replace("\\{", "")
        .replace("\\text", "")
        .replace("\\(", "")
        .replace("\\mathbf{", "")
        .replace("{", "")
        .replace("\\boxed", "")
    )


def normalize_extracted_answer(extracted_answer: str) -> str:
    return (
        # In arabic these are the letters used for A-D in multiple choice questions
        extracted_answer.replace("أ", " A")
        .replace("ب", " B")
        .replace("ج", " C")
        .replace("د", " D")
        # In Bengali these are the letters used for A-D in multiple choice questions
        .replace("অ", " A")
        .replace("ব", " B")
        .replace("ড", " C")
        .replace("ঢ", " D")
        # In Japanese these are the letters sometimes used for A-D in multiple choice questions
        .replace("Ａ", " A")
        .replace("Ｂ", " B")
        .replace("Ｃ", " C")
        .replace("Ｄ", " D")
        .strip()
    )


# --- mmlu_eval.py -----------------------------------------------------------------------------


def mc_template(letters: str) -> str:
    """moebench's generalisation: the Latin class [A-D] becomes [<letters>]; the non-Latin
    alternatives (which stand for A-D) stay as they are."""
    if letters == "ABCD":
        return MULTILINGUAL_ANSWER_PATTERN_TEMPLATE
    return MULTILINGUAL_ANSWER_PATTERN_TEMPLATE.replace("[A-D]", "[" + letters + "]", 1)


def extract_mc(response_text: str, letters: str):
    template = mc_template(letters)
    response_text = normalize_response(response_text)
    extracted_answer = None
    for answer_regex in MULTILINGUAL_ANSWER_REGEXES:
        regex = template.format(answer_regex)
        match = re.search(regex, response_text)
        if match:
            extracted_answer = normalize_extracted_answer(match.group(1))
            break
    return extracted_answer


# --- math_eval.py -----------------------------------------------------------------------------


def extract_math(response_text: str):
    match = re.search(ANSWER_PATTERN, response_text)
    extracted_answer = match.group(1) if match else None
    return extracted_answer


# --- mgsm_eval.py -----------------------------------------------------------------------------


def parse_answer(answer: str, answer_prefix: str) -> str:
    if answer_prefix not in answer:
        return ""

    answer_text = answer.split(answer_prefix)[-1].strip()

    # find all the numbers (including decimals) in the string
    numbers = re.findall(r"\d+\.?\d*", answer_text.replace(",", ""))

    # return the first number (removing trailing decimal point if present),
    # or an empty string if there were no numbers
    return numbers[-1].rstrip(".") if numbers else ""


def score_mgsm(target: str, prediction: str) -> bool:
    if "." in prediction:
        prediction = prediction.rstrip("0").rstrip(".")

    target = target.replace(",", "")
    prediction = prediction.replace(",", "")

    return target == prediction


# --- humaneval_eval.py ------------------------------------------------------------------------


def find_code(completion):
    pattern = re.compile(r"```python\n(.*?)```", re.DOTALL)
    matches = pattern.findall(completion)
    extracted_answer = matches[0] if len(matches) >= 1 else completion
    extracted_answer = extracted_answer[
        extracted_answer.find(":\n    ") + 2 :
    ]  # remove signature
    return extracted_answer


# --- moebench's strip_think (harness/scoring/filters_text.cpp) ---------------------------------


def strip_think(s: str) -> str:
    """common/thinking's rule: everything before the last </think> is thinking; the answer follows
    it, up to a <think> that opens thinking again; with no </think>, what precedes the first
    <think>. Then strip()."""
    open_tag, close_tag = "<think>", "</think>"
    close = s.rfind(close_tag)
    begin = 0 if close == -1 else close + len(close_tag)
    reopen = s.find(open_tag, begin)
    return s[begin : len(s) if reopen == -1 else reopen].strip()


def score(item):
    kind, gold = item["kind"], item["gold"]
    response = strip_think(item["response"])
    if kind == "mc":
        extracted = extract_mc(response, item.get("letters", "ABCD"))
        return {"extracted": extracted, "verdict": extracted == gold}
    if kind == "math":
        return {"extracted": extract_math(response), "verdict": None}
    if kind == "mgsm":
        extracted = parse_answer(response, item.get("prefix", "Answer"))
        return {"extracted": extracted, "verdict": score_mgsm(gold, extracted)}
    if kind == "code":
        return {"extracted": find_code(response), "verdict": None}
    raise ValueError(f"unknown kind {kind!r}")


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: reference_simple_evals.py IN.jsonl OUT.jsonl")
    with open(sys.argv[1], encoding="utf-8") as fin, open(
        sys.argv[2], "w", encoding="utf-8"
    ) as fout:
        for line in fin:
            fout.write(json.dumps(score(json.loads(line))) + "\n")


if __name__ == "__main__":
    main()
