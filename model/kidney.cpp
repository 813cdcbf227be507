#include "model/kidney.hpp"

#include <cmath>

#include "model/smooth.hpp"

namespace coherence::model {

namespace {
constexpr double kCreatinineMgPerUmol = 0.11312;  // 113.12 g/mol
constexpr double kMinPerDay = 1440.0;

double healthy_gfr_mL_per_min(const ModelParams& p) { return p.kidney.gfr_mL_per_min * p.patient.weight_kg / 70.0; }

double generation_umol_per_min(const ModelParams& p) {
  return p.kidney.creatinine_generation_mg_per_kg_day * p.patient.weight_kg / kCreatinineMgPerUmol / kMinPerDay;
}
}  // namespace

double creatinine_volume_L(const ModelParams& p) { return p.kidney.creatinine_volume_L_per_kg * p.patient.weight_kg; }

double healthy_creatinine_umol_per_L(const ModelParams& p) {
  return generation_umol_per_min(p) / (healthy_gfr_mL_per_min(p) / 1000.0);
}

KidneyState kidney(const ModelParams& p, const KidneyInputs& in) {
  const auto& k = p.kidney;
  KidneyState out;
  out.perfusion_pressure_mmHg = in.arterial_mmHg - in.central_venous_mmHg;
  out.lower_limit_mmHg = k.autoregulation_lower_limit_mmHg * p.patient.usual_map_mmHg / 90.0;
  const double strength = k.autoregulation_strength * (1.0 - k.autoregulation_injury_loss * in.injury);
  const double r = out.perfusion_pressure_mmHg / out.lower_limit_mmHg;
  out.renal_flow_ratio = soft_min(r, 1.0 + (1.0 - strength) * (r - 1.0), k.autoregulation_smoothing);
  const double q0 = k.filtration_flow_threshold;
  const double gfr0 = healthy_gfr_mL_per_min(p);
  // Normalised so that the healthy kidney on its plateau (Q = 1, J = 0) filters GFR0.
  const double filtration = soft_positive((out.renal_flow_ratio - q0) / (1.0 - q0), 0.05) / soft_positive(1.0, 0.05);
  out.gfr_mL_per_min = gfr0 * (1.0 - k.injury_gfr_loss * in.injury) * filtration;
  out.gfr_ratio = out.gfr_mL_per_min / gfr0;
  const double u0 = p.fluids.urine_mL_per_kg_h * p.patient.weight_kg / 60.0;
  out.urine_mL_per_min = u0 * out.gfr_ratio *
                         std::exp(k.volume_diuresis_gain * (in.plasma_volume_mL / in.reference_plasma_volume_mL - 1.0));
  out.ultrafiltration_mL_per_min = in.rrt_net_ultrafiltration_mL_per_h / 60.0;
  out.creatinine_clearance_mL_per_min =
      out.gfr_mL_per_min + in.rrt_effluent_mL_per_kg_h * p.patient.weight_kg / 60.0;
  out.creatinine_generation_umol_per_min = generation_umol_per_min(p);
  // Hypoperfusion injures below the plateau only (the corner at 0.95 keeps a healthy kidney intact).
  const double drive = k.injury_inflammation_rate_per_h * in.inflammation +
                       k.injury_hypoperfusion_rate_per_h * soft_positive(0.95 - out.renal_flow_ratio, 0.01);
  out.injury_rate_per_min = (drive * (1.0 - in.injury) - k.injury_recovery_rate_per_h * in.injury) / 60.0;
  return out;
}

int kdigo_creatinine_stage(double creatinine_umol_per_L, double baseline_umol_per_L) {
  const double ratio = creatinine_umol_per_L / baseline_umol_per_L;
  if (ratio >= 3.0 || creatinine_umol_per_L >= 353.6) return 3;
  if (ratio >= 2.0) return 2;
  if (ratio >= 1.5 || creatinine_umol_per_L - baseline_umol_per_L >= 26.5) return 1;
  return 0;
}

}  // namespace coherence::model
