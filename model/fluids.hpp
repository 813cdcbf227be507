// Fluids: transcapillary exchange (Starling), lymph, plasma protein and urine.
//
// States: interstitial volume V_i (mL), plasma protein mass M_p (g), interstitial protein M_i (g).
// Plasma volume V_pl = blood volume - red-cell volume.
//   P_c  = P_v + Q_sys R_post                           mean capillary pressure; R_post (venular)
//                                                       is fixed, so arteriolar tone changes
//                                                       pre-capillary resistance only
//   P_i  = P_i0 + dV (1/C_lo + 1/C_hi)                  dV = V_i - V_i0 <= 0
//        = P_i0 + S tanh(dV / (S C_lo)) + dV / C_hi     dV > 0 (compliant when oedematous)
//   pi   = 2.1 c + 0.16 c^2 + 0.009 c^3                 Landis-Pappenheimer, c in g/dL
//   J_v  = Kf (1 + g_K I) [(P_c - P_i) - sigma (pi_p - pi_i)],  sigma = sigma0 - g_s I
//   J_L  = softplus(J_L0 + k_L (P_i - P_i0))            lymph return
//   J_pr = PS (1 + g_PS I)(c_p - c_i) + (1 - sigma) J_v c_p      protein escape
//   dV_i/dt = J_v - J_L - insensible;  dM_p/dt = -J_pr + J_L c_i;  dM_i/dt = J_pr - J_L c_i
//   urine: from the kidney (kidney.hpp); fluid_exchange leaves it 0 and observe() sets it
// Reference state (derived, so that healthy exchange is in balance by construction): lymph J_L0
// and the escape fraction are given; then c_i = escape / J_L0, PS from the escape equation, and
// the post-capillary resistance R_post from J_v = J_L0 at the reference pressures and flow.
#pragma once

#include "model/params.hpp"

namespace coherence::model {

struct FluidExchange {
  double capillary_mmHg = 0.0;
  double interstitial_mmHg = 0.0;
  double plasma_oncotic_mmHg = 0.0;
  double interstitial_oncotic_mmHg = 0.0;
  double filtration_mL_per_min = 0.0;
  double lymph_mL_per_min = 0.0;
  double protein_escape_g_per_min = 0.0;
  double protein_return_g_per_min = 0.0;
  double urine_mL_per_min = 0.0;
  double insensible_mL_per_min = 0.0;
};

struct FluidInputs {
  double arterial_mmHg = 0.0;
  double venous_mmHg = 0.0;
  double systemic_flow_mL_per_min = 0.0;
  double plasma_volume_mL = 0.0;
  double interstitial_volume_mL = 0.0;
  double plasma_protein_g = 0.0;
  double interstitial_protein_g = 0.0;
  double inflammation = 0.0;
};

// Oncotic pressure (mmHg) of a protein solution at concentration c (g/dL).
double oncotic_pressure_mmHg(double protein_g_per_dL);

// Interstitial hydrostatic pressure for an interstitial volume.
double interstitial_pressure_mmHg(const FluidParams& f, double scale, double volume_mL);

// Reference lymph flow that balances filtration in the reference state.
struct FluidReference {
  double lymph_mL_per_min = 0.0;
  double interstitial_protein_g = 0.0;
  double plasma_volume_mL = 0.0;
  double protein_permeability_mL_per_min = 0.0;
  double postcapillary_resistance_mmHg_min_per_mL = 0.0;
};

FluidReference fluid_reference(const ModelParams& p, double venous_mmHg,
                               double systemic_flow_mL_per_min, double plasma_volume_mL);

FluidExchange fluid_exchange(const ModelParams& p, const FluidReference& ref,
                             const FluidInputs& in);

}  // namespace coherence::model
