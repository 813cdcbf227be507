// Runs one scenario: turns its events into piecewise-constant model inputs, integrates from the
// start of the sepsis course (or t = 0) to the end, and samples the outputs.
#pragma once

#include <string>
#include <vector>

#include "model/ode_solver.hpp"
#include "scenario/scenario.hpp"

namespace coherence::run {

// Column names of timeseries.csv (DESIGN.md's contract first, then extras).
const std::vector<std::string>& timeseries_columns();

struct RunResult {
  std::vector<std::vector<double>> rows;  // one per output time; NaN = not computed (empty cell)
  bool completed = false;
  std::string error;                      // why the run stopped early
  double start_min = 0.0;                 // where integration began (before t = 0 if sepsis did)
  model::SolverStatistics solver;
};

RunResult run_scenario(const scenario::Scenario& s);

// Index of a column in timeseries_columns() (throws std::out_of_range for an unknown name).
std::size_t column_index(const std::string& name);

}  // namespace coherence::run
