#include "run/runner.hpp"

#include <fmt/format.h>

#include "model/microcirculation.hpp"
#include "run/session.hpp"

namespace coherence::run {

std::string format_decisions_csv(const std::vector<DecisionRow>& rows) {
  std::string out =
      "time_min,protocol,map_mmHg,hr_bpm,co_L_per_min,lactate_mmol_per_L,lactate_drawn_min,crt_s,mottling_score,mfi,"
      "ppv_pct,micro_measured_min,ne_dose_before_ug_per_kg_min,action,ne_dose_after_ug_per_kg_min,"
      "vasopressin_after_U_per_min,dobutamine_after_ug_per_kg_min,nitroglycerin_after_ug_per_min,bolus_mL,"
      "map_target_mmHg,reason\n";
  auto opt = [](const std::optional<double>& v) { return v ? fmt::format("{:g}", *v) : std::string(); };
  auto quoted = [](const std::string& t) {
    std::string q = "\"";
    for (char c : t) q += (c == '"') ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  };
  for (const auto& r : rows) {
    const auto& o = r.observed;
    out += fmt::format("{:g},{},{:g},{:g},{},{},{},{},{},{},{},{},{:g},{},{:g},{:g},{:g},{:g},{:g},{},{}\n", r.time_min,
                       r.protocol, o.map_mmHg, o.hr_bpm, opt(o.co_L_per_min), opt(o.lactate_mmol_per_L),
                       opt(o.lactate_drawn_min), opt(o.crt_s), opt(o.mottling_score), opt(o.mfi), opt(o.ppv_pct),
                       opt(o.micro_measured_min), o.running.ne_ug_per_kg_min, quoted(r.action),
                       r.after.ne_ug_per_kg_min, r.after.vasopressin_U_per_min, r.after.dobutamine_ug_per_kg_min,
                       r.after.nitroglycerin_ug_per_min, r.bolus_mL, opt(r.map_target_mmHg), quoted(r.reason));
  }
  return out;
}


RunResult run_scenario(const scenario::Scenario& s, const std::vector<double>& dump_times_min,
                       const VideoMicroMeasurer& video_measurer, model::Network network) {
  RunResult result;
  // The integration stops exactly at dump and measurement times.
  std::vector<double> extra_breaks = dump_times_min;
  for (const auto& m : s.measurements) extra_breaks.push_back(m.at_min);
  Session session(s, extra_breaks, video_measurer, std::move(network));
  result.start_min = session.start_min();
  const double t_end = s.duration_min;
  const protocol::Protocol* controller = session.controller();
  const double p_start = s.protocol.start_min;

  long next_output = 0;
  auto output_time = [&](long k) { return static_cast<double>(k) * s.output_interval_min; };
  std::vector<double> map_targets;  // the protocol's target at each output row
  auto snapshot_if_requested = [&](double t) {
    for (double d : dump_times_min) {
      if (d == t) result.snapshots.push_back({t, session.simulator().observe().micro_drivers});
    }
  };
  auto measure_if_named = [&](double t) {
    for (const auto& m : s.measurements) {
      if (m.at_min == t) result.measurements.emplace_back(m.name, session.sample());
    }
  };
  auto record = [&] {
    result.rows.push_back(session.sample());
    map_targets.push_back(controller && controller->map_target_mmHg() ? *controller->map_target_mmHg() : 0.0);
    ++next_output;
    if (result.rows.back().map_mmHg < kCirculatoryArrestMap_mmHg) result.arrest_min = session.time_min();
  };

  try {
    // From break to break: apply what is due, then integrate through the output times to the next.
    while (true) {
      const double t0 = session.time_min();
      if (t0 >= t_end) break;
      const double t1 = session.apply_due();
      snapshot_if_requested(t0);
      if (output_time(next_output) == t0) record();
      measure_if_named(t0);
      while (!result.arrest_min && output_time(next_output) < t1 - 1e-9) {
        session.advance_within(output_time(next_output));
        record();
      }
      if (result.arrest_min) break;
      session.advance_within(t1);
    }
    if (!result.arrest_min && output_time(next_output) <= t_end + 1e-9) record();
    if (!result.arrest_min) {
      snapshot_if_requested(t_end);
      measure_if_named(t_end);
    }
    result.completed = true;
    result.termination = result.arrest_min ? Termination::kCirculatoryArrest : Termination::kCompleted;
  } catch (const model::SolverError& e) {
    result.error = e.what();
    result.termination = Termination::kFailed;
  }
  // Controller performance (Varvel) on the true MAP after a 30 min settling time.
  if (controller && controller->map_target_mmHg()) {
    std::vector<double> maps, targets;
    for (std::size_t k = 0; k < result.rows.size(); ++k) {
      if (result.rows[k].time_min >= p_start + 30.0) {
        maps.push_back(result.rows[k].map_mmHg);
        targets.push_back(map_targets[k]);
      }
    }
    result.varvel = protocol::varvel(maps, targets);
  }
  result.solver = session.solver_statistics();
  result.solver_warnings = session.simulator().solver_warnings();
  result.decisions = session.take_decisions();
  result.network = session.take_network();
  return result;
}

std::string_view termination_name(Termination t) {
  switch (t) {
    case Termination::kFailed: return "failed";
    case Termination::kCompleted: return "complete";
    case Termination::kCirculatoryArrest: return "circulatory_arrest";
  }
  return "failed";
}

}  // namespace coherence::run
