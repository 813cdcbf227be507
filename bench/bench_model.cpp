// Whole model through 72 simulated hours of septic shock on one core (DESIGN.md: >= 1e5 x real
// time, 72 h well under 1 s), and the capillary networks' generation and evaluation.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "bench/benchmarks.hpp"
#include "model/microcirculation.hpp"
#include "run/runner.hpp"
#include "scenario/scenario.hpp"
#include "viz/presets.hpp"

namespace coherence::bench {

namespace {
using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

template <typename F>
double median_seconds(int repetitions, F&& f) {
  std::vector<double> s;
  s.reserve(static_cast<std::size_t>(repetitions));
  for (int i = 0; i < repetitions; ++i) {
    const auto t0 = Clock::now();
    f();
    s.push_back(seconds_since(t0));
  }
  std::sort(s.begin(), s.end());
  return s[s.size() / 2];
}
}  // namespace

Section bench_model(const Options& o) {
  Section out{"Model", "coherence_bench --only model", {}, {}};
  const auto s = scenario::load_scenario(COHERENCE_SOURCE_DIR "/scenarios/septic_shock_ne.toml");
  run::RunResult last;
  const double run_s = median_seconds(o.quick ? 1 : 10, [&] { last = run::run_scenario(s); });
  if (!last.completed) throw std::runtime_error("septic_shock_ne.toml did not complete: " + last.error);
  const double simulated_s = (s.duration_min - last.start_min) * 60.0;
  const double factor = simulated_s / run_s;
  out.figures.push_back({fmt::format("Whole model (macro + NE + 5 sublingual networks + skin + lactate), septic shock "
                                     "with fluids and NE ({}), {:.0f} simulated h, {} output rows, one core",
                                     "scenarios/septic_shock_ne.toml", simulated_s / 3600.0, last.rows.size()),
                         fmt::format("{:.1f} ms per run (median of {}); real-time factor {:.2g}", run_s * 1e3,
                                     o.quick ? 1 : 10, factor),
                         "real-time factor >= 1e5; 72 h well under 1 s", rate_ratio(factor, 1e5)});
  out.details.push_back(fmt::format("CVODE work in that run: {} steps, {} RHS evaluations, {} Jacobian evaluations, "
                                    "{} restarts.",
                                    last.solver.steps, last.solver.rhs_evaluations, last.solver.jacobian_evaluations,
                                    last.solver.reinitializations));
  const model::MicrocirculationParams& micro = s.params.micro;
  model::Network net;
  const double gen_s = median_seconds(o.quick ? 1 : 20, [&] { net = model::generate_network(micro, 7); });
  std::size_t vessels = net.skin.vessels.size();
  for (const auto& site : net.sublingual) vessels += site.vessels.size();
  const model::MicroDrivers septic = viz::preset_drivers("septic");
  const int evals = o.quick ? 10 : 2000;
  double sink = 0.0;
  const double eval_s = median_seconds(1, [&] {
    for (int k = 0; k < evals; ++k) sink += model::evaluate_network(micro, net, septic, 60.0 * k).mean.mfi;
  });
  out.figures.push_back({fmt::format("Network generation, one patient (5 sublingual sites + skin, {} vessels)", vessels),
                         fmt::format("{:.2f} ms", gen_s * 1e3), "", ""});
  out.figures.push_back({"One evaluation of all networks (states, flow classes, every measure)",
                         fmt::format("{:.1f} us", eval_s / evals * 1e6), "", ""});
  if (sink < 0.0) out.details.emplace_back("(impossible: negative MFI)");
  return out;
}

}  // namespace coherence::bench
