#include "run/exposure.hpp"

#include <algorithm>

namespace coherence::run {

Exposure compute_exposure(const std::vector<Sample>& all_rows, double weight_kg) {
  // Rows from admission (t = 0): a course simulated before it has no output rows today, but the
  // figures are about the patient in our care either way.
  std::vector<const Sample*> rows;
  for (const auto& row : all_rows) {
    if (row.time_min >= -1e-9) rows.push_back(&row);
  }
  Exposure e;
  if (rows.empty()) return e;
  // Accumulated in minutes and micrograms, converted once at the end.
  double ne_ug = 0.0, ne_high_min = 0.0, ne_min = 0.0, map_low_min = 0.0, vp_min = 0.0, epi_min = 0.0, epi_ug = 0.0,
         dob_min = 0.0, dob_ug = 0.0, ntg_min = 0.0, ntg_ug = 0.0;
  bool vp_on = false;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Sample& row = *rows[i];
    const double dt = i + 1 < rows.size() ? rows[i + 1]->time_min - row.time_min : 0.0;
    e.ne_peak_ug_per_kg_min = std::max(e.ne_peak_ug_per_kg_min, row.ne_dose_ug_per_kg_min);
    ne_ug += row.ne_dose_ug_per_kg_min * weight_kg * dt;
    ne_high_min += row.ne_dose_ug_per_kg_min > kNeCliff_ug_per_kg_min ? dt : 0.0;
    ne_min += row.ne_dose_ug_per_kg_min > 0.0 ? dt : 0.0;
    map_low_min += row.map_mmHg >= kMapFloor_mmHg ? 0.0 : dt;
    vp_min += row.vasopressin_U_per_min > 0.0 ? dt : 0.0;
    e.vasopressin_total_U += row.vasopressin_U_per_min * dt;
    if (row.vasopressin_U_per_min > 0.0 && !vp_on) e.vasopressin_starts += 1.0;
    vp_on = row.vasopressin_U_per_min > 0.0;
    epi_min += row.epinephrine_ug_per_kg_min > 0.0 ? dt : 0.0;
    epi_ug += row.epinephrine_ug_per_kg_min * weight_kg * dt;
    dob_min += row.dobutamine_ug_per_kg_min > 0.0 ? dt : 0.0;
    dob_ug += row.dobutamine_ug_per_kg_min * weight_kg * dt;
    ntg_min += row.nitroglycerin_ug_per_min > 0.0 ? dt : 0.0;
    ntg_ug += row.nitroglycerin_ug_per_min * dt;
  }
  e.ne_cumulative_mg = ne_ug / 1000.0;
  e.ne_above_0_8_h = ne_high_min / 60.0;
  e.ne_h = ne_min / 60.0;
  e.map_below_65_h = map_low_min / 60.0;
  e.vasopressin_h = vp_min / 60.0;
  e.epinephrine_h = epi_min / 60.0;
  e.epinephrine_total_mg = epi_ug / 1000.0;
  e.dobutamine_h = dob_min / 60.0;
  e.dobutamine_total_mg = dob_ug / 1000.0;
  e.nitroglycerin_h = ntg_min / 60.0;
  e.nitroglycerin_total_mg = ntg_ug / 1000.0;
  e.fluids_in_mL = rows.back()->fluids_in_mL;
  e.fluid_balance_mL = rows.back()->fluid_balance_mL;
  return e;
}

}  // namespace coherence::run
