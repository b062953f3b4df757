// Tests for reports/svg_chart.h and reports/svg_axis.h: Pareto front, 1-2-5 ticks, number
// formatting, element counts per chart, NaN gaps, escaping and XML well-formedness.
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "reports/svg_axis.h"
#include "reports/svg_chart.h"
#include "reports/text_fit.h"
#include "tests/catch.h"

using namespace moebench;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

ChartAxis axis(const std::string& label, bool log_scale = false, const std::string& unit = "") {
  return ChartAxis{label, log_scale, unit};
}

size_t count_of(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

// Exit status of python3's XML parser on svg (0 = well-formed).
int xml_parse_status(const std::string& svg) {
  static int counter = 0;
  const auto path =
      std::filesystem::temp_directory_path() /
      ("moebench_svg_" + std::to_string(getpid()) + "_" + std::to_string(counter++) + ".svg");
  std::ofstream(path, std::ios::binary) << svg;
  const std::string cmd =
      "python3 -c \"import xml.dom.minidom,sys; xml.dom.minidom.parse(sys.argv[1])\" '" +
      path.string() + "'";
  const int rc = std::system(cmd.c_str());
  std::filesystem::remove(path);
  return rc;
}

// The first tick is at or below lo, the last at or above hi, and the steps are equal and 1-2-5.
void check_linear_ticks(const std::vector<double>& t, double lo, double hi) {
  REQUIRE(t.size() >= 2);
  CHECK(t.front() <= lo);
  CHECK(t.back() >= hi);
  const double step = t[1] - t[0];
  const double mant = step / std::pow(10.0, std::floor(std::log10(step) + 1e-9));
  CHECK((std::abs(mant - 1) < 1e-9 || std::abs(mant - 2) < 1e-9 || std::abs(mant - 5) < 1e-9));
  for (size_t i = 1; i < t.size(); ++i) CHECK(std::abs(t[i] - t[i - 1] - step) < step * 1e-9);
}

void check_ticks_equal(const std::vector<double>& got, const std::vector<double>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) CHECK(std::abs(got[i] - want[i]) < 1e-12);
}

// Values of attribute attr on every element whose class is cls, in document order.
std::vector<double> attr_values(const std::string& svg, const std::string& cls,
                                const std::string& attr) {
  std::vector<double> out;
  const std::regex el("<[a-z]+ class=\"" + cls + "\"[^>]*>");
  const std::regex at(" " + attr + "=\"([-0-9.e]+)\"");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), el); it != std::sregex_iterator();
       ++it) {
    std::smatch m;
    const std::string tag = it->str();
    if (std::regex_search(tag, m, at)) out.push_back(std::stod(m[1]));
  }
  return out;
}

// Every chart's shared promises: the svg shell, no NaN printed, well-formed XML.
void check_svg_shell(const std::string& svg) {
  CHECK(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ", 0) == 0);
  CHECK(svg.find("width=\"100%\"") != std::string::npos);
  CHECK(svg.find("role=\"img\"") != std::string::npos);
  CHECK(svg.find("<title>") != std::string::npos);
  CHECK(svg.substr(svg.size() - 6) == "</svg>");
  CHECK_FALSE(std::regex_search(svg, std::regex("\\b(nan|inf)\\b")));
  CHECK(xml_parse_status(svg) == 0);
}

}  // namespace

TEST_CASE("chart_pareto_front excludes dominated points and keeps exact duplicates") {
  const std::vector<ChartPoint> pts = {
      {1, 0.5, "dominated by the cheaper equal score", ""},
      {2, 0.7, "front", ""},
      {2, 0.6, "dominated at the same cost", ""},
      {3, 0.65, "dominated by a cheaper better point", ""},
      {4, 0.9, "front", ""},
      {4, 0.9, "duplicate of a front point", ""},
      {0.5, 0.5, "front, cheapest", ""},
      {kNaN, 1.0, "NaN never on the front", ""},
      {5, 0.9, "dominated: same score, dearer", ""},
  };
  CHECK(chart_pareto_front(pts) == std::vector<size_t>{6, 1, 4, 5});
  CHECK(chart_pareto_front({}).empty());
}

