// Inline SVG chart builders for the report site (scatter + Pareto front, grouped bars, lines).
// Hand-written: the site is static and offline, so no JS plotting library can be loaded.
#include "reports/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "reports/html_escape.h"
#include "reports/svg_axis.h"
#include "reports/text_fit.h"

namespace moebench {
namespace {

// Okabe & Ito (2008) colour-blind-safe palette, yellow last as it is faint on white.
constexpr const char* kPalette[] = {"#0072B2", "#E69F00", "#009E73", "#CC79A7",
                                    "#56B4E9", "#D55E00", "#000000", "#F0E442"};
constexpr size_t kPaletteSize = sizeof(kPalette) / sizeof(kPalette[0]);
constexpr const char* kRegressionRed = "#D00000";
constexpr const char* kGridGrey = "#E0E0E0";

constexpr double kWidth = 640, kHeight = 400;
constexpr double kMarginLeft = 72, kMarginRight = 24, kMarginTop = 44, kMarginBottom = 56;
constexpr double kLegendWidth = 180, kLegendRow = 18;
constexpr size_t kLegendChars = 24;

// Pixel layout of one chart: the whole canvas and the plot rectangle inside it.
struct Frame {
  double width = kWidth, height = kHeight;
  double left = kMarginLeft, right = kWidth - kMarginRight;
  double top = kMarginTop, bottom = kHeight - kMarginBottom;
  bool legend = false;
};

Frame frame_make(size_t n_series, double extra_bottom = 0) {
  Frame f;
  f.legend = n_series > 1;
  if (f.legend) {
    f.width += kLegendWidth;
    f.height = std::max(f.height, kMarginTop + 8 + kLegendRow * static_cast<double>(n_series) + 8);
  }
  f.height += extra_bottom;
  f.bottom = f.height - kMarginBottom - extra_bottom;
  return f;
}

std::string num(double v) { return axis_format_number(v); }
std::string esc(const std::string& s) { return html_escape(s); }
const char* colour(size_t series) { return kPalette[series % kPaletteSize]; }

bool drawable(double v, bool log_scale) { return std::isfinite(v) && (!log_scale || v > 0); }

double value_at(const std::vector<double>& v, size_t i) {
  return i < v.size() ? v[i] : std::numeric_limits<double>::quiet_NaN();
}

std::string with_unit(double v, const std::string& unit) {
  const std::string n = num(v);
  if (unit == "$") return n[0] == '-' ? "-$" + n.substr(1) : "$" + n;
  return n + unit;
}

// <text> with the (escaped) visible text `shown`, plus a <title> tooltip with the full text when
// the visible one was shortened.
std::string text_label(double x, double y, const std::string& full, const std::string& shown,
                       const std::string& attrs) {
  std::string out = "<text x=\"" + num(x) + "\" y=\"" + num(y) + "\"" + attrs + ">";
  if (shown != full) out += "<title>" + esc(full) + "</title>";
  return out + esc(shown) + "</text>";
}

std::string text_element(double x, double y, const std::string& full, size_t max_chars,
                         const std::string& attrs) {
  return text_label(x, y, full, text_truncate(full, max_chars), attrs);
}

// A relative href, escaped for an attribute; "" for anything that could leave the site or run
// script: a scheme ("javascript:", "http:"), a network path ("//host") or a backslash, which
// browsers read as '/'.
std::string safe_href(const std::string& href) {
  if (href.empty() || href.rfind("//", 0) == 0 || href.find('\\') != std::string::npos) return "";
  const size_t colon = href.find(':');
  if (colon != std::string::npos && colon < href.find_first_of("/?#")) return "";
  return esc(href);
}

std::string svg_open(const std::string& title, const Frame& f) {
  std::string out = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + num(f.width) +
                    " " + num(f.height) +
                    "\" width=\"100%\" role=\"img\" font-family=\"sans-serif\" font-size=\"12\">";
  out += "<title>" + esc(title) + "</title>";
  out += text_element(f.width / 2, 22, title, 90,
                      " text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\"");
  return out;
}

// NOTE: the full chart frame, so an empty chart keeps its neighbours' size and scale on the page.
std::string svg_no_data(const std::string& title) {
  const Frame f;
  std::string out = svg_open(title, f);
  out += "<text class=\"no-data\" x=\"" + num(f.width / 2) + "\" y=\"" + num(f.height / 2) +
         "\" text-anchor=\"middle\" fill=\"#666\">";
  return out + "no data</text></svg>";
}

std::string trim_spaces(const std::string& s) {
  const size_t b = s.find_first_not_of(' ');
  return b == std::string::npos ? "" : s.substr(b, s.find_last_not_of(' ') - b + 1);
}

std::string axis_title(const ChartAxis& a) {
  std::string extra = trim_spaces(a.unit);
  if (a.log_scale) extra += extra.empty() ? "log scale" : ", log scale";
  if (extra.empty()) return a.label;
  return a.label.empty() ? extra : a.label + " (" + extra + ")";
}

// Tick labels carry only short units ("%", "$", "ms"); a longer one (" tok/s") would crowd the
// margin, so it is left to the axis title.
std::string tick_label(const AxisScale& s, size_t i, const ChartAxis& a) {
  const double step = s.log_scale || s.ticks.size() < 2 ? s.ticks[i] : s.ticks[1] - s.ticks[0];
  return axis_format_tick(s.ticks[i], step, a.unit.size() <= 2 ? a.unit : "");
}

// Horizontal grid lines, tick labels and the rotated title of a vertical value axis.
std::string draw_y_axis(const AxisScale& s, const Frame& f, const ChartAxis& a) {
  std::string out = "<g class=\"y-axis\">";
  for (size_t i = 0; i < s.ticks.size(); ++i) {
    const std::string py = num(s.to_pixel(s.ticks[i]));
    out += "<line x1=\"" + num(f.left) + "\" x2=\"" + num(f.right) + "\" y1=\"" + py + "\" y2=\"" +
           py + "\" stroke=\"" + kGridGrey + "\"/>";
    out += "<line x1=\"" + num(f.left - 5) + "\" x2=\"" + num(f.left) + "\" y1=\"" + py +
           "\" y2=\"" + py + "\" stroke=\"#000\"/>";
    out += "<text x=\"" + num(f.left - 8) + "\" y=\"" + py +
           "\" text-anchor=\"end\" dominant-baseline=\"middle\">" + esc(tick_label(s, i, a)) +
           "</text>";
  }
  const double mid = (f.top + f.bottom) / 2;
  out += text_element(16, mid, axis_title(a), 48,
                      " text-anchor=\"middle\" transform=\"rotate(-90 16 " + num(mid) + ")\"");
  out += "<line x1=\"" + num(f.left) + "\" x2=\"" + num(f.left) + "\" y1=\"" + num(f.top) +
         "\" y2=\"" + num(f.bottom) + "\" stroke=\"#000\"/>";
  return out + "</g>";
}

// The x axis line, its title, and (for a numeric axis) vertical grid lines and tick labels.
std::string draw_x_axis(const AxisScale* s, const Frame& f, const ChartAxis& a) {
  std::string out = "<g class=\"x-axis\">";
  for (size_t i = 0; s != nullptr && i < s->ticks.size(); ++i) {
    const std::string px = num(s->to_pixel(s->ticks[i]));
    out += "<line x1=\"" + px + "\" x2=\"" + px + "\" y1=\"" + num(f.top) + "\" y2=\"" +
           num(f.bottom) + "\" stroke=\"" + kGridGrey + "\"/>";
    out += "<line x1=\"" + px + "\" x2=\"" + px + "\" y1=\"" + num(f.bottom) + "\" y2=\"" +
           num(f.bottom + 5) + "\" stroke=\"#000\"/>";
    out += "<text x=\"" + px + "\" y=\"" + num(f.bottom + 18) + "\" text-anchor=\"middle\">" +
           esc(tick_label(*s, i, a)) + "</text>";
  }
  out += "<line x1=\"" + num(f.left) + "\" x2=\"" + num(f.right) + "\" y1=\"" + num(f.bottom) +
         "\" y2=\"" + num(f.bottom) + "\" stroke=\"#000\"/>";
  out += text_element((f.left + f.right) / 2, f.height - 12, axis_title(a), 80,
                      " text-anchor=\"middle\"");
  return out + "</g>";
}

// One legend row per series to the right of the plot: a swatch (square, or a line for line
// charts) and the name.
std::string draw_legend(const std::vector<std::string>& names, const Frame& f, bool lines) {
  if (!f.legend) return "";
  std::string out = "<g class=\"legend\">";
  const double x = f.right + 20;
  const std::vector<std::string> shown = text_fit_distinct(names, kLegendChars);
  for (size_t i = 0; i < names.size(); ++i) {
    const double y = f.top + 8 + kLegendRow * static_cast<double>(i);
    if (lines) {
      out += "<line x1=\"" + num(x) + "\" x2=\"" + num(x + 16) + "\" y1=\"" + num(y) + "\" y2=\"" +
             num(y) + "\" stroke=\"" + colour(i) + "\" stroke-width=\"2\"/>";
    } else {
      out += "<rect x=\"" + num(x + 2) + "\" y=\"" + num(y - 6) +
             "\" width=\"12\" height=\"12\" fill=\"" + colour(i) + "\"/>";
    }
    out += text_label(x + 22, y, names[i], shown[i], " dominant-baseline=\"middle\"");
  }
  return out + "</g>";
}

// (lo, hi) over the drawable values of a series of vectors.
struct Range {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  void add(double v) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  bool empty() const { return lo > hi; }
};

}  // namespace

std::vector<size_t> chart_pareto_front(const std::vector<ChartPoint>& points) {
  std::vector<size_t> order;
  for (size_t i = 0; i < points.size(); ++i) {
    if (!std::isnan(points[i].x) && !std::isnan(points[i].y)) order.push_back(i);
  }
  // By x ascending, then y descending: the first point of each x is that x's best, and it is on
  // the front iff its y beats every point of smaller x.
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (points[a].x != points[b].x) return points[a].x < points[b].x;
    if (points[a].y != points[b].y) return points[a].y > points[b].y;
    return a < b;
  });
  std::vector<size_t> front;
  double best_y = -std::numeric_limits<double>::infinity();
  bool have_best = false;
  for (size_t k = 0; k < order.size();) {
    const ChartPoint& top = points[order[k]];
    const bool on_front = !have_best || top.y > best_y;
    size_t j = k;
    for (; j < order.size() && points[order[j]].x == top.x; ++j) {
      if (on_front && points[order[j]].y == top.y) front.push_back(order[j]);  // duplicates
    }
    if (!have_best || top.y > best_y) best_y = top.y;
    have_best = true;
    k = j;
  }
  return front;
}

