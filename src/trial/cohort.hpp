// Virtual cohorts: each patient is the trial's base scenario with some of its keys drawn from
// distributions (normal, lognormal, uniform, categorical), correlated through a Gaussian copula
// where physiology demands it. Draws are seeded per patient (trial seed, patient id), so a
// patient is the same whatever the thread, the rank or the cohort size.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Dense>

namespace coherence::trial {

enum class Distribution { kNormal, kLognormal, kUniform, kCategorical };

struct CohortVariable {
  std::string key;  // a scenario key, e.g. "patient.age_years"
  Distribution distribution = Distribution::kNormal;
  double mean = 0.0, sd = 0.0;          // normal
  double median = 0.0, sd_log = 0.0;    // lognormal
  double min = 0.0, max = 0.0;          // uniform bounds; truncation for normal and lognormal
  std::vector<double> values, weights;  // categorical
  int line = 0;                         // where it was declared, for messages
};

struct CohortSpec {
  std::vector<CohortVariable> variables;
  Eigen::MatrixXd correlation;  // of the copula's normals, variables x variables (identity if none)
  Eigen::MatrixXd cholesky;     // lower factor of `correlation`
};

// One sampled patient: the values of the cohort's keys, in the spec's order, already rounded to
// the 6 significant digits written to cohort.csv (the CSV reproduces the patient exactly).
struct Patient {
  int id = 0;                // 1-based
  std::uint64_t seed = 0;    // the patient's scenario.seed (capillary networks)
  std::vector<double> values;
};

// Draws patient `id` (1-based) of a cohort seeded with `trial_seed`.
Patient sample_patient(const CohortSpec& spec, std::uint64_t trial_seed, int id);

// The value's text as written to CSV and passed to the scenario (6 significant digits, always
// with a decimal point or exponent so that TOML reads it as a float).
std::string format_value(double v);

// cohort.csv: patient_id, seed, then one column per cohort key.
std::string cohort_csv_header(const CohortSpec& spec);
std::string cohort_csv_row(const Patient& p);

}  // namespace coherence::trial
