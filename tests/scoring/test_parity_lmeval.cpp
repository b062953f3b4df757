// Parity with lm-eval on GSM8K: hundreds of generated adversarial responses are scored by our
// chain and by tests/scoring/reference_lmeval.py (Python's own `re`); filtered strings and
// exact_match verdicts must agree on every one.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/catch.h"
#include "tests/scoring/gsm8k_fixture.h"

namespace fs = std::filesystem;

namespace {

struct Item {
  std::string response, target;
};

std::string with_commas(const std::string& n) {
  size_t end = n.find('.');
  if (end == std::string::npos) end = n.size();
  size_t begin = n[0] == '-' ? 1 : 0;
  std::string out = n.substr(0, begin);
  for (size_t i = begin; i < end; ++i) {
    if (i > begin && (end - i) % 3 == 0) out += ',';
    out += n[i];
  }
  return out + n.substr(end);
}

// Digits as Arabic-Indic (U+0660..) or full-width (U+FF10..) characters.
std::string unicode_digits(const std::string& n, bool fullwidth) {
  std::string out;
  for (char c : n) {
    if (c < '0' || c > '9') {
      out += c;
    } else if (fullwidth) {
      out += "\xef\xbc";
      out += static_cast<char>(0x90 + (c - '0'));
    } else {
      out += "\xd9";
      out += static_cast<char>(0xa0 + (c - '0'));
    }
  }
  return out;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) {
    s.replace(p, from.size(), to);
  }
  return s;
}

const std::vector<std::string> kTemplates = {
    "#### {n}",
    "The answer is {n}.",
    "#### ${n}",
    "#### {n}.",
    "#### {n}.00",
    "{n}",
    "So the total is {n} dollars.\n#### {n}",
    "#### {n}\n#### {n1}",
    "####{n}",
    "#### {n} apples",
    "The answer is ${n}.",
    "Answer: {n}\n\nQuestion: What is 2+2?\nAnswer: 4",
    "{n} is the answer, not {n1}",
    "\\boxed{{n}}",
    "#### {w}",
    "#### {c}",
    "The answer is {c}.",
    "#### {u}",
    "#### {f}",
    "The answer is {f}",
    "#### -{n}",
    "#### {n}\r\n",
    "\n\n#### {n}\n\n",
    "#### {n},",
    "#### {n}..",
    "#### .{n}",
    "The answer is {n},000.",
    "It costs $1,234.56, i.e. {n}",
    "{n}!",
    "({n})",
    "#### {n} #### {n1}",
    "#### {n}\nThe answer is {n1}.",
    "= {n}.\n",
    "{n}%",
    "#### {n}.\n\nQuestion:",
    "####  {n}",
    "#### $ {n}",
    "#### {n}$",
    "#### {c}.00",
    "The answer is: {n}",
    "Step 1: 3 + 4 = 7.\nStep 2: 7 * 2 = 14.\nSo {n}",
    "#### {n} / 2",
    "#### 0{n}",
    "-{n}.",
    "{n}\n#### ",
    "#### \t{n}",
    "The answer is {n}. #### {n}",
    "#### {n}\u00a0",
};

// One-step mutations applied on top of each template (index-chosen, so the set is fixed).
std::string mutate(const std::string& s, size_t which) {
  switch (which % 8) {
    case 0:
      return s;
    case 1:
      return s + ".";
    case 2:
      return replace_all(s, "#### ", "#### #### ");
    case 3:
      return replace_all(s, "#### ", "");
    case 4:
      return "Let me think step by step.\n" + s;
    case 5:
      return s + "\n";
    case 6:
      return replace_all(s, "#### ", "#### $");
    default:
      return s + " The answer is " + std::to_string(which) + ".";
  }
}

std::vector<Item> make_items() {
  struct Num {
    std::string n, n1, w;
  };
  const std::vector<Num> nums = {{"72", "73", "seventy-two"}, {"1000", "1001", "one thousand"},
                                 {"-7", "-8", "minus seven"}, {"2.5", "3.5", "two and a half"},
                                 {"0", "1", "zero"},          {"123456", "123457", "lots"},
                                 {"18", "19", "eighteen"},    {"0.5", "1.5", "a half"}};
  std::vector<Item> items;
  for (const auto& c : moebench::test::gsm8k_hand_cases()) items.push_back({c.response, *c.target});
  size_t k = 0;
  for (const auto& num : nums) {
    const std::string target = "Compute step by step: <<a=b>>" + num.n + " units.\n#### " +
                               (k % 2 ? with_commas(num.n) : num.n);
    for (const auto& t : kTemplates) {
      std::string r = replace_all(t, "{n}", num.n);
      r = replace_all(r, "{n1}", num.n1);
      r = replace_all(r, "{w}", num.w);
      r = replace_all(r, "{c}", with_commas(num.n));
      r = replace_all(r, "{u}", unicode_digits(num.n, false));
      r = replace_all(r, "{f}", unicode_digits(num.n, true));
      items.push_back({mutate(r, k++), target});
    }
  }
  return items;
}

}  // namespace

TEST_CASE("GSM8K parity with lm-eval's reference semantics (Python re)", "[scoring][parity]") {
  const fs::path python = "/usr/bin/python3";
  if (!fs::exists(python)) {
    WARN("skipped: /usr/bin/python3 not found");
    return;
  }
  const auto items = make_items();
  REQUIRE(items.size() >= 300);
  const fs::path dir = fs::temp_directory_path() / ("moebench_parity_" + std::to_string(getpid()));
  fs::create_directories(dir);
  {
    std::ofstream in(dir / "in.jsonl");
    for (const auto& it : items) {
      in << nlohmann::json{{"response", it.response}, {"target", it.target}}.dump() << "\n";
    }
  }
  const std::string cmd = python.string() +
                          " " MOEBENCH_SOURCE_DIR "/tests/scoring/reference_lmeval.py " +
                          (dir / "in.jsonl").string() + " " + (dir / "out.jsonl").string();
  REQUIRE(std::system(cmd.c_str()) == 0);

  moebench::test::Gsm8kChain chain;
  std::ifstream out(dir / "out.jsonl");
  std::string line;
  size_t i = 0, mismatches = 0, strict_hits = 0, flexible_hits = 0;
  for (; std::getline(out, line) && i < items.size(); ++i) {
    auto ref = nlohmann::json::parse(line);
    auto v = chain.score(items[i].response, items[i].target);
    bool same = v.strict == ref["strict"].get<std::string>() &&
                v.flexible == ref["flexible"].get<std::string>() &&
                v.strict_em == ref["strict_em"].get<double>() &&
                v.flexible_em == ref["flexible_em"].get<double>();
    strict_hits += v.strict_em == 1.0;
    flexible_hits += v.flexible_em == 1.0;
    if (!same) {
      ++mismatches;
      UNSCOPED_INFO("item " << i << " response " << nlohmann::json(items[i].response).dump()
                            << "\n  ours   " << v.strict << " " << v.strict_em << " | "
                            << v.flexible << " " << v.flexible_em << "\n  python " << ref.dump());
    }
  }
  fs::remove_all(dir);
  CHECK(i == items.size());
  CHECK(mismatches == 0);
  // The set must exercise both verdicts on both pipelines, or agreement proves little.
  INFO("compared " << i << " responses; correct: strict " << strict_hits << ", flexible "
                   << flexible_hits);
  CHECK(strict_hits >= 50);
  CHECK(strict_hits + 50 <= i);
  CHECK(flexible_hits >= 50);
  CHECK(flexible_hits + 50 <= i);
}