namespace {

// One scatter dot with its tooltip, inside a link when the point has a safe href.
std::string draw_scatter_dot(const ChartPoint& p, double px, double py, bool on_front,
                             const ChartAxis& x, const ChartAxis& y) {
  std::string dot = "<circle class=\"pt\" cx=\"" + num(px) + "\" cy=\"" + num(py) + "\"";
  dot += on_front ? std::string(" r=\"5\" fill=\"") + kPalette[1] + "\" stroke=\"#000\""
                  : std::string(" r=\"4\" fill=\"") + kPalette[0] + "\" fill-opacity=\"0.75\"";
  dot += "><title>" + esc(p.label) + " (" + esc(axis_title(x)) + ": " + esc(with_unit(p.x, x.unit));
  dot += ", " + esc(axis_title(y)) + ": " + esc(with_unit(p.y, y.unit)) + ")</title></circle>";
  const std::string href = safe_href(p.href);
  return href.empty() ? dot : "<a href=\"" + href + "\">" + dot + "</a>";
}

// The Pareto front as a step line: at a cost between two front points the best reachable score
// is the cheaper point's, so go right at its height, then up to the next point.
std::string draw_pareto_steps(const std::vector<std::pair<double, double>>& front_px) {
  if (front_px.size() < 2) return "";
  std::string d = "M" + num(front_px[0].first) + " " + num(front_px[0].second);
  for (size_t k = 1; k < front_px.size(); ++k) {
    d += "H" + num(front_px[k].first) + "V" + num(front_px[k].second);
  }
  return std::string("<path class=\"front\" d=\"") + d + "\" fill=\"none\" stroke=\"" +
         kPalette[1] + "\" stroke-width=\"2\"/>";
}

}  // namespace

