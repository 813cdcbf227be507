#include "model/norepinephrine.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "model/smooth.hpp"

namespace coherence::model {

double ne_clearance_L_per_min(const ModelParams& p) {
  const auto& ne = p.norepinephrine;
  assert(p.patient.saps2 > 0.0 && "SAPS II is validated at load time");
  return ne.clearance_at_saps20_L_per_min * std::pow(p.patient.saps2 / 20.0, -ne.clearance_saps_exponent) *
         std::pow(weight_scale(p), 0.75);
}

NorepinephrineEffects ne_effects(const ModelParams& p, double c_alpha, double c_beta, double inflammation) {
  const auto& ne = p.norepinephrine;
  const auto& sep = p.sepsis;
  const double ec50_shift = (1.0 + sep.ne_ec50_shift * inflammation) / p.patient.ne_sensitivity;
  // Hyporesponsiveness: a linear loss of maximal effect plus a steep one in the sickest patients.
  const double emax_scale =
      std::max(0.05, 1.0 - sep.ne_emax_loss * inflammation - sep.ne_emax_loss_severe * std::pow(inflammation, 6.0));
  const double h_r = hill(c_alpha, ne.resistance_ec50_ug_per_L * ec50_shift,
                          ne.resistance_hill + sep.ne_hill_sepsis_gain * inflammation);
  const double h_v = hill(c_alpha, ne.venous_ec50_ug_per_L * ec50_shift, ne.venous_hill);
  const double h_c = hill(c_beta, ne.cardiac_ec50_ug_per_L * ec50_shift, ne.cardiac_hill);
  NorepinephrineEffects out;
  out.resistance_log_factor = ne.resistance_emax_log * emax_scale * h_r;
  out.venous_unstressed_shift_mL =
      ne.venous_unstressed_shift_mL * weight_scale(p) * emax_scale * h_v;
  out.venous_compliance_factor = 1.0 - ne.venous_compliance_loss * emax_scale * h_v;
  out.elastance_factor = 1.0 + ne.contractility_emax * emax_scale * h_c;
  out.heart_rate_bpm = ne.heart_rate_emax_bpm * emax_scale * h_c;
  return out;
}

double ne_endogenous_production_ug_per_min(const ModelParams& p, double s) {
  const auto& ne = p.norepinephrine;
  return ne.endogenous_production_ug_per_min * std::pow(weight_scale(p), 0.75) *
         std::exp(ne.endogenous_sympathetic_log_gain * (s - 0.5));
}

}  // namespace coherence::model
