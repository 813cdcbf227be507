// Norepinephrine (NE) pharmacokinetics and pharmacodynamics.
//
// PK, one linear compartment (Beloeil 2005), exogenous and endogenous NE tracked apart:
//   dC_exo/dt  = (R_inf - CL C_exo) / V            R_inf = dose_ug_per_kg_min * weight
//   dC_endo/dt = (R_endo - CL C_endo) / V          R_endo = R0 exp(g (s_vasc - 0.5))
//   dC_e/dt    = ke0 (C_exo - C_e)                 effect site, ke0 = ln2 / t1/2,e0
//   CL = CL20 (SAPS II / 20)^-b (w/70)^0.75        through Beloeil's 3.0 and 0.9 L/min
// Closed form for a step infusion from C0 at constant CL: C(t) = C_ss + (C0 - C_ss) e^{-CL t / V}.
// Endogenous NE is reported (plasma NE = exo + endo) but acts through the baroreflex arm, which
// already carries neural sympathetic tone; only exogenous NE drives the Hill curves below.
//
// PD, Hill fractions H_x = C_e^n / (EC50_x^n + C_e^n) with septic hyporesponsiveness:
//   EC50_x = EC50_x,healthy (1 + k_ec50 I) / sensitivity,   Emax_x = Emax_x,healthy (1 - k_emax I)
//   arterial resistance  R x exp(Emax_R H_R)           (alpha-1 arteriolar constriction)
//   venous unstressed V0 - dV0_max H_V                 (alpha-1 venoconstriction -> Pmsf up)
//   venous compliance C_v (1 - k_C H_V)                (venoconstriction stiffens the veins)
//   LV/RV elastance x (1 + Emax_c H_c)                 (beta-1 inotropy)
//   heart rate + dHR_max H_c                           (beta-1 chronotropy)
// The microcirculatory arm (arteriolar tone of the sublingual and skin networks, with its steep
// high-concentration limb) is computed from the same effect-site concentration by the
// microcirculation model (issue 3): `ne_effects` is its seam.
#pragma once

#include "model/params.hpp"

namespace coherence::model {

struct NorepinephrineEffects {
  double resistance_log_factor = 0.0;  // added to log R_sys
  double venous_unstressed_shift_mL = 0.0;
  double venous_compliance_factor = 1.0;
  double elastance_factor = 1.0;
  double heart_rate_bpm = 0.0;
};

// Pharmacodynamic effects at inflammation I (0..1) of NE-equivalent concentrations (ug/L) on the
// alpha arms (resistance, veins) and the beta-1 arm (heart): NE's effect site plus epinephrine
// times its potencies (model/drugs.hpp); with NE alone both are the effect-site concentration.
NorepinephrineEffects ne_effects(const ModelParams& p, double alpha_ne_equivalent_ug_per_L,
                                 double beta_ne_equivalent_ug_per_L, double inflammation);

// Endogenous NE production (ug/min) at vascular sympathetic activity s (0..1).
double ne_endogenous_production_ug_per_min(const ModelParams& p, double sympathetic_activity);

}  // namespace coherence::model