std::string svg_scatter_pareto(const std::string& title, const std::vector<ChartPoint>& points,
                               const ChartAxis& x, const ChartAxis& y) {
  std::vector<ChartPoint> kept;
  Range rx, ry;
  for (const ChartPoint& p : points) {
    if (!drawable(p.x, x.log_scale) || !drawable(p.y, y.log_scale)) continue;
    kept.push_back(p);
    rx.add(p.x);
    ry.add(p.y);
  }
  if (kept.empty()) return svg_no_data(title);
  const Frame f = frame_make(1);
  const AxisScale sx = axis_make_scale(rx.lo, rx.hi, x.log_scale, f.left, f.right);
  const AxisScale sy = axis_make_scale(ry.lo, ry.hi, y.log_scale, f.bottom, f.top);
  const std::vector<size_t> front = chart_pareto_front(kept);
  std::vector<bool> on_front(kept.size(), false);
  std::vector<std::pair<double, double>> front_px;
  for (const size_t i : front) {
    on_front[i] = true;
    front_px.emplace_back(sx.to_pixel(kept[i].x), sy.to_pixel(kept[i].y));
  }
  std::string out = svg_open(title, f) + draw_y_axis(sy, f, y) + draw_x_axis(&sx, f, x);
  out += draw_pareto_steps(front_px);
  // Dominated dots first, front dots after so they are drawn on top.
  for (const bool want_front : {false, true}) {
    for (size_t i = 0; i < kept.size(); ++i) {
      if (on_front[i] != want_front) continue;
      out += draw_scatter_dot(kept[i], sx.to_pixel(kept[i].x), sy.to_pixel(kept[i].y), on_front[i],
                              x, y);
    }
  }
  // Front labels point away from the nearer side edge so long names stay inside the canvas.
  std::vector<std::string> names;
  for (const size_t i : front) names.push_back(kept[i].label);
  const std::vector<std::string> shown = text_fit_distinct(names, 24);
  for (size_t k = 0; k < front.size(); ++k) {
    const size_t i = front[k];
    const double px = sx.to_pixel(kept[i].x), py = sy.to_pixel(kept[i].y) - 7;
    const bool right_half = px > (f.left + f.right) / 2;
    out += text_label(
        right_half ? px - 7 : px + 7, py, kept[i].label, shown[k],
        std::string(" class=\"pl\" font-size=\"11\"") + (right_half ? " text-anchor=\"end\"" : ""));
  }
  return out + "</svg>";
}

