#include "run/session.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>

namespace coherence::run {

namespace {

std::unique_ptr<protocol::Protocol> make_protocol(const scenario::ProtocolSpec& spec,
                                                  const model::PatientParams& patient) {
  const protocol::ProtocolEntry* entry = protocol::find_protocol(spec.name);
  if (!entry) throw std::logic_error("session: protocol '" + spec.name + "' is not registered (the loader checks names)");
  if (!entry->make) return nullptr;  // scripted events only, nothing to decide
  std::unique_ptr<protocol::Protocol> p = entry->make(spec.settings);
  if (p && !(std::isfinite(p->decision_interval_min()) && p->decision_interval_min() > 0.0)) {
    throw std::logic_error("protocol '" + spec.name + "': decision interval must be a positive number of minutes");
  }
  if (p) p->set_history({patient.weight_kg, patient.usual_map_mmHg, 0.0});
  return p;
}

double start_of(const scenario::Scenario& s) {
  double t = std::min(0.0, s.sepsis_onset_min);
  if (!s.events.empty()) t = std::min(t, s.events.front().at_min);
  return t;
}

bool on_grid(double t, double start, double step) {
  const double k = (t - start) / step;
  return t >= start - 1e-9 && std::abs(k - std::round(k)) < 1e-9;
}

}  // namespace

model::Inputs Timeline::inputs(double t_min, const model::ModelParams& p) const {
  model::Inputs in;
  in.ne_dose_ug_per_kg_min = infusions.ne_ug_per_kg_min;
  in.vasopressin_U_per_min = infusions.vasopressin_U_per_min;
  in.epinephrine_ug_per_kg_min = infusions.epinephrine_ug_per_kg_min;
  in.dobutamine_ug_per_kg_min = infusions.dobutamine_ug_per_kg_min;
  in.nitroglycerin_ug_per_min = infusions.nitroglycerin_ug_per_min;
  in.sepsis_severity = severity;
  in.rrt_effluent_mL_per_kg_h = rrt_effluent_mL_per_kg_h;
  in.rrt_net_ultrafiltration_mL_per_h = rrt_net_ultrafiltration_mL_per_h;
  in.infection_course = infection_course;
  in.antibiotics = antibiotics ? 1.0 : 0.0;
  in.source_control = source_control ? 1.0 : 0.0;
  in.crystalloid_mL_per_min = maintenance_mL_per_min;
  for (const auto& b : boluses) {
    if (t_min >= b.end_min) continue;
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

Session::Session(const scenario::Scenario& s, const std::vector<double>& extra_breaks_min,
                 VideoMicroMeasurer video_measurer, model::Network network)
    : scenario_(s),
      video_measurer_(std::move(video_measurer)),
      start_min_(start_of(s)),
      controller_(make_protocol(s.protocol, s.params.patient)),
      monitor_(s.monitoring, s.seed),
      sim_(s.params, start_min_),
      network_(network.sublingual.empty() ? model::generate_network(s.params.micro, s.seed) : std::move(network)) {
  if (s.monitoring.micro_method == "render_score" && !video_measurer_) {
    throw std::logic_error("render_score monitoring needs a video measurer");
  }
  using scenario::EventAction;
  const double t_end = s.duration_min;
  // Breaks: the start, sepsis onset, every event and bolus end, t = 0 (the output origin), the
  // caller's times, and the protocol's decision epochs and monitoring moments. Protocol and user
  // boluses add their ends as they come.
  breaks_ = {start_min_, 0.0, t_end};
  if (s.sepsis_onset_min > start_min_ && s.sepsis_onset_min < t_end) breaks_.insert(s.sepsis_onset_min);
  for (double t : {s.sepsis_antibiotics_min, s.sepsis_source_control_min}) {
    if (t > start_min_ && t < t_end) breaks_.insert(t);
  }
  for (const auto& e : s.events) {
    breaks_.insert(e.at_min);
    if (e.action == EventAction::kBolus) breaks_.insert(std::min(e.at_min + e.duration_min, t_end));
  }
  for (double t : extra_breaks_min) breaks_.insert(t);
  protocol_start_min_ = s.protocol.start_min;
  set_protocol_grid(start_min_);
  fluid_in_0_ = sim_.state()[model::kFluidIn];
  fluid_out_0_ = sim_.state()[model::kFluidOut];
}

// The protocol's decision epochs and the monitors' moments, from its start, not before t_from.
void Session::set_protocol_grid(double t_from_min) {
  protocol_breaks_.clear();
  if (!controller_) return;
  const double p_start = protocol_start_min_;
  const double t_end = scenario_.duration_min;
  const auto add_grid = [&](double step) {
    for (long k = 0; p_start + static_cast<double>(k) * step < t_end; ++k) {
      const double t = p_start + static_cast<double>(k) * step;
      if (t >= t_from_min - 1e-9) protocol_breaks_.insert(t);
    }
  };
  add_grid(controller_->decision_interval_min());
  add_grid(scenario_.monitoring.lactate_interval_min);
  add_grid(scenario_.monitoring.crt_interval_min);
}

Session::Session(const Session& from, ForkTag)
    : scenario_(from.scenario_),
      video_measurer_(from.video_measurer_),
      start_min_(from.start_min_),
      breaks_(from.breaks_),
      protocol_breaks_(from.protocol_breaks_),
      protocol_start_min_(from.protocol_start_min_),
      controller_(from.controller_ ? from.controller_->clone() : nullptr),
      monitor_(from.monitor_),
      sim_(std::move(*from.sim_.branch())),
      network_(from.network_),
      timeline_(from.timeline_),
      next_event_(from.next_event_),
      sepsis_started_(from.sepsis_started_),
      autopilot_(from.autopilot_),
      started_(from.started_),
      fluid_in_0_(from.fluid_in_0_),
      fluid_out_0_(from.fluid_out_0_),
      fluid_origin_set_(from.fluid_origin_set_),
      decisions_(from.decisions_),
      lactate_drawn_min_(from.lactate_drawn_min_),
      crt_examined_min_(from.crt_examined_min_),
      last_observation_(from.last_observation_) {
  if (controller_ && controller_->name() != from.controller_->name()) {
    throw std::logic_error("protocol '" + from.controller_->name() + "' does not clone itself (clone() of a base)");
  }
}

std::unique_ptr<Session> Session::fork() {
  if (!started_) apply_due();
  // The copy first: if it cannot be made, this run goes on undisturbed.
  auto copy = std::unique_ptr<Session>(new Session(*this, ForkTag{}));
  sim_.restart_as_branch();
  return copy;
}

std::unique_ptr<Session> Session::fork(const scenario::ProtocolSpec& protocol) {
  auto copy = fork();
  copy->scenario_.protocol = protocol;
  copy->controller_ = make_protocol(protocol, scenario_.params.patient);
  if (copy->controller_) {
    // A clinician taking over knows what the patient has had: the initial fluids are not repeated.
    const double given_mL = sim_.state()[model::kFluidIn] - fluid_in_0_;
    copy->controller_->set_history({scenario_.params.patient.weight_kg, scenario_.params.patient.usual_map_mmHg,
                                    std::max(0.0, given_mL)});
  }
  copy->protocol_start_min_ = std::max(time_min(), protocol.start_min);
  copy->set_protocol_grid(time_min());
  // The new protocol's first epoch may be now: it observes (what the monitors showed now, not a
  // second reading) and decides before the copy moves on.
  if (copy->controller_ && copy->protocol_start_min_ <= time_min() + 1e-9) copy->decide(time_min());
  // The inputs hold until the copy's own next break (the old protocol's epochs are gone).
  copy->reset_inputs();
  return copy;
}

void Session::apply_events(double t0) {
  using scenario::EventAction;
  const auto& s = scenario_;
  // The sepsis course starts at its onset (a break); severity events change it from then on.
  if (!sepsis_started_ && t0 >= s.sepsis_onset_min) {
    timeline_.severity = s.sepsis_severity;
    sepsis_started_ = true;
    // An infection course: the load is seeded at onset and drives the host response from then on.
    if (s.sepsis_pathogen_load > 0.0) {
      timeline_.infection_course = true;
      sim_.inoculate(s.sepsis_pathogen_load);
    }
  }
  // Treatment of the infection starts at its scenario times (breaks of the integration).
  if (t0 >= s.sepsis_antibiotics_min) timeline_.antibiotics = true;
  if (t0 >= s.sepsis_source_control_min) timeline_.source_control = true;
  while (next_event_ < s.events.size() && s.events[next_event_].at_min <= t0) {
    const auto& e = s.events[next_event_++];
    auto& inf = timeline_.infusions;
    switch (e.action) {
      case EventAction::kNeDose: inf.ne_ug_per_kg_min = e.dose_ug_per_kg_min; break;
      case EventAction::kVasopressin: inf.vasopressin_U_per_min = e.rate_U_per_min; break;
      case EventAction::kEpinephrine: inf.epinephrine_ug_per_kg_min = e.dose_ug_per_kg_min; break;
      case EventAction::kDobutamine: inf.dobutamine_ug_per_kg_min = e.dose_ug_per_kg_min; break;
      case EventAction::kNitroglycerin: inf.nitroglycerin_ug_per_min = e.rate_ug_per_min; break;
      case EventAction::kMaintenance: timeline_.maintenance_mL_per_min = e.rate_mL_per_h / 60.0; break;
      case EventAction::kRrt:
        timeline_.rrt_effluent_mL_per_kg_h = e.effluent_mL_per_kg_h;
        timeline_.rrt_net_ultrafiltration_mL_per_h = e.net_ultrafiltration_mL_per_h;
        break;
      case EventAction::kSepsisSeverity:
        if (e.at_min >= s.sepsis_onset_min) timeline_.severity = e.severity;
        break;
      case EventAction::kBolus:
        timeline_.boluses.push_back({e.at_min + e.duration_min, e.volume_mL / e.duration_min, e.fluid});
        break;
      case EventAction::kSet:
        sim_.set_params(e.after_set->params);
        monitor_.set_noise(e.after_set->monitoring);
        if (controller_ && e.key == "protocol.map_target_mmHg") controller_->set_map_target_mmHg(e.value);
        break;
    }
  }
}

// The protocol observes through the monitors and acts.
void Session::decide(double t0) {
  const auto& s = scenario_;
  const double p_start = protocol_start_min_;
  if (!controller_ || !autopilot_ || t0 < p_start - 1e-9) return;
  // The whole model state is observed only when the microcirculation is examined; the monitor
  // reads the circulation alone.
  std::optional<model::MicroDrivers> drivers;
  auto micro_drivers = [&]() -> const model::MicroDrivers& {
    if (!drivers) drivers = sim_.observe().micro_drivers;
    return *drivers;
  };
  // One reading per instrument per moment: a protocol put in charge by fork() at a moment the
  // monitors have already read sees those readings (the branches keep paired noise streams).
  if (monitor_.lactate_due(t0, p_start) && lactate_drawn_min_ != t0) {
    monitor_.draw_lactate(t0, sim_.state()[model::kLactate]);
    lactate_drawn_min_ = t0;
  }
  if (monitor_.crt_due(t0, p_start) && crt_examined_min_ != t0) {
    const auto skin = model::evaluate_skin(s.params.micro, network_, micro_drivers(), t0 * 60.0);
    monitor_.examine_crt(t0, skin.crt_s, skin.mottling_score);
    crt_examined_min_ = t0;
  }
  if (!on_grid(t0, p_start, controller_->decision_interval_min())) return;
  protocol::Observations obs;
  if (last_observation_ && last_observation_->time_min == t0) {
    obs = *last_observation_;
    obs.running = timeline_.infusions;
  } else {
    const model::CirculationObservables o = sim_.observe_circulation();
    obs = monitor_.observe(t0, o.circulation.arterial_mmHg, o.tone.heart_rate_bpm,
                           o.circulation.lv_output_mL_per_min / 1000.0, timeline_.infusions);
    last_observation_ = obs;
  }
  for (const protocol::Action& a : controller_->decide(obs)) {
    auto& inf = timeline_.infusions;
    if (a.ne_dose_ug_per_kg_min) inf.ne_ug_per_kg_min = *a.ne_dose_ug_per_kg_min;
    if (a.vasopressin_U_per_min) inf.vasopressin_U_per_min = *a.vasopressin_U_per_min;
    if (a.dobutamine_ug_per_kg_min) inf.dobutamine_ug_per_kg_min = *a.dobutamine_ug_per_kg_min;
    if (a.nitroglycerin_ug_per_min) inf.nitroglycerin_ug_per_min = *a.nitroglycerin_ug_per_min;
    DecisionRow row{t0, controller_->name(), obs, controller_->map_target_mmHg(), inf, 0.0, a.what, a.reason};
    if (a.bolus_mL && *a.bolus_mL > 0.0) {
      row.bolus_mL = *a.bolus_mL;
      timeline_.boluses.push_back(
          {t0 + a.bolus_duration_min, *a.bolus_mL / a.bolus_duration_min, scenario::Fluid::kCrystalloid});
      breaks_.insert(std::min(t0 + a.bolus_duration_min, s.duration_min));
    }
    decisions_.push_back(std::move(row));
  }
  // A sublingual measurement the protocol asked for: 5 sites, ground truth + noise (or video).
  if (controller_->wants_micro_measurement()) {
    if (s.monitoring.micro_method == "render_score") {
      const auto [mfi, ppv] = video_measurer_(s.params.micro, network_, micro_drivers(), t0 * 60.0);
      // A clip the scorer refuses (too short, no flow evidence) gives no measurement: the
      // protocol keeps the last one.
      if (std::isfinite(mfi) && std::isfinite(ppv)) monitor_.record_micro(t0, mfi, ppv);
    } else {
      const auto micro = model::evaluate_network(s.params.micro, network_, micro_drivers(), t0 * 60.0);
      monitor_.measure_micro(t0, micro.mean.mfi, micro.mean.ppv_pct);
    }
  }
}

double Session::apply_due() {
  started_ = true;
  const double t0 = time_min();
  if (!fluid_origin_set_ && t0 >= 0.0) {  // t = 0: the origin of the cumulative fluid columns
    fluid_in_0_ = sim_.state()[model::kFluidIn];
    fluid_out_0_ = sim_.state()[model::kFluidOut];
    fluid_origin_set_ = true;
  }
  apply_events(t0);
  decide(t0);
  reset_inputs();
  return next_break_min();
}

double Session::next_break_min() const {
  double next = end_min();
  for (const auto* set : {&breaks_, &protocol_breaks_}) {
    const auto it = set->upper_bound(time_min());
    if (it != set->end()) next = std::min(next, *it);
  }
  return next;
}

void Session::reset_inputs() {
  sim_.set_inputs(timeline_.inputs(time_min(), sim_.params()), next_break_min());
}

void Session::advance_within(double t_min) { sim_.advance_to(t_min); }

void Session::advance_to(double t_min) {
  t_min = std::min(t_min, end_min());
  if (!started_) apply_due();
  while (time_min() < t_min - 1e-12) {
    const double stop = next_break_min();
    if (stop > t_min + 1e-12) {
      advance_within(t_min);
      break;
    }
    advance_within(stop);
    apply_due();
  }
}

Sample Session::sample() const {
  const model::Observables o = sim_.observe();
  const model::MicroMetrics micro =
      model::evaluate_network(sim_.params().micro, network_, o.micro_drivers, time_min() * 60.0);
  const model::StateVector y = sim_.state();
  const auto& c = o.circulation;
  const double in_mL = y[model::kFluidIn] - fluid_in_0_;
  const double out_mL = y[model::kFluidOut] - fluid_out_0_;
  const model::Inputs& in = sim_.inputs();
  Sample r;
  r.time_min = time_min();
  r.map_mmHg = c.arterial_mmHg;
  r.hr_bpm = o.tone.heart_rate_bpm;
  r.co_L_per_min = c.lv_output_mL_per_min / 1000.0;
  r.cvp_mmHg = c.central_mmHg;
  r.svr_dyn_s_per_cm5 = o.svr_dyn_s_per_cm5;
  r.pmsf_mmHg = c.mean_systemic_filling_mmHg;
  r.blood_volume_mL = o.blood_volume_mL;
  r.ne_dose_ug_per_kg_min = in.ne_dose_ug_per_kg_min;
  r.ne_plasma_ug_per_L = o.ne_plasma_ug_per_L;
  r.fluids_in_mL = in_mL;
  r.lactate_mmol_per_L = y[model::kLactate];
  r.crt_s = micro.crt_s;
  r.mottling_score = micro.mottling_score;
  r.do2_mL_per_min = o.oxygen.delivery_mL_per_min;
  r.vo2_mL_per_min = o.oxygen.consumption_mL_per_min;
  r.mfi = micro.mean.mfi;
  r.ppv_pct = micro.mean.ppv_pct;
  r.tvd_mm_per_mm2 = micro.mean.tvd_mm_per_mm2;
  r.pvd_mm_per_mm2 = micro.mean.pvd_mm_per_mm2;
  r.hi = micro.hi;
  r.stroke_volume_mL = c.lv_stroke_volume_mL;
  r.haematocrit = o.haematocrit;
  r.haemoglobin_g_per_dL = o.oxygen.haemoglobin_g_per_dL;
  r.plasma_volume_mL = o.plasma_volume_mL;
  r.interstitial_volume_mL = y[model::kInterstitialVolume];
  r.fluid_balance_mL = in_mL - out_mL;
  r.urine_mL_per_h = o.fluids.urine_mL_per_min * 60.0;
  r.capillary_filtration_mL_per_min = o.fluids.filtration_mL_per_min;
  r.inflammation = y[model::kInflammation];
  r.il6_pg_per_mL = y[model::kIl6];
  r.o2_extraction = o.oxygen.extraction_fraction;
  r.sympathetic_activity = y[model::kVascularSympathetic];
  r.mfi_vessel = micro.mean.mfi_vessel;
  r.debacker_per_mm = micro.mean.debacker_per_mm;
  r.rbc_velocity_um_per_s = micro.mean.rbc_velocity_um_per_s;
  r.skin_perfused_fraction = micro.skin_perfused_fraction;
  r.perfused_fraction_meanfield = o.micro.perfused_fraction;
  r.extraction_capacity = o.micro.extraction_capacity;
  r.nonperfused_stopped_pct = micro.nonperfused_stopped_pct;
  r.nonperfused_stop_go_pct = micro.nonperfused_stop_go_pct;
  r.nonperfused_few_rbc_pct = micro.nonperfused_few_rbc_pct;
  r.perfusion_pressure_ratio = o.micro_drivers.perfusion_ratio;
  r.tissue_pressure_rise_mmHg = o.micro_drivers.tissue_pressure_rise_mmHg;
  r.ne_precapillary_factor = micro.ne_precapillary_factor;
  r.vasopressin_U_per_min = in.vasopressin_U_per_min;
  r.epinephrine_ug_per_kg_min = in.epinephrine_ug_per_kg_min;
  r.dobutamine_ug_per_kg_min = in.dobutamine_ug_per_kg_min;
  r.nitroglycerin_ug_per_min = in.nitroglycerin_ug_per_min;
  r.creatinine_umol_per_L = y[model::kCreatinine];
  r.aki_stage_creatinine = static_cast<double>(
      model::kdigo_creatinine_stage(y[model::kCreatinine], model::healthy_creatinine_umol_per_L(sim_.params())));
  r.gfr_mL_per_min = o.kidney.gfr_mL_per_min;
  r.renal_flow_ratio = o.kidney.renal_flow_ratio;
  r.renal_injury = y[model::kRenalInjury];
  r.rrt_effluent_mL_per_kg_h = in.rrt_effluent_mL_per_kg_h;
  r.rrt_net_ultrafiltration_mL_per_h = in.rrt_net_ultrafiltration_mL_per_h;
  r.glycolytic_drive_mmol_per_kg_h = y[model::kGlycolyticDrive];
  r.hypoxic_lactate_mmol_per_min = o.oxygen.hypoxic_lactate_mmol_per_min;
  r.lactate_clearance_L_per_min = o.oxygen.lactate_clearance_L_per_min;
  r.hepatic_dysfunction = y[model::kHepaticDysfunction];
  r.splanchnic_flow_ratio = o.oxygen.splanchnic_flow_ratio;
  return r;
}

void Session::log_user_action(const std::string& action, const std::string& reason) {
  DecisionRow row;
  row.time_min = time_min();
  row.protocol = "user";
  const model::Observables o = sim_.observe();
  row.observed.map_mmHg = o.circulation.arterial_mmHg;
  row.observed.hr_bpm = o.tone.heart_rate_bpm;
  row.observed.running = timeline_.infusions;
  row.map_target_mmHg = controller_ ? controller_->map_target_mmHg() : std::nullopt;
  row.after = timeline_.infusions;
  row.action = action;
  row.reason = reason;
  decisions_.push_back(std::move(row));
}

void Session::set_infusions(const protocol::Infusions& infusions, const std::string& reason) {
  if (!started_) apply_due();
  timeline_.infusions = infusions;
  reset_inputs();
  log_user_action("set infusions", reason);
}

void Session::give_bolus(double volume_mL, double over_min, const std::string& reason) {
  if (!started_) apply_due();
  if (!(volume_mL > 0.0) || !(over_min > 0.0)) throw std::invalid_argument("bolus volume and duration must be > 0");
  const double t0 = time_min();
  timeline_.boluses.push_back({t0 + over_min, volume_mL / over_min, scenario::Fluid::kCrystalloid});
  breaks_.insert(std::min(t0 + over_min, end_min()));
  reset_inputs();
  log_user_action("crystalloid bolus", reason);
  decisions_.back().bolus_mL = volume_mL;
}

void Session::set_sepsis_severity(double severity, const std::string& reason) {
  if (!started_) apply_due();
  if (!(severity >= 0.0 && severity <= 1.0)) throw std::invalid_argument("sepsis severity must be in [0, 1]");
  timeline_.severity = severity;
  sepsis_started_ = true;  // the user's severity holds from now on
  reset_inputs();
  log_user_action("set sepsis severity", reason);
}

}  // namespace coherence::run