TEST_CASE("chart_pareto_front agrees with the dominance definition on a pseudo-random set") {
  std::vector<ChartPoint> pts;
  uint32_t s = 12345;
  for (int i = 0; i < 60; ++i) {
    s = s * 1664525u + 1013904223u;  // Numerical Recipes LCG; coarse values force ties
    const double x = (s >> 8) % 20;  // score grows with cost, plus noise
    pts.push_back({x, std::floor(x / 2) + (s >> 24) % 10, "", ""});
  }
  std::vector<size_t> want;
  for (size_t i = 0; i < pts.size(); ++i) {
    bool dominated = false;
    for (size_t j = 0; j < pts.size(); ++j) {
      dominated |= pts[j].x <= pts[i].x && pts[j].y >= pts[i].y &&
                   (pts[j].x < pts[i].x || pts[j].y > pts[i].y);
    }
    if (!dominated) want.push_back(i);
  }
  std::stable_sort(want.begin(), want.end(),
                   [&](size_t a, size_t b) { return pts[a].x < pts[b].x; });
  CHECK(chart_pareto_front(pts) == want);
  CHECK(want.size() == 7);  // also counted by a Python brute force over the same sequence
}

TEST_CASE("axis_nice_ticks uses 1-2-5 steps that cover the range") {
  check_ticks_equal(axis_nice_ticks(0, 1), {0, 0.2, 0.4, 0.6, 0.8, 1.0});
  check_ticks_equal(axis_nice_ticks(0.37, 0.93), {0.2, 0.4, 0.6, 0.8, 1.0});
  check_ticks_equal(axis_nice_ticks(-3.2, 47), {-10, 0, 10, 20, 30, 40, 50});
  check_linear_ticks(axis_nice_ticks(0, 1), 0, 1);
  check_linear_ticks(axis_nice_ticks(0.37, 0.93), 0.37, 0.93);
  check_linear_ticks(axis_nice_ticks(3, 4870), 3, 4870);
  check_linear_ticks(axis_nice_ticks(0.001, 0.0013), 0.001, 0.0013);
  check_linear_ticks(axis_nice_ticks(5, 5), 5, 5);
  check_linear_ticks(axis_nice_ticks(0, 0), 0, 0);
}

TEST_CASE("axis_log_ticks uses decades or 1-2-5 mantissas and covers the range") {
  check_ticks_equal(axis_log_ticks(3, 4870), {1, 10, 100, 1000, 10000});
  check_ticks_equal(axis_log_ticks(0.37, 0.93), {0.2, 0.5, 1});
  check_ticks_equal(axis_log_ticks(3, 40), {2, 5, 10, 20, 50});
  check_ticks_equal(axis_log_ticks(10, 10), {5, 10, 20});
  const std::vector<double> wide = axis_log_ticks(1e-3, 1e20);  // 23 decades: every 3rd
  CHECK(wide.front() <= 1e-3);
  CHECK(wide.back() >= 1e20);
  CHECK(wide.size() <= 10);
  CHECK(std::abs(wide[1] / wide[0] - 1000) < 1e-6);
}

TEST_CASE("axis_format_number prints at most 4 significant digits") {
  CHECK(axis_format_number(0.1 + 0.2) == "0.3");
  CHECK(axis_format_number(123.456) == "123.5");
  CHECK(axis_format_number(12345) == "12350");
  CHECK(axis_format_number(-0.0) == "0");
  CHECK(axis_format_number(2) == "2");
  CHECK(axis_format_number(-0.00012346) == "-0.0001235");
  CHECK(axis_format_number(1.5e-7) == "1.5e-07");
  CHECK(axis_format_number(kNaN) == "0");
}

TEST_CASE("axis_format_tick rounds to the step and places the unit") {
  CHECK(axis_format_tick(0.30000000000000004, 0.1, "%") == "0.3%");
  CHECK(axis_format_tick(10000, 5000, "$") == "$10k");
  CHECK(axis_format_tick(5000, 5000, "") == "5k");
  CHECK(axis_format_tick(-5, 5, "$") == "-$5");
  CHECK(axis_format_tick(2.5e6, 5e5, "") == "2.5M");
  CHECK(axis_format_tick(1e-17, 0.2, "") == "0");
}