namespace {

// The y range of grouped bars: drawable values and their error-bar ends, plus 0 on a linear axis
// so every bar grows from 0.
Range bar_range(const std::vector<BarSeries>& series, size_t n_cat, const ChartAxis& y) {
  const bool log_scale = y.log_scale;
  Range r;
  for (const BarSeries& s : series) {
    for (size_t c = 0; c < n_cat; ++c) {
      const double v = value_at(s.values, c);
      if (!drawable(v, log_scale)) continue;
      r.add(v);
      const double e = value_at(s.err, c);
      if (!std::isfinite(e) || e <= 0) continue;
      const double hi = std::min(v + e, y.max), lo = std::max(v - e, y.min);
      if (drawable(hi, log_scale)) r.add(hi);
      if (drawable(lo, log_scale)) r.add(lo);
    }
  }
  if (!r.empty() && !log_scale) r.add(0);
  return r;
}

// Category names under each group; rotated when the groups are too narrow for level text.
std::string draw_category_labels(const std::vector<std::string>& categories, const Frame& f,
                                 double group_w, bool rotated) {
  std::string out = "<g class=\"categories\">";
  const auto fit = rotated ? size_t{18} : static_cast<size_t>(std::max(4.0, group_w / 7));
  const std::vector<std::string> shown = text_fit_distinct(categories, fit);
  for (size_t c = 0; c < categories.size(); ++c) {
    const double cx = f.left + (static_cast<double>(c) + 0.5) * group_w;
    const double ty = f.bottom + 16;
    if (rotated) {
      out += text_label(
          cx, ty, categories[c], shown[c],
          " text-anchor=\"end\" transform=\"rotate(-40 " + num(cx) + " " + num(ty) + ")\"");
    } else {
      out += text_label(cx, ty, categories[c], shown[c], " text-anchor=\"middle\"");
    }
  }
  return out + "</g>";
}

// One bar (and its error bar) with a "series / category: value ± err" tooltip.
std::string draw_bar(const BarSeries& s, size_t si, const std::string& category, size_t c,
                     double bx, double bar_w, const AxisScale& sy, const ChartAxis& y) {
  const double v = s.values[c];
  const double base = y.log_scale ? sy.pixel_from : sy.to_pixel(0);
  const double py = sy.to_pixel(v);
  const double e = value_at(s.err, c);
  const bool has_err = std::isfinite(e) && e > 0;
  std::string tip = s.name + " / " + category + ": " + with_unit(v, y.unit);
  if (has_err) tip += " \xC2\xB1 " + with_unit(e, y.unit);
  std::string out = "<rect class=\"bar\" x=\"" + num(bx) + "\" y=\"" + num(std::min(py, base)) +
                    "\" width=\"" + num(bar_w) + "\" height=\"" + num(std::abs(base - py)) +
                    "\" fill=\"" + colour(si) + "\"><title>" + esc(tip) + "</title></rect>";
  if (has_err) {
    const double top = std::min(v + e, y.max), bottom = std::max(v - e, y.min);
    const double hi = sy.to_pixel(top);
    const double lo = drawable(bottom, y.log_scale) ? sy.to_pixel(bottom) : sy.pixel_from;
    const double cx = bx + bar_w / 2, cap = std::min(4.0, bar_w / 3);
    out += "<path class=\"err\" d=\"M" + num(cx) + " " + num(lo) + "V" + num(hi) + "M" +
           num(cx - cap) + " " + num(hi) + "H" + num(cx + cap) + "M" + num(cx - cap) + " " +
           num(lo) + "H" + num(cx + cap) + "\" stroke=\"#000\" fill=\"none\"/>";
  }
  return out;
}

}  // namespace

