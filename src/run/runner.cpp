#include "run/runner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <set>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "model/microcirculation.hpp"
#include "model/simulator.hpp"
#include "protocol/monitor.hpp"

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
    "nitroglycerin_ug_per_min"};

// What the scenario's events and the protocol have set at a given time.
struct Timeline {
  protocol::Infusions infusions;
  double maintenance_mL_per_min = 0.0;
  double severity = 0.0;
  struct Bolus {
    double end_min;
    double rate_mL_per_min;
    scenario::Fluid fluid;
  };
  std::vector<Bolus> boluses;

  model::Inputs inputs(double t, const model::ModelParams& p) const {
    model::Inputs in;
    in.ne_dose_ug_per_kg_min = infusions.ne_ug_per_kg_min;
    in.vasopressin_U_per_min = infusions.vasopressin_U_per_min;
    in.epinephrine_ug_per_kg_min = infusions.epinephrine_ug_per_kg_min;
    in.dobutamine_ug_per_kg_min = infusions.dobutamine_ug_per_kg_min;
    in.nitroglycerin_ug_per_min = infusions.nitroglycerin_ug_per_min;
    in.sepsis_severity = severity;
    in.crystalloid_mL_per_min = maintenance_mL_per_min;
    for (const auto& b : boluses) {
      if (t >= b.end_min) continue;
      switch (b.fluid) {
        case scenario::Fluid::kCrystalloid: in.crystalloid_mL_per_min += b.rate_mL_per_min; break;
        case scenario::Fluid::kAlbumin5pct:
        case scenario::Fluid::kAlbumin20pct: {
          const double g_per_L = b.fluid == scenario::Fluid::kAlbumin5pct ? p.drugs.albumin_5pct_g_per_L
                                                                          : p.drugs.albumin_20pct_g_per_L;
          in.albumin_solution_mL_per_min += b.rate_mL_per_min;
          in.albumin_g_per_min += b.rate_mL_per_min * g_per_L / 1000.0;
          break;
        }
        case scenario::Fluid::kPackedCells: in.packed_cells_mL_per_min += b.rate_mL_per_min; break;
      }
    }
    return in;
  }
};

std::vector<double> sample(const model::Simulator& sim, const model::Network& network, double fluid_in_at_0,
                           double fluid_out_at_0) {
  const model::Observables o = sim.observe();
  // Ground truth of the capillary networks over the observation window starting now.
  const model::MicroMetrics micro =
      model::evaluate_network(sim.params().micro, network, o.micro_drivers, sim.time_min() * 60.0);
  const model::StateVector y = sim.state();
  const auto& c = o.circulation;
  const double in_mL = y[model::kFluidIn] - fluid_in_at_0;
  const double out_mL = y[model::kFluidOut] - fluid_out_at_0;
  return {sim.time_min(),
          c.arterial_mmHg,
          o.tone.heart_rate_bpm,
          c.lv_output_mL_per_min / 1000.0,
          c.central_mmHg,
          o.svr_dyn_s_per_cm5,
          c.mean_systemic_filling_mmHg,
          o.blood_volume_mL,
          sim.inputs().ne_dose_ug_per_kg_min,
          o.ne_plasma_ug_per_L,
          in_mL,
          y[model::kLactate],
          micro.crt_s,
          micro.mottling_score,
          o.oxygen.delivery_mL_per_min,
          o.oxygen.consumption_mL_per_min,
          micro.mean.mfi,
          micro.mean.ppv_pct,
          micro.mean.tvd_mm_per_mm2,
          micro.mean.pvd_mm_per_mm2,
          micro.hi,
          c.lv_stroke_volume_mL,
          o.haematocrit,
          o.oxygen.haemoglobin_g_per_dL,
          o.plasma_volume_mL,
          y[model::kInterstitialVolume],
          in_mL - out_mL,
          o.fluids.urine_mL_per_min * 60.0,
          o.fluids.filtration_mL_per_min,
          y[model::kInflammation],
          y[model::kIl6],
          o.oxygen.extraction_fraction,
          y[model::kVascularSympathetic],
          micro.mean.mfi_vessel,
          micro.mean.debacker_per_mm,
          micro.mean.rbc_velocity_um_per_s,
          micro.skin_perfused_fraction,
          o.micro.perfused_fraction,
          o.micro.extraction_capacity,
          micro.nonperfused_stopped_pct,
          micro.nonperfused_stop_go_pct,
          micro.nonperfused_few_rbc_pct,
          o.micro_drivers.perfusion_ratio,
          o.micro_drivers.tissue_pressure_rise_mmHg,
          micro.ne_precapillary_factor,
          sim.inputs().vasopressin_U_per_min,
          sim.inputs().epinephrine_ug_per_kg_min,
          sim.inputs().dobutamine_ug_per_kg_min,
          sim.inputs().nitroglycerin_ug_per_min};
}

