// `coherence run SCENARIO.toml [--set KEY=VALUE]... [--out DIR]`: one patient.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "validation/scoring_accuracy.hpp"
#include "output/files.hpp"
#include "output/plot.hpp"
#include "output/vessel_dump.hpp"
#include "run/captions.hpp"
#include "run/exposure.hpp"
#include "run/runner.hpp"
#include "run/sample.hpp"
#include "scenario/scenario.hpp"

namespace coherence::cli {

void setup_run(CLI::App& app, const std::shared_ptr<RunOptions>& opts) {
  CLI::App* sub =
      app.add_subcommand("run", "Simulate one scenario and write timeseries.csv, summary.json, trends.png/.svg");
  sub->add_option("scenario", opts->scenario_file, "Scenario file (TOML)")->required();
  sub->add_option("--set", opts->overrides, "Override a scalar key by its dotted path, e.g. patient.weight_kg=80")
      ->type_name("KEY=VALUE");
  sub->add_option("--out", opts->out_dir, "Output folder (created if missing)")->capture_default_str();
  sub->add_flag("--no-plot", opts->no_plot, "Do not render trends.png and trends.svg");
  sub->add_option("--dump-vessels-at-min", opts->dump_vessels_at_min,
                  "Write the per-vessel ground truth (vessels_t<T>min.json) at these times (min)")
      ->delimiter(',');
}

run::VideoMicroMeasurer video_measurer(const scenario::Scenario& s) {
  const double seconds = s.monitoring.micro_seconds;
  const std::uint64_t seed = s.seed;
  return [seconds, seed](const model::MicrocirculationParams& m, const model::Network& net,
                         const model::MicroDrivers& d, double t_s) {
    return validation::measure_by_video(m, net, d, t_s, seconds, seed);
  };
}

namespace {

// What trends.png marks: every scenario event, and protocol decisions that give a bolus or start
// or stop a drug (NE titration steps show in the NE trace itself). Markers closer than 1.5% of
// the run's length are merged.
std::vector<output::PlotMarker> trend_markers(const scenario::Scenario& s, const run::RunResult& r, double end_h) {
  using scenario::EventAction;
  std::vector<std::pair<double, std::string>> raw;
  for (const auto& e : s.events) {
    std::string label;
    switch (e.action) {
      case EventAction::kNeDose: label = fmt::format("NE {:g}", e.dose_ug_per_kg_min); break;
      case EventAction::kVasopressin: label = fmt::format("vasopressin {:g}", e.rate_U_per_min); break;
      case EventAction::kEpinephrine: label = fmt::format("epinephrine {:g}", e.dose_ug_per_kg_min); break;
      case EventAction::kDobutamine: label = fmt::format("dobutamine {:g}", e.dose_ug_per_kg_min); break;
      case EventAction::kNitroglycerin: label = fmt::format("nitroglycerin {:g}", e.rate_ug_per_min); break;
      case EventAction::kBolus: label = fmt::format("bolus {:g} mL", e.volume_mL); break;
      case EventAction::kMaintenance: label = fmt::format("maintenance {:g} mL/h", e.rate_mL_per_h); break;
      case EventAction::kSepsisSeverity: label = fmt::format("sepsis {:g}", e.severity); break;
      case EventAction::kSet: label = fmt::format("{}={:g}", e.key, e.value); break;
    }
    if (e.at_min >= 0.0) raw.emplace_back(e.at_min / 60.0, label);
  }
  auto on_off = [&](double before, double after, const char* name, double t) {
    if ((before > 0.0) != (after > 0.0)) raw.emplace_back(t, fmt::format("{} {}", name, after > 0.0 ? "on" : "off"));
  };
  for (const auto& d : r.decisions) {
    const double t = d.time_min / 60.0;
    if (d.bolus_mL > 0.0) raw.emplace_back(t, fmt::format("bolus {:g} mL", d.bolus_mL));
    const auto& b = d.observed.running;
    on_off(b.vasopressin_U_per_min, d.after.vasopressin_U_per_min, "vasopressin", t);
    on_off(b.epinephrine_ug_per_kg_min, d.after.epinephrine_ug_per_kg_min, "epinephrine", t);
    on_off(b.dobutamine_ug_per_kg_min, d.after.dobutamine_ug_per_kg_min, "dobutamine", t);
    on_off(b.nitroglycerin_ug_per_min, d.after.nitroglycerin_ug_per_min, "nitroglycerin", t);
  }
  std::stable_sort(raw.begin(), raw.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<output::PlotMarker> out;
  for (const auto& [t, label] : raw) {
    if (t > end_h) continue;
    if (!out.empty() && t - out.back().time_h < 0.015 * end_h) {
      if (out.back().label.find(label) == std::string::npos) out.back().label += ", " + label;
      continue;
    }
    out.push_back({t, label});
  }
  for (auto& m : out) {
    if (m.label.size() > 40) m.label = m.label.substr(0, 37) + "...";
  }
  return out;
}

// The MAP target in force from each protocol decision on, and from each `set` of
// protocol.map_target_mmHg (empty without a MAP-targeting protocol).
std::vector<std::pair<double, double>> map_target_steps(const scenario::Scenario& s, const run::RunResult& r) {
  std::vector<std::pair<double, double>> changes;
  for (const auto& d : r.decisions) {
    if (d.map_target_mmHg) changes.emplace_back(d.time_min / 60.0, *d.map_target_mmHg);
  }
  if (changes.empty()) return {};
  for (const auto& e : s.events) {
    if (e.action == scenario::EventAction::kSet && e.key == "protocol.map_target_mmHg" && e.at_min >= 0.0) {
      changes.emplace_back(e.at_min / 60.0, e.value);
    }
  }
  std::stable_sort(changes.begin(), changes.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::pair<double, double>> out;
  for (const auto& c : changes) {
    if (out.empty() || out.back().second != c.second) out.push_back(c);
  }
  return out;
}

// Summary figures of a finished run (from the sampled rows).
nlohmann::json summarise(const scenario::Scenario& s, const run::RunResult& r) {
  nlohmann::json j;
  j["scenario"] = s.name;
  j["scenario_file"] = s.file;
  j["status"] = std::string(run::termination_name(r.termination));
  if (!r.completed) j["error"] = r.error;
  if (r.arrest_min) {
    j["circulatory_arrest_at_min"] = *r.arrest_min;
    j["note"] = fmt::format("MAP fell below {} mmHg: the run stops there; the model is not valid beyond it",
                            run::kCirculatoryArrestMap_mmHg);
  }
  j["duration_h"] = s.duration_min / 60.0;
  j["simulation_start_min"] = r.start_min;
  j["rows"] = r.rows.size();
  if (!r.rows.empty()) {
    const auto col = [&](run::SampleMember m) {
      std::vector<double> v;
      for (const auto& row : r.rows) v.push_back(row.*m);
      return v;
    };
    const auto map = col(&run::Sample::map_mmHg);
    const auto lac = col(&run::Sample::lactate_mmol_per_L);
    const auto& last = r.rows.back();
    // Exposure figures as a trial's patients.csv reports them (same function, names and time
    // weighting: each row stands for the interval to the next).
    const run::Exposure e = run::compute_exposure(r.rows, s.params.patient.weight_kg);
    j["map_min_mmHg"] = *std::min_element(map.begin(), map.end());
    j["map_below_65_h"] = e.map_below_65_h;
    j["ne_peak_ug_per_kg_min"] = e.ne_peak_ug_per_kg_min;
    j["lactate_peak_mmol_per_L"] = *std::max_element(lac.begin(), lac.end());
    j["ne_cumulative_mg"] = e.ne_cumulative_mg;
    j["ne_above_0_8_h"] = e.ne_above_0_8_h;
    j["dobutamine_h"] = e.dobutamine_h;
    j["nitroglycerin_h"] = e.nitroglycerin_h;
    j["vasopressin_h"] = e.vasopressin_h;
    using S = run::Sample;
    nlohmann::json fin;
    for (const run::SampleMember m :
         {&S::time_min, &S::map_mmHg, &S::hr_bpm, &S::co_L_per_min, &S::cvp_mmHg, &S::lactate_mmol_per_L,
          &S::ne_dose_ug_per_kg_min, &S::fluids_in_mL, &S::fluid_balance_mL, &S::mfi, &S::ppv_pct,
          &S::tvd_mm_per_mm2, &S::pvd_mm_per_mm2, &S::hi, &S::crt_s, &S::mottling_score}) {
      fin[std::string(run::column_name(m))] = last.*m;
    }
    j["final"] = fin;
  }
  nlohmann::json measured = nlohmann::json::object();
  for (const auto& [name, row] : r.measurements) {
    nlohmann::json m;
    for (const auto& c : run::kSampleColumns) m[std::string(c.name)] = row.*c.member;
    measured[name] = m;
  }
  j["measurements"] = measured;
  j["protocol"] = s.protocol.name;
  j["decisions"] = r.decisions.size();
  if (r.varvel) {
    j["map_control"] = {{"initial_target_mmHg", s.protocol.settings.at("map_target_mmHg")},
                        {"mdpe_pct", r.varvel->mdpe_pct},
                        {"mdape_pct", r.varvel->mdape_pct},
                        {"wobble_pct", r.varvel->wobble_pct},
                        {"within_5_mmHg_pct", r.varvel->within_5_mmHg_pct},
                        {"samples", r.varvel->samples},
                        {"note", "Varvel 1992 on the true MAP at output times from 30 min after the start, "
                                 "against the target in force at each time"}};
  }
  j["solver"] = {{"steps", r.solver.steps},
                 {"rhs_evaluations", r.solver.rhs_evaluations},
                 {"jacobian_evaluations", r.solver.jacobian_evaluations},
                 {"error_test_failures", r.solver.error_test_failures},
                 {"nonlinear_convergence_failures", r.solver.nonlinear_convergence_failures},
                 {"restarts", r.solver.reinitializations},
                 {"warnings", r.solver.warnings},
                 {"warning_messages", r.solver_warnings}};
  return j;
}

}  // namespace

int run_run(const RunOptions& opts) {
  std::vector<scenario::Override> overrides;
  for (const auto& text : opts.overrides) overrides.push_back(scenario::parse_override(text));
  const scenario::Scenario s = scenario::load_scenario(opts.scenario_file, overrides);
  run::check_captions(s);
  for (double t : opts.dump_vessels_at_min) {
    if (!(t >= 0.0 && t <= s.duration_min)) {
      throw scenario::InputError(fmt::format("--dump-vessels-at-min {}: must lie within the scenario (0 - {} min)", t,
                                             s.duration_min));
    }
  }

  const std::filesystem::path out = opts.out_dir;
  output::prepare_output_folder(out, [](const std::string& name) {
    return name == "timeseries.csv" || name == "summary.json" || name.starts_with("trends.") ||
           name == "decisions.csv" ||
           name.rfind("vessels_t", 0) == 0;
  });

  const run::RunResult r = run::run_scenario(s, opts.dump_vessels_at_min, video_measurer(s));
  output::write_file_atomic(out / "decisions.csv", run::format_decisions_csv(r.decisions));
  std::vector<std::string> dumps;
  for (const auto& snap : r.snapshots) {
    const std::string name = fmt::format("vessels_t{:g}min.json", snap.time_min);
    nlohmann::json j = output::network_truth_json(s.params.micro, r.network, snap.drivers, snap.time_min * 60.0);
    j["time_min"] = snap.time_min;
    j["scenario"] = s.name;
    j["seed"] = s.seed;
    output::write_json(out / name, j);
    dumps.push_back(name);
  }
  output::write_file_atomic(out / "timeseries.csv", run::format_timeseries_csv(r.rows));
  nlohmann::json summary = summarise(s, r);
  std::vector<std::string> plots;
  if (r.completed && !opts.no_plot) {
    std::string reason;
    output::TrendsInput trends;
    trends.csv = out / "timeseries.csv";
    trends.title = s.name;
    trends.end_h = s.duration_min / 60.0;
    trends.map_target_h = map_target_steps(s, r);
    trends.markers = trend_markers(s, r, trends.end_h);
    const auto given = [&](run::SampleMember m) {
      return std::any_of(r.rows.begin(), r.rows.end(), [&](const run::Sample& row) { return row.*m > 0.0; });
    };
    trends.vasopressin = given(&run::Sample::vasopressin_U_per_min);
    trends.epinephrine = given(&run::Sample::epinephrine_ug_per_kg_min);
    trends.dobutamine = given(&run::Sample::dobutamine_ug_per_kg_min);
    trends.nitroglycerin = given(&run::Sample::nitroglycerin_ug_per_min);
    if (output::plot_time_figure(output::trends_figure(trends), out / "trends.png", reason)) {
      plots = {"trends.png", "trends.svg"};
    } else {
      std::fprintf(stderr, "coherence: warning: trends.png/.svg not written: %s\n", reason.c_str());
    }
  }
  summary["plots"] = plots;
  // Lesson captions as the viewer shows them, and whether what they claim holds in this run.
  if (!s.captions.empty()) {
    nlohmann::json captions = nlohmann::json::array();
    const auto results = run::evaluate_captions(s, r.rows);
    for (std::size_t i = 0; i < results.size(); ++i) {
      const auto& c = results[i];
      nlohmann::json claims = nlohmann::json::array();
      for (const auto& cl : c.claims) {
        claims.push_back({{"claim", cl.claim}, {"holds", cl.holds}, {"values", cl.detail}});
        if (!cl.holds && r.completed) {
          std::fprintf(stderr, "coherence: warning: %s:%d: caption at %g min: \"%s\" does not hold (%s)\n",
                       s.file.c_str(), s.captions[i].line, c.at_min, cl.claim.c_str(), cl.detail.c_str());
        }
      }
      captions.push_back({{"at_min", c.at_min}, {"text", c.text}, {"claims", claims}});
    }
    summary["captions"] = captions;
  }
  summary["vessel_dumps"] = dumps;
  output::write_json(out / "summary.json", summary);
  if (!r.completed) {
    std::fprintf(stderr, "coherence: %s: simulation failed: %s (partial results in %s, status \"failed\")\n",
                 s.file.c_str(), r.error.c_str(), out.string().c_str());
    return 1;
  }
  if (r.arrest_min) {
    std::printf("%s: circulatory arrest (MAP < %g mmHg) at t = %.0f min; %zu rows -> %s\n", s.name.c_str(),
                run::kCirculatoryArrestMap_mmHg, *r.arrest_min, r.rows.size(), out.string().c_str());
    return 0;
  }
  std::printf("%s: %zu rows, %.1f h simulated -> %s\n", s.name.c_str(), r.rows.size(), s.duration_min / 60.0,
              out.string().c_str());
  return 0;
}

}  // namespace coherence::cli
