// Calibration and validation experiments: each reproduces one published observation with the
// model and reports the measured value beside the literature band. The same functions feed the
// test suite (which asserts the bands) and `coherence validate` (which writes the tables of
// docs/validation.md and docs/model/*.md), so the documented numbers are produced, not typed.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "model/params.hpp"
#include "model/simulator.hpp"

namespace coherence::validation {

struct ValidationResult {
  std::string id;          // stable name, used by tests
  std::string system;      // docs/model/<system>.md
  std::string quantity;    // what is measured, in words
  std::string source;      // where the target comes from
  std::string unit;
  double measured = 0.0;
  double low = 0.0;        // acceptance band [low, high]
  double high = 0.0;
  bool acceptance = true;  // false: reported for information, not asserted
  // Intervention studies (interventions.hpp): the pre-registered study's id and its label,
  // "calibration" or "validation"; both empty for the reference-patient checks.
  std::string study;
  std::string group;
  bool pass() const { return measured >= low && measured <= high; }
};

// An experiment runs on a base parameter set (the model's defaults unless a caller, such as a
// calibration sweep, passes another) from which it builds its reference patients.
struct Experiment {
  std::string id;
  std::function<std::vector<ValidationResult>(const model::ModelParams& base)> run;
};

// Every experiment, in documentation order.
const std::vector<Experiment>& experiments();

// Runs one experiment by id (throws std::out_of_range for an unknown id).
std::vector<ValidationResult> run_experiment(const std::string& id,
                                             const model::ModelParams& base = model::ModelParams{});

// Reference virtual patients used by the experiments, built on a base parameter set.
model::ModelParams healthy_adult(const model::ModelParams& base = model::ModelParams{});
// SAPS II 50, baroreflex intact (before the ICU).
model::ModelParams septic_adult(const model::ModelParams& base = model::ModelParams{});
// The same, sedated and ventilated (baroreflex gain 0.5), as in the ICU studies.
model::ModelParams septic_icu_adult(const model::ModelParams& base = model::ModelParams{});

// Inputs of a septic patient at the given severity on maintenance fluid (1.5 mL/kg/h).
model::Inputs maintenance_inputs(const model::ModelParams& p, double severity);

}  // namespace coherence::validation
