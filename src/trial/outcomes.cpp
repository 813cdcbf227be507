#include "trial/outcomes.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "model/random.hpp"
#include "run/exposure.hpp"

namespace coherence::trial {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::uint64_t kPurposeDeath = 23;
using run::kMapFloor_mmHg;
constexpr double kLactateNormal_mmol_per_L = 2.0;
constexpr double kMfiAbnormal = 2.6;            // MicroDAIMON's threshold
constexpr double kCriticalDo2_mL_per_min_kg = 3.8;  // Ronco 1993, septic patients
constexpr double kDay_min = 1440.0;

const std::vector<std::string> kColumns = {
    "time_to_map_65_h",          "time_map_ge_65_pct",        "ne_cumulative_mg",
    "ne_peak_ug_per_kg_min",     "ne_above_0_8_h",            "fluids_in_mL",
    "fluid_balance_mL",          "lactate_0h_mmol_per_L",     "lactate_6h_mmol_per_L",
    "lactate_clearance_6h_pct",  "lactate_normalised_6h",     "time_to_lactate_le_2_h",
    "lactate_excess_mmol_h_per_L", "map_below_65_h",          "hypotension_area_mmHg_h",
    "mfi_below_2_6_h",
    "do2_below_critical_h",      "lactate_day1_mean_mmol_per_L", "mfi_day1_mean",
    "ppv_day1_mean_pct",         "predicted_mortality_28d",   "death_28d",
    "survival_d"};

const std::vector<std::string> kExposureColumns = {
    "ne_h",           "vasopressin_h",        "vasopressin_total_U", "vasopressin_starts",
    "epinephrine_h",  "epinephrine_total_mg", "dobutamine_h",        "dobutamine_total_mg",
    "nitroglycerin_h", "nitroglycerin_total_mg", "map_within_5_mmHg_pct", "decisions"};

}  // namespace

const std::vector<std::string>& exposure_columns() { return kExposureColumns; }

std::vector<double> compute_exposure(const scenario::Scenario& s, const run::RunResult& r) {
  const run::Exposure e = run::compute_exposure(r.rows, s.params.patient.weight_kg);
  return {e.ne_h,          e.vasopressin_h,          e.vasopressin_total_U, e.vasopressin_starts,
          e.epinephrine_h, e.epinephrine_total_mg,   e.dobutamine_h,        e.dobutamine_total_mg,
          e.nitroglycerin_h, e.nitroglycerin_total_mg,
          r.varvel ? r.varvel->within_5_mmHg_pct : kNaN, static_cast<double>(r.decisions.size())};
}

double saps2_logit(double saps2) { return -7.7631 + 0.0737 * saps2 + 0.9971 * std::log(saps2 + 1.0); }

const std::vector<std::string>& outcome_columns() { return kColumns; }

double death_exponential(std::uint64_t trial_seed, int patient_id) {
  model::Rng rng = model::Rng::stream(trial_seed, static_cast<std::uint64_t>(patient_id), kPurposeDeath);
  return -std::log(1.0 - rng.uniform());
}

