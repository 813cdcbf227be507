// Kidney: renal autoregulation, glomerular filtration, septic acute kidney injury, creatinine,
// urine output and renal replacement therapy (docs/model/kidney.md).
//
// States: renal injury J (0..1), plasma creatinine C (umol/L).
//   RPP  = MAP - CVP                                        renal perfusion pressure
//   LL   = LL0 usual_MAP / 90                               lower autoregulatory limit (right-
//                                                           shifted in chronic hypertension)
//   a    = a0 (1 - k_a J)                                   plateau strength, lost with AKI
//   r    = RPP / LL
//   Q    = softmin(r, 1 + (1 - a)(r - 1), eps)              renal blood flow / normal
//   GFR  = GFR0 (w/70) (1 - k_g J) softplus((Q - q0)/(1 - q0))   filtration stops at flow q0
//   U    = (U0 / GFR0) GFR exp(g_v (V_pl / V_pl0 - 1))      urine: a fixed fraction of the filtrate,
//                                                           modulated by plasma volume
//   dJ/dt = (k_I I + k_Q softplus(0.95 - Q)) (1 - J) - k_r J  slow injury, slower recovery
//   dC/dt = (G_cr - (GFR + K_rrt) C) / V_cr                 G_cr = 20 mg/kg/day from muscle
//   RRT: effluent dose K_rrt (mL/kg/h, clears creatinine with sieving 1) and net
//   ultrafiltration (mL/h) removed from the plasma.
#pragma once

#include "model/params.hpp"

namespace coherence::model {

struct KidneyInputs {
  double arterial_mmHg = 0.0;
  double central_venous_mmHg = 0.0;
  double plasma_volume_mL = 0.0;
  double reference_plasma_volume_mL = 0.0;
  double inflammation = 0.0;
  double injury = 0.0;            // state J
  double creatinine_umol_per_L = 0.0;  // state C
  double rrt_effluent_mL_per_kg_h = 0.0;
  double rrt_net_ultrafiltration_mL_per_h = 0.0;
};

struct KidneyState {
  double perfusion_pressure_mmHg = 0.0;
  double lower_limit_mmHg = 0.0;
  double renal_flow_ratio = 1.0;      // Q
  double gfr_mL_per_min = 0.0;
  double gfr_ratio = 1.0;             // GFR / healthy GFR
  double urine_mL_per_min = 0.0;
  double ultrafiltration_mL_per_min = 0.0;   // RRT net fluid removal
  double creatinine_clearance_mL_per_min = 0.0;  // GFR + RRT
  double creatinine_generation_umol_per_min = 0.0;
  double injury_rate_per_min = 0.0;   // dJ/dt
};

KidneyState kidney(const ModelParams& p, const KidneyInputs& in);

// Creatinine distribution volume (L) and the healthy steady-state creatinine (umol/L).
double creatinine_volume_L(const ModelParams& p);
double healthy_creatinine_umol_per_L(const ModelParams& p);

// KDIGO creatinine stage (0-3) of a creatinine against the patient's healthy baseline.
int kdigo_creatinine_stage(double creatinine_umol_per_L, double baseline_umol_per_L);

}  // namespace coherence::model
