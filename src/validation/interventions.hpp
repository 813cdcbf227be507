// Cohort-level intervention studies (issue 20): each pre-registered study of
// docs/validation_interventions_plan.md is re-run on a virtual early-septic-shock cohort under
// usual care, and the statistic the paper reports (a median or mean paired change, an arm
// difference, a correlation) is set beside the band fixed in the plan before any model run.
// Every result carries its study's label: "calibration" (a mechanism is fitted to it) or
// "validation" (held out: a result outside its band is a finding, reported, never tuned to).
#pragma once

#include <cstdint>
#include <vector>

#include "model/params.hpp"
#include "trial/cohort.hpp"
#include "validation/experiments.hpp"

namespace coherence::validation {

// One patient of the early cohort: the reference septic ICU adult with the cohort's draws.
struct CohortPatient {
  int id = 0;                     // 1-based
  model::ModelParams params;
  double severity = 0.0;          // sepsis severity (maximal host response), 0..1
  double pathogen_load = 0.0;     // infection load at the onset of shock (t = 0)
  double antibiotics_min = 0.0;   // effective antibiotics from this time on
  std::uint64_t network_seed = 0;
};

// The early-septic-shock cohort: the distributions of scenarios/trial_macro_vs_micro.toml's
// patient and sepsis keys (De Backer 2013's population; docs/trials.md), drawn with the trial
// cohort's sampler so that patient `id` of a seed is always the same patient. The draws of
// sepsis.onset_min are not used: the studies' times are counted from the onset of shock.
trial::CohortSpec early_cohort_spec();
std::vector<CohortPatient> early_cohort(int patients, std::uint64_t seed,
                                        const model::ModelParams& base = model::ModelParams{});

// The usual care the studies start from (docs/validation.md, "Intervention studies"): untreated
// from the onset of shock (t = 0) to 3 h, then 30 mL/kg crystalloid over 2 h, maintenance fluid
// 1.5 mL/kg/h and norepinephrine titrated every 30 min to MAP 65; effective antibiotics from the
// patient's antibiotics time (CohortPatient::antibiotics_min) on.
constexpr double kAdmissionMin = 180.0;

// Patients per cohort (fixed; the plan's bands carry the papers' uncertainty, not the cohort's).
constexpr int kInterventionCohortSize = 60;
constexpr std::uint64_t kInterventionCohortSeed = 2026;

// Runs every study on the cohort (patients in parallel on `threads`; the results do not depend
// on it). Results carry `study` (the plan's id) and `group` ("calibration" or "validation").
// Studies whose statistic cannot be computed (an empty subgroup) report NaN.
// `patients` < kInterventionCohortSize runs the first patients of the same cohort (tests).
std::vector<ValidationResult> intervention_studies(const model::ModelParams& base = model::ModelParams{},
                                                   int threads = 0, int patients = kInterventionCohortSize);

}  // namespace coherence::validation
