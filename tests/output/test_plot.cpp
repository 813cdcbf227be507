// The plotting layer (src/output/plot.hpp): figure structure that a reader relies on. Every axis
// names its quantity with a unit, one quantity per axis (each series' column unit is the unit of
// the axis it is drawn on), panel time axes aligned to the pixel (gnuplot's own report of each
// plot area), ranges that hold the data with tics on round numbers, and the MAP target drawn
// where the run's protocol put it.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "output/plot.hpp"

namespace fs = std::filesystem;
using namespace coherence;

namespace {

// The unit a timeseries column carries in its name (the naming rule of docs/outputs).
std::string column_unit(const std::string& column) {
  static const std::vector<std::pair<std::string, std::string>> kSuffix = {
      {"_ug_per_kg_min", "ug/kg/min"}, {"_U_per_min", "U/min"}, {"_ug_per_min", "ug/min"},
      {"_L_per_min", "L/min"},         {"_mmol_per_L", "mmol/L"}, {"_mmHg", "mmHg"},
      {"_bpm", "bpm"},                 {"_pct", "%"},             {"_s", "s"}};
  if (column == "mfi") return "score 0-3";
  for (const auto& [suffix, unit] : kSuffix) {
    if (column.size() > suffix.size() && column.compare(column.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return unit;
    }
  }
  return "";
}

// "MAP (mmHg)" -> "mmHg".
std::string label_unit(const std::string& label) {
  const auto open = label.rfind('('), close = label.rfind(')');
  return open == std::string::npos || close == std::string::npos || close < open ? ""
                                                                                  : label.substr(open + 1, close - open - 1);
}

fs::path temp_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("coherence_test_plot_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// A small timeseries with every column trends.png draws; NE reaches 0.9 and dobutamine 7.5.
fs::path write_timeseries(const fs::path& dir) {
  const std::vector<std::string> cols = {"time_min",      "map_mmHg",   "hr_bpm",  "co_L_per_min",
                                         "cvp_mmHg",      "pmsf_mmHg",  "ne_dose_ug_per_kg_min",
                                         "epinephrine_ug_per_kg_min", "vasopressin_U_per_min",
                                         "dobutamine_ug_per_kg_min",  "nitroglycerin_ug_per_min",
                                         "lactate_mmol_per_L", "crt_s", "mfi", "ppv_pct"};
  std::ofstream out(dir / "timeseries.csv");
  for (std::size_t i = 0; i < cols.size(); ++i) out << (i ? "," : "") << cols[i];
  out << "\n";
  for (int k = 0; k <= 36; ++k) {
    const double t = 10.0 * k, u = k / 36.0;
    out << t << "," << 55 + 20 * u << "," << 120 - 20 * u << "," << 4 + 2 * u << "," << 8 << "," << 14 << ","
        << 0.9 * u << "," << 0.05 * u << "," << 0.03 << "," << 7.5 * u << "," << 40 * u << "," << 4.5 - 2 * u << ","
        << 5 - 2 * u << "," << 2.0 + 0.8 * u << "," << 70 + 25 * u << "\n";
  }
  return dir / "timeseries.csv";
}

output::TrendsInput every_drug(const fs::path& csv) {
  output::TrendsInput in;
  in.csv = csv;
  in.title = "test";
  in.end_h = 6.0;
  in.map_target_h = {{0.5, 70.0}, {3.0, 75.0}};
  in.markers = {{0.5, "bolus 500 mL"}, {3.0, "dobutamine on"}};
  in.vasopressin = in.epinephrine = in.dobutamine = in.nitroglycerin = true;
  return in;
}

}  // namespace

TEST_CASE("Plot layer: every axis has a unit and holds one quantity") {
  const fs::path dir = temp_dir("units");
  const output::TimeFigure f = output::trends_figure(every_drug(write_timeseries(dir)));
  REQUIRE(f.panels.size() == 6);  // the inodilator panel appears when one is given
  for (const auto& p : f.panels) {
    const std::string left = label_unit(p.left.label);
    INFO(p.left.label);
    REQUIRE_FALSE(left.empty());
    if (p.right) REQUIRE_FALSE(label_unit(p.right->label).empty());
    for (const auto& s : p.series) {
      INFO(s.column);
      CHECK(column_unit(s.column) == (s.right_axis ? label_unit(p.right->label) : left));
    }
  }
  // Without inodilators their panel is left out, and so is a vasopressin axis.
  output::TrendsInput plain = every_drug(dir / "timeseries.csv");
  plain.vasopressin = plain.epinephrine = plain.dobutamine = plain.nitroglycerin = false;
  const output::TimeFigure g = output::trends_figure(plain);
  CHECK(g.panels.size() == 5);
  CHECK_FALSE(g.panels[2].right.has_value());
  CHECK(g.panels[2].left.label == "norepinephrine (ug/kg/min)");
}

TEST_CASE("Plot layer: panel time axes align to the pixel and ranges hold the data") {
  const fs::path dir = temp_dir("layout");
  output::TimeFigure f = output::trends_figure(every_drug(write_timeseries(dir)));
  f.axes_report = dir / "axes.txt";
  std::string reason;
  REQUIRE(output::plot_time_figure(f, dir / "trends.png", reason));
  REQUIRE(fs::file_size(dir / "trends.png") > 10000);
  std::ifstream in(f.axes_report);
  std::vector<std::array<int, 4>> boxes;
  for (std::array<int, 4> b{}; in >> b[0] >> b[1] >> b[2] >> b[3];) boxes.push_back(b);
  REQUIRE(boxes.size() == f.panels.size());
  for (const auto& b : boxes) {
    CHECK(b[0] == boxes.front()[0]);  // left edge of the time axis, pixels
    CHECK(b[1] == boxes.front()[1]);  // right edge
    CHECK(b[3] - b[2] > 100);          // a panel tall enough to read
  }
  // The script: time axis to the run's end; NE axis to a whole tic above 0.9 x 1.2 with the cliff
  // zone on it only; the MAP target as steps at 70 then 75; tics start on round numbers.
  std::ifstream gp_in(dir / "trends.png.gp");
  std::stringstream ss;
  ss << gp_in.rdbuf();
  const std::string gp = ss.str();
  CHECK(gp.find("set xrange [0:6]") != std::string::npos);
  CHECK(gp.find("set yrange [0:1.2]") != std::string::npos);
  CHECK(gp.find("first 0.71 to graph 1, first 0.8") != std::string::npos);
  CHECK(std::regex_search(gp, std::regex("time_h,value\n0.5,70\n3,75\n6,75\nEOD")));
  CHECK(gp.find("MAP 65 (guideline)") == std::string::npos);
  CHECK(gp.find("set yrange [30:110]\nset ytics 40,20") != std::string::npos);
}

TEST_CASE("Plot layer: nice ceilings and a missing column is an error") {
  CHECK(output::nice_ceiling(0.93) == Approx(1.0));
  CHECK(output::nice_ceiling(1.3) == Approx(2.0));
  CHECK(output::nice_ceiling(2.1) == Approx(2.5));
  CHECK(output::nice_ceiling(37.0) == Approx(50.0));
  const fs::path dir = temp_dir("missing");
  output::TimeFigure f = output::trends_figure(every_drug(write_timeseries(dir)));
  f.panels[0].series[0].column = "no_such_column_mmHg";
  CHECK_THROWS_WITH(output::time_figure_script(f, dir / "x.png.partial"), Catch::Contains("no column 'no_such_column_mmHg'"));
}
