// Vasoactive drugs other than norepinephrine: vasopressin, epinephrine, dobutamine and
// nitroglycerin (docs/model/drugs.md).
//
// PK, one linear compartment each (state in the units named):
//   vasopressin  dC/dt = k (S R - C),           k = ln2 / t1/2,  S = steady state per U/min (Landry 1997)
//   epinephrine  dC/dt = (R - CL C) / V,        CL = 127 (w/70)^0.60 (SAPS II/50)^-0.67 L/h,
//                                               V = t1/2 CL / ln2          (Abboud 2009)
//   dobutamine   dC/dt = (R - CL C) / V,        V = 0.2 L/kg, CL = ln2 V / t1/2
//   nitroglycerin dE/dt = k (R - E)             effect compartment in ug/min of steady infusion
// PD, Hill fractions H(C; EC50, n):
//   vasopressin   R x exp(Emax_vp H)            no septic hyporesponsiveness (V1, not adrenergic)
//   epinephrine   adds to NE's alpha arms as a_E C_E and to its beta-1 arm as b_E C_E (NE-equivalent
//                 concentrations); its beta-2 aerobic glycolysis (lactate) is in oxygen.hpp
//   dobutamine    elastance x (1 + E_c H), HR + dHR H, R x exp(-E_b2 H), R_vr x exp(-E_vr H)
//   nitroglycerin venous unstressed volume + dV H_v, R x exp(-E_a H_a)
// Microcirculation: a drive factor (vasopressin constricts, dobutamine and nitroglycerin dilate
// the precapillary arterioles) multiplies every vessel's drive; epinephrine acts through the
// NE-equivalent alpha concentration, so it shares NE's steep arm.
#pragma once

#include "model/params.hpp"

namespace coherence::model {

// Plasma levels (the drug states of the model).
struct DrugLevels {
  double vasopressin_pg_per_mL = 0.0;
  double epinephrine_ug_per_L = 0.0;
  double dobutamine_ug_per_L = 0.0;
  double nitroglycerin_effect_ug_per_min = 0.0;
};

struct DrugEffects {
  double resistance_log_factor = 0.0;       // added to log R_sys
  double venous_unstressed_shift_mL = 0.0;  // added to the venous unstressed volume
  double venous_return_resistance_factor = 1.0;
  double elastance_factor = 1.0;
  double heart_rate_bpm = 0.0;
  double alpha_ne_equivalent_ug_per_L = 0.0;  // epinephrine's alpha effect as NE concentration
  double beta_ne_equivalent_ug_per_L = 0.0;   // epinephrine's beta-1 effect as NE concentration
  double micro_drive_factor = 1.0;            // multiplies the capillary drive
  double skin_micro_drive_factor = 1.0;       // the same for the skin (nitroglycerin acts more there)
};

DrugEffects drug_effects(const ModelParams& p, const DrugLevels& c);

double epinephrine_clearance_L_per_min(const ModelParams& p);
double epinephrine_volume_L(const ModelParams& p);
double dobutamine_volume_L(const ModelParams& p);
double dobutamine_clearance_L_per_min(const ModelParams& p);

}  // namespace coherence::model
