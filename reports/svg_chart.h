// Inline SVG charts for the report site: score-vs-cost scatter with its Pareto front, grouped bars
// and lines over ordered runs. Each returns one self-contained "<svg ...>...</svg>" string.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <vector>

namespace moebench {

// Every chart: viewBox, width="100%", role="img", a <title> with the chart title, axes with 1-2-5
// ticks, axis labels, a legend when there is more than one series, Okabe-Ito colours, and a
// <title> tooltip on each data element. All caller text (titles, labels, names, notes, hrefs) is
// escaped with html_escape; the output is well-formed XML and the same input gives the same bytes.
// Names cut to fit (legend entries, categories, Pareto labels, x labels) stay distinct within
// their chart (text_fit_distinct); the full name is the cut label's <title>.
// NaN (and, on a log axis, values <= 0) are skipped, never drawn at 0. No drawable value -> a
// small svg saying "no data".
//
// Data elements carry a class so pages and tests can find them:
//   class="pt"   one dot per drawn point (scatter, line chart)
//   class="bar"  one rect per drawn bar; class="err" its error bar
//   class="reg"  one red triangle per drawn marked (regression) point of a line chart, drawn
//                instead of its dot
//   class="front" the Pareto step line

struct ChartAxis {
  std::string label;
  bool log_scale = false;
  std::string unit;  // "$" is a prefix, anything else a suffix; ticks show it only if <= 2 bytes
  // Error bars are clipped to [min, max] (a score in % cannot leave [0, 100] however wide its
  // confidence interval); the values themselves are drawn as given.
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
};

struct ChartPoint {
  double x = 0, y = 0;
  std::string label;  // tooltip (and the text beside Pareto-front points)
  std::string href;  // optional relative link; one with a scheme ("javascript:") or "//" is dropped
};

// Score vs cost: one dot per point, the Pareto front (minimise x, maximise y) as a step line
// through its points, and the front points highlighted and labelled.
std::string svg_scatter_pareto(const std::string& title, const std::vector<ChartPoint>& points,
                               const ChartAxis& x, const ChartAxis& y);

// Indices of the Pareto-optimal points (minimise x, maximise y), sorted by x (ties by index).
// A point is on the front when no other point has x <= and y >= with one strict; exact
// duplicates of a front point are all on it. Points with a NaN coordinate are never on it.
std::vector<size_t> chart_pareto_front(const std::vector<ChartPoint>& points);

// Grouped vertical bars: categories along x, one bar per series in each group. values[c] and
// err[c] (a half-width) pair with categories[c]; NaN or a missing entry means no bar / no error
// bar. A linear axis always includes 0, bars grow from 0.
struct BarSeries {
  std::string name;
  std::vector<double> values;
  std::vector<double> err;
};
std::string svg_grouped_bars(const std::string& title, const std::vector<std::string>& categories,
                             const std::vector<BarSeries>& series, const ChartAxis& y);

// Lines over an ordered x (x_labels, shown as ticks and thinned when crowded); values[i] pairs
// with x_labels[i] (entries past x_labels are ignored). A NaN breaks the line. A point with
// marked[i] is drawn as a red triangle whose tooltip carries notes[i].
struct LineSeries {
  std::string name;
  std::vector<double> values;
  std::vector<bool> marked;
  std::vector<std::string> notes;
};
std::string svg_line_chart(const std::string& title, const std::vector<std::string>& x_labels,
                           const std::vector<LineSeries>& series, const ChartAxis& y);

}  // namespace moebench
