// Oxygen delivery and consumption, and lactate kinetics.
//
//   Hb   = Hct * MCHC                                  g/dL
//   CaO2 = 10 (1.34 Hb SaO2 + 0.0031 PaO2)             mL O2 / L blood
//   DO2  = CO CaO2                                     mL O2 / min
//   VO2_demand = vo2_per_kg * w * (1 + g_m I)
//   c    = extraction_capacity (mean-field perfused fraction of the capillary beds, <= ~1)
//   VO2_local = VO2_demand (1 - u softplus(1 - c))     beds without flow meet only part of their
//                                                      demand, whatever the global DO2
//   VO2  = softmin(VO2_local, ER_crit DO2)             supply dependence only below
//                                                      DO2crit = VO2 / ER_crit (Ronco 1993)
// Lactate, one compartment of volume Vd = 0.285 L/kg:
//   dLac/dt = (P_basal + G w + P_hypoxic - CL Lac) / Vd
//   P_hypoxic = k (VO2_demand - VO2) / 22.4            mmol/min from the O2 shortfall
//   G  glycolytic drive (mmol/kg/h, a state):  dG/dt = (G* - G) / tau_G
//   G* = P_septic I + E_b2 C_b2 / (EC50_b2 + C_b2)     aerobic: inflammation + beta-2 adrenergic
//   C_b2 = Epi + b_ne NE_exo + b_endo NE_endo          epinephrine-equivalent ug/L
//   q_h = CO / CO_ref exp(-g_s (s_vasc - 0.5))         splanchnic (hepatic) flow ratio
//   CL = CL0 w h [(1 - f_r) q_h (1 + h50) / (q_h + h50) (1 - D_h) + f_r GFR / GFR0]
//   D_h hepatic dysfunction (a state): dD_h/dt = (k_I I + k_q softplus(1 - 2 q_h) - D_h) / tau_D
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
  double hypoxic_lactate_mmol_per_min = 0.0;
  double lactate_clearance_L_per_min = 0.0;
  double splanchnic_flow_ratio = 1.0;
  double glycolytic_drive_target_mmol_per_kg_h = 0.0;   // G*
  double hepatic_dysfunction_target = 0.0;              // D_h*
};

struct OxygenInputs {
  double haematocrit = 0.42;
  double cardiac_output_mL_per_min = 0.0;
  double inflammation = 0.0;
  double extraction_capacity = 1.0;   // 1 with a fully perfused capillary bed; the microcirculation sets it
  double vascular_sympathetic = 0.5;  // baroreflex vascular arm (0..1)
  double epinephrine_ug_per_L = 0.0;
  double ne_exogenous_ug_per_L = 0.0;
  double ne_endogenous_ug_per_L = 0.0;
  double glycolytic_drive_mmol_per_kg_h = 0.0;  // state G
  double hepatic_dysfunction = 0.0;             // state D_h
  double gfr_ratio = 1.0;                       // GFR / GFR0 (renal lactate clearance)
};

OxygenBalance oxygen_balance(const ModelParams& p, const OxygenInputs& in);

double lactate_volume_L(const ModelParams& p);

}  // namespace coherence::model