TEST_CASE("svg_scatter_pareto draws one dot per finite point and the front as one step line") {
  const std::vector<ChartPoint> pts = {
      {0.3, 71.2, "m-a", "runs/a.html"}, {1.1, 80.5, "m-b", ""},
      {kNaN, 50, "nan-x", ""},           {2.0, 75.0, "m-c", ""},
      {0.9, kNaN, "nan-y", ""},          {4.0, 88.0, "m-d", ""},
  };
  const std::string svg =
      svg_scatter_pareto("Score vs cost", pts, {"cost", false, "$"}, {"accuracy", false, "%"});
  check_svg_shell(svg);
  CHECK(count_of(svg, "class=\"pt\"") == 4);
  CHECK(count_of(svg, "class=\"front\"") == 1);
  CHECK(count_of(svg, "class=\"pl\"") == 3);  // labels beside the 3 front points
  CHECK(count_of(svg, "class=\"pt\" cx=") == 4);
  CHECK(count_of(svg, "r=\"5\" fill=\"#E69F00\" stroke=\"#000\"") == 3);  // front dots highlighted
  CHECK(svg.find("nan-x") == std::string::npos);
  CHECK(svg.find("<a href=\"runs/a.html\">") != std::string::npos);
  CHECK(svg.find("m-b (cost ($): $1.1, accuracy (%): 80.5%)") != std::string::npos);
  CHECK(svg ==
        svg_scatter_pareto("Score vs cost", pts, {"cost", false, "$"}, {"accuracy", false, "%"}));
}

TEST_CASE("svg_scatter_pareto on a log axis skips non-positive values and drops unsafe hrefs") {
  const std::vector<ChartPoint> pts = {
      {0, 0.5, "zero cost", ""},
      {-1, 0.5, "negative cost", ""},
      {3, 0.6, "ok1", "javascript:alert(1)"},
      {4870, 0.9, "ok2", "//evil.example/x"},
  };
  const std::string svg = svg_scatter_pareto("log", pts, {"cost", true, "$"}, axis("score"));
  check_svg_shell(svg);
  CHECK(count_of(svg, "class=\"pt\"") == 2);
  CHECK(svg.find("href") == std::string::npos);
  CHECK(svg.find(">$10k<") != std::string::npos);  // decade ticks 1 .. 10000
  CHECK(svg.find(">$1<") != std::string::npos);
}

TEST_CASE("svg charts escape hostile labels everywhere") {
  const std::string evil = "<script>alert(1)</script>\"'&";
  const std::string escaped = "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;";
  const std::vector<std::string> svgs = {
      svg_scatter_pareto(evil, {{1, 2, evil, evil}}, axis(evil), axis(evil)),
      svg_grouped_bars(evil, {evil}, {{evil, {1}, {0.1}}, {evil, {2}, {}}}, axis(evil)),
      svg_line_chart(evil, {evil, evil}, {{evil, {1, 2}, {false, true}, {"", evil}}}, axis(evil)),
  };
  for (const std::string& svg : svgs) {
    check_svg_shell(svg);
    CHECK(svg.find("<script") == std::string::npos);
    CHECK(svg.find(escaped) != std::string::npos);
  }
}

TEST_CASE("svg_grouped_bars draws one bar per finite value, heights proportional from 0") {
  const std::vector<std::string> cats = {"gsm8k", "mmlu", "humaneval"};
  const std::vector<BarSeries> series = {
      {"model-a", {0.5, 1.0, kNaN}, {0.05, kNaN, 0.1}},
      {"model-b", {0.25}, {}},  // mmlu and humaneval missing
  };
  const std::string svg = svg_grouped_bars("Accuracy", cats, series, axis("accuracy"));
  check_svg_shell(svg);
  CHECK(count_of(svg, "class=\"bar\"") == 3);
  CHECK(count_of(svg, "class=\"err\"") == 1);
  CHECK(count_of(svg, "class=\"legend\"") == 1);
  const std::vector<double> h = attr_values(svg, "bar", "height");
  REQUIRE(h.size() == 3);  // document order: gsm8k a, gsm8k b, mmlu a
  CHECK(std::abs(h[0] / h[1] - 2) < 0.01);
  CHECK(std::abs(h[2] / h[0] - 2) < 0.01);
  CHECK(svg.find("model-a / gsm8k: 0.5 \xC2\xB1 0.05") != std::string::npos);
}

