// One plotting layer for the time-course figures (run trends, comparisons): panels stacked on a
// shared time axis, each with at most one quantity on its left axis and one on its right, human
// labels with units, fixed ranges with headroom computed from the data, reference lines, a
// shaded zone on one axis, a step series of the run's own target, and event markers.
//
// Every panel is placed at fixed screen fractions (not gnuplot's multiplot layout), so the time
// axes of all panels span the same pixels whether or not a panel has a right axis. The script is
// written beside the image (NAME.png.gp) and re-run for the SVG (run_gnuplot).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace coherence::output {

// A curve read from a timeseries CSV by column name (time in minutes in column `time_min`).
struct PlotSeries {
  PlotSeries() = default;
  PlotSeries(std::string column_, std::string title_, std::string colour_, bool right = false, bool steps_ = false,
             double width_ = 2.0, int dash_ = 1, std::filesystem::path file_ = {})
      : column(std::move(column_)), title(std::move(title_)), colour(std::move(colour_)), right_axis(right),
        steps(steps_), width(width_), dash(dash_), file(std::move(file_)) {}
  std::string column;
  std::string title;        // legend: a human label, e.g. "MAP" (empty: not in the legend)
  std::string colour;       // '#rrggbb'
  bool right_axis = false;  // plotted against the panel's right axis
  bool steps = false;       // piecewise-constant (infusion rates)
  double width = 2.0;
  int dash = 1;                            // gnuplot dash type
  std::filesystem::path file;              // empty: the figure's CSV
};

// Range rule: [min, max(max_at_least, nice ceiling of headroom x data maximum)].
struct PlotAxis {
  PlotAxis() = default;
  PlotAxis(std::string label_, double min_, double max_at_least_, double headroom_ = 1.15,
           std::optional<double> max_fixed_ = std::nullopt)
      : label(std::move(label_)), min(min_), max_at_least(max_at_least_), headroom(headroom_), max_fixed(max_fixed_) {}
  std::string label;  // quantity and unit, e.g. "MAP (mmHg)"
  double min = 0.0;
  double max_at_least = 1.0;
  double headroom = 1.15;
  std::optional<double> max_fixed;  // when set, the range is [min, max_fixed]
};

struct PlotLine {
  double value = 0.0;
  std::string title;
  std::string colour = "#555555";
  bool right_axis = false;
  int dash = 2;
};

// A shaded horizontal zone on the panel's left axis (e.g. the NE cliff).
struct PlotZone {
  double from = 0.0, to = 0.0;
  std::string title;
  std::string colour;
};

// A piecewise-constant reference in time (e.g. the MAP target in force), drawn as steps.
struct PlotStepReference {
  std::vector<std::pair<double, double>> points_h;  // (time h, value) from each change on
  std::string title;
  std::string colour = "#555555";
};

struct PlotPanel {
  PlotAxis left;
  std::optional<PlotAxis> right;
  std::vector<PlotSeries> series;
  std::vector<PlotLine> lines;
  std::optional<PlotZone> zone;
  std::optional<PlotStepReference> reference;
};

// A vertical marker at an event (scenario event, bolus, drug started or stopped).
struct PlotMarker {
  double time_h = 0.0;
  std::string label;
};

struct TimeFigure {
  std::string title;
  std::filesystem::path csv;  // default file of the series
  double end_h = 1.0;         // the time axis runs to the end of the run
  std::vector<PlotPanel> panels;
  std::vector<PlotMarker> markers;
  int width_px = 1600;
  int panel_height_px = 250;
  int font_pt = 14;  // reads on a projector at slide size
  // When set, gnuplot writes each panel's plot area in pixels (x min, x max, y min, y max; one
  // line per panel) to this file: what tests of the layout read.
  std::filesystem::path axes_report;
};

// The gnuplot script (pngcairo terminal, output `png_partial`). Reads the CSVs to set ranges.
// Throws std::runtime_error when a series' file or column is missing.
std::string time_figure_script(const TimeFigure& figure, const std::filesystem::path& png_partial);

// Writes NAME.png and NAME.svg (with their scripts) through gnuplot. False with `reason` when
// gnuplot is missing; throws when it fails.
bool plot_time_figure(const TimeFigure& figure, const std::filesystem::path& png, std::string& reason);

// Left and right edges of every panel's plot area in screen fractions (what the script uses):
// identical for all panels by construction; exposed for tests.
std::pair<double, double> time_figure_plot_edges(const TimeFigure& figure);

// The run trends figure (trends.png): pressures and heart rate, flow and filling, vasopressors
// (with the NE cliff zone on the NE axis only), inodilators when given, lactate and CRT, MFI and
// PPV. `map_target_h` is the MAP target in force from each protocol decision on (empty: the
// guideline's 65 mmHg is drawn as a reference instead).
struct TrendsInput {
  std::filesystem::path csv;
  std::string title;
  double end_h = 1.0;
  std::vector<std::pair<double, double>> map_target_h;
  std::vector<PlotMarker> markers;
  bool vasopressin = false, epinephrine = false, dobutamine = false, nitroglycerin = false;
};
TimeFigure trends_figure(const TrendsInput& in);

// A nice upper bound: the smallest 1, 2, 2.5 or 5 x 10^k at or above x (x > 0).
double nice_ceiling(double x);

// One run in a comparison plot.
struct ComparedRun {
  std::string label;
  std::filesystem::path timeseries_csv;
  double end_h = 0.0;  // the run's last output time
};
// Side-by-side trends of several runs (MAP, NE with the cliff zone, MFI and PPV, lactate and CRT)
// in one PNG through gnuplot. Returns false with `reason` when gnuplot is missing; throws when
// it fails (run_gnuplot).
bool plot_comparison(const std::vector<ComparedRun>& runs, const std::filesystem::path& png, const std::string& title,
                     std::string& reason);

}  // namespace coherence::output
