#include "model/infusion_kinetics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "model/drugs.hpp"
#include "model/norepinephrine.hpp"

namespace coherence::model {

namespace {

enum Slot : std::size_t { kNePlasma = 0, kNeSite, kVp, kEpi, kDob, kNtg };

// (e^{-a t} - e^{-b t}) / (b - a), without cancellation when a and b are close.
double exponential_difference(double a, double b, double t) {
  const double x = (b - a) * t;
  if (std::abs(x) > 1.0) return (std::exp(-a * t) - std::exp(-b * t)) / (b - a);
  const double phi = x == 0.0 ? 1.0 : -std::expm1(-x) / x;
  return std::exp(-a * t) * t * phi;
}

}  // namespace

std::array<int, kIntegratedStateCount> integrated_states() {
  std::array<int, kIntegratedStateCount> out{};
  std::size_t n = 0;
  for (int i = 0; i < kStateCount; ++i) {
    if (std::find(kExactStates.begin(), kExactStates.end(), i) == kExactStates.end()) out.at(n++) = i;
  }
  return out;
}

bool differ_only_in_infusions(const Inputs& a, const Inputs& b) {
  Inputs b_with_a_infusions = b;
  b_with_a_infusions.ne_dose_ug_per_kg_min = a.ne_dose_ug_per_kg_min;
  b_with_a_infusions.vasopressin_U_per_min = a.vasopressin_U_per_min;
  b_with_a_infusions.epinephrine_ug_per_kg_min = a.epinephrine_ug_per_kg_min;
  b_with_a_infusions.dobutamine_ug_per_kg_min = a.dobutamine_ug_per_kg_min;
  b_with_a_infusions.nitroglycerin_ug_per_min = a.nitroglycerin_ug_per_min;
  return a == b_with_a_infusions;
}

InfusionKinetics::InfusionKinetics(const ModelParams& p, double t0_min, const StateVector& y,
                                   const Inputs& inputs)
    : t0_min_(t0_min) {
  for (std::size_t j = 0; j < kExactStates.size(); ++j) level0_.at(j) = y.at(kExactStates.at(j));
  set_rates(p, inputs);
}

void InfusionKinetics::set_rates(const ModelParams& p, const Inputs& in) {
  const auto& ne = p.norepinephrine;
  const auto& dr = p.drugs;
  const double w = p.patient.weight_kg;
  const double ne_cl = ne_clearance_L_per_min(p);
  rate_[kNePlasma] = ne_cl / (ne.volume_L * weight_scale(p));
  target_[kNePlasma] = in.ne_dose_ug_per_kg_min * w / ne_cl;
  rate_[kNeSite] = std::log(2.0) / ne.effect_site_half_life_min;
  target_[kNeSite] = target_[kNePlasma];
  rate_[kVp] = std::log(2.0) / dr.vasopressin_half_life_min;
  target_[kVp] = dr.vasopressin_ss_pg_per_mL_per_U_per_min * in.vasopressin_U_per_min;
  const double epi_cl = epinephrine_clearance_L_per_min(p);
  rate_[kEpi] = epi_cl / epinephrine_volume_L(p);
  target_[kEpi] = in.epinephrine_ug_per_kg_min * w / epi_cl;
  const double dob_cl = dobutamine_clearance_L_per_min(p);
  rate_[kDob] = dob_cl / dobutamine_volume_L(p);
  target_[kDob] = in.dobutamine_ug_per_kg_min * w / dob_cl;
  rate_[kNtg] = std::log(2.0) / dr.nitroglycerin_half_life_min;
  target_[kNtg] = in.nitroglycerin_ug_per_min;
}

std::array<double, kExactStates.size()> InfusionKinetics::levels(double t_min) const {
  std::array<double, kExactStates.size()> level{};
  const double t = t_min - t0_min_;
  for (std::size_t j = 0; j < kExactStates.size(); ++j) {
    if (j == kNeSite) continue;
    // At its steady state (a drug that is off, most of the time) the level is the target,
    // exactly what the formula gives, without the exponential.
    level[j] = level0_[j] == target_[j] ? target_[j]
                                        : target_[j] + (level0_[j] - target_[j]) * std::exp(-rate_[j] * t);
  }
  // The effect site follows plasma NE: its own decay plus the plasma transient passed on.
  const double a = rate_[kNePlasma];
  const double k = rate_[kNeSite];
  level[kNeSite] = level0_[kNeSite] == target_[kNeSite] && level0_[kNePlasma] == target_[kNePlasma]
                       ? target_[kNeSite]
                       : target_[kNeSite] + (level0_[kNeSite] - target_[kNeSite]) * std::exp(-k * t) +
                             k * (level0_[kNePlasma] - target_[kNePlasma]) * exponential_difference(a, k, t);
  return level;
}

void InfusionKinetics::fill(double t_min, StateVector& y) const {
  const auto level = levels(t_min);
  for (std::size_t j = 0; j < kExactStates.size(); ++j) y[kExactStates[j]] = level[j];
}

void InfusionKinetics::fill_cached(double t_min, StateVector& y) {
  if (t_min != filled_t_min_) {
    filled_ = levels(t_min);
    filled_t_min_ = t_min;
  }
  for (std::size_t j = 0; j < kExactStates.size(); ++j) y[kExactStates[j]] = filled_[j];
}

void InfusionKinetics::restart(const ModelParams& p, double t_min, const Inputs& inputs) {
  StateVector y{};
  fill(t_min, y);
  for (std::size_t j = 0; j < kExactStates.size(); ++j) level0_.at(j) = y.at(kExactStates.at(j));
  t0_min_ = t_min;
  set_rates(p, inputs);
  filled_t_min_ = std::numeric_limits<double>::quiet_NaN();
}

}  // namespace coherence::model
