#include "output/plot.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <stdexcept>

#include "output/files.hpp"

namespace coherence::output {

namespace {

// Screen fractions of the plot areas: the left margin holds the left axis' label and tics, the
// right one the right axis and the legend.
constexpr double kLeft = 0.085;
constexpr double kRight = 0.755;
constexpr double kKeyX = 0.835;

// Maximum of each requested column of a CSV (NaN and empty cells skipped).
class ColumnMaxima {
 public:
  double max_of(const std::filesystem::path& file, const std::string& column) {
    auto it = files_.find(file);
    if (it == files_.end()) it = files_.emplace(file, read(file)).first;
    const auto c = it->second.find(column);
    if (c == it->second.end()) {
      throw std::runtime_error(fmt::format("{}: no column '{}' to plot", file.string(), column));
    }
    return c->second;
  }

 private:
  static std::map<std::string, double> read(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) throw std::runtime_error(fmt::format("{}: cannot read the data to plot", file.string()));
    std::string line;
    std::getline(in, line);
    std::vector<std::string> names;
    {
      std::stringstream ss(line);
      std::string name;
      while (std::getline(ss, name, ',')) names.push_back(name);
    }
    std::vector<double> best(names.size(), -std::numeric_limits<double>::infinity());
    while (std::getline(in, line)) {
      std::size_t start = 0;
      for (std::size_t k = 0; k < names.size() && start <= line.size(); ++k) {
        const std::size_t end = std::min(line.find(',', start), line.size());
        if (end > start) {
          char* stop = nullptr;
          const std::string cell = line.substr(start, end - start);
          const double v = std::strtod(cell.c_str(), &stop);
          if (stop != cell.c_str() && std::isfinite(v)) best[k] = std::max(best[k], v);
        }
        start = end + 1;
      }
    }
    std::map<std::string, double> out;
    for (std::size_t k = 0; k < names.size(); ++k) out[names[k]] = best[k];
    return out;
  }
  std::map<std::filesystem::path, std::map<std::string, double>> files_;
};

std::string q(const std::string& s) { return gnuplot_quoted(s); }

// Tic step for at most 6 intervals over [lo, hi].
double tic_step(double lo, double hi) {
  const double span = hi - lo;
  for (double step : {0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 25.0, 50.0, 100.0, 200.0,
                      250.0, 500.0, 1000.0, 2000.0, 5000.0, 10000.0}) {
    if (span / step <= 6.0 + 1e-9) return step;
  }
  return nice_ceiling(span / 5.0);
}

// The top of an axis: the data maximum with headroom (at least max_at_least), rounded up to a
// whole tic.
double axis_max(const PlotAxis& a, double data_max) {
  if (a.max_fixed) return *a.max_fixed;
  double top = a.max_at_least;
  if (std::isfinite(data_max) && data_max > a.min) top = std::max(top, a.min + (data_max - a.min) * a.headroom);
  const double step = tic_step(a.min, top);
  return a.min + std::ceil((top - a.min) / step - 1e-9) * step;
}

// First tic: the smallest multiple of the step at or above the axis minimum.
double first_tic(double lo, double step) { return std::ceil(lo / step - 1e-9) * step; }

double time_tic_step_h(double end_h) {
  if (end_h <= 3.0) return 0.5;
  if (end_h <= 12.0) return 1.0;
  if (end_h <= 24.0) return 2.0;
  if (end_h <= 48.0) return 6.0;
  return 12.0;
}

std::string number(double v) { return fmt::format("{:.6g}", v); }

}  // namespace

