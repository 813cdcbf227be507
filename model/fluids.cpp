#include "model/fluids.hpp"

#include <cmath>

#include "model/smooth.hpp"

namespace coherence::model {

double oncotic_pressure_mmHg(double c) {
  return 2.1 * c + 0.16 * c * c + 0.009 * c * c * c;
}

double interstitial_pressure_mmHg(const FluidParams& f, double s, double volume_mL) {
  const double v0 = f.interstitial_volume_mL_per_kg * 70.0 * s;
  const double c_lo = f.interstitial_compliance_low_mL_per_mmHg * s;
  const double c_hi = f.interstitial_compliance_high_mL_per_mmHg * s;
  const double dv = volume_mL - v0;
  if (dv <= 0.0) return f.interstitial_pressure_mmHg + dv * (1.0 / c_lo + 1.0 / c_hi);
  const double span = f.interstitial_pressure_span_mmHg;
  return f.interstitial_pressure_mmHg + span * std::tanh(dv / (span * c_lo)) + dv / c_hi;
}

namespace {

// Net filtration (mL/min) and protein escape (g/min) for given pressures and concentrations.
struct Starling {
  double filtration_mL_per_min;
  double protein_escape_g_per_min;
};

Starling starling(const ModelParams& p, double protein_permeability_mL_per_min,
                  double capillary_mmHg, double interstitial_mmHg, double c_plasma_g_per_mL,
                  double c_interstitial_g_per_mL, double inflammation) {
  const auto& f = p.fluids;
  const auto& sep = p.sepsis;
  const double s = weight_scale(p);
  const double kf = f.filtration_coefficient_mL_per_min_mmHg * s *
                    (1.0 + sep.filtration_gain * inflammation);
  const double sigma = f.reflection_coefficient - sep.reflection_loss * inflammation;
  const double pi_p = oncotic_pressure_mmHg(100.0 * c_plasma_g_per_mL);
  const double pi_i = oncotic_pressure_mmHg(100.0 * c_interstitial_g_per_mL);
  const double jv = kf * ((capillary_mmHg - interstitial_mmHg) - sigma * (pi_p - pi_i));
  const double ps = protein_permeability_mL_per_min * (1.0 + sep.protein_permeability_gain * inflammation);
  const double escape = ps * (c_plasma_g_per_mL - c_interstitial_g_per_mL) +
                        (1.0 - sigma) * jv * c_plasma_g_per_mL;
  return {jv, escape};
}

}  // namespace

FluidReference fluid_reference(const ModelParams& p, double venous_mmHg,
                               double systemic_flow_mL_per_min, double plasma_volume_mL) {
  const auto& f = p.fluids;
  const double s = weight_scale(p);
  const double v_i = f.interstitial_volume_mL_per_kg * 70.0 * s;
  const double c_p = f.plasma_protein_g_per_dL / 100.0;
  const double sigma = f.reflection_coefficient;
  const double kf = f.filtration_coefficient_mL_per_min_mmHg * s;
  FluidReference ref;
  ref.plasma_volume_mL = plasma_volume_mL;
  ref.lymph_mL_per_min = f.lymph_flow_mL_per_kg_h * p.patient.weight_kg / 60.0;
  // Protein balance: lymph returns what escapes.
  const double escape_g_per_min = f.protein_escape_fraction_per_h / 60.0 * c_p * plasma_volume_mL;
  const double c_i = escape_g_per_min / ref.lymph_mL_per_min;
  ref.interstitial_protein_g = c_i * v_i;
  ref.protein_permeability_mL_per_min =
      (escape_g_per_min - (1.0 - sigma) * ref.lymph_mL_per_min * c_p) / (c_p - c_i);
  // Water balance: filtration equals lymph at the reference pressures.
  const double pi_p = oncotic_pressure_mmHg(100.0 * c_p);
  const double pi_i = oncotic_pressure_mmHg(100.0 * c_i);
  const double pc = f.interstitial_pressure_mmHg + sigma * (pi_p - pi_i) + ref.lymph_mL_per_min / kf;
  ref.postcapillary_resistance_mmHg_min_per_mL = (pc - venous_mmHg) / systemic_flow_mL_per_min;
  return ref;
}

FluidExchange fluid_exchange(const ModelParams& p, const FluidReference& ref,
                             const FluidInputs& in) {
  const auto& f = p.fluids;
  const double s = weight_scale(p);
  FluidExchange out;
  const double c_p = in.plasma_protein_g / in.plasma_volume_mL;
  const double c_i = in.interstitial_protein_g / in.interstitial_volume_mL;
  out.capillary_mmHg =
      in.venous_mmHg + in.systemic_flow_mL_per_min * ref.postcapillary_resistance_mmHg_min_per_mL;
  out.interstitial_mmHg = interstitial_pressure_mmHg(f, s, in.interstitial_volume_mL);
  out.plasma_oncotic_mmHg = oncotic_pressure_mmHg(100.0 * c_p);
  out.interstitial_oncotic_mmHg = oncotic_pressure_mmHg(100.0 * c_i);
  const Starling st = starling(p, ref.protein_permeability_mL_per_min, out.capillary_mmHg,
                               out.interstitial_mmHg, c_p, c_i, in.inflammation);
  out.filtration_mL_per_min = st.filtration_mL_per_min;
  out.protein_escape_g_per_min = st.protein_escape_g_per_min;
  out.lymph_mL_per_min = soft_positive(
      ref.lymph_mL_per_min + f.lymph_gain_mL_per_min_mmHg * s * (out.interstitial_mmHg - f.interstitial_pressure_mmHg),
      0.05 * ref.lymph_mL_per_min);
  out.protein_return_g_per_min = out.lymph_mL_per_min * c_i;
  // Urine comes from the kidney (kidney.hpp); observe() fills it in.
  out.urine_mL_per_min = 0.0;
  out.insensible_mL_per_min = f.insensible_mL_per_kg_h * p.patient.weight_kg / 60.0;
  return out;
}

}  // namespace coherence::model