std::vector<double> compute_outcomes(const scenario::Scenario& s, const run::RunResult& r, const OutcomeModel& m,
                                     double death_exp) {
  const double weight = s.params.patient.weight_kg;
  // Rows from admission (t = 0); each stands for the interval to the next row.
  std::vector<const run::Sample*> rows;
  for (const auto& row : r.rows) {
    if (row.time_min >= -1e-9) rows.push_back(&row);
  }
  std::vector<double> out(kColumns.size(), kNaN);
  if (rows.empty()) return out;
  auto dt_min = [&](std::size_t i) {
    return i + 1 < rows.size() ? rows[i + 1]->time_min - rows[i]->time_min : 0.0;
  };
  auto value_at = [&](run::SampleMember col, double t_min) {
    // The last row at or before t (the run may have stopped earlier: NaN then).
    if (rows.back()->time_min < t_min - 1e-9) return kNaN;
    double v = rows.front()->*col;
    for (const auto* row : rows) {
      if (row->time_min > t_min + 1e-9) break;
      v = row->*col;
    }
    return v;
  };
  double time_to_map = kNaN, time_to_lac = kNaN;
  double total_min = 0.0, at_target_min = 0.0;
  double lac_excess = 0.0, map_deficit = 0.0, mfi_low_min = 0.0, do2_low_min = 0.0;
  double day1_min = 0.0, lac_day1 = 0.0, mfi_day1 = 0.0, ppv_day1 = 0.0, map_deficit_day1 = 0.0, mfi_low_day1 = 0.0,
         do2_low_day1 = 0.0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& row = *rows[i];
    const double t = row.time_min, dt = dt_min(i);
    if (std::isnan(time_to_map) && row.map_mmHg >= kMapFloor_mmHg) time_to_map = t / 60.0;
    if (std::isnan(time_to_lac) && row.lactate_mmol_per_L <= kLactateNormal_mmol_per_L) time_to_lac = t / 60.0;
    total_min += dt;
    const bool map_ok = row.map_mmHg >= kMapFloor_mmHg;
    const bool mfi_low = row.mfi < kMfiAbnormal;
    const bool do2_low = row.do2_mL_per_min / weight < kCriticalDo2_mL_per_min_kg;
    at_target_min += map_ok ? dt : 0.0;
    lac_excess += std::max(0.0, row.lactate_mmol_per_L - kLactateNormal_mmol_per_L) * dt / 60.0;
    // The depth of hypotension, not its mere presence: a MAP held at the floor adds nothing.
    const double deficit = std::max(0.0, kMapFloor_mmHg - row.map_mmHg);
    map_deficit += deficit * dt;
    mfi_low_min += mfi_low ? dt : 0.0;
    do2_low_min += do2_low ? dt : 0.0;
    // Day 1: [0, 24 h).
    const double in_day1 = std::max(0.0, std::min(t + dt, kDay_min) - t);
    if (in_day1 > 0.0) {
      day1_min += in_day1;
      lac_day1 += row.lactate_mmol_per_L * in_day1;
      mfi_day1 += row.mfi * in_day1;
      ppv_day1 += row.ppv_pct * in_day1;
      map_deficit_day1 += deficit * in_day1;
      mfi_low_day1 += mfi_low ? in_day1 : 0.0;
      do2_low_day1 += do2_low ? in_day1 : 0.0;
    }
  }
  const double lac0 = value_at(&run::Sample::lactate_mmol_per_L, 0.0);
  const double lac6 = value_at(&run::Sample::lactate_mmol_per_L, 360.0);
  // The figures a run's summary.json reports too, from the one function both use.
  const run::Exposure e = run::compute_exposure(r.rows, weight);
  std::size_t k = 0;
  out[k++] = time_to_map;
  out[k++] = total_min > 0.0 ? 100.0 * at_target_min / total_min : kNaN;
  out[k++] = e.ne_cumulative_mg;
  out[k++] = e.ne_peak_ug_per_kg_min;
  out[k++] = e.ne_above_0_8_h;
  out[k++] = e.fluids_in_mL;
  out[k++] = e.fluid_balance_mL;
  out[k++] = lac0;
  out[k++] = lac6;
  out[k++] = lac0 > 0.0 && !std::isnan(lac6) ? 100.0 * (lac0 - lac6) / lac0 : kNaN;
  out[k++] = std::isnan(lac6) ? kNaN : (lac6 <= kLactateNormal_mmol_per_L ? 1.0 : 0.0);
  out[k++] = time_to_lac;
  out[k++] = lac_excess;
  out[k++] = e.map_below_65_h;
  out[k++] = map_deficit / 60.0;
  out[k++] = mfi_low_min / 60.0;
  out[k++] = do2_low_min / 60.0;
  const double lac_mean = day1_min > 0.0 ? lac_day1 / day1_min : kNaN;
  out[k++] = lac_mean;
  out[k++] = day1_min > 0.0 ? mfi_day1 / day1_min : kNaN;
  out[k++] = day1_min > 0.0 ? ppv_day1 / day1_min : kNaN;

  // Outcome model (day-1 states; a run that stops at circulatory arrest is a death then).
  double p = kNaN, death = kNaN, survival_d = kNaN;
  if (r.arrest_min) {
    p = 1.0;
    death = 1.0;
    survival_d = *r.arrest_min / kDay_min;
  } else if (day1_min >= kDay_min - 1e-6) {
    const double eta = m.intercept + m.saps_weight * saps2_logit(s.params.patient.saps2) +
                       m.lactate_log_odds * std::log(std::max(lac_mean, 1.0) / kLactateNormal_mmol_per_L) +
                       m.mfi_log_odds * mfi_low_day1 / day1_min + m.hypotension_log_odds * map_deficit_day1 / day1_min +
                       m.dysoxia_log_odds * do2_low_day1 / day1_min;
    p = 1.0 / (1.0 + std::exp(-eta));
    const double h28 = -std::log1p(-std::min(p, 1.0 - 1e-15));
    // The hazard is computed from day 1, so it runs from the end of day 1 (no death before the
    // data it was computed from): H(t) = H28 ((t - 1 d) / 27 d)^shape, P(death by day 28) = P.
    const double t_death_d = 1.0 + 27.0 * std::pow(death_exp / h28, 1.0 / m.hazard_shape);
    death = t_death_d <= 28.0 ? 1.0 : 0.0;
    survival_d = std::min(t_death_d, 28.0);
  }
  out[k++] = p;
  out[k++] = death;
  out[k++] = survival_d;
  return out;
}

}  // namespace coherence::trial