double nice_ceiling(double x) {
  if (!(x > 0.0)) return 1.0;
  const double p = std::pow(10.0, std::floor(std::log10(x)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (m * p >= x * (1.0 - 1e-12)) return m * p;
  }
  return 10.0 * p;
}

std::pair<double, double> time_figure_plot_edges(const TimeFigure&) { return {kLeft, kRight}; }

std::string time_figure_script(const TimeFigure& f, const std::filesystem::path& png_partial) {
  if (f.panels.empty()) throw std::runtime_error("a figure needs at least one panel");
  ColumnMaxima maxima;
  const int n = static_cast<int>(f.panels.size());
  // Vertical layout in pixels: title and marker labels on top, time-axis labels at the bottom.
  const int top_px = f.markers.empty() ? 60 : 170, bottom_px = 70, gap_px = 14;
  const int height_px = top_px + bottom_px + n * f.panel_height_px + (n - 1) * gap_px;
  const double px = 1.0 / height_px;

  std::string gp;
  gp += fmt::format("set terminal pngcairo size {},{} font 'sans,{}' linewidth 1.2\n", f.width_px, height_px,
                    f.font_pt);
  gp += "set output " + q(png_partial.string()) + "\n";
  gp += "set termoption noenhanced\nset datafile separator ','\nset datafile columnheaders\n";
  gp += "set grid xtics ytics lc rgb '#dddddd'\nset border lc rgb '#444444'\n";
  gp += fmt::format("set xrange [0:{}]\nset xtics 0,{}\nset mxtics 2\n", number(f.end_h),
                    number(time_tic_step_h(f.end_h)));
  if (!f.axes_report.empty()) gp += "set print " + q(f.axes_report.string()) + "\n";
  gp += "set multiplot title " + q(f.title) + fmt::format(" font ',{}'\n", f.font_pt + 2);
  gp += fmt::format("set lmargin at screen {}\nset rmargin at screen {}\n", number(kLeft), number(kRight));

  int object_id = 1;
  for (int k = 0; k < n; ++k) {
    const PlotPanel& p = f.panels[static_cast<std::size_t>(k)];
    const double top = 1.0 - (top_px + k * (f.panel_height_px + gap_px)) * px;
    const double bottom = top - f.panel_height_px * px;
    gp += fmt::format("\n# panel {}: {}\n", k + 1, p.left.label);
    gp += fmt::format("set tmargin at screen {}\nset bmargin at screen {}\n", number(top), number(bottom));
    gp += fmt::format("set key at screen {}, screen {} left top Left reverse samplen 2 spacing 1.1 font ',{}'\n",
                      number(kKeyX), number(top), f.font_pt - 2);
    const bool last = k == n - 1;
    gp += last ? "set format x '%g'\nset xlabel 'time (h)'\n" : "set format x ''\nset xlabel ''\n";

    // Ranges from the data of each axis.
    double left_data = -std::numeric_limits<double>::infinity();
    double right_data = left_data;
    for (const PlotSeries& s : p.series) {
      const double m = maxima.max_of(s.file.empty() ? f.csv : s.file, s.column);
      (s.right_axis ? right_data : left_data) = std::max(s.right_axis ? right_data : left_data, m);
    }
    for (const PlotLine& l : p.lines) {
      (l.right_axis ? right_data : left_data) = std::max(l.right_axis ? right_data : left_data, l.value);
    }
    if (p.reference) {
      for (const auto& [t, v] : p.reference->points_h) left_data = std::max(left_data, v);
    }
    const double left_max = axis_max(p.left, left_data);
    const double left_step = tic_step(p.left.min, left_max);
    gp += fmt::format("set ylabel {}\nset yrange [{}:{}]\nset ytics {},{}\nset ytics nomirror\n", q(p.left.label),
                      number(p.left.min), number(left_max), number(first_tic(p.left.min, left_step)),
                      number(left_step));
    if (p.right) {
      const double right_max = axis_max(*p.right, right_data);
      const double right_step = tic_step(p.right->min, right_max);
      gp += fmt::format("set y2label {}\nset y2range [{}:{}]\nset y2tics {},{}\n", q(p.right->label),
                        number(p.right->min), number(right_max), number(first_tic(p.right->min, right_step)),
                        number(right_step));
    } else {
      gp += "unset y2label\nunset y2tics\n";
    }
    // Event markers: a dotted line in every panel, labelled above the first.
    gp += "unset arrow\nunset label\n";
    for (const PlotMarker& m : f.markers) {
      gp += fmt::format("set arrow from {}, graph 0 to {}, graph 1 nohead dt 3 lc rgb '#999999' back\n",
                        number(m.time_h), number(m.time_h));
      if (k == 0) {
        gp += fmt::format("set label {} at {}, graph 1.03 rotate by 35 left font ',{}' tc rgb '#555555'\n", q(m.label),
                          number(m.time_h), f.font_pt - 4);
      }
    }
    if (p.zone) {
      gp += fmt::format("set object {} rect from graph 0, first {} to graph 1, first {} fc rgb '{}' fs solid 0.35 "
                        "noborder behind\n",
                        object_id, number(p.zone->from), number(p.zone->to), p.zone->colour);
    }
    std::vector<std::string> items;
    for (const PlotSeries& s : p.series) {
      const std::filesystem::path& file = s.file.empty() ? f.csv : s.file;
      items.push_back(fmt::format("{} using (column('time_min')/60):(column({})) {}with {} lw {} dt {} lc rgb '{}' {}",
                                  q(file.string()), q(s.column), s.right_axis ? "axes x1y2 " : "",
                                  s.steps ? "steps" : "lines", number(s.width), s.dash, s.colour,
                                  s.title.empty() ? std::string("notitle") : "title " + q(s.title)));
    }
    if (p.reference) {
      std::string block = fmt::format("$reference{} << EOD\ntime_h,value\n", k + 1);
      for (const auto& [t, v] : p.reference->points_h) block += number(t) + "," + number(v) + "\n";
      if (!p.reference->points_h.empty()) block += number(f.end_h) + "," + number(p.reference->points_h.back().second) + "\n";
      gp += block + "EOD\n";
      items.push_back(fmt::format("$reference{} using 1:2 with steps lw 2 dt 2 lc rgb '{}' title {}", k + 1,
                                  p.reference->colour, q(p.reference->title)));
    }
    for (const PlotLine& l : p.lines) {
      items.push_back(fmt::format("{} {}with lines lw 1.5 dt {} lc rgb '{}' title {}", number(l.value),
                                  l.right_axis ? "axes x1y2 " : "", l.dash, l.colour, q(l.title)));
    }
    if (p.zone) {
      items.push_back(fmt::format("NaN with boxes fc rgb '{}' fs solid 0.35 noborder title {}", p.zone->colour,
                                  q(p.zone->title)));
    }
    gp += "plot ";
    for (std::size_t i = 0; i < items.size(); ++i) gp += (i ? ", \\\n     " : "") + items[i];
    gp += "\n";
    if (!f.axes_report.empty()) {
      gp += "print sprintf('%d %d %d %d', GPVAL_TERM_XMIN, GPVAL_TERM_XMAX, GPVAL_TERM_YMIN, GPVAL_TERM_YMAX)\n";
    }
    if (p.zone) gp += fmt::format("unset object {}\n", object_id++);
  }
  gp += "unset multiplot\n";
  return gp;
}

TimeFigure trends_figure(const TrendsInput& in) {
  TimeFigure f;
  f.title = in.title;
  f.csv = in.csv;
  f.end_h = in.end_h;
  f.markers = in.markers;

  PlotPanel pressure;
  pressure.left = {"MAP (mmHg)", 30.0, 110.0};
  pressure.right = PlotAxis{"heart rate (bpm)", 40.0, 140.0};
  pressure.series = {{"map_mmHg", "MAP", "#c0392b", false, false, 2.5},
                     {"hr_bpm", "heart rate", "#7f8c8d", true, false, 1.5}};
  if (in.map_target_h.empty()) {
    pressure.lines.push_back({65.0, "MAP 65 (guideline)", "#c0392b", false, 2});
  } else {
    pressure.reference = PlotStepReference{in.map_target_h, "MAP target (protocol)", "#c0392b"};
  }
  f.panels.push_back(pressure);

  PlotPanel flow;
  flow.left = {"cardiac output (L/min)", 0.0, 8.0};
  flow.right = PlotAxis{"filling pressure (mmHg)", 0.0, 20.0};
  flow.series = {{"co_L_per_min", "cardiac output", "#2471a3", false, false, 2.5},
                 {"cvp_mmHg", "CVP", "#16a085", true, false, 1.5},
                 {"pmsf_mmHg", "mean filling pressure", "#8e44ad", true, false, 1.5}};
  f.panels.push_back(flow);

  PlotPanel pressors;
  pressors.left = {in.epinephrine ? "vasopressor (ug/kg/min)" : "norepinephrine (ug/kg/min)", 0.0, 1.0, 1.2};
  pressors.series = {{"ne_dose_ug_per_kg_min", "norepinephrine", "#d35400", false, true, 2.5}};
  if (in.epinephrine) {
    pressors.series.push_back({"epinephrine_ug_per_kg_min", "epinephrine", "#922b21", false, true, 2.0, 4});
  }
  if (in.vasopressin) {
    pressors.right = PlotAxis{"vasopressin (U/min)", 0.0, 0.06, 1.2};
    pressors.series.push_back({"vasopressin_U_per_min", "vasopressin", "#1f618d", true, true, 2.0});
  }
  pressors.zone = PlotZone{0.71, 0.80, "NE cliff 0.71-0.80", "#f5b7b1"};
  f.panels.push_back(pressors);

  if (in.dobutamine || in.nitroglycerin) {
    PlotPanel dilators;
    if (in.dobutamine) {
      dilators.left = {"dobutamine (ug/kg/min)", 0.0, 10.0, 1.2};
      dilators.series.push_back({"dobutamine_ug_per_kg_min", "dobutamine", "#117a65", false, true, 2.0});
      if (in.nitroglycerin) {
        dilators.right = PlotAxis{"nitroglycerin (ug/min)", 0.0, 100.0, 1.2};
        dilators.series.push_back({"nitroglycerin_ug_per_min", "nitroglycerin", "#b03a2e", true, true, 2.0, 4});
      }
    } else {
      dilators.left = {"nitroglycerin (ug/min)", 0.0, 100.0, 1.2};
      dilators.series.push_back({"nitroglycerin_ug_per_min", "nitroglycerin", "#b03a2e", false, true, 2.0});
    }
    f.panels.push_back(dilators);
  }

  PlotPanel metabolic;
  metabolic.left = {"lactate (mmol/L)", 0.0, 6.0};
  metabolic.right = PlotAxis{"capillary refill time (s)", 0.0, 10.0};
  metabolic.series = {{"lactate_mmol_per_L", "lactate", "#1e8449", false, false, 2.5},
                      {"crt_s", "capillary refill time", "#b9770e", true, false, 2.0}};
  metabolic.lines = {{2.0, "lactate 2 mmol/L", "#1e8449", false, 2}, {3.0, "CRT 3 s", "#b9770e", true, 3}};
  f.panels.push_back(metabolic);

  PlotPanel micro;
  micro.left = {"MFI (score 0-3)", 0.0, 3.0, 1.0, 3.1};
  micro.right = PlotAxis{"PPV (%)", 0.0, 100.0, 1.0, 105.0};
  micro.series = {{"mfi", "MFI (5 sites)", "#6c3483", false, false, 2.5},
                  {"ppv_pct", "PPV (5 sites)", "#2e86c1", true, false, 2.0}};
  micro.lines = {{2.6, "MFI 2.6 (abnormal below)", "#6c3483", false, 2}};
  f.panels.push_back(micro);
  return f;
}

bool plot_time_figure(const TimeFigure& figure, const std::filesystem::path& png, std::string& reason) {
  return run_gnuplot(time_figure_script(figure, png.string() + ".partial"), png, reason);
}

bool plot_comparison(const std::vector<ComparedRun>& runs, const std::filesystem::path& png, const std::string& title,
                     std::string& reason) {
  static const char* kColours[] = {"#c0392b", "#2471a3", "#1e8449", "#d35400", "#6c3483", "#7f8c8d"};
  TimeFigure f;
  f.title = title;
  f.csv = runs.empty() ? std::filesystem::path() : runs.front().timeseries_csv;
  for (const auto& r : runs) f.end_h = std::max(f.end_h, r.end_h);
  // The runs are named in the first panel's legend only.
  auto panel = [&](PlotAxis axis, const std::string& column, bool steps) {
    PlotPanel p;
    p.left = std::move(axis);
    for (std::size_t i = 0; i < runs.size(); ++i) {
      p.series.push_back({column, f.panels.empty() ? runs[i].label : "", kColours[i % 6], false, steps, 2.0, 1,
                          runs[i].timeseries_csv});
    }
    return p;
  };
  PlotPanel map = panel({"MAP (mmHg)", 30.0, 110.0}, "map_mmHg", false);
  map.lines = {{65.0, "MAP 65 (guideline)", "#555555", false, 2}};
  f.panels.push_back(map);
  PlotPanel ne = panel({"norepinephrine (ug/kg/min)", 0.0, 1.0, 1.2}, "ne_dose_ug_per_kg_min", true);
  ne.zone = PlotZone{0.71, 0.80, "NE cliff 0.71-0.80", "#f5b7b1"};
  PlotPanel mfi = panel({"MFI (score 0-3)", 0.0, 3.0, 1.0, 3.1}, "mfi", false);
  mfi.lines = {{2.6, "MFI 2.6 (abnormal below)", "#555555", false, 2}};
  PlotPanel lactate = panel({"lactate (mmol/L)", 0.0, 6.0}, "lactate_mmol_per_L", false);
  lactate.lines = {{2.0, "lactate 2 mmol/L", "#555555", false, 2}};
  f.panels.insert(f.panels.end(), {ne, mfi, lactate});
  return plot_time_figure(f, png, reason);
}

}  // namespace coherence::output