TEST_CASE("svg_grouped_bars with one series has no legend and negative bars hang below 0") {
  const std::string svg =
      svg_grouped_bars("delta", {"a", "b"}, {{"d", {-2, 4}, {}}}, {"", false, "%"});
  check_svg_shell(svg);
  CHECK(svg.find("class=\"legend\"") == std::string::npos);
  const std::vector<double> y = attr_values(svg, "bar", "y");
  const std::vector<double> h = attr_values(svg, "bar", "height");
  REQUIRE(h.size() == 2);
  CHECK(std::abs(h[1] / h[0] - 2) < 0.01);
  CHECK(std::abs((y[1] + h[1]) - y[0]) < 0.2);  // both bars meet at the 0 line
}

TEST_CASE("svg_line_chart draws dots, regression triangles and breaks lines at NaN") {
  const std::vector<std::string> nights = {"11-20", "11-21", "11-22", "11-23", "11-24"};
  const std::vector<LineSeries> series = {
      {"decode tok/s",
       {100, 102, kNaN, 80, 101},
       {false, false, false, true},
       {"", "", "", "-21%"}},
      {"prefill tok/s", {900, 910, 905}, {}, {}},
  };
  const std::string svg = svg_line_chart("Nightly", nights, series, axis("tokens/s"));
  check_svg_shell(svg);
  CHECK(count_of(svg, "class=\"pt\"") == 6);
  CHECK(count_of(svg, "class=\"reg\"") == 1);
  CHECK(count_of(svg, "class=\"line\"") == 2);
  CHECK(svg.find("decode tok/s @ 11-23: 80\n-21%") != std::string::npos);
  // The NaN splits the first line into two runs: two "M" moves.
  const size_t first_line = svg.find("class=\"line\" d=\"");
  const std::string d = svg.substr(first_line, svg.find('"', first_line + 16) - first_line);
  CHECK(count_of(d, "M") == 2);
  CHECK(count_of(d, "L") == 2);
}

TEST_CASE("svg_line_chart thins crowded x labels") {
  std::vector<std::string> labels;
  std::vector<double> values;
  for (int i = 0; i < 100; ++i) {
    labels.push_back("r" + std::to_string(i));
    values.push_back(i % 7);
  }
  const std::string svg = svg_line_chart("many", labels, {{"s", values, {}, {}}}, axis("v"));
  check_svg_shell(svg);
  CHECK(count_of(svg, "class=\"pt\"") == 100);
  CHECK(svg.find(">r0<") != std::string::npos);
  CHECK(svg.find(">r17<") != std::string::npos);  // plot 544 px / 80 px: 6 labels, stride 17
  CHECK(svg.find(">r1<") == std::string::npos);
}

TEST_CASE("charts with nothing drawable say no data and stay well-formed") {
  const std::vector<std::string> svgs = {
      svg_scatter_pareto("empty", {}, axis("x"), axis("y")),
      svg_scatter_pareto("missing", {{kNaN, 1, "", ""}}, axis("x"), axis("y")),
      svg_grouped_bars("empty", {}, {}, axis("y")),
      svg_grouped_bars("missing", {"a"}, {{"s", {kNaN}, {}}}, axis("y")),
      svg_grouped_bars("log", {"a"}, {{"s", {0}, {}}}, axis("y", true)),
      svg_line_chart("empty", {}, {}, axis("y")),
  };
  for (const std::string& svg : svgs) {
    check_svg_shell(svg);
    CHECK(svg.find(">no data</text>") != std::string::npos);
    CHECK(count_of(svg, "class=\"pt\"") + count_of(svg, "class=\"bar\"") == 0);
  }
}

