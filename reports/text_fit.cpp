// text_truncate / text_fit_distinct: cutting names to a width without making two of them equal.
#include "reports/text_fit.h"

#include <algorithm>
#include <map>
#include <set>

namespace moebench {
namespace {

constexpr const char* kEllipsis = "\xE2\x80\xA6";

// The code points of a UTF-8 string, each as its bytes (continuation bytes stay with their lead).
std::vector<std::string> code_points(const std::string& s) {
  std::vector<std::string> out;
  for (const char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) == 0x80 && !out.empty()) {
      out.back() += c;
    } else {
      out.emplace_back(1, c);
    }
  }
  return out;
}

std::string join(const std::vector<std::string>& cps, size_t from, size_t to) {
  std::string out;
  for (size_t i = from; i < std::min(to, cps.size()); ++i) out += cps[i];
  return out;
}

// Code points the names share at the start.
size_t common_prefix(const std::vector<std::vector<std::string>>& names) {
  size_t p = 0;
  for (;; ++p) {
    for (const auto& n : names) {
      if (p >= n.size() || n[p] != names[0][p]) return p;
    }
  }
}

// "head…tail" in max_chars code points (the name itself when it fits).
std::string head_tail(const std::vector<std::string>& cps, size_t max_chars, size_t head) {
  if (cps.size() <= max_chars) return join(cps, 0, cps.size());
  const size_t tail = max_chars - 1 - head;
  return join(cps, 0, head) + kEllipsis + join(cps, cps.size() - tail, cps.size());
}

// "head…window…" with the window starting just before code point `diff`, where the names of a
// group first differ; the tail form when the window would reach the end anyway.
std::string head_window(const std::vector<std::string>& cps, size_t max_chars, size_t head,
                        size_t diff) {
  const size_t width = max_chars - 1 - head;
  const size_t start = std::max(head, diff >= 2 ? diff - 2 : 0);
  if (cps.size() <= max_chars || start + width >= cps.size()) {
    return head_tail(cps, max_chars, head);
  }
  return join(cps, 0, head) + kEllipsis + join(cps, start, start + width - 1) + kEllipsis;
}

bool all_distinct(const std::vector<std::string>& labels) {
  return std::set<std::string>(labels.begin(), labels.end()).size() == labels.size();
}

// Labels for one group of different names that truncation made equal.
std::vector<std::string> separate(const std::vector<std::string>& names, size_t max_chars) {
  std::vector<std::vector<std::string>> cps;
  for (const std::string& n : names) cps.push_back(code_points(n));
  const size_t head = std::max<size_t>(1, (max_chars + 1) / 3);
  std::vector<std::string> out;
  for (const auto& c : cps) out.push_back(head_tail(c, max_chars, head));
  if (all_distinct(out)) return out;
  const size_t diff = common_prefix(cps);
  out.clear();
  for (const auto& c : cps) out.push_back(head_window(c, max_chars, head, diff));
  return out;
}

}  // namespace

std::string text_truncate(const std::string& s, size_t max_chars) {
  const std::vector<std::string> cps = code_points(s);
  if (cps.size() <= max_chars || max_chars == 0) return s;
  return join(cps, 0, max_chars - 1) + kEllipsis;
}

std::vector<std::string> text_fit_distinct(const std::vector<std::string>& names,
                                           size_t max_chars) {
  max_chars = std::max<size_t>(max_chars, 4);
  std::vector<std::string> labels;
  std::map<std::string, std::set<std::string>> by_label;  // label -> the names cut to it
  for (const std::string& n : names) {
    labels.push_back(text_truncate(n, max_chars));
    by_label[labels.back()].insert(n);
  }
  const std::vector<std::string> cut = labels;
  for (const auto& [label, group] : by_label) {
    if (group.size() < 2) continue;
    const std::vector<std::string> members(group.begin(), group.end());
    const std::vector<std::string> fixed = separate(members, max_chars);
    for (size_t i = 0; i < names.size(); ++i) {
      if (cut[i] != label) continue;
      const size_t k = std::find(members.begin(), members.end(), names[i]) - members.begin();
      labels[i] = fixed[k];
    }
  }
  // Two different names still on one label (e.g. a cut label equal to another full name).
  std::map<std::string, std::set<std::string>> check;
  for (size_t i = 0; i < names.size(); ++i) check[labels[i]].insert(names[i]);
  const bool clash =
      std::any_of(check.begin(), check.end(), [](const auto& kv) { return kv.second.size() > 1; });
  if (!clash) return labels;
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string number = "#" + std::to_string(i + 1) + " ";
    labels[i] =
        number +
        text_truncate(names[i], max_chars > number.size() + 1 ? max_chars - number.size() : 2);
  }
  return labels;
}

}  // namespace moebench
