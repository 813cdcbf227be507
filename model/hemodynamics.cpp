#include "model/hemodynamics.hpp"

#include <cmath>

#include "model/smooth.hpp"

namespace coherence::model {

double diastolic_filling_fraction(double heart_rate_bpm, double filling_time_constant_s) {
  const double period_s = 60.0 / heart_rate_bpm;
  const double systole_s = 0.3 * std::sqrt(period_s);
  const double diastole_s = soft_positive(period_s - systole_s, 0.01);
  return 1.0 - std::exp(-diastole_s / filling_time_constant_s);
}

namespace {

// End-diastolic volume from the exponential diastolic pressure-volume relation.
double end_diastolic_volume(double filling_mmHg, double unstressed_mL, double p0_mmHg,
                            double stiffness_per_mL) {
  return unstressed_mL + std::log1p(soft_positive(filling_mmHg, 0.5) / p0_mmHg) / stiffness_per_mL;
}

}  // namespace

CirculationState circulation(const HemodynamicParams& h, double s, double capacity,
                             const CirculationTone& tone, const CirculationVolumes& v) {
  CirculationState out;
  // Compartment pressures: linear pressure-volume relations.
  const double c_a = h.arterial_compliance_mL_per_mmHg * s;
  const double c_v = tone.venous_compliance_mL_per_mmHg;
  const double c_c = h.central_compliance_mL_per_mmHg * s;
  const double c_p = h.pulmonary_compliance_mL_per_mmHg * s;
  const double v0_a = h.arterial_unstressed_mL * capacity;
  const double v0_c = h.central_unstressed_mL * capacity;
  const double v0_p = h.pulmonary_unstressed_mL * capacity;
  out.arterial_mmHg = (v.arterial_mL - v0_a) / c_a;
  out.venous_mmHg = (v.venous_mL - tone.venous_unstressed_mL) / c_v;
  out.central_mmHg = (v.central_mL - v0_c) / c_c;
  out.pulmonary_mmHg = (v.pulmonary_mL - v0_p) / c_p;

  // Passive flows through resistances.
  out.systemic_flow_mL_per_min =
      (out.arterial_mmHg - out.venous_mmHg) / tone.systemic_resistance_mmHg_min_per_mL;
  out.venous_return_mL_per_min =
      (out.venous_mmHg - out.central_mmHg) / (h.venous_return_resistance_mmHg_min_per_mL / s * tone.venous_return_resistance_factor);

  // Ventricles: Frank-Starling filling against end-systolic elastance.
  const double hr = tone.heart_rate_bpm;
  const double phi = diastolic_filling_fraction(hr, h.filling_time_constant_s);
  const double vu_r = h.rv_unstressed_volume_mL * s;
  const double vu_l = h.lv_unstressed_volume_mL * s;
  const double edv_r = end_diastolic_volume(out.central_mmHg, vu_r, h.rv_diastolic_p0_mmHg,
                                            h.rv_diastolic_stiffness_per_mL / s * tone.diastolic_stiffness_factor);
  const double edv_l = end_diastolic_volume(out.pulmonary_mmHg, vu_l, h.lv_diastolic_p0_mmHg,
                                            h.lv_diastolic_stiffness_per_mL / s * tone.diastolic_stiffness_factor);
  const double e_r = tone.rv_elastance_mmHg_per_mL;
  const double e_l = tone.lv_elastance_mmHg_per_mL;
  const double pvr = h.pulmonary_resistance_mmHg_min_per_mL / s;
  // RV: SV = phi (EDV - Vu - (P_p + HR SV PVR)/E)  =>  closed form in SV.
  const double sv_r_raw = phi * (edv_r - vu_r - out.pulmonary_mmHg / e_r) / (1.0 + phi * hr * pvr / e_r);
  const double sv_l_raw = phi * (edv_l - vu_l - out.arterial_mmHg / e_l);
  const double sv_r = soft_positive(sv_r_raw, 1.0);
  out.lv_stroke_volume_mL = soft_positive(sv_l_raw, 1.0);
  out.rv_output_mL_per_min = hr * sv_r;
  out.lv_output_mL_per_min = hr * out.lv_stroke_volume_mL;

  // Mean systemic filling pressure: the pressure if all flow stopped and volumes equilibrated.
  const double stressed = (v.arterial_mL - v0_a) + (v.venous_mL - tone.venous_unstressed_mL) +
                          (v.central_mL - v0_c) + (v.pulmonary_mL - v0_p);
  out.mean_systemic_filling_mmHg = stressed / (c_a + c_v + c_c + c_p);
  return out;
}

double baroreflex_target(const BaroreflexParams& b, double map_mmHg) {
  const double z = (map_mmHg - b.map_set_point_mmHg) / b.map_slope_mmHg;
  return 1.0 / (1.0 + std::exp(z));
}

double vascular_sympathetic_target(const BaroreflexParams& b, double map_mmHg, double cvp_mmHg) {
  // Cardiopulmonary term: slope 1/k_cp near the set point, bounded at +-A (receptor saturation).
  const double a = b.cvp_term_bound;
  const double z = (map_mmHg - b.map_set_point_mmHg) / b.map_slope_mmHg +
                   a * std::tanh((cvp_mmHg - b.cvp_set_point_mmHg) / (b.cvp_slope_mmHg * a));
  return 1.0 / (1.0 + std::exp(z));
}

}  // namespace coherence::model