std::string svg_grouped_bars(const std::string& title, const std::vector<std::string>& categories,
                             const std::vector<BarSeries>& series, const ChartAxis& y) {
  const Range r = bar_range(series, categories.size(), y);
  if (categories.empty() || r.empty()) return svg_no_data(title);
  const double plot_w = kWidth - kMarginLeft - kMarginRight;
  const double group_w = plot_w / static_cast<double>(categories.size());
  const bool rotated = group_w < 60;
  const Frame f = frame_make(series.size(), rotated ? 70 : 0);
  const AxisScale sy = axis_make_scale(r.lo, r.hi, y.log_scale, f.bottom, f.top);
  std::string out = svg_open(title, f) + draw_y_axis(sy, f, y) + draw_x_axis(nullptr, f, {});
  const double bar_w = group_w * 0.8 / static_cast<double>(series.size());
  for (size_t c = 0; c < categories.size(); ++c) {
    for (size_t s = 0; s < series.size(); ++s) {
      if (!drawable(value_at(series[s].values, c), y.log_scale)) continue;
      const double bx =
          f.left + (static_cast<double>(c) + 0.1) * group_w + static_cast<double>(s) * bar_w;
      out += draw_bar(series[s], s, categories[c], c, bx, bar_w, sy, y);
    }
  }
  out += draw_category_labels(categories, f, group_w, rotated);
  std::vector<std::string> names;
  for (const BarSeries& s : series) names.push_back(s.name);
  return out + draw_legend(names, f, false) + "</svg>";
}

