// Benchmark: the whole model through 72 simulated hours of septic shock on one core, reported
// as a real-time factor (simulated time / wall time). DESIGN.md's goal: >= 1e5.
// Usage: bench_model [SCENARIO.toml] [repetitions]
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <vector>

#include "run/runner.hpp"
#include "scenario/scenario.hpp"

int main(int argc, char** argv) {
  using clock = std::chrono::steady_clock;
  const std::string file = argc > 1 ? argv[1] : COHERENCE_SOURCE_DIR "/scenarios/septic_shock_ne.toml";
  const int reps = argc > 2 ? std::atoi(argv[2]) : 20;
  const auto s = coherence::scenario::load_scenario(file);
  std::vector<double> seconds;
  coherence::run::RunResult last;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = clock::now();
    last = coherence::run::run_scenario(s);
    seconds.push_back(std::chrono::duration<double>(clock::now() - t0).count());
  }
  std::sort(seconds.begin(), seconds.end());
  const double median = seconds[seconds.size() / 2];
  const double simulated_s = (s.duration_min - last.start_min) * 60.0;
  fmt::print("scenario: {}\n", s.name);
  fmt::print("simulated: {:.1f} h (from {:.0f} min), {} output rows\n", simulated_s / 3600.0, last.start_min,
             last.rows.size());
  fmt::print("wall time per run: median {:.2f} ms, min {:.2f} ms over {} runs\n", median * 1e3, seconds.front() * 1e3,
             reps);
  fmt::print("real-time factor: {:.3g} (goal >= 1e5)\n", simulated_s / median);
  fmt::print("CVODE: {} steps, {} RHS evaluations, {} Jacobian evaluations, {} restarts\n", last.solver.steps,
             last.solver.rhs_evaluations, last.solver.jacobian_evaluations, last.solver.reinitializations);
  return last.completed ? 0 : 1;
}
