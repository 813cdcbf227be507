// `coherence compare RUN_DIR... [--label L]... [--out DIR]`: the same patient under several
// protocols (or any runs) side by side: comparison.csv (one row per run: end-of-run means and
// totals), comparison.png (MAP, NE with the cliff zone, MFI, lactate) and a table on stdout.
#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.hpp"
#include "output/files.hpp"
#include "output/plot.hpp"
#include "run/runner.hpp"
#include "scenario/scenario.hpp"

namespace coherence::cli {

void setup_compare(CLI::App& app, const std::shared_ptr<CompareOptions>& opts) {
  CLI::App* sub = app.add_subcommand(
      "compare", "Compare finished runs side by side: comparison.csv, comparison.png and a table");
  sub->add_option("runs", opts->run_dirs, "Output folders of `coherence run` (two or more)")->required()->expected(2, 6);
  sub->add_option("--label", opts->labels, "A label per run (default: its protocol)");
  sub->add_option("--out", opts->out_dir, "Output folder")->capture_default_str();
  sub->add_option("--last-hours", opts->last_hours, "End-of-run figures average over this window (h)")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 720.0));
}

namespace {

struct LoadedRun {
  std::string label, scenario, protocol;
  std::filesystem::path csv;
  std::vector<std::string> columns;
  std::vector<std::vector<double>> rows;
  nlohmann::json summary;
  std::filesystem::path summary_file;
};

LoadedRun load_run(const std::filesystem::path& dir) {
  LoadedRun r;
  r.csv = dir / "timeseries.csv";
  const auto summary_file = dir / "summary.json";
  std::ifstream js(summary_file);
  if (!js) throw scenario::InputError(fmt::format("{}: not a run folder (no summary.json)", dir.string()));
  nlohmann::json s;
  try {
    s = nlohmann::json::parse(js);
  } catch (const std::exception&) {
    throw scenario::InputError(fmt::format("{}: summary.json is not valid JSON", summary_file.string()));
  }
  if (s.value("status", "") != "complete") {
    throw scenario::InputError(fmt::format("{}: the run did not complete (status \"{}\")", dir.string(),
                                           s.value("status", "?")));
  }
  r.summary = s;
  r.summary_file = summary_file;
  r.scenario = s.value("scenario", "");
  r.protocol = s.value("protocol", "");
  std::ifstream in(r.csv);
  if (!in) throw scenario::InputError(fmt::format("{}: missing", r.csv.string()));
  std::string line;
  std::getline(in, line);
  std::stringstream header(line);
  for (std::string c; std::getline(header, c, ',');) r.columns.push_back(c);
  if (r.columns.empty() || r.columns.front() != "time_min") {
    throw scenario::InputError(fmt::format("{}:1: not a Coherence timeseries (first column must be time_min)",
                                           r.csv.string()));
  }
  int number = 1;
  while (std::getline(in, line)) {
    ++number;
    std::vector<double> row;
    std::stringstream cells(line);
    for (std::string c; std::getline(cells, c, ',');) row.push_back(c.empty() ? NAN : std::strtod(c.c_str(), nullptr));
    if (row.size() != r.columns.size()) {
      throw scenario::InputError(fmt::format("{}:{}: {} cells, the header has {}", r.csv.string(), number, row.size(),
                                             r.columns.size()));
    }
    r.rows.push_back(std::move(row));
  }
  if (r.rows.empty()) throw scenario::InputError(fmt::format("{}: no rows", r.csv.string()));
  return r;
}

std::size_t column(const LoadedRun& r, const std::string& name) {
  for (std::size_t i = 0; i < r.columns.size(); ++i) {
    if (r.columns[i] == name) return i;
  }
  throw scenario::InputError(fmt::format("{}: no column {}", r.csv.string(), name));
}

// A whole-run figure from summary.json (written by this version of `coherence run`).
double summary_figure(const LoadedRun& r, const std::string& name) {
  const auto it = r.summary.find(name);
  if (it == r.summary.end() || !it->is_number()) {
    throw scenario::InputError(fmt::format("{}: no number \"{}\" (written by another version of coherence? run the "
                                           "scenario again)",
                                           r.summary_file.string(), name));
  }
  return it->get<double>();
}

}  // namespace

