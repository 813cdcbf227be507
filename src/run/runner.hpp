// Runs one scenario: turns its events into piecewise-constant model inputs, integrates from the
// start of the sepsis course (or t = 0) to the end, and samples the outputs.
#pragma once

#include <functional>
#include <optional>
#include <utility>
#include <string>
#include <string_view>
#include <vector>

#include "model/microcirculation.hpp"
#include "model/ode_solver.hpp"
#include "protocol/protocol.hpp"
#include "run/sample.hpp"
#include "scenario/scenario.hpp"

namespace coherence::run {

// MAP below which the circulation is considered arrested: the run stops there, because the
// model (no cardiac arrest, no death, linear vessels) is not valid beyond it.
inline constexpr double kCirculatoryArrestMap_mmHg = 20.0;

// The microcirculation's drivers at a requested time, for a per-vessel dump.
struct MicroSnapshot {
  double time_min = 0.0;
  model::MicroDrivers drivers;
};

// One protocol decision, as decisions.csv reports it.
struct DecisionRow {
  double time_min = 0.0;
  std::string protocol;
  protocol::Observations observed;
  std::optional<double> map_target_mmHg;  // in force after the action
  protocol::Infusions after;               // infusions after the action
  double bolus_mL = 0.0;
  std::string action;
  std::string reason;
};

// How a run ended: the status summary.json and a trial's patients.csv report.
enum class Termination {
  kFailed,             // the integrator could not go on (RunResult::error says why); outputs up to there
  kCompleted,          // reached the scenario's end
  kCirculatoryArrest,  // stopped at MAP < kCirculatoryArrestMap_mmHg (a completed run, outcome death)
};

// "failed", "complete" or "circulatory_arrest": the status word of summary.json and patients.csv.
std::string_view termination_name(Termination t);

struct RunResult {
  std::vector<Sample> rows;               // one per output time
  bool completed = false;                 // reached the end, or stopped at circulatory arrest
  std::optional<double> arrest_min;       // first output time with MAP < kCirculatoryArrestMap_mmHg
  std::string error;                      // why the run failed
  double start_min = 0.0;                 // where integration began (before t = 0 if sepsis did)
  Termination termination = Termination::kFailed;
  model::SolverStatistics solver;
  std::vector<std::string> solver_warnings;  // CVODE's first warnings (solver.warnings counts them all)
  model::Network network;                 // the patient's capillary networks
  std::vector<MicroSnapshot> snapshots;   // at the requested dump times, in order
  std::vector<DecisionRow> decisions;
  std::optional<protocol::VarvelMetrics> varvel;  // protocols with a MAP target: from 30 min after the start
  std::vector<std::pair<std::string, Sample>> measurements;  // named times: a row each
};

// decisions.csv: one row per action, with the observations it used and its reason.
std::string format_decisions_csv(const std::vector<DecisionRow>& rows);

// Measures the sublingual microcirculation from video (render + score): the 5 sites' networks and
// the drivers at model time t (s); returns (MFI, PPV) as scored. Supplied by the application
// (src/validation/scoring_accuracy.hpp) so that the runner does not depend on the renderer.
using VideoMicroMeasurer = std::function<std::pair<double, double>(
    const model::MicrocirculationParams&, const model::Network&, const model::MicroDrivers&, double t_s)>;

// Runs the scenario; `dump_times_min` (within [0, duration]) are sampled exactly. A scenario with
// monitoring.micro_method = "render_score" needs `video_measurer`. `network`: the patient's
// networks if already generated (as Session); they come back in RunResult::network.
RunResult run_scenario(const scenario::Scenario& s, const std::vector<double>& dump_times_min = {},
                       const VideoMicroMeasurer& video_measurer = nullptr, model::Network network = {});

}  // namespace coherence::run
