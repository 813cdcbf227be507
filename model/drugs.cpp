#include "model/drugs.hpp"

#include <algorithm>
#include <cmath>

#include "model/smooth.hpp"

namespace coherence::model {

double epinephrine_clearance_L_per_min(const ModelParams& p) {
  const auto& d = p.drugs;
  return d.epinephrine_clearance_L_per_h / 60.0 *
         std::pow(p.patient.weight_kg / 70.0, d.epinephrine_clearance_weight_exponent) *
         std::pow(p.patient.saps2 / 50.0, d.epinephrine_clearance_saps_exponent);
}

double epinephrine_volume_L(const ModelParams& p) {
  return p.drugs.epinephrine_half_life_min * epinephrine_clearance_L_per_min(p) / std::log(2.0);
}

double dobutamine_volume_L(const ModelParams& p) { return p.drugs.dobutamine_volume_L_per_kg * p.patient.weight_kg; }

double dobutamine_clearance_L_per_min(const ModelParams& p) {
  return std::log(2.0) * dobutamine_volume_L(p) / p.drugs.dobutamine_half_life_min;
}

DrugEffects drug_effects(const ModelParams& p, const DrugLevels& c) {
  const auto& d = p.drugs;
  const double vp = std::max(0.0, c.vasopressin_pg_per_mL);
  const double epi = std::max(0.0, c.epinephrine_ug_per_L);
  const double dob = std::max(0.0, c.dobutamine_ug_per_L);
  const double ntg = std::max(0.0, c.nitroglycerin_effect_ug_per_min);

  const double h_vp = hill(vp, d.vasopressin_resistance_ec50_pg_per_mL, d.vasopressin_resistance_hill);
  const double h_dob = hill(dob, d.dobutamine_ec50_ug_per_L, d.dobutamine_hill);
  const double h_ntg_v = hill(ntg, d.nitroglycerin_venous_ec50_ug_per_min, d.nitroglycerin_hill);
  const double h_ntg_a = hill(ntg, d.nitroglycerin_arterial_ec50_ug_per_min, d.nitroglycerin_hill);
  const double h_ntg_m = hill(ntg, d.nitroglycerin_micro_ec50_ug_per_min, d.nitroglycerin_hill);

  DrugEffects e;
  e.resistance_log_factor = d.vasopressin_resistance_emax_log * h_vp - d.dobutamine_resistance_emax_log * h_dob -
                            d.nitroglycerin_resistance_emax_log * h_ntg_a;
  e.venous_unstressed_shift_mL = d.nitroglycerin_venous_shift_mL * weight_scale(p) * h_ntg_v;
  e.venous_return_resistance_factor = std::exp(-d.dobutamine_venous_return_emax_log * h_dob);
  e.elastance_factor = 1.0 + d.dobutamine_contractility_emax * h_dob;
  e.heart_rate_bpm = d.dobutamine_heart_rate_emax_bpm * h_dob;
  e.alpha_ne_equivalent_ug_per_L = d.epinephrine_alpha_potency * epi;
  e.beta_ne_equivalent_ug_per_L = d.epinephrine_beta_potency * epi;
  e.micro_drive_factor = (1.0 - d.vasopressin_micro_emax * h_vp) * (1.0 + d.dobutamine_micro_emax * h_dob) *
                         (1.0 + d.nitroglycerin_micro_emax * h_ntg_m);
  // The skin's arterioles carry a high constrictor tone in shock that NO donors reverse (Lima 2014),
  // the sublingual mucosa's much less (Boerma 2010): nitroglycerin dilates the skin more.
  e.skin_micro_drive_factor = e.micro_drive_factor / (1.0 + d.nitroglycerin_micro_emax * h_ntg_m) *
                              (1.0 + d.nitroglycerin_skin_emax * h_ntg_m);
  return e;
}

}  // namespace coherence::model