int run_compare(const CompareOptions& opts) {
  if (!opts.labels.empty() && opts.labels.size() != opts.run_dirs.size()) {
    throw scenario::InputError(fmt::format("--label given {} times for {} runs: give one per run or none",
                                           opts.labels.size(), opts.run_dirs.size()));
  }
  std::vector<LoadedRun> runs;
  for (std::size_t i = 0; i < opts.run_dirs.size(); ++i) {
    runs.push_back(load_run(opts.run_dirs[i]));
    runs.back().label = opts.labels.empty() ? runs.back().protocol : opts.labels[i];
  }
  // End-of-run means over the last hours, cumulative figures over the whole run.
  struct Figure {
    // how: mean_last, max, last (of the column), summary (summary.json's figure of that name: the
    // exposure a trial reports too, computed once by run::compute_exposure)
    std::string name, column, how;
  };
  const std::vector<Figure> figures = {
      {"map_mmHg_last", "map_mmHg", "mean_last"},
      {"ne_ug_per_kg_min_last", "ne_dose_ug_per_kg_min", "mean_last"},
      {"ne_peak_ug_per_kg_min", "ne_dose_ug_per_kg_min", "max"},
      {"ne_above_0_8_h", "", "summary"},
      {"ne_cumulative_mg", "", "summary"},
      {"dobutamine_h", "", "summary"},
      {"nitroglycerin_h", "", "summary"},
      {"fluids_in_mL", "fluids_in_mL", "last"},
      {"mfi_last", "mfi", "mean_last"},
      {"ppv_pct_last", "ppv_pct", "mean_last"},
      {"lactate_mmol_per_L_last", "lactate_mmol_per_L", "mean_last"},
      {"crt_s_last", "crt_s", "mean_last"},
  };
  std::string csv = "label,scenario,protocol";
  for (const auto& f : figures) csv += "," + f.name;
  csv += "\n";
  std::vector<std::vector<double>> values;
  for (const auto& r : runs) {
    std::vector<double> v;
    const double t_end = r.rows.back()[0];
    for (const auto& f : figures) {
      if (f.how == "summary") {
        v.push_back(summary_figure(r, f.name));
        continue;
      }
      const std::size_t c = column(r, f.column);
      double sum = 0.0, best = -1e300;
      int n = 0;
      for (const auto& row : r.rows) {
        const double x = row[c];
        best = std::max(best, x);
        if (row[0] >= t_end - 60.0 * opts.last_hours - 1e-9) {
          sum += x;
          ++n;
        }
      }
      double out = 0.0;
      if (f.how == "mean_last") out = sum / n;
      if (f.how == "max") out = best;
      if (f.how == "last") out = r.rows.back()[c];
      v.push_back(out);
    }
    values.push_back(v);
    csv += output::csv_quoted(r.label) + "," + output::csv_quoted(r.scenario) + "," + output::csv_field(r.protocol);
    for (double x : v) csv += fmt::format(",{:.6g}", x);
    csv += "\n";
  }

  const std::filesystem::path out = opts.out_dir;
  output::prepare_output_folder(out, [](const std::string& name) {
    return name == "comparison.csv" || name.starts_with("comparison.png") || name.starts_with("comparison.svg");
  });
  output::write_file_atomic(out / "comparison.csv", csv);
  std::vector<output::ComparedRun> plotted;
  plotted.reserve(runs.size());
  for (const auto& r : runs) plotted.push_back({r.label, std::filesystem::absolute(r.csv), r.rows.back()[0] / 60.0});
  std::string reason;
  const bool plotted_ok = output::plot_comparison(plotted, out / "comparison.png", runs.front().scenario, reason);
  if (!plotted_ok) std::fprintf(stderr, "coherence: warning: comparison.png not written: %s\n", reason.c_str());

  // The table, one column per run.
  std::printf("%-28s", fmt::format("last {:g} h / whole run", opts.last_hours).c_str());
  for (const auto& r : runs) std::printf(" %14s", r.label.c_str());
  std::printf("\n");
  for (std::size_t k = 0; k < figures.size(); ++k) {
    std::printf("%-28s", figures[k].name.c_str());
    for (const auto& v : values) std::printf(" %14.4g", v[k]);
    std::printf("\n");
  }
  std::printf("-> %s/comparison.csv%s\n", out.string().c_str(), plotted_ok ? ", comparison.png" : "");
  return 0;
}

}  // namespace coherence::cli
