#include "run/runner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "model/microcirculation.hpp"
#include "run/session.hpp"

namespace coherence::run {

namespace {

const std::vector<std::string> kColumns = {
    // DESIGN.md contract.
    "time_min", "map_mmHg", "hr_bpm", "co_L_per_min", "cvp_mmHg", "svr_dyn_s_per_cm5", "pmsf_mmHg",
    "blood_volume_mL", "ne_dose_ug_per_kg_min", "ne_plasma_ug_per_L", "fluids_in_mL", "lactate_mmol_per_L",
    "crt_s", "mottling_score", "do2_mL_per_min", "vo2_mL_per_min", "mfi", "ppv_pct", "tvd_mm_per_mm2",
    "pvd_mm_per_mm2", "hi",
    // Extras.
    "stroke_volume_mL", "haematocrit", "haemoglobin_g_per_dL", "plasma_volume_mL", "interstitial_volume_mL",
    "fluid_balance_mL", "urine_mL_per_h", "capillary_filtration_mL_per_min", "inflammation", "il6_pg_per_mL",
    "o2_extraction", "sympathetic_activity", "mfi_vessel", "debacker_per_mm", "rbc_velocity_um_per_s",
    "skin_perfused_fraction", "perfused_fraction_meanfield", "extraction_capacity", "nonperfused_stopped_pct",
    "nonperfused_stop_go_pct", "nonperfused_few_rbc_pct", "perfusion_pressure_ratio", "tissue_pressure_rise_mmHg",
    "ne_precapillary_factor", "vasopressin_U_per_min", "epinephrine_ug_per_kg_min", "dobutamine_ug_per_kg_min",
    "nitroglycerin_ug_per_min", "creatinine_umol_per_L", "aki_stage_creatinine", "gfr_mL_per_min", "renal_flow_ratio",
    "renal_injury", "rrt_effluent_mL_per_kg_h", "rrt_net_ultrafiltration_mL_per_h", "glycolytic_drive_mmol_per_kg_h",
    "hypoxic_lactate_mmol_per_min", "lactate_clearance_L_per_min", "hepatic_dysfunction", "splanchnic_flow_ratio"};

}  // namespace

const std::vector<std::string>& timeseries_columns() { return kColumns; }

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


std::size_t column_index(const std::string& name) {
  const auto it = std::find(kColumns.begin(), kColumns.end(), name);
  if (it == kColumns.end()) throw std::out_of_range("unknown column " + name);
  return static_cast<std::size_t>(it - kColumns.begin());
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
    if (result.rows.back()[1] < kCirculatoryArrestMap_mmHg) result.arrest_min = session.time_min();
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
  } catch (const model::SolverError& e) {
    result.error = e.what();
  }
  // Controller performance (Varvel) on the true MAP after a 30 min settling time.
  if (controller && controller->map_target_mmHg()) {
    std::vector<double> maps, targets;
    for (std::size_t k = 0; k < result.rows.size(); ++k) {
      if (result.rows[k][0] >= p_start + 30.0) {
        maps.push_back(result.rows[k][1]);
        targets.push_back(map_targets[k]);
      }
    }
    result.varvel = protocol::varvel(maps, targets);
  }
  result.solver = session.solver_statistics();
  result.decisions = session.take_decisions();
  result.network = session.take_network();
  return result;
}

}  // namespace coherence::run
