// `coherence trial TRIAL.toml [--set KEY=VALUE]... [--patients N] [--seed S] [--threads T]
//  [--out DIR] [--resume]`: a virtual cohort under one or more protocols (docs/trials.md).
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "cli/commands.hpp"
#include "output/files.hpp"
#include "run/sample.hpp"
#include "scenario/scenario.hpp"
#include "trial/plots.hpp"
#include "trial/trial.hpp"

#ifdef COHERENCE_HAVE_MPI
#include <mpi.h>
#endif

namespace coherence::cli {

void setup_trial(CLI::App& app, const std::shared_ptr<TrialOptions>& opts) {
  CLI::App* sub = app.add_subcommand(
      "trial",
      "Run a virtual cohort under one or more arms (docs/trials.md). Writes to --out: patients.csv (one row per "
      "patient x arm: cohort draws, outcomes, exposure, measurements), cohort.csv (the draws), summary.json "
      "(CONSORT counts, per-arm means), analysis.json (paired statistics, observational analysis), km.png/.svg, "
      "forest.png/.svg, ne_vs_micro.png/.svg (unless --no-plot), decisions/ (with --decisions); "
      "patients.partial.csv while running (the journal for --resume). With --replay ID: timeseries.csv, "
      "decisions.csv, summary.json, patients.csv and overrides.txt of one patient");
  sub->add_option("trial", opts->trial_file, "Trial file (TOML)")->required();
  sub->add_option("--set", opts->overrides,
                  "Override a key for every patient: trial.patients / trial.seed / trial.output_interval_min, "
                  "outcome_model.*, or a key of the base scenario (an error if the cohort draws it or an arm sets it)")
      ->type_name("KEY=VALUE");
  sub->add_option("--patients", opts->patients, "Number of patients screened (overrides trial.patients)")
      ->check(CLI::Range(1, 1000000));
  sub->add_option("--seed", opts->seed, "Cohort seed (overrides trial.seed)")->check(CLI::Range(0, 2147483647));
  sub->add_option("--threads", opts->threads, "Worker threads (default: all cores; the outputs do not depend on it)")
      ->check(CLI::Range(1, 256));
  sub->add_option("--out", opts->out_dir, "Output folder")->capture_default_str();
  sub->add_flag("--resume", opts->resume, "Continue an interrupted trial in --out (no patient lost or repeated)");
  sub->add_flag("--no-plot", opts->no_plot, "Do not draw km, forest and ne_vs_micro (.png and .svg)");
  sub->add_flag("--decisions", opts->decisions,
                "Write every run's protocol decisions to DIR/decisions/patient_<id>_<arm>.csv (decisions.csv's "
                "columns, docs/protocols.md)");
  sub->add_option("--replay", opts->replay,
                  "Re-run patient ID of the trial alone and write its run outputs to --out; its patients.csv rows "
                  "are byte-identical to the trial's")
      ->check(CLI::Range(1, 1000000))
      ->type_name("ID");
  sub->add_option("--arm", opts->arm, "With --replay: this arm only (default: every arm)")->type_name("NAME");
  sub->add_option("--docs", opts->docs_dir,
                  "Observational replication trials: write the comparison with the source study into "
                  "DIR/validation.md (one table per cohort size)");
  sub->footer("Progress: a bar on a terminal, else a line every 5 s on stderr (COHERENCE_PROGRESS_SECONDS). "
              "Exit 0 done, 1 runtime failure (journal kept), 2 bad input.");
}

namespace {

// summary.json: counts and per-protocol headline outcomes (means over completed rows).
nlohmann::json summarise(const trial::TrialSpec& spec, const trial::Table& t) {
  struct Acc {
    int rows = 0, complete = 0, arrest = 0, failed = 0;
    std::map<std::string, std::pair<double, int>> sums;
    std::vector<std::string> failures;
  };
  std::map<std::string, Acc> by_arm;
  const std::vector<std::string> headline = {
      "death_28d",       "predicted_mortality_28d", "ne_peak_ug_per_kg_min", "ne_cumulative_mg",
      "ne_above_0_8_h",  "ne_h",                    "vasopressin_h",         "dobutamine_h",
      "nitroglycerin_h", "epinephrine_h",           "time_map_ge_65_pct",    "map_within_5_mmHg_pct",
      "hypotension_area_mmHg_h", "fluids_in_mL", "lactate_day1_mean_mmol_per_L", "mfi_day1_mean",
      "ppv_day1_mean_pct", "decisions",             "survival_d"};
  const auto& arm = t.text("arm");
  const auto& status = t.text("status");
  const auto& reason = t.text("reason");
  const auto& id = t.text("patient_id");
  std::map<std::string, std::vector<double>> values;
  for (const auto& h : headline) values[h] = t.numeric(h);
  // CONSORT: screened, excluded (by the first criterion failed), randomised, analysed (no failed row).
  std::map<std::string, std::string> excluded_by;  // patient -> criterion
  std::set<std::string> with_failure;
  for (std::size_t i = 0; i < t.rows(); ++i) {
    if (status[i] == "excluded") {
      const auto open = reason[i].find('('), close = reason[i].find(')');
      excluded_by[id[i]] = open != std::string::npos && close > open ? reason[i].substr(open + 1, close - open - 1) : reason[i];
      continue;
    }
    Acc& a = by_arm[arm[i]];
    ++a.rows;
    if (status[i] == "failed") {
      ++a.failed;
      with_failure.insert(id[i]);
      a.failures.push_back(fmt::format("patient {}: {}", id[i], reason[i]));
      continue;
    }
    (status[i] == "circulatory_arrest" ? a.arrest : a.complete) += 1;
    for (const auto& h : headline) {
      const double v = values[h][i];
      if (std::isnan(v)) continue;
      a.sums[h].first += v;
      a.sums[h].second += 1;
    }
  }
  nlohmann::json j;
  j["trial"] = spec.name;
  j["trial_file"] = spec.file;
  j["scenario_file"] = spec.scenario_file.string();
  j["patients"] = spec.patients;
  j["seed"] = spec.seed;
  j["arms"] = nlohmann::json::array();
  for (const auto& a : spec.arms) {
    nlohmann::json settings = nlohmann::json::object();
    for (const auto& o : a.settings) settings[o.key] = o.value;
    j["arms"].push_back({{"name", a.name}, {"protocol", a.protocol}, {"settings", settings}});
  }
  j["status"] = "complete";
  nlohmann::json consort;
  consort["screened"] = spec.patients;
  nlohmann::json by_reason = nlohmann::json::object();
  for (const auto& c : spec.inclusion) by_reason[c.name] = 0;
  for (const auto& [pid, why] : excluded_by) by_reason[why] = by_reason.value(why, 0) + 1;
  consort["excluded"] = excluded_by.size();
  consort["excluded_by"] = by_reason;
  consort["randomised"] = spec.patients - static_cast<int>(excluded_by.size());
  consort["analysed"] = spec.patients - static_cast<int>(excluded_by.size()) - static_cast<int>(with_failure.size());
  consort["note"] = "every randomised patient is run in every arm (paired); analysed: no failed run in any arm";
  j["consort"] = consort;
  nlohmann::json per = nlohmann::json::object();
  for (const auto& p : spec.protocols) {
    const Acc& a = by_arm[p];
    nlohmann::json jp;
    jp["rows"] = a.rows;
    jp["complete"] = a.complete;
    jp["circulatory_arrest"] = a.arrest;
    jp["failed"] = a.failed;
    jp["failures"] = a.failures;
    for (const auto& h : headline) {
      const auto it = a.sums.find(h);
      if (it != a.sums.end() && it->second.second > 0) jp["mean_" + h] = it->second.first / it->second.second;
    }
    per[p] = jp;
  }
  j["by_arm"] = per;
  return j;
}

// MPI: active when the process was started by mpirun with more than one rank (OpenMPI sets
// OMPI_COMM_WORLD_SIZE); a plain `coherence trial` never initialises MPI.
struct MpiSession {
  int rank = 0, size = 1;
#ifdef COHERENCE_HAVE_MPI
  bool active = false;
  MpiSession() {
    const char* env = std::getenv("OMPI_COMM_WORLD_SIZE");
    int ranks = 0;
    if (env) std::from_chars(env, env + std::strlen(env), ranks);
    if (ranks <= 1) return;
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    active = true;
  }
  ~MpiSession() {
    if (active) MPI_Finalize();
  }
  // Every rank's status (0 ok, else failed): true when all succeeded.
  bool all_ok(int mine) const {
    if (!active) return mine == 0;
    int worst = 0;
    MPI_Allreduce(&mine, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return worst == 0;
  }
#else
  MpiSession() = default;
  bool all_ok(int mine) const { return mine == 0; }
#endif
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
};

// The source study's day-1 findings (BRIEF.md) and issue 7's acceptance bands.
struct StudyTarget {
  const char* column;
  const char* label;
  double r;
  double breakpoint;  // NaN: none reported
};
const StudyTarget kStudy[] = {
    {"day1_lactate_mmol_per_L", "lactate", 0.583, 1.65},
    {"day1_hi", "heterogeneity index HI", 0.444, 0.72},
    {"day1_mfi", "MFI", -0.492, 0.80},
    {"day1_ppv_pct", "PPV", -0.420, 0.71},
    {"day1_mottling_score", "mottling score", 0.364, 0.25},
};

// The source study's Table 1 by dose group (seed 002; NE <= 0.5 n = 37, > 0.5 n = 29) and the
// bands declared for it in docs/validation_interventions_plan.md (OBS-1, calibration).
struct Table1Target {
  const char* column;
  const char* label;
  const char* unit;
  bool mean;  // the study reports mean (SD); otherwise median [IQR]
  const char* study_low;
  const char* study_high;
  double low_min, low_max, high_min, high_max;
  bool higher_in_high;  // the plan's ordering: the high-dose group's value is the larger
};
constexpr double kInf = std::numeric_limits<double>::infinity();
const Table1Target kTable1[] = {
    {"day1_hr_bpm", "heart rate", "bpm", true, "88.1 (18.6)", "113.7 (15.1)", 82, 94, 107, 121, true},
    {"day1_map_mmHg", "MAP", "mmHg", true, "82.1 (11.1)", "80.7 (15.4)", 74, 88, 74, 88, false},
    {"day1_lactate_mmol_per_L", "lactate", "mmol/L", false, "1.40 [1.10, 1.90]", "3.20 [2.20, 7.70]", 1.1, 1.9, 2.2,
     4.5, true},
    {"day1_mfi", "MFI", "", false, "2.92 [2.86, 2.98]", "2.83 [2.73, 2.98]", 2.86, 2.98, 2.73, 2.95, false},
    {"day1_ppv_pct", "PPV", "%", false, "100 [100, 100]", "100 [97.1, 100]", 97, 100, 97, 100, false},
    {"day1_pvd_mm_per_mm2", "PVD", "mm/mm2", true, "17.2 (4.7)", "14.7 (3.8)", 15.5, 19, 13, 16.5, false},
    {"day1_tvd_mm_per_mm2", "TVD", "mm/mm2", false, "16.6 [13.8, 19.8]", "15.0 [13.3, 16.5]", -kInf, kInf, -kInf, kInf,
     false},
    {"day1_crt_s", "capillary refill time", "s", false, "2 [2, 4]", "4 [2, 7.5]", 2, 4, 2.5, 6, true},
    {"day1_mottling_score", "mottling score", "", false, "0 [0, 0]", "0 [0, 2]", 0, 1, 0, 1, false},
    {"day1_creatinine_umol_per_L", "creatinine", "umol/L", false, "146 [85, 230]", "215 [142, 287]", 85, 230, 142, 287,
     true},
};

// Table 1's levels by dose group against the model's cohort (calibration, plan OBS-1).
std::string table1_levels(const nlohmann::json& o) {
  if (!o.contains("table1") || !o["table1"].contains("rows")) return "";
  const auto& t = o["table1"];
  const auto& rows = t["rows"];
  const long n_low = t["n"][0].get<long>(), n_high = t["n"][1].get<long>();
  std::string md = fmt::format(
      "\nTable 1's levels by day-1 NE dose group (<= 0.5 / > 0.5 ug/kg/min; the study's Table 1, seed 002) against "
      "the cohort's (calibration: bands and ordering declared in the plan, OBS-1; the model's value is the statistic "
      "the study reports, mean (SD) or median [IQR]). Model groups: n = {} / {}.\n\n"
      "| Day 1 | Study, NE <= 0.5 | Study, NE > 0.5 | Band, low / high | Model, NE <= 0.5 | Model, NE > 0.5 | "
      "Status |\n|---|---|---|---|---|---|---|\n",
      n_low, n_high);
  auto stat = [](const nlohmann::json& d, bool mean, double& centre) {
    auto g = [&](const char* k) { return d.contains(k) && d[k].is_number() ? d[k].get<double>() : std::nan(""); };
    centre = mean ? g("mean") : g("median");
    if (!std::isfinite(centre)) return std::string("-");
    return mean ? fmt::format("{:.3g} ({:.2g})", centre, g("sd"))
                : fmt::format("{:.3g} [{:.3g}, {:.3g}]", centre, g("q1"), g("q3"));
  };
  auto band = [](double lo, double hi) {
    if (!std::isfinite(lo) && !std::isfinite(hi)) return std::string("informative");
    if (!std::isfinite(hi)) return fmt::format(">= {:g}", lo);
    return fmt::format("{:g} - {:g}", lo, hi);
  };
  for (const auto& r : kTable1) {
    if (!rows.contains(r.column)) continue;
    double lo = 0.0, hi = 0.0;
    const std::string ml = stat(rows[r.column]["low"], r.mean, lo), mh = stat(rows[r.column]["high"], r.mean, hi);
    const bool graded = std::isfinite(r.low_min) || std::isfinite(r.low_max);
    const bool in = lo >= r.low_min && lo <= r.low_max && hi >= r.high_min && hi <= r.high_max;
    const bool order = !r.higher_in_high || hi > lo;
    std::string status = graded ? (in ? "pass" : "**outside**") : "-";
    if (r.higher_in_high) status += order ? ", high > low" : ", **high <= low**";
    md += fmt::format("| {}{} | {} | {} | {} / {} | {} | {} | {} |\n", r.label,
                      *r.unit ? fmt::format(" ({})", r.unit) : std::string(), r.study_low, r.study_high,
                      band(r.low_min, r.low_max), band(r.high_min, r.high_max), ml, mh, status);
    if (std::string(r.column) == "day1_hr_bpm") {
      const auto sd = [&](const char* g) {
        const auto& d = rows[r.column][g];
        return d.contains("sd") && d["sd"].is_number() ? d["sd"].get<double>() : std::nan("");
      };
      const double s0 = sd("low"), s1 = sd("high");
      md += fmt::format("| heart rate, SD within group (bpm) | 18.6 | 15.1 | >= 12 / >= 12 | {:.3g} | {:.3g} | {} |\n",
                        s0, s1, s0 >= 12 && s1 >= 12 ? "pass" : "**outside**");
    }
  }
  if (rows.contains("death_28d")) {
    const auto& d = rows["death_28d"];
    const double d0 = d["deaths"][0].get<double>(), d1 = d["deaths"][1].get<double>();
    const double a0 = d["survivors"][0].get<double>(), a1 = d["survivors"][1].get<double>();
    const double m0 = d0 / std::max(1.0, d0 + a0), m1 = d1 / std::max(1.0, d1 + a1);
    const bool in = m0 >= 0.17 && m0 <= 0.46 && m1 >= 0.47 && m1 <= 0.80;
    md += fmt::format("| 28-day mortality (%) | 29.7 (11/37) | 65.5 (19/29) | 17 - 46 / 47 - 80 | {:.1f} | {:.1f} | {}, {} |\n",
                      100.0 * m0, 100.0 * m1, in ? "pass" : "**outside**", m1 > m0 ? "high > low" : "**high <= low**");
  }
  const double share = static_cast<double>(n_high) / static_cast<double>(std::max(1L, n_low + n_high));
  md += fmt::format("| share of patients above NE 0.5 (%) | 56 (37/66) | 44 (29/66) | - / 32 - 56 | {:.1f} | {:.1f} | {} |\n",
                    100.0 * (1.0 - share), 100.0 * share, share >= 0.32 && share <= 0.56 ? "pass" : "**outside**");
  return md;
}

// The cohort size from which the breakpoints are graded against 0.6-0.9 (issue 7: n = 1000).
constexpr int kBreakpointGradedFromPatients = 1000;

std::string replication_table(const trial::TrialSpec& spec, const nlohmann::json& analysis) {
  const auto& o = analysis["observational"][spec.protocols.front()];
  std::string md = fmt::format(
      "### n = {}\n\n`coherence trial {} --patients {} --docs docs` (seed {}; {} patients with day-1 values).\n\n"
      "| Day 1, NE dose vs | Study r | Model r (Pearson) | Spearman | Band (+-0.15) | Status | Study breakpoint | "
      "Model breakpoint [95% CI] | Band | Status | Model slope below / above |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|\n",
      spec.patients, "scenarios/" + std::filesystem::path(spec.file).filename().string(), spec.patients, spec.seed,
      o.value("n", 0));
  auto get = [](const nlohmann::json& j, const char* a, const char* b) {
    return j.contains(a) && j[a].contains(b) && j[a][b].is_number() ? j[a][b].get<double>() : std::nan("");
  };
  for (const auto& t : kStudy) {
    const nlohmann::json c = o["correlations"].contains(t.column) ? o["correlations"][t.column] : nlohmann::json::object();
    const double r = get(c, "pearson", "r"), rho = get(c, "spearman", "r");
    const bool r_ok = std::abs(r - t.r) <= 0.15;
    const nlohmann::json pw = o["piecewise"].contains(t.column) ? o["piecewise"][t.column] : nlohmann::json::object();
    const bool has_bp = pw.contains("breakpoint");
    const double bp = has_bp ? pw["breakpoint"].get<double>() : std::nan("");
    const bool bp_target = std::string(t.column) == "day1_mfi" || std::string(t.column) == "day1_ppv_pct" ||
                           std::string(t.column) == "day1_hi";
    // Issue 7 grades the breakpoints at n = 1000; at the study's size (n = 66) they are shown only.
    const bool bp_graded = bp_target && o.value("n", 0) >= kBreakpointGradedFromPatients;
    const bool bp_ok = bp >= 0.6 && bp <= 0.9;
    const bool r_target = std::string(t.column) != "day1_mottling_score";
    const double below = pw.value("slope_below", std::nan(""));
    const double above = pw.value("slope_above", std::nan(""));
    md += fmt::format("| {} | {:+.3f} | {:+.3f} | {:+.3f} | {} | {} | {:.2f} | {} | {} | {} | {} |\n", t.label, t.r, r,
                      rho,
                      r_target ? fmt::format("{:+.2f} to {:+.2f}", t.r - 0.15, t.r + 0.15) : "informative",
                      r_target ? (r_ok ? "pass" : "**FAIL**") : "-", t.breakpoint,
                      has_bp ? fmt::format("{:.2f} [{:.2f}, {:.2f}]", bp, pw["ci_low"].get<double>(),
                                           pw["ci_high"].get<double>())
                             : "-",
                      bp_graded ? "0.6 - 0.9" : (bp_target ? "0.6 - 0.9 at n = 1000" : "informative"),
                      bp_graded ? (bp_ok ? "pass" : "**FAIL**") : "-",
                      has_bp ? fmt::format("{:+.3g} / {:+.3g}", below, above) : "-");
  }
  md += "\nSlopes are the piecewise fit's on each side of its breakpoint, per ug/kg/min (informative): the study "
        "describes perfusion deteriorating beyond its breakpoints, i.e. a steeper slope above than below.\n";
  md += table1_levels(o);
  const auto& s = o["survival_by_cliff"];
  const double mortality = s.value("mortality_28d", std::nan(""));
  md += fmt::format("\n28-day mortality {:.1f}% (band 30-50%: {}).", 100.0 * mortality,
                    mortality >= 0.30 && mortality <= 0.50 ? "pass" : "**FAIL**");
  if (s.contains("cox_adjusted") && s["cox_adjusted"].contains("terms")) {
    const auto& t = s["cox_adjusted"]["terms"][0];
    if (t.value("possibly_infinite", false)) {
      md += fmt::format(" Adjusted Cox HR of NE > {:g}: not estimable (monotone likelihood: its coefficient "
                        "diverges, e.g. no deaths above the threshold).",
                        spec.analysis.cliff_threshold);
    } else if (t["hazard_ratio"].is_number() && t["hr_ci_low"].is_number() && t["hr_ci_high"].is_number()) {
      md += fmt::format(" Adjusted Cox HR of NE > {:g}: {:.2f} [{:.2f}, {:.2f}] (study: 1.32 [1.28, 3.10]; "
                        "informative).",
                        spec.analysis.cliff_threshold, t["hazard_ratio"].get<double>(), t["hr_ci_low"].get<double>(),
                        t["hr_ci_high"].get<double>());
    }
  }
  return md + "\n";
}

void write_replication_docs(const trial::TrialSpec& spec, const nlohmann::json& analysis,
                            const std::filesystem::path& docs) {
  const std::filesystem::path file = docs / "validation.md";
  std::ifstream in(file);
  if (!in) throw scenario::InputError(fmt::format("{}: --docs: no validation.md there", file.string()));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  const std::string heading = "## Observational replication (trials)";
  const std::string begin = fmt::format("<!-- observational-replication:n={}:begin (generated by `coherence trial "
                                        "... --docs docs`) -->",
                                        spec.patients);
  const std::string end = fmt::format("<!-- observational-replication:n={}:end -->", spec.patients);
  const std::string block = begin + "\n" + replication_table(spec, analysis) + end + "\n";
  const auto b = text.find(begin), e = text.find(end);
  if (b != std::string::npos && e != std::string::npos && e > b) {
    text = text.substr(0, b) + block + text.substr(e + end.size() + 1);
  } else {
    if (text.find(heading) == std::string::npos) {
      text += "\n" + heading + "\n\nThe source study's day-1 findings (BRIEF.md) against the virtual cohort of "
              "`scenarios/trial_observational_replication.toml` (docs/trials.md). Each table is generated by the "
              "command above it; `coherence validate --docs` keeps them.\n\n";
    }
    text += block;
  }
  output::write_file_atomic(file, text);
}

// The CONSORT counts and each arm's headline, printed after a trial.
void print_consort(const trial::TrialSpec& spec, const nlohmann::json& summary) {
  const auto& c = summary["consort"];
  std::string reasons;
  for (const auto& [name, n] : c["excluded_by"].items()) {
    reasons += fmt::format("{}{} {}", reasons.empty() ? "" : ", ", n.get<int>(), name);
  }
  fmt::print("  screened {}, excluded {}{}, randomised {}, analysed {}\n", c["screened"].get<int>(),
             c["excluded"].get<int>(), reasons.empty() ? "" : " (" + reasons + ")", c["randomised"].get<int>(),
             c["analysed"].get<int>());
  for (const auto& arm : spec.protocols) {
    const auto& a = summary["by_arm"][arm];
    auto mean = [&](const char* k) { return a.contains(k) ? a[k].get<double>() : std::nan(""); };
    fmt::print("  {}: 28-day mortality {:.1f}% (predicted {:.1f}%), NE {:.1f} mg over {:.1f} h, fluids {:.0f} mL\n",
               arm, 100.0 * mean("mean_death_28d"), 100.0 * mean("mean_predicted_mortality_28d"),
               mean("mean_ne_cumulative_mg"), mean("mean_ne_h"), mean("mean_fluids_in_mL"));
  }
}

// --replay ID [--arm NAME]: one patient of the trial alone, as `coherence run` writes a run, plus
// its patients.csv rows (the trial's bytes) and the --set list that reproduces it with `run`.
int replay_patient(const trial::TrialSpec& spec, const TrialOptions& opts) {
  if (opts.replay > spec.patients) {
    throw scenario::InputError(fmt::format("--replay {}: the trial has {} patients", opts.replay, spec.patients));
  }
  const std::vector<trial::Arm> arms =
      opts.arm.empty() ? spec.arms : std::vector<trial::Arm>{trial::find_arm(spec, opts.arm)};
  const std::filesystem::path out = opts.out_dir;
  output::prepare_output_folder(out, [](const std::string& n) {
    return n == "patients.csv" || n == "overrides.txt" || n == "summary.json" ||
           (n.starts_with("timeseries_") && n.ends_with(".csv")) || (n.starts_with("decisions_") && n.ends_with(".csv"));
  });
  const trial::Patient p = trial::sample_patient(spec.cohort, spec.seed, opts.replay);
  std::string csv = trial::patients_csv_header(spec), overrides;
  nlohmann::json summary;
  summary["trial"] = spec.name;
  summary["patient_id"] = opts.replay;
  for (const auto& arm : arms) {
    run::RunResult r;
    const trial::PatientRows rows = trial::run_patient(spec, opts.replay, {}, arm.name, &r);
    for (const auto& row : rows.rows) csv += row;
    output::write_file_atomic(out / fmt::format("timeseries_{}.csv", arm.name),
                              run::format_timeseries_csv(r.rows));
    output::write_file_atomic(out / fmt::format("decisions_{}.csv", arm.name), run::format_decisions_csv(r.decisions));
    overrides += fmt::format("# arm {}: coherence run {}", arm.name, spec.scenario_file.string());
    for (const auto& o : trial::patient_overrides(spec, p, arm)) overrides += " --set " + o.key + "=" + o.value;
    overrides += "\n";
    summary["arms"][arm.name] = {{"protocol", arm.protocol}, {"rows", r.rows.size()}, {"decisions", r.decisions.size()},
                                 {"excluded_by", rows.excluded_by}};
  }
  output::write_file_atomic(out / "patients.csv", csv);
  output::write_file_atomic(out / "overrides.txt", overrides);
  output::write_json(out / "summary.json", summary);
  fmt::print("{}: patient {} replayed in {} arm(s) -> {}\n", spec.name, opts.replay, arms.size(), out.string());
  return 0;
}

}  // namespace

int run_trial(const TrialOptions& opts) {
  // trial.* keys are the trial file's (checked by load_trial); the others the base scenario's.
  auto parse = [](const std::string& text) {
    const auto eq = text.find('=');
    if ((text.rfind("trial.", 0) == 0 || text.rfind("outcome_model.", 0) == 0) && eq != std::string::npos) {
      return scenario::Override{text.substr(0, eq), text.substr(eq + 1), text};
    }
    return scenario::parse_override(text);
  };
  std::vector<scenario::Override> overrides;
  for (const auto& o : opts.overrides) overrides.push_back(parse(o));
  if (opts.patients > 0) overrides.push_back(parse(fmt::format("trial.patients={}", opts.patients)));
  if (opts.seed >= 0) overrides.push_back(parse(fmt::format("trial.seed={}", opts.seed)));
  const trial::TrialSpec spec = trial::load_trial(opts.trial_file, overrides);
  if (!opts.docs_dir.empty() && std::filesystem::path(spec.file).filename().string().find("observational") == std::string::npos) {
    throw scenario::InputError(fmt::format("--docs: {} is not an observational replication (its name has no "
                                           "'observational')", spec.file));
  }
  if (!opts.arm.empty() && opts.replay == 0) throw scenario::InputError("--arm NAME goes with --replay ID");
  if (opts.replay > 0) return replay_patient(spec, opts);
  const std::filesystem::path out = opts.out_dir;
  const MpiSession mpi;
  const std::string journal = mpi.size > 1 ? fmt::format("patients.rank{}.partial.csv", mpi.rank) : "patients.partial.csv";
  // One trial at a time in a folder (rank 0 holds the lock for all the ranks).
  std::optional<output::FolderLock> lock;
  std::string lock_error;
  if (mpi.rank == 0) {
    try {
      lock.emplace(out, "trial");
    } catch (const std::exception& e) {
      lock_error = e.what();
    }
  }
  if (!mpi.all_ok(lock_error.empty() ? 0 : 1)) {
    if (!lock_error.empty()) throw std::runtime_error(lock_error);
    return 1;
  }
  int prepared = 0;
  std::string prepare_error;
  try {
    if (!opts.resume) {
      // An interrupted trial is never discarded silently.
      std::error_code ec;
      for (const auto& entry : std::filesystem::directory_iterator(out, ec)) {
        if (mpi.rank == 0 && trial::is_journal_name(entry.path().filename().string())) {
          throw scenario::InputError(fmt::format("{}: holds an interrupted trial ({}): pass --resume to continue it, "
                                                 "or remove the folder to start afresh",
                                                 out.string(), entry.path().filename().string()));
        }
      }
      if (mpi.rank == 0) {
        output::prepare_output_folder(out, [](const std::string& n) {
          return n == "patients.csv" || n == "cohort.csv" || n == "summary.json" || n == "analysis.json" ||
                 n.starts_with("km.") || n.starts_with("forest.") || n.starts_with("ne_vs_micro.") ||
                 (n.rfind("patients", 0) == 0 && n.ends_with(".partial.csv"));
        });
        std::error_code rm;
        std::filesystem::remove_all(out / "decisions", rm);  // an earlier trial's logs
      }
    } else if (!std::filesystem::exists(out / journal)) {
      throw scenario::InputError(
          fmt::format("{}: --resume: no interrupted trial here ({} missing)", out.string(), journal));
    }
  } catch (const scenario::InputError& e) {
    prepared = 1;
    prepare_error = e.what();
  }
  if (!mpi.all_ok(prepared)) {
    if (!prepare_error.empty()) throw scenario::InputError(prepare_error);
    return 2;
  }
  trial::TrialOptions to;
  to.out_dir = out;
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  to.threads = opts.threads > 0 ? static_cast<unsigned>(opts.threads)
                                : std::max(1u, cores / static_cast<unsigned>(mpi.size));
  to.resume = opts.resume;
  to.decisions = opts.decisions;
  to.progress = isatty(STDERR_FILENO) != 0 && mpi.rank == 0;
  to.progress_log = isatty(STDERR_FILENO) == 0 && mpi.rank == 0;
  // The log line's interval (s): COHERENCE_PROGRESS_SECONDS overrides 5 (0: after every patient).
  if (const char* env = std::getenv("COHERENCE_PROGRESS_SECONDS")) {
    char* end = nullptr;
    const double v = std::strtod(env, &end);
    if (end != env && *end == '\0' && v >= 0.0 && v <= 86400.0) to.progress_interval_s = v;
  }
  to.rank = mpi.rank;
  to.ranks = mpi.size;
  const auto t0 = std::chrono::steady_clock::now();
  std::optional<trial::TrialRun> r;
  int ran = 0;
  try {
    r = trial::run_trial(spec, to);
  } catch (const std::exception& e) {
    if (mpi.size == 1) throw;
    std::fprintf(stderr, "coherence: trial: rank %d: %s\n", mpi.rank, e.what());
    ran = 1;
  }
  if (!mpi.all_ok(ran)) {
    std::fprintf(stderr, "coherence: trial: rank %d of %d: a rank failed; the journals in %s keep the finished "
                         "patients (--resume)\n", mpi.rank, mpi.size, out.string().c_str());
    return 1;
  }
  if (mpi.size > 1) {
    // Rank 0 merges every rank's journal into the final, sorted files.
    if (mpi.rank != 0) return 0;
    trial::merge_rank_journals(spec, out, mpi.size);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const trial::Table table = trial::Table::read_csv(out / "patients.csv");
  const nlohmann::json summary = summarise(spec, table);
  output::write_json(out / "summary.json", summary);
  const nlohmann::json analysis = trial::analyse_trial(spec, table);
  output::write_json(out / "analysis.json", analysis);
  if (!opts.docs_dir.empty()) write_replication_docs(spec, analysis, opts.docs_dir);
  if (!opts.no_plot) {
    for (const auto& problem : trial::plot_trial(spec, analysis, table, out)) {
      std::fprintf(stderr, "coherence: warning: plot not drawn: %s\n", problem.c_str());
    }
  }
  trial::finish_trial(out);  // every output is written: the journal goes
  if (mpi.size > 1) {
    fmt::print("{}: {} patients x {} protocols on {} MPI ranks in {:.1f} s -> {}\n", spec.name, spec.patients,
               spec.protocols.size(), mpi.size, seconds, out.string());
  } else {
    fmt::print("{}: {} patients x {} arms ({} run now, {} resumed, {} failed rows) in {:.1f} s -> {}\n",
               spec.name, spec.patients, spec.protocols.size(), r->patients_run, r->patients_resumed, r->failed_rows,
               seconds, out.string());
  }
  print_consort(spec, summary);
  return 0;
}

}  // namespace coherence::cli
