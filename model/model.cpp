#include "model/model.hpp"

#include <algorithm>
#include <cmath>

#include "model/norepinephrine.hpp"
#include "model/ode_solver.hpp"
#include "model/smooth.hpp"

namespace coherence::model {

namespace {

constexpr double kDynSPerCm5PerMmHgMinPerL = 80.0;  // 1 mmHg min / L = 80 dyn s / cm^5

// Autonomic, drug and sepsis contributions to heart and vessel tone.
// Chronic hypertension: resistance vessels remodelled in proportion to the usual MAP.
double hypertensive_remodelling(const ModelParams& p) { return p.patient.usual_map_mmHg / 90.0; }

DrugLevels drug_levels(std::span<const double, kStateCount> y) {
  return {y[kVasopressin], y[kEpinephrine], y[kDobutamine], y[kNitroglycerinEffect]};
}

CirculationTone circulation_tone(const ModelParams& p, const DrugEffects& drugs,
                                 std::span<const double, kStateCount> y) {
  const auto& h = p.hemodynamics;
  const auto& b = p.baroreflex;
  const auto& sep = p.sepsis;
  const double s = weight_scale(p);
  const double inflammation = y[kInflammation];
  const double age_factor = std::clamp(1.0 - p.micro.baroreflex_age_slope_per_year * (p.patient.age_years - 50.0), 0.3, 1.5);
  const double baro_gain =
      p.patient.baroreflex_gain * age_factor * (1.0 - sep.baroreflex_impairment * inflammation);
  const double s_card = (y[kCardiacSympathetic] - 0.5) * baro_gain;
  const double s_vasc = (y[kVascularSympathetic] - 0.5) * baro_gain;
  const double ne_site = std::max(0.0, y[kNeEffectSite]);
  const NorepinephrineEffects ne = ne_effects(p, ne_site + drugs.alpha_ne_equivalent_ug_per_L,
                                              ne_site + drugs.beta_ne_equivalent_ug_per_L, inflammation);

  CirculationTone t;
  t.heart_rate_bpm = h.intrinsic_heart_rate_bpm * (1.0 + b.heart_rate_gain * s_card) +
                     sep.tachycardia_bpm * inflammation + ne.heart_rate_bpm + drugs.heart_rate_bpm;
  const double inotropy = (1.0 + b.contractility_gain * s_card) *
                          (1.0 - sep.myocardial_depression * inflammation) * ne.elastance_factor *
                          p.patient.cardiac_contractility *
                          drugs.elastance_factor;
  t.lv_elastance_mmHg_per_mL = h.lv_end_systolic_elastance_mmHg_per_mL / s * inotropy;
  t.rv_elastance_mmHg_per_mL = h.rv_end_systolic_elastance_mmHg_per_mL / s * inotropy;
  t.diastolic_stiffness_factor = p.patient.ventricular_stiffness;
  t.systemic_resistance_mmHg_min_per_mL =
      h.systemic_resistance_mmHg_min_per_mL / s * hypertensive_remodelling(p) *
      std::exp(b.resistance_log_gain * s_vasc - sep.vasoplegia_log * inflammation +
               ne.resistance_log_factor + drugs.resistance_log_factor);
  t.venous_return_resistance_factor = drugs.venous_return_resistance_factor;
  t.ne_venous_unstressed_shift_mL = ne.venous_unstressed_shift_mL;
  t.ne_venous_compliance_factor = ne.venous_compliance_factor;
  t.venous_compliance_mL_per_mmHg = h.venous_compliance_mL_per_mmHg * s * ne.venous_compliance_factor;
  t.venous_unstressed_mL = h.venous_unstressed_mL * capacity_scale(p) -
                           2.0 * b.venous_unstressed_shift_mL * s * s_vasc +
                           sep.venodilation_mL * s * inflammation - ne.venous_unstressed_shift_mL +
                           drugs.venous_unstressed_shift_mL;
  return t;
}

CirculationVolumes circulation_volumes(std::span<const double, kStateCount> y) {
  return {y[kArterialVolume], y[kVenousVolume], y[kCentralVolume], y[kPulmonaryVolume]};
}

}  // namespace

double exchange_venous_pressure_mmHg(const ModelParams& p, const CirculationTone& tone, double venous_volume_mL,
                                     double venous_mmHg) {
  // Without NE's venoconstriction: its unstressed-volume shift and compliance loss undone.
  const double unconstricted_mmHg =
      (venous_volume_mL - (tone.venous_unstressed_mL + tone.ne_venous_unstressed_shift_mL)) /
      (tone.venous_compliance_mL_per_mmHg / tone.ne_venous_compliance_factor);
  return venous_mmHg - (1.0 - p.fluids.venoconstricted_exchange_fraction) * (venous_mmHg - unconstricted_mmHg);
}

double capillary_outflow_pressure_mmHg(const ModelParams& p, double venous_mmHg, double interstitial_mmHg) {
  const double tissue = interstitial_mmHg + p.micro.tissue_pressure_offset_mmHg;
  return venous_mmHg + soft_positive(tissue - venous_mmHg, 0.5);
}

CirculationObservables observe_circulation(const ModelParams& p, std::span<const double, kStateCount> y) {
  CirculationObservables c;
  c.drugs = drug_effects(p, drug_levels(y));
  c.tone = circulation_tone(p, c.drugs, y);
  c.circulation = circulation(p.hemodynamics, weight_scale(p), capacity_scale(p), c.tone, circulation_volumes(y));
  return c;
}

Observables observe(const ModelParams& p, const ModelReference& ref, const Inputs& in,
                    std::span<const double, kStateCount> y) {
  Observables o;
  const CirculationObservables c = observe_circulation(p, y);
  o.drugs = c.drugs;
  o.tone = c.tone;
  o.circulation = c.circulation;
  o.blood_volume_mL = y[kArterialVolume] + y[kVenousVolume] + y[kCentralVolume] + y[kPulmonaryVolume];
  o.plasma_volume_mL = o.blood_volume_mL - y[kRedCellVolume];
  o.haematocrit = y[kRedCellVolume] / o.blood_volume_mL;
  const double co_L_per_min = o.circulation.lv_output_mL_per_min / 1000.0;
  o.svr_dyn_s_per_cm5 = kDynSPerCm5PerMmHgMinPerL *
                        (o.circulation.arterial_mmHg - o.circulation.central_mmHg) / co_L_per_min;
  o.ne_plasma_ug_per_L = y[kNeExogenous] + y[kNeEndogenous];
  o.ne_clearance_L_per_min = ne_clearance_L_per_min(p);
  // The baroreflex of a chronic hypertensive is reset to the usual MAP.
  // Resetting shifts the set point toward the prevailing MAP (state kBaroreflexReset).
  const double sensed_map_mmHg = o.circulation.arterial_mmHg - (p.patient.usual_map_mmHg - 90.0) - y[kBaroreflexReset];
  o.sympathetic_target = baroreflex_target(p.baroreflex, sensed_map_mmHg);
  o.vascular_sympathetic_target =
      vascular_sympathetic_target(p.baroreflex, sensed_map_mmHg, o.circulation.central_mmHg);

  FluidInputs fi;
  fi.arterial_mmHg = o.circulation.arterial_mmHg;
  fi.venous_mmHg = exchange_venous_pressure_mmHg(p, o.tone, y[kVenousVolume], o.circulation.venous_mmHg);
  fi.systemic_flow_mL_per_min = o.circulation.systemic_flow_mL_per_min;
  fi.plasma_volume_mL = o.plasma_volume_mL;
  fi.interstitial_volume_mL = y[kInterstitialVolume];
  fi.plasma_protein_g = y[kPlasmaProtein];
  fi.interstitial_protein_g = y[kInterstitialProtein];
  // Leak follows the endothelial (glycocalyx) injury, which lags inflammation and outlasts it.
  fi.inflammation = std::max(0.0, y[kEndothelialInjury]);
  o.fluids = fluid_exchange(p, ref.fluids, fi);

  // Microcirculation drivers and the smooth mean-field that sets oxygen extraction.
  MicroDrivers& md = o.micro_drivers;
  // Oedema swells the confined mucosa: local tissue pressure = interstitial + offset + swelling.
  const double oedema_L = (y[kInterstitialVolume] - ref.interstitial_volume_mL) / 1000.0;
  const double swelling_mmHg = p.micro.mucosal_swelling_mmHg_per_L * soft_positive(oedema_L, 0.2);
  const double outflow =
      capillary_outflow_pressure_mmHg(p, o.circulation.venous_mmHg, o.fluids.interstitial_mmHg + swelling_mmHg);
  md.perfusion_ratio = (o.circulation.arterial_mmHg - outflow) / ref.micro_perfusion_pressure_mmHg;
  md.alpha_ne_equivalent_ug_per_L = std::max(0.0, y[kNeEffectSite]) + o.drugs.alpha_ne_equivalent_ug_per_L;
  md.drug_drive_factor = o.drugs.micro_drive_factor;
  md.skin_drug_drive_factor = o.drugs.skin_micro_drive_factor;
  // The microvascular dysfunction (obstruction, heterogeneity, lost autoregulation) follows the
  // endothelial injury state: it lags inflammation and outlasts it.
  md.inflammation = std::max(0.0, y[kEndothelialInjury]);
  md.haematocrit = o.haematocrit;
  md.reference_haematocrit = p.micro.reference_haematocrit;
  md.tissue_pressure_rise_mmHg =
      o.fluids.interstitial_mmHg + p.micro.tissue_pressure_offset_mmHg + swelling_mmHg - ref.tissue_pressure_mmHg;
  md.sympathetic_activity = y[kVascularSympathetic];
  md.ne_sensitivity = p.patient.ne_sensitivity;
  md.injury = p.patient.microvascular_injury;
  md.age_years = p.patient.age_years;
  md.lactate_mmol_per_L = std::max(0.0, y[kLactate]);
  o.micro = micro_mean_field(p.micro, md, oedema_L, ref.micro_healthy_perfused_fraction);
  // Kidney (urine replaces the fluids' placeholder) and oxygen/lactate.
  KidneyInputs ki;
  ki.arterial_mmHg = o.circulation.arterial_mmHg;
  ki.central_venous_mmHg = o.circulation.central_mmHg;
  ki.plasma_volume_mL = o.plasma_volume_mL;
  ki.reference_plasma_volume_mL = ref.fluids.plasma_volume_mL;
  ki.inflammation = std::max(0.0, y[kInflammation]);
  ki.injury = std::clamp(y[kRenalInjury], 0.0, 1.0);
  ki.creatinine_umol_per_L = y[kCreatinine];
  ki.rrt_effluent_mL_per_kg_h = in.rrt_effluent_mL_per_kg_h;
  ki.rrt_net_ultrafiltration_mL_per_h = in.rrt_net_ultrafiltration_mL_per_h;
  o.kidney = kidney(p, ki);
  o.fluids.urine_mL_per_min = o.kidney.urine_mL_per_min;

  OxygenInputs oi;
  oi.haematocrit = o.haematocrit;
  oi.cardiac_output_mL_per_min = o.circulation.lv_output_mL_per_min;
  oi.inflammation = y[kInflammation];
  oi.extraction_capacity = o.micro.extraction_capacity;
  oi.vascular_sympathetic = y[kVascularSympathetic];
  oi.epinephrine_ug_per_L = std::max(0.0, y[kEpinephrine]);
  oi.ne_exogenous_ug_per_L = std::max(0.0, y[kNeExogenous]);
  oi.ne_endogenous_ug_per_L = std::max(0.0, y[kNeEndogenous]);
  oi.glycolytic_drive_mmol_per_kg_h = y[kGlycolyticDrive];
  oi.hepatic_dysfunction = std::clamp(y[kHepaticDysfunction], 0.0, 1.0);
  oi.gfr_ratio = o.kidney.gfr_ratio;
  o.oxygen = oxygen_balance(p, oi);
  return o;
}

namespace {

// Vasopressin, epinephrine, dobutamine and nitroglycerin (drugs.hpp): linear, infused.
void infusion_derivatives(const ModelParams& p, const Inputs& in, std::span<const double, kStateCount> y,
                          std::span<double, kStateCount> dydt) {
  const auto& dr = p.drugs;
  dydt[kVasopressin] = std::log(2.0) / dr.vasopressin_half_life_min *
                       (dr.vasopressin_ss_pg_per_mL_per_U_per_min * in.vasopressin_U_per_min - y[kVasopressin]);
  dydt[kEpinephrine] = (in.epinephrine_ug_per_kg_min * p.patient.weight_kg -
                        epinephrine_clearance_L_per_min(p) * y[kEpinephrine]) / epinephrine_volume_L(p);
  dydt[kDobutamine] = (in.dobutamine_ug_per_kg_min * p.patient.weight_kg -
                       dobutamine_clearance_L_per_min(p) * y[kDobutamine]) / dobutamine_volume_L(p);
  dydt[kNitroglycerinEffect] =
      std::log(2.0) / dr.nitroglycerin_half_life_min * (in.nitroglycerin_ug_per_min - y[kNitroglycerinEffect]);
}

}  // namespace

int derivatives(const ModelParams& p, const ModelReference& ref, const Inputs& in,
                std::span<const double, kStateCount> y, std::span<double, kStateCount> dydt,
                DerivativeSet which) {
  // Outside the physical domain: ask CVODE for a smaller step instead of evaluating nonsense.
  if (y[kInterstitialVolume] <= 0.0 || y[kRedCellVolume] <= 0.0 || y[kPlasmaProtein] <= 0.0 ||
      y[kInterstitialProtein] <= 0.0) {
    return 1;
  }
  const Observables o = observe(p, ref, in, y);
  if (o.plasma_volume_mL <= 0.0 || !std::isfinite(o.circulation.arterial_mmHg)) return 1;
  const auto& c = o.circulation;
  const auto& f = o.fluids;
  const auto& b = p.baroreflex;
  const auto& ne = p.norepinephrine;
  const auto& sep = p.sepsis;

  // Circulation: compartment volume balances. Plasma exchange with the interstitium, intake
  // and losses enter through the venous compartment.
  // Water entering the plasma: crystalloid, the water of albumin solutions and of packed cells.
  const double packed_cells_water_mL_per_min = in.packed_cells_mL_per_min * (1.0 - p.drugs.packed_cells_haematocrit);
  const double red_cells_in_mL_per_min = in.packed_cells_mL_per_min * p.drugs.packed_cells_haematocrit;
  const double intake_mL_per_min = in.crystalloid_mL_per_min + in.albumin_solution_mL_per_min +
                                   packed_cells_water_mL_per_min + p.patient.baseline_intake_mL_per_h / 60.0;
  const double ultrafiltration_mL_per_min = o.kidney.ultrafiltration_mL_per_min;
  const double losses_mL_per_min = f.urine_mL_per_min + f.insensible_mL_per_min + ultrafiltration_mL_per_min;
  dydt[kArterialVolume] = c.lv_output_mL_per_min - c.systemic_flow_mL_per_min;
  dydt[kVenousVolume] = c.systemic_flow_mL_per_min - c.venous_return_mL_per_min + intake_mL_per_min + red_cells_in_mL_per_min -
                        f.filtration_mL_per_min + f.lymph_mL_per_min - f.urine_mL_per_min - ultrafiltration_mL_per_min;
  dydt[kCentralVolume] = c.venous_return_mL_per_min - c.rv_output_mL_per_min;
  dydt[kPulmonaryVolume] = c.rv_output_mL_per_min - c.lv_output_mL_per_min;

  // Baroreflex arms follow the sympathetic target with first-order lags.
  dydt[kCardiacSympathetic] = (o.sympathetic_target - y[kCardiacSympathetic]) / b.cardiac_time_constant_min;
  dydt[kVascularSympathetic] = (o.vascular_sympathetic_target - y[kVascularSympathetic]) / b.vascular_time_constant_min;
  // Partial resetting of the arterial set point toward the prevailing MAP.
  {
    const double map_change_mmHg =
        c.arterial_mmHg - (p.patient.usual_map_mmHg - 90.0) - ref.baroreflex_reference_map_mmHg;
    dydt[kBaroreflexReset] =
        (b.reset_fraction * map_change_mmHg - y[kBaroreflexReset]) / (b.reset_time_constant_h * 60.0);
  }

  // Norepinephrine: one compartment, exogenous and endogenous, and an effect site.
  const double volume_L = ne.volume_L * weight_scale(p);
  const double cl = o.ne_clearance_L_per_min;
  dydt[kNeEndogenous] =
      (ne_endogenous_production_ug_per_min(p, y[kVascularSympathetic]) - cl * y[kNeEndogenous]) / volume_L;
  if (which == DerivativeSet::kAll) {
    const double infusion_ug_per_min = in.ne_dose_ug_per_kg_min * p.patient.weight_kg;
    dydt[kNeExogenous] = (infusion_ug_per_min - cl * y[kNeExogenous]) / volume_L;
    dydt[kNeEffectSite] = std::log(2.0) / ne.effect_site_half_life_min * (y[kNeExogenous] - y[kNeEffectSite]);
    infusion_derivatives(p, in, y, dydt);
  }

  // Disease course: the infection load grows and is cleared (host, antibiotics, source control);
  // the host response it drives sets the inflammation's target. Without an infection course the
  // scenario's severity is the target itself (and the load stays 0).
  const double load = std::max(0.0, y[kInfectionLoad]);
  const double growth_per_h = sep.infection_growth_per_h * (1.0 - load / sep.infection_capacity) * (1.0 - in.source_control);
  const double removal_per_h = sep.host_clearance_per_h + sep.antibiotic_kill_per_h * in.antibiotics +
                               sep.source_control_clearance_per_h * in.source_control;
  dydt[kInfectionLoad] = load * (growth_per_h - removal_per_h) / 60.0;
  const double host_response = in.infection_course ? hill(load, 1.0, sep.host_response_hill) : 1.0;
  const double target = in.sepsis_severity * host_response;
  dydt[kInflammation] = (target - y[kInflammation]) / sep.inflammation_time_constant_min;
  // Endothelial/glycocalyx injury: shed fast while inflammation exceeds it, rebuilt slowly when
  // it is above inflammation; the rate switches smoothly (logistic of width w) and E = I is an
  // exact rest point.
  const double gap = y[kInflammation] - y[kEndothelialInjury];
  const double k_inj = 1.0 / sep.endothelial_injury_time_constant_min;
  const double k_rec = 1.0 / sep.endothelial_recovery_time_constant_min;
  const double z = std::clamp(gap / sep.endothelial_switch_width, -50.0, 50.0);
  dydt[kEndothelialInjury] = gap * (k_rec + (k_inj - k_rec) / (1.0 + std::exp(-z)));
  dydt[kIl6] = std::log(2.0) / sep.il6_half_life_min *
               (sep.il6_baseline_pg_per_mL + sep.il6_gain_pg_per_mL * y[kInflammation] - y[kIl6]);

  // Fluids: interstitium, proteins (infused albumin enters the plasma), red cells (transfusion).
  dydt[kInterstitialVolume] = f.filtration_mL_per_min - f.lymph_mL_per_min - f.insensible_mL_per_min;
  dydt[kPlasmaProtein] = f.protein_return_g_per_min - f.protein_escape_g_per_min + in.albumin_g_per_min;
  dydt[kInterstitialProtein] = f.protein_escape_g_per_min - f.protein_return_g_per_min;
  dydt[kRedCellVolume] = red_cells_in_mL_per_min;

  // Lactate.
  dydt[kLactate] = (o.oxygen.lactate_production_mmol_per_min -
                    o.oxygen.lactate_clearance_L_per_min * y[kLactate]) / lactate_volume_L(p);
  // Slow metabolic states: the aerobic glycolytic drive and hepatic dysfunction.
  dydt[kGlycolyticDrive] = (o.oxygen.glycolytic_drive_target_mmol_per_kg_h - y[kGlycolyticDrive]) /
                           p.oxygen.glycolytic_drive_time_constant_min;
  dydt[kHepaticDysfunction] = (o.oxygen.hepatic_dysfunction_target - y[kHepaticDysfunction]) /
                              p.oxygen.hepatic_dysfunction_time_constant_min;

  // Kidney: injury and creatinine (filtration and RRT clear it).
  dydt[kRenalInjury] = o.kidney.injury_rate_per_min;
  dydt[kCreatinine] = (o.kidney.creatinine_generation_umol_per_min -
                       o.kidney.creatinine_clearance_mL_per_min / 1000.0 * y[kCreatinine]) / creatinine_volume_L(p);

  // Bookkeeping for balances.
  dydt[kFluidIn] = intake_mL_per_min;
  dydt[kFluidOut] = losses_mL_per_min;
  return 0;
}

namespace {

// Relax the circulation and baroreflex to their steady state with everything else frozen:
// the six fast states integrated by the stiff solver for 30 simulated minutes.
void settle_circulation(const ModelParams& p, const ModelReference& ref, StateVector& y) {
  constexpr std::array<int, 6> kFast = {kArterialVolume,    kVenousVolume,      kCentralVolume,
                                        kPulmonaryVolume,   kCardiacSympathetic, kVascularSympathetic};
  RightHandSide rhs = [&](double, std::span<const double> z, std::span<double> dz) {
    StateVector w = y;
    for (std::size_t i = 0; i < kFast.size(); ++i) w[kFast[i]] = z[i];
    const Observables o = observe(p, ref, Inputs{}, w);
    const auto& c = o.circulation;
    dz[0] = c.lv_output_mL_per_min - c.systemic_flow_mL_per_min;
    dz[1] = c.systemic_flow_mL_per_min - c.venous_return_mL_per_min;
    dz[2] = c.venous_return_mL_per_min - c.rv_output_mL_per_min;
    dz[3] = c.rv_output_mL_per_min - c.lv_output_mL_per_min;
    dz[4] = (o.sympathetic_target - z[4]) / p.baroreflex.cardiac_time_constant_min;
    dz[5] = (o.vascular_sympathetic_target - z[5]) / p.baroreflex.vascular_time_constant_min;
    return 0;
  };
  std::array<double, kFast.size()> z0{};
  for (std::size_t i = 0; i < kFast.size(); ++i) z0[i] = y[kFast[i]];
  SolverOptions options;
  options.relative_tolerance = 1e-9;
  options.absolute_tolerances = {1e-6, 1e-6, 1e-6, 1e-6, 1e-10, 1e-10};
  OdeSolver solver(rhs, 0.0, z0, options);
  solver.advance_to(30.0);
  for (std::size_t i = 0; i < kFast.size(); ++i) y[kFast[i]] = solver.state()[i];
}

}  // namespace

InitialCondition reference_state(const ModelParams& p) {
  const auto& h = p.hemodynamics;
  const auto& f = p.fluids;
  const double s = weight_scale(p);
  InitialCondition ic;
  StateVector& y = ic.state;
  y.fill(0.0);

  // Circulation at nominal pressures; the venous compartment holds the remaining blood.
  const double blood_mL = h.blood_volume_mL_per_kg * p.patient.weight_kg;
  const double cap = capacity_scale(p);
  y[kArterialVolume] = h.arterial_unstressed_mL * cap + h.arterial_compliance_mL_per_mmHg * 90.0 * s;
  y[kCentralVolume] = h.central_unstressed_mL * cap + h.central_compliance_mL_per_mmHg * 5.0 * s;
  y[kPulmonaryVolume] = h.pulmonary_unstressed_mL * cap + h.pulmonary_compliance_mL_per_mmHg * 8.0 * s;
  y[kVenousVolume] = blood_mL - y[kArterialVolume] - y[kCentralVolume] - y[kPulmonaryVolume];
  y[kCardiacSympathetic] = 0.5;
  y[kVascularSympathetic] = 0.5;
  y[kRedCellVolume] = h.haematocrit_fraction * blood_mL;

  // Fluid compartments need a provisional reference to evaluate the circulation.
  const double plasma_mL = blood_mL - y[kRedCellVolume];
  ic.reference.fluids = fluid_reference(p, 16.0, 5000.0 * s, plasma_mL);
  y[kInterstitialVolume] = f.interstitial_volume_mL_per_kg * 70.0 * s;
  y[kPlasmaProtein] = f.plasma_protein_g_per_dL / 100.0 * plasma_mL;
  y[kInterstitialProtein] = ic.reference.fluids.interstitial_protein_g;
  y[kIl6] = p.sepsis.il6_baseline_pg_per_mL;
  settle_circulation(p, ic.reference, y);
  ic.reference.baroreflex_reference_map_mmHg =
      observe(p, ic.reference, Inputs{}, y).circulation.arterial_mmHg - (p.patient.usual_map_mmHg - 90.0);

  // Fluid exchange in balance at the settled pressures.
  const Observables o0 = observe(p, ic.reference, Inputs{}, y);
  ic.reference.fluids = fluid_reference(p, o0.circulation.venous_mmHg,
                                        o0.circulation.systemic_flow_mL_per_min, plasma_mL);
  y[kInterstitialProtein] = ic.reference.fluids.interstitial_protein_g;

  // Microcirculation reference: healthy perfusion and tissue pressures, healthy perfused fraction.
  ic.reference.interstitial_volume_mL = y[kInterstitialVolume];
  ic.reference.micro_healthy_perfused_fraction = micro_healthy_perfused_fraction(p.micro);
  {
    const Observables oh = observe(p, ic.reference, Inputs{}, y);
    const double swelling = p.micro.mucosal_swelling_mmHg_per_L * soft_positive(0.0, 0.2);
    ic.reference.tissue_pressure_mmHg = oh.fluids.interstitial_mmHg + p.micro.tissue_pressure_offset_mmHg + swelling;
    ic.reference.micro_perfusion_pressure_mmHg =
        oh.circulation.arterial_mmHg -
        capillary_outflow_pressure_mmHg(p, oh.circulation.venous_mmHg, oh.fluids.interstitial_mmHg + swelling);
  }

  // Drug and metabolite concentrations at their steady states.
  const double cl = ne_clearance_L_per_min(p);
  y[kNeEndogenous] = ne_endogenous_production_ug_per_min(p, y[kVascularSympathetic]) / cl;
  y[kCreatinine] = healthy_creatinine_umol_per_L(p);
  {
    const Observables og = observe(p, ic.reference, Inputs{}, y);
    y[kGlycolyticDrive] = og.oxygen.glycolytic_drive_target_mmol_per_kg_h;
    y[kHepaticDysfunction] = og.oxygen.hepatic_dysfunction_target;
  }
  const Observables o = observe(p, ic.reference, Inputs{}, y);
  y[kLactate] = o.oxygen.lactate_production_mmol_per_min / o.oxygen.lactate_clearance_L_per_min;
  y[kCreatinine] = o.kidney.creatinine_generation_umol_per_min / (o.kidney.creatinine_clearance_mL_per_min / 1000.0);
  return ic;
}

}  // namespace coherence::model
