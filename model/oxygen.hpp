// Oxygen delivery and consumption, and lactate kinetics.
//
//   Hb   = Hct * MCHC                                  g/dL
//   CaO2 = 10 (1.34 Hb SaO2 + 0.0031 PaO2)             mL O2 / L blood
//   DO2  = CO CaO2                                     mL O2 / min
//   VO2_demand = vo2_per_kg * w * (1 + g_m I)
//   ER_max = ER_max0 * extraction_capacity             extraction_capacity from the microcirculation
//   VO2  = softmin(VO2_demand, ER_max DO2)             supply dependence below DO2crit (Ronco 1993)
// Lactate, one compartment of volume Vd = 0.285 L/kg:
//   dLac/dt = (P_basal + P_septic I + P_hypoxic - CL Lac) / Vd
//   P_hypoxic = k (VO2_demand - VO2) / 22.4            mmol/min from the O2 shortfall
//   CL = CL0 w * hepatic_function * q (1 + h) / (q + h),  q = CO / CO_ref  (hepatic hypoperfusion)
// Steady state Lac = P / CL reproduces Levraut 1998 (1.19 mmol/kg/h over 1002 vs 473 mL/kg/h).
#pragma once

#include "model/params.hpp"

namespace coherence::model {

struct OxygenBalance {
  double haemoglobin_g_per_dL = 0.0;
  double arterial_o2_content_mL_per_L = 0.0;
  double delivery_mL_per_min = 0.0;
  double demand_mL_per_min = 0.0;
  double consumption_mL_per_min = 0.0;
  double extraction_fraction = 0.0;
  double lactate_production_mmol_per_min = 0.0;
  double lactate_clearance_L_per_min = 0.0;
};

// extraction_capacity: 1 with a fully perfused capillary bed; the microcirculation sets it.
OxygenBalance oxygen_balance(const ModelParams& p, double haematocrit, double cardiac_output_mL_per_min,
                             double inflammation, double extraction_capacity);

double lactate_volume_L(const ModelParams& p);

}  // namespace coherence::model
