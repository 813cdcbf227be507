#include "model/oxygen.hpp"

#include <cmath>

#include "model/smooth.hpp"

namespace coherence::model {

namespace {
constexpr double kMillilitresO2PerMmol = 22.4;
}

double lactate_volume_L(const ModelParams& p) {
  return p.oxygen.lactate_volume_L_per_kg * p.patient.weight_kg;
}

OxygenBalance oxygen_balance(const ModelParams& p, const OxygenInputs& in) {
  const auto& o = p.oxygen;
  const auto& d = p.drugs;
  const double w = p.patient.weight_kg;
  OxygenBalance out;
  // Delivery.
  out.haemoglobin_g_per_dL = in.haematocrit * o.mchc_g_per_dL;
  out.arterial_o2_content_mL_per_L =
      10.0 * (1.34 * out.haemoglobin_g_per_dL * o.arterial_saturation_fraction + 0.0031 * o.arterial_po2_mmHg);
  out.delivery_mL_per_min = in.cardiac_output_mL_per_min / 1000.0 * out.arterial_o2_content_mL_per_L;
  // Consumption: beds without flow fall short locally; globally, demand is met until
  // extraction reaches its critical value (supply dependence only below DO2crit).
  out.demand_mL_per_min = o.vo2_mL_per_kg_min * w * (1.0 + p.sepsis.metabolic_gain * in.inflammation);
  const double local_mL_per_min =
      out.demand_mL_per_min * (1.0 - o.nonperfused_unmet_fraction * soft_positive(1.0 - in.extraction_capacity, 0.05));
  const double supply_limit = o.max_extraction_fraction * out.delivery_mL_per_min;
  out.consumption_mL_per_min =
      soft_min(local_mL_per_min, supply_limit, o.supply_dependence_smoothing * out.demand_mL_per_min);
  out.extraction_fraction = out.consumption_mL_per_min / out.delivery_mL_per_min;
  // Lactate production: basal, aerobic (the slow glycolytic drive), hypoxic (the O2 shortfall).
  const double shortfall_mmol_per_min =
      soft_positive(out.demand_mL_per_min - out.consumption_mL_per_min, 1e-3 * out.demand_mL_per_min) /
      kMillilitresO2PerMmol;
  out.hypoxic_lactate_mmol_per_min = o.lactate_per_o2_deficit * shortfall_mmol_per_min;
  out.lactate_production_mmol_per_min =
      (o.basal_lactate_mmol_per_kg_h + in.glycolytic_drive_mmol_per_kg_h) * w / 60.0 + out.hypoxic_lactate_mmol_per_min;
  // Target of the glycolytic drive: inflammation and beta-2 adrenergic stimulation.
  const double beta2_ug_per_L = in.epinephrine_ug_per_L + o.ne_beta2_potency * in.ne_exogenous_ug_per_L +
                                o.endogenous_beta2_per_ne * in.ne_endogenous_ug_per_L;
  out.glycolytic_drive_target_mmol_per_kg_h =
      o.septic_lactate_mmol_per_kg_h * in.inflammation +
      d.epinephrine_lactate_emax_mmol_per_kg_h * hill(beta2_ug_per_L, d.epinephrine_lactate_ec50_ug_per_L, 1.0);
  // Clearance: hepatic (splanchnic flow, slow dysfunction) and renal (GFR).
  const double q = in.cardiac_output_mL_per_min / (o.reference_cardiac_index_mL_per_kg_min * w) *
                   std::exp(-o.splanchnic_sympathetic_log_gain * (in.vascular_sympathetic - 0.5));
  out.splanchnic_flow_ratio = q;
  const double h = o.hepatic_flow_half_saturation;
  const double flow_factor = soft_min(q * (1.0 + h) / (q + h), 1.0, 0.05);
  const double f_r = o.renal_lactate_clearance_fraction;
  out.lactate_clearance_L_per_min = o.lactate_clearance_mL_per_kg_h / 1000.0 * w / 60.0 * p.patient.hepatic_function *
                                    ((1.0 - f_r) * flow_factor * (1.0 - in.hepatic_dysfunction) + f_r * in.gfr_ratio);
  out.hepatic_dysfunction_target = o.hepatic_dysfunction_inflammation * in.inflammation +
                                   o.hepatic_dysfunction_ischaemia * soft_positive(1.0 - 2.0 * q, 0.05);
  return out;
}

}  // namespace coherence::model
