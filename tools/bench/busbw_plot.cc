// The SVG plot of bus bandwidth; see busbw_plot.h.
#include "tools/bench/busbw_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

namespace ultracc::bench {
namespace {

constexpr double kWidth = 900, kMinHeight = 520, kLegendLine = 18;
constexpr double kLeft = 80, kRight = 260, kTop = 40, kBottom = 70;
const char* const kColors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                               "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

struct Series {
  std::string label;
  std::vector<std::pair<double, double>> points;  // (bytes, busbw GB/s), by size
};

std::string Escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '&')
      out += "&amp;";
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '"')
      out += "&quot;";
    else
      out += c;
  }
  return out;
}

// A round step (1, 2 or 5 times a power of ten) giving about five ticks up to `max`.
double TickStep(double max) {
  const double raw = max / 5;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0}) {
    if (m * power >= raw) return m * power;
  }
  return 10 * power;
}

std::string SizeLabel(double bytes) {
  const char* units[] = {"", "K", "M", "G", "T"};
  int u = 0;
  while (bytes >= 1024 && u < 4) {
    bytes /= 1024;
    ++u;
  }
  char text[32];
  std::snprintf(text, sizeof(text), "%g%s", bytes, units[u]);
  return text;
}

std::vector<Series> Collect(const std::vector<RunResults>& runs) {
  std::vector<Series> series;
  std::map<std::string, size_t> index;
  for (const RunResults& run : runs) {
    for (const ResultRow& r : run.rows) {
      std::string label = r.collective + " " + r.type + (r.redop == "none" ? "" : " " + r.redop);
      if (runs.size() > 1) label = run.label + ": " + label;
      auto [it, added] = index.emplace(label, series.size());
      if (added) series.push_back({label, {}});
      // An in-place figure where there is one (nccl-tests' headline column), else out of place.
      const double busbw = r.has_in_place ? r.in_place.busbw : r.out_of_place.busbw;
      series[it->second].points.emplace_back(static_cast<double>(r.size), busbw);
    }
  }
  for (Series& s : series) std::sort(s.points.begin(), s.points.end());
  return series;
}

}  // namespace