namespace {

// The x-axis labels of a line chart, every stride-th one so they do not overlap.
std::string draw_run_labels(const std::vector<std::string>& labels, const Frame& f,
                            const std::vector<double>& xs) {
  const auto max_labels = static_cast<size_t>(std::max(1.0, (f.right - f.left) / 80));
  const size_t stride = (labels.size() + max_labels - 1) / max_labels;
  std::string out = "<g class=\"x-ticks\">";
  const std::vector<std::string> shown = text_fit_distinct(labels, 12);
  for (size_t i = 0; i < labels.size(); i += stride) {
    out += "<line x1=\"" + num(xs[i]) + "\" x2=\"" + num(xs[i]) + "\" y1=\"" + num(f.bottom) +
           "\" y2=\"" + num(f.bottom + 5) + "\" stroke=\"#000\"/>";
    out += text_label(xs[i], f.bottom + 18, labels[i], shown[i], " text-anchor=\"middle\"");
  }
  return out + "</g>";
}

// A series' line, broken at every undrawable value.
std::string draw_line_path(const LineSeries& s, size_t si, const std::vector<double>& xs,
                           const AxisScale& sy, bool log_scale) {
  std::string d;
  bool pen_down = false;
  for (size_t i = 0; i < xs.size(); ++i) {
    const double v = value_at(s.values, i);
    if (!drawable(v, log_scale)) {
      pen_down = false;
      continue;
    }
    d += (pen_down ? "L" : "M") + num(xs[i]) + " " + num(sy.to_pixel(v));
    pen_down = true;
  }
  if (d.empty()) return "";
  // Past the palette, a dash pattern tells series of the same colour apart.
  const std::string dash = si >= kPaletteSize ? " stroke-dasharray=\"6 3\"" : "";
  return "<path class=\"line\" d=\"" + d + "\" fill=\"none\" stroke=\"" + colour(si) +
         "\" stroke-width=\"2\"" + dash + "/>";
}

// The dots (class pt) and regression triangles (class reg) of one series, with tooltips.
std::string draw_line_markers(const LineSeries& s, size_t si,
                              const std::vector<std::string>& labels, const std::vector<double>& xs,
                              const AxisScale& sy, const ChartAxis& y) {
  std::string out;
  for (size_t i = 0; i < xs.size(); ++i) {
    const double v = value_at(s.values, i);
    if (!drawable(v, y.log_scale)) continue;
    const double px = xs[i], py = sy.to_pixel(v);
    std::string tip = s.name + " @ " + labels[i] + ": " + with_unit(v, y.unit);
    if (i < s.marked.size() && s.marked[i]) {
      if (i < s.notes.size() && !s.notes[i].empty()) tip += "\n" + s.notes[i];
      out += "<path class=\"reg\" d=\"M" + num(px) + " " + num(py - 7) + "L" + num(px + 6) + " " +
             num(py + 4) + "L" + num(px - 6) + " " + num(py + 4) + "Z\" fill=\"" + kRegressionRed +
             "\" stroke=\"#000\"><title>" + esc(tip) + "</title></path>";
    } else {
      out += "<circle class=\"pt\" cx=\"" + num(px) + "\" cy=\"" + num(py) + "\" r=\"3\" fill=\"" +
             colour(si) + "\"><title>" + esc(tip) + "</title></circle>";
    }
  }
  return out;
}

}  // namespace

std::string svg_line_chart(const std::string& title, const std::vector<std::string>& x_labels,
                           const std::vector<LineSeries>& series, const ChartAxis& y) {
  Range r;
  for (const LineSeries& s : series) {
    for (size_t i = 0; i < x_labels.size(); ++i) {
      const double v = value_at(s.values, i);
      if (drawable(v, y.log_scale)) r.add(v);
    }
  }
  if (r.empty()) return svg_no_data(title);
  const Frame f = frame_make(series.size());
  const AxisScale sy = axis_make_scale(r.lo, r.hi, y.log_scale, f.bottom, f.top);
  // Runs evenly spaced, inset from the axes so end markers are not cut; one run sits centred.
  const double inset = 12, n = static_cast<double>(x_labels.size());
  std::vector<double> xs;
  for (size_t i = 0; i < x_labels.size(); ++i) {
    xs.push_back(n == 1 ? (f.left + f.right) / 2
                        : f.left + inset +
                              static_cast<double>(i) * (f.right - f.left - 2 * inset) / (n - 1));
  }
  std::string out = svg_open(title, f) + draw_y_axis(sy, f, y) + draw_x_axis(nullptr, f, {});
  out += draw_run_labels(x_labels, f, xs);
  for (size_t s = 0; s < series.size(); ++s) {
    out += draw_line_path(series[s], s, xs, sy, y.log_scale);
  }
  for (size_t s = 0; s < series.size(); ++s) {
    out += draw_line_markers(series[s], s, x_labels, xs, sy, y);
  }
  std::vector<std::string> names;
  for (const LineSeries& s : series) names.push_back(s.name);
  return out + draw_legend(names, f, true) + "</svg>";
}

}  // namespace moebench