TEST_CASE("long legend names are cut at a code point boundary with the full name as tooltip") {
  std::string cjk;
  for (int i = 0; i < 30; ++i) cjk += "\xE6\xA8\xA1";  // U+6A21, 3 bytes each
  const std::string svg =
      svg_grouped_bars("t", {"c"}, {{cjk, {1}, {}}, {"short", {2}, {}}}, axis("y"));
  check_svg_shell(svg);
  std::string shown;
  for (int i = 0; i < 23; ++i) shown += "\xE6\xA8\xA1";
  CHECK(svg.find("<title>" + cjk + "</title>" + shown + "\xE2\x80\xA6</text>") !=
        std::string::npos);
  CHECK(svg.find(">short</text>") != std::string::npos);
}

namespace {

// The visible text of every <text> of an svg (its <title> tooltip left out), in document order.
std::vector<std::string> visible_texts(const std::string& svg) {
  std::vector<std::string> out;
  const std::regex text("<text[^>]*>(?:<title>[^<]*</title>)?([^<]*)</text>");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), text); it != std::sregex_iterator();
       ++it) {
    out.push_back((*it)[1]);
  }
  return out;
}

bool all_unique(const std::vector<std::string>& v) {
  return std::set<std::string>(v.begin(), v.end()).size() == v.size();
}

}  // namespace

TEST_CASE("two long model ids sharing a 30-character prefix get distinct chart labels") {
  // 44 shared characters, then the part that tells the models apart, then the same scope.
  const std::string prefix = "deepseek-ai/DeepSeek-V3-0324-instruct-bf16-ep";
  REQUIRE(prefix.size() > 30);
  const std::string a = prefix + "8-alpha (full)", b = prefix + "16-beta (full)";
  const std::string c = prefix + "8-alpha (full, limit 10)";  // differs from a only at the end
  const std::vector<BarSeries> series = {{a, {50, 60}, {}}, {b, {55, 65}, {}}, {c, {40, 45}, {}}};
  const std::string bars = svg_grouped_bars("t", {"gsm8k", "mmlu"}, series, axis("y", false, "%"));
  check_svg_shell(bars);
  const std::vector<std::string> texts = visible_texts(bars);
  INFO(bars);
  CHECK(all_unique(texts));
  for (const std::string& t : texts) CHECK(t.find(prefix.substr(0, 24)) == std::string::npos);

  std::vector<ChartPoint> points = {{1, 50, a, ""}, {2, 60, b, ""}, {3, 70, c, ""}};
  const std::string scatter = svg_scatter_pareto("s", points, axis("cost"), axis("score"));
  INFO(scatter);
  CHECK(count_of(scatter, "class=\"pl\"") == 3);
  CHECK(all_unique(visible_texts(scatter)));
}

TEST_CASE("text_fit_distinct keeps the distinguishing part and never merges different names") {
  // Different tails: head…tail.
  auto labels = text_fit_distinct({"agieval_gaokao", "agieval_gaokao_mathcloze", "gsm8k"}, 8);
  CHECK(labels == std::vector<std::string>{"agi\xE2\x80\xA6okao", "agi\xE2\x80\xA6loze", "gsm8k"});
  // Same tail: a window at the first difference.
  labels = text_fit_distinct(
      {"org/a-very-long-model-name-v1 (full)", "org/a-very-long-model-name-v2 (full)"}, 16);
  CHECK(labels[0] != labels[1]);
  CHECK(labels[0].find("v1") != std::string::npos);
  CHECK(labels[1].find("v2") != std::string::npos);
  // Equal names stay equal; short names are untouched.
  labels = text_fit_distinct({"same-long-name-here-xyz", "same-long-name-here-xyz", "ok"}, 10);
  CHECK(labels[0] == labels[1]);
  CHECK(labels[2] == "ok");
  // A separated label that equals another name: every label is numbered, so all stay distinct.
  const std::string ell = "\xE2\x80\xA6";
  labels = text_fit_distinct({"abcdefgh1wxyz", "abcdefgh2wxyz", "abc" + ell + "gh1" + ell}, 8);
  CHECK(labels == std::vector<std::string>{"#1 abcd" + ell, "#2 abcd" + ell, "#3 abc" + ell + ell});
}
