#include "model/oxygen.hpp"

#include "model/smooth.hpp"

namespace coherence::model {

namespace {
constexpr double kMillilitresO2PerMmol = 22.4;
}

double lactate_volume_L(const ModelParams& p) {
  return p.oxygen.lactate_volume_L_per_kg * p.patient.weight_kg;
}

OxygenBalance oxygen_balance(const ModelParams& p, double haematocrit, double co_mL_per_min,
                             double inflammation, double extraction_capacity) {
  const auto& o = p.oxygen;
  const double w = p.patient.weight_kg;
  OxygenBalance out;
  // Delivery.
  out.haemoglobin_g_per_dL = haematocrit * o.mchc_g_per_dL;
  out.arterial_o2_content_mL_per_L =
      10.0 * (1.34 * out.haemoglobin_g_per_dL * o.arterial_saturation_fraction + 0.0031 * o.arterial_po2_mmHg);
  out.delivery_mL_per_min = co_mL_per_min / 1000.0 * out.arterial_o2_content_mL_per_L;
  // Consumption: demand met until extraction saturates (supply dependence).
  out.demand_mL_per_min = o.vo2_mL_per_kg_min * w * (1.0 + p.sepsis.metabolic_gain * inflammation);
  const double supply_limit = o.max_extraction_fraction * extraction_capacity * out.delivery_mL_per_min;
  out.consumption_mL_per_min = soft_min(out.demand_mL_per_min, supply_limit,
                                        o.supply_dependence_smoothing * out.demand_mL_per_min);
  out.extraction_fraction = out.consumption_mL_per_min / out.delivery_mL_per_min;
  // Lactate production: basal, septic (aerobic adrenergic glycolysis), hypoxic.
  // soft_min never exceeds either argument, so the shortfall is >= 0 without clamping.
  const double shortfall_mmol_per_min =
      (out.demand_mL_per_min - out.consumption_mL_per_min) / kMillilitresO2PerMmol;
  out.lactate_production_mmol_per_min =
      (o.basal_lactate_mmol_per_kg_h + o.septic_lactate_mmol_per_kg_h * inflammation) * w / 60.0 +
      o.lactate_per_o2_deficit * shortfall_mmol_per_min;
  // Hepatic clearance falls with hepatic hypoperfusion (cardiac output as its proxy).
  const double flow_ratio = co_mL_per_min / (o.reference_cardiac_index_mL_per_kg_min * w);
  const double h = o.hepatic_flow_half_saturation;
  const double flow_factor = flow_ratio * (1.0 + h) / (flow_ratio + h);
  out.lactate_clearance_L_per_min = o.lactate_clearance_mL_per_kg_h / 1000.0 * w / 60.0 *
                                    p.patient.hepatic_function * soft_min(flow_factor, 1.0, 0.05);
  return out;
}

}  // namespace coherence::model
