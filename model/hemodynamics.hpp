// Systemic hemodynamics: a closed-loop, beat-averaged (mean-value) lumped circulation.
//
// Four capacitive compartments hold all circulating blood (state volumes in mL):
//   arterial a, systemic venous v, central (great veins + right heart) c, pulmonary (+ left
//   heart) p. Pressure of each: P_i = (V_i - V0_i) / C_i (linear, mmHg).
// Flows (mL/min):
//   Q_sys = (P_a - P_v) / R_sys                    arterioles + capillaries
//   Q_vr  = (P_v - P_c) / R_vr                     venous return
//   Q_rv  = HR * SV_rv(P_c, P_p, PVR)              right ventricle, c -> p
//   Q_lv  = HR * SV_lv(P_p, P_a)                   left ventricle, p -> a
// Ventricle (mean-value Frank-Starling from Ursino 1998's pressure-volume relations):
//   EDV = Vu + ln(1 + P_fill+ / P0) / k_E          exponential end-diastolic relation
//   ESV = Vu + P_es / E_es                         end-systolic elastance (contractility)
//   SV  = phi(HR) * (EDV - ESV)+,  phi = 1 - exp(-T_dia / tau_fill),  T_dia = 60/HR - T_sys,
//   T_sys = 0.3 sqrt(60/HR) s                      incomplete filling at high heart rates
//   LV: P_es = P_a.  RV: P_es = P_p + Q_rv * PVR, solved in closed form for SV.
// Mean systemic filling pressure: Pmsf = sum(V_i - V0_i) / sum(C_i) over all compartments.
// Baroreflex: cardiac target s*_c = 1 / (1 + exp((MAP - MAP_set) / k)); vascular target adds the
//   cardiopulmonary (low-pressure) receptors, s*_v = 1 / (1 + exp((MAP - MAP_set) / k +
//   A tanh((CVP - CVP_set) / (k_cp A)))); a cardiac arm (HR, elastance) follows s*_c and a vascular
//   arm (R_sys, venous V0, endogenous NE, skin arterioles, splanchnic flow) follows s*_v, each with
//   a first-order lag; both gains are reduced by sepsis. MAP_set = 90 + R, R the slow partial
//   resetting toward the prevailing MAP (model.hpp state baroreflex_reset_mmHg).
#pragma once

#include "model/params.hpp"

namespace coherence::model {

// What the autonomic system, drugs and sepsis set at this instant.
struct CirculationTone {
  double heart_rate_bpm = 70.0;
  double lv_elastance_mmHg_per_mL = 2.95;
  double rv_elastance_mmHg_per_mL = 1.75;
  double systemic_resistance_mmHg_min_per_mL = 0.0155;
  double venous_unstressed_mL = 2500.0;
  double venous_compliance_mL_per_mmHg = 55.0;
  double venous_return_resistance_factor = 1.0;  // beta-2 agonists lower it (Green 1977)
  double diastolic_stiffness_factor = 1.0;       // patient's diastolic dysfunction
  // The part of the venous tone above that NE-equivalent alpha-agonism causes (venoconstriction of
  // the capacitance veins): the exchange beds drained by other veins do not see it (fluids.md).
  double ne_venous_unstressed_shift_mL = 0.0;
  double ne_venous_compliance_factor = 1.0;
};

struct CirculationVolumes {
  double arterial_mL = 0.0;
  double venous_mL = 0.0;
  double central_mL = 0.0;
  double pulmonary_mL = 0.0;
};

struct CirculationState {
  double arterial_mmHg = 0.0;
  double venous_mmHg = 0.0;
  double central_mmHg = 0.0;     // CVP
  double pulmonary_mmHg = 0.0;   // left-heart filling pressure
  double systemic_flow_mL_per_min = 0.0;
  double venous_return_mL_per_min = 0.0;
  double rv_output_mL_per_min = 0.0;
  double lv_output_mL_per_min = 0.0;
  double lv_stroke_volume_mL = 0.0;
  double mean_systemic_filling_mmHg = 0.0;
};

// Fraction of the end-diastolic filling reached at this heart rate (1 at slow rates).
double diastolic_filling_fraction(double heart_rate_bpm, double filling_time_constant_s);

// Pressures and flows of the four compartments for given volumes and tone. weight_scale scales
// compliances, resistances and the heart; capacity_scale the unstressed volumes (venous: in tone).
CirculationState circulation(const HemodynamicParams& h, double weight_scale, double capacity_scale,
                             const CirculationTone& tone, const CirculationVolumes& v);

// Baroreflex target sympathetic activity (0..1, 0.5 at the set point): the cardiac arm's target.
double baroreflex_target(const BaroreflexParams& b, double map_mmHg);

// Vascular arm's target: arterial and cardiopulmonary (CVP) receptors summed in the sigmoid.
double vascular_sympathetic_target(const BaroreflexParams& b, double map_mmHg, double cvp_mmHg);

}  // namespace coherence::model