std::unique_ptr<protocol::Protocol> make_protocol(const scenario::ProtocolSpec& spec,
                                                  const model::PatientParams& patient) {
  std::unique_ptr<protocol::Protocol> p;
  using Signal = protocol::PerfusionGuidedProtocol::Signal;
  if (spec.name == "map_target") p = std::make_unique<protocol::MapTargetProtocol>(spec.map_target);
  if (spec.name == "macro_first") p = std::make_unique<protocol::MacroFirstProtocol>(spec.guided.macro);
  if (spec.name == "micro_guided") p = std::make_unique<protocol::MicroGuidedProtocol>(spec.guided);
  if (spec.name == "crt_guided") p = std::make_unique<protocol::PerfusionGuidedProtocol>(Signal::kCrt, spec.perfusion);
  if (spec.name == "lactate_guided") {
    p = std::make_unique<protocol::PerfusionGuidedProtocol>(Signal::kLactate, spec.perfusion);
  }
  if (p) p->set_history({patient.weight_kg, patient.usual_map_mmHg});
  return p;  // null for fixed: scripted events only, nothing to decide
}

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
                       const VideoMicroMeasurer& video_measurer) {
  if (s.monitoring.micro_method == "render_score" && !video_measurer) {
    throw std::logic_error("render_score monitoring needs a video measurer");
  }
  using scenario::EventAction;
  RunResult result;
  const double t_end = s.duration_min;
  double t_start = std::min(0.0, s.sepsis_onset_min);
  if (!s.events.empty()) t_start = std::min(t_start, s.events.front().at_min);
  result.start_min = t_start;

  // Breakpoints: sepsis onset, every event, every bolus end, t = 0 (the output origin), and the
  // protocol's decision epochs and monitoring moments. A set, so protocol boluses can add theirs.
  std::set<double> breaks = {t_start, 0.0, t_end};
  if (s.sepsis_onset_min > t_start && s.sepsis_onset_min < t_end) breaks.insert(s.sepsis_onset_min);
  for (const auto& e : s.events) {
    breaks.insert(e.at_min);
    if (e.action == EventAction::kBolus) breaks.insert(std::min(e.at_min + e.duration_min, t_end));
  }
  for (double t : dump_times_min) breaks.insert(t);
  for (const auto& m : s.measurements) breaks.insert(m.at_min);
  std::unique_ptr<protocol::Protocol> controller = make_protocol(s.protocol, s.params.patient);
  protocol::Monitor monitor(s.monitoring, s.seed);
  const double p_start = s.protocol.start_min;
  auto on_grid = [](double t, double start, double step) {
    const double k = (t - start) / step;
    return t >= start - 1e-9 && std::abs(k - std::round(k)) < 1e-9;
  };
  if (controller) {
    const auto add_grid = [&](double step) {
      for (long k = 0; p_start + static_cast<double>(k) * step < t_end; ++k) breaks.insert(p_start + static_cast<double>(k) * step);
    };
    add_grid(controller->decision_interval_min());
    add_grid(s.monitoring.lactate_interval_min);
    add_grid(s.monitoring.crt_interval_min);
  }

  model::Simulator sim(s.params, t_start);
  result.network = model::generate_network(s.params.micro, s.seed);
  const model::Network& network = result.network;
  auto snapshot_if_requested = [&](double t) {
    for (double d : dump_times_min) {
      if (d == t) result.snapshots.push_back({t, sim.observe().micro_drivers});
    }
  };
  Timeline timeline;
  std::size_t next_event = 0;
  bool sepsis_started = false;
  long next_output = 0;
  double fluid_in_0 = 0.0, fluid_out_0 = 0.0;
  auto output_time = [&](long k) { return static_cast<double>(k) * s.output_interval_min; };
  std::vector<double> map_targets;  // the protocol's target at each output row
  auto measure_if_named = [&](double t) {
    for (const auto& m : s.measurements) {
      if (m.at_min == t) result.measurements.emplace_back(m.name, sample(sim, network, fluid_in_0, fluid_out_0));
    }
  };
  auto record = [&] {
    if (result.rows.empty()) {  // t = 0: the origin of the cumulative fluid columns
      fluid_in_0 = sim.state()[model::kFluidIn];
      fluid_out_0 = sim.state()[model::kFluidOut];
    }
    result.rows.push_back(sample(sim, network, fluid_in_0, fluid_out_0));
    map_targets.push_back(controller && controller->map_target_mmHg() ? *controller->map_target_mmHg() : 0.0);
    ++next_output;
    if (result.rows.back()[1] < kCirculatoryArrestMap_mmHg) result.arrest_min = sim.time_min();
  };

  try {
    for (auto it = breaks.begin(); std::next(it) != breaks.end(); ++it) {
      const double t0 = *it;
      // Apply everything that happens at t0: the sepsis course starts at its onset (a breakpoint);
      // severity events change it from then on.
      if (!sepsis_started && t0 >= s.sepsis_onset_min) {
        timeline.severity = s.sepsis_severity;
        sepsis_started = true;
      }
      while (next_event < s.events.size() && s.events[next_event].at_min <= t0) {
        const auto& e = s.events[next_event++];
        auto& inf = timeline.infusions;
        switch (e.action) {
          case EventAction::kNeDose: inf.ne_ug_per_kg_min = e.dose_ug_per_kg_min; break;
          case EventAction::kVasopressin: inf.vasopressin_U_per_min = e.rate_U_per_min; break;
          case EventAction::kEpinephrine: inf.epinephrine_ug_per_kg_min = e.dose_ug_per_kg_min; break;
          case EventAction::kDobutamine: inf.dobutamine_ug_per_kg_min = e.dose_ug_per_kg_min; break;
          case EventAction::kNitroglycerin: inf.nitroglycerin_ug_per_min = e.rate_ug_per_min; break;
          case EventAction::kMaintenance: timeline.maintenance_mL_per_min = e.rate_mL_per_h / 60.0; break;
          case EventAction::kSepsisSeverity:
            if (e.at_min >= s.sepsis_onset_min) timeline.severity = e.severity;
            break;
          case EventAction::kBolus:
            timeline.boluses.push_back({e.at_min + e.duration_min, e.volume_mL / e.duration_min, e.fluid});
            break;
          case EventAction::kSet:
            sim.set_params(e.after_set->params);
            monitor.set_noise(e.after_set->monitoring);
            if (controller && e.key == "protocol.map_target_mmHg") controller->set_map_target_mmHg(e.value);
            break;
        }
      }
      // The protocol observes through the monitors and acts.
      if (controller && t0 >= p_start - 1e-9) {
        const model::Observables o = sim.observe();
        if (monitor.lactate_due(t0, p_start)) monitor.draw_lactate(t0, sim.state()[model::kLactate]);
        if (monitor.crt_due(t0, p_start)) {
          const auto skin = model::evaluate_network(s.params.micro, network, o.micro_drivers, t0 * 60.0);
          monitor.examine_crt(t0, skin.crt_s, skin.mottling_score);
        }
        if (on_grid(t0, p_start, controller->decision_interval_min())) {
          const protocol::Observations obs = monitor.observe(t0, o.circulation.arterial_mmHg, o.tone.heart_rate_bpm,
                                                             o.circulation.lv_output_mL_per_min / 1000.0,
                                                             timeline.infusions);
          for (const protocol::Action& a : controller->decide(obs)) {
            auto& inf = timeline.infusions;
            if (a.ne_dose_ug_per_kg_min) inf.ne_ug_per_kg_min = *a.ne_dose_ug_per_kg_min;
            if (a.vasopressin_U_per_min) inf.vasopressin_U_per_min = *a.vasopressin_U_per_min;
            if (a.dobutamine_ug_per_kg_min) inf.dobutamine_ug_per_kg_min = *a.dobutamine_ug_per_kg_min;
            if (a.nitroglycerin_ug_per_min) inf.nitroglycerin_ug_per_min = *a.nitroglycerin_ug_per_min;
            DecisionRow row{t0, controller->name(), obs, controller->map_target_mmHg(), inf, 0.0, a.what, a.reason};
            if (a.bolus_mL && *a.bolus_mL > 0.0) {
              row.bolus_mL = *a.bolus_mL;
              timeline.boluses.push_back(
                  {t0 + a.bolus_duration_min, *a.bolus_mL / a.bolus_duration_min, scenario::Fluid::kCrystalloid});
              breaks.insert(std::min(t0 + a.bolus_duration_min, t_end));
            }
            result.decisions.push_back(std::move(row));
          }
          // A sublingual measurement the protocol asked for: 5 sites, ground truth + noise.
          if (controller->wants_micro_measurement()) {
            if (s.monitoring.micro_method == "render_score") {
              const auto [mfi, ppv] = video_measurer(s.params.micro, network, o.micro_drivers, t0 * 60.0);
              monitor.record_micro(t0, mfi, ppv);
            } else {
              const auto micro = model::evaluate_network(s.params.micro, network, o.micro_drivers, t0 * 60.0);
              monitor.measure_micro(t0, micro.mean.mfi, micro.mean.ppv_pct);
            }
          }
        }
      }
      const double t1 = *std::next(it);
      sim.set_inputs(timeline.inputs(t0, sim.params()), t1);
      snapshot_if_requested(t0);
      if (output_time(next_output) == t0) record();
      measure_if_named(t0);
      while (!result.arrest_min && output_time(next_output) < t1 - 1e-9) {
        sim.advance_to(output_time(next_output));
        record();
      }
      if (result.arrest_min) break;
      sim.advance_to(t1);
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
  result.solver = sim.statistics();
  return result;
}

}  // namespace coherence::run
