// What a run gave the patient and how long it spent below the floors, from the output rows:
// computed once here for `coherence run`'s summary.json and a trial's patients.csv, so that the
// two report the same figure under the same name.
//
// Time weighting: the rows from admission (t = 0) on, each standing for the interval to the next
// row; the last row stands for nothing (the run ends there). Hours of X = sum of those intervals
// where X holds; an amount = sum of rate x interval.
#pragma once

#include <vector>

#include "run/sample.hpp"

namespace coherence::run {

inline constexpr double kNeCliff_ug_per_kg_min = 0.8;  // the source study's NE > 0.80 (BRIEF.md)
inline constexpr double kMapFloor_mmHg = 65.0;         // Surviving Sepsis Campaign minimum

// Every field is named as in summary.json and patients.csv. With no row from admission on, the
// hours and amounts are 0 and the last-row figures NaN.
struct Exposure {
  double ne_cumulative_mg = 0.0;         // NE dose x weight x time
  double ne_peak_ug_per_kg_min = 0.0;
  double ne_above_0_8_h = 0.0;           // NE > kNeCliff_ug_per_kg_min
  double ne_h = 0.0;                     // NE > 0
  double map_below_65_h = 0.0;           // MAP not >= kMapFloor_mmHg
  double vasopressin_h = 0.0;
  double vasopressin_total_U = 0.0;
  double vasopressin_starts = 0.0;       // rows where vasopressin goes from off to on
  double epinephrine_h = 0.0;
  double epinephrine_total_mg = 0.0;
  double dobutamine_h = 0.0;
  double dobutamine_total_mg = 0.0;
  double nitroglycerin_h = 0.0;
  double nitroglycerin_total_mg = 0.0;
  double fluids_in_mL = Sample::kNotComputed;      // the last row's (since the start of the run)
  double fluid_balance_mL = Sample::kNotComputed;  // the last row's
};

// The exposure of a run's output rows (in time order) for a patient of `weight_kg`.
Exposure compute_exposure(const std::vector<Sample>& rows, double weight_kg);

}  // namespace coherence::run