bool WriteBusBandwidthPlot(const std::string& path, const std::vector<RunResults>& runs,
                           std::string* error) {
  std::vector<Series> series = Collect(runs);
  double min_x = 0, max_x = 0, max_y = 0;
  bool any = false;
  for (const Series& s : series) {
    for (auto [x, y] : s.points) {
      min_x = any ? std::min(min_x, x) : x;
      max_x = any ? std::max(max_x, x) : x;
      max_y = std::max(max_y, y);
      any = true;
    }
  }
  if (!any) {
    *error = "no results to plot";
    return false;
  }
  const double lx0 = std::floor(std::log2(std::max(min_x, 1.0)));
  double lx1 = std::ceil(std::log2(std::max(max_x, 1.0)));
  if (lx1 <= lx0) lx1 = lx0 + 1;
  if (max_y <= 0) max_y = 1;
  const double y_step = TickStep(max_y);
  const int y_ticks = static_cast<int>(std::ceil(max_y / y_step - 1e-9));
  max_y = y_step * y_ticks;
  // The legend lists every series beside the plot; the image grows to hold it.
  const double height =
      std::max(kMinHeight, kTop + 20 + kLegendLine * static_cast<double>(series.size()));
  const double plot_w = kWidth - kLeft - kRight, plot_h = height - kTop - kBottom;
  auto px = [&](double bytes) { return kLeft + (std::log2(bytes) - lx0) / (lx1 - lx0) * plot_w; };
  auto py = [&](double bw) { return kTop + plot_h - bw / max_y * plot_h; };

  std::ostringstream svg;
  svg << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kWidth << "\" height=\"" << height
      << "\" viewBox=\"0 0 " << kWidth << " " << height
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"" << kLeft + plot_w / 2 << "\" y=\"22\" text-anchor=\"middle\" "
      << "font-size=\"15\">ultracc bench: bus bandwidth</text>\n";
  // Axes, grid and ticks: every power of two, labelled at most about ten times.
  svg << "<g id=\"axes\" stroke=\"black\">\n<line x1=\"" << kLeft << "\" y1=\"" << kTop + plot_h
      << "\" x2=\"" << kLeft + plot_w << "\" y2=\"" << kTop + plot_h << "\"/>\n<line x1=\"" << kLeft
      << "\" y1=\"" << kTop << "\" x2=\"" << kLeft << "\" y2=\"" << kTop + plot_h
      << "\"/>\n</g>\n<g id=\"ticks\">\n";
  const int step = std::max(1, static_cast<int>(std::ceil((lx1 - lx0) / 10)));
  for (int e = static_cast<int>(lx0); e <= static_cast<int>(lx1); e += step) {
    const double x = px(std::ldexp(1.0, e));
    svg << "<line x1=\"" << x << "\" y1=\"" << kTop << "\" x2=\"" << x << "\" y2=\""
        << kTop + plot_h << "\" stroke=\"#e0e0e0\"/>\n<text x=\"" << x << "\" y=\""
        << kTop + plot_h + 16 << "\" text-anchor=\"middle\">" << SizeLabel(std::ldexp(1.0, e))
        << "</text>\n";
  }
  for (int i = 0; i <= y_ticks; ++i) {
    const double bw = y_step * i, y = py(bw);
    char text[32];
    std::snprintf(text, sizeof(text), "%g", bw);
    svg << "<line x1=\"" << kLeft << "\" y1=\"" << y << "\" x2=\"" << kLeft + plot_w << "\" y2=\""
        << y << "\" stroke=\"#e0e0e0\"/>\n<text x=\"" << kLeft - 6 << "\" y=\"" << y + 4
        << "\" text-anchor=\"end\">" << text << "</text>\n";
  }
  svg << "</g>\n<text id=\"x-label\" x=\"" << kLeft + plot_w / 2 << "\" y=\"" << height - 20
      << "\" text-anchor=\"middle\">message size (bytes, log scale)</text>\n"
      << "<text id=\"y-label\" x=\"20\" y=\"" << kTop + plot_h / 2
      << "\" text-anchor=\"middle\" transform=\"rotate(-90 20 " << kTop + plot_h / 2
      << ")\">bus bandwidth (GB/s)</text>\n";
  // One polyline per series, and the legend beside the plot.
  svg << "<g id=\"lines\" fill=\"none\" stroke-width=\"2\">\n";
  for (size_t i = 0; i < series.size(); ++i) {
    svg << "<polyline stroke=\"" << kColors[i % 10] << "\" points=\"";
    for (auto [x, y] : series[i].points) svg << px(x) << "," << py(y) << " ";
    svg << "\"><title>" << Escape(series[i].label) << "</title></polyline>\n";
  }
  svg << "</g>\n<g id=\"legend\">\n";
  const double legend_x = kLeft + plot_w + 20;
  for (size_t i = 0; i < series.size(); ++i) {
    const double y = kTop + 10 + kLegendLine * static_cast<double>(i);
    svg << "<line x1=\"" << legend_x << "\" y1=\"" << y << "\" x2=\"" << legend_x + 24 << "\" y2=\""
        << y << "\" stroke=\"" << kColors[i % 10] << "\" stroke-width=\"2\"/>\n"
        << "<text x=\"" << legend_x + 30 << "\" y=\"" << y + 4 << "\">" << Escape(series[i].label)
        << "</text>\n";
  }
  svg << "</g>\n</svg>\n";

  std::ofstream out(path);
  out << svg.str();
  out.close();
  if (!out) {
    *error = "cannot write " + path;
    return false;
  }
  return true;
}

}  // namespace ultracc::bench
