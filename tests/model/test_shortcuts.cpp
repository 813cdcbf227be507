// The shortcuts taken for speed (docs/performance.md, "Trials") give exactly the values of the
// paths they replace: bit for bit, not within a tolerance.
#include <catch2/catch.hpp>
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "model/microcirculation.hpp"
#include "model/model.hpp"
#include "model/simulator.hpp"
#include "model/smooth.hpp"
#include "run/runner.hpp"
#include "scenario/scenario.hpp"
#include "validation/experiments.hpp"
#include "viz/presets.hpp"

using namespace coherence;
using namespace coherence::model;

namespace {

bool same_bits(double a, double b) { return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b); }

bool same_rows(const std::vector<run::Sample>& a, const std::vector<run::Sample>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    for (const auto& c : run::kSampleColumns) {
      if (!same_bits(a[i].*c.member, b[i].*c.member)) return false;
    }
  }
  return true;
}

// A septic patient 3 h into NE and fluids: drugs, oedema and a non-trivial circulation.
Simulator septic_simulator_at_3h() {
  const ModelParams p = validation::septic_adult();
  Simulator sim(p, 0.0);
  Inputs in;
  in.sepsis_severity = 0.8;
  in.ne_dose_ug_per_kg_min = 0.3;
  in.crystalloid_mL_per_min = 10.0;
  sim.set_inputs(in, 180.0);
  sim.advance_to(180.0);
  return sim;
}

}  // namespace

TEST_CASE("evaluate_skin gives exactly evaluate_network's skin measures") {
  const MicrocirculationParams m;
  const Network net = generate_network(m, 11);
  for (const std::string preset : {"healthy", "septic", "severe"}) {
    const MicroDrivers d = viz::preset_drivers(preset);
    const MicroMetrics all = evaluate_network(m, net, d, 30.0);
    const SkinMetrics skin = evaluate_skin(m, net, d, 30.0);
    INFO(preset);
    CHECK(same_bits(skin.perfused_fraction, all.skin_perfused_fraction));
    CHECK(same_bits(skin.flow_index, all.skin_flow_index));
    CHECK(same_bits(skin.crt_s, all.crt_s));
    CHECK(same_bits(skin.mottling_score, all.mottling_score));
  }
}

TEST_CASE("A vessel's cached threshold factor is used only for the spread it was computed with") {
  MicrocirculationParams m;
  const Network net = generate_network(m, 5);
  Site uncached = net.sublingual[0];
  for (Vessel& v : uncached.vessels) v.threshold_factor_log_sd = std::numeric_limits<double>::quiet_NaN();
  const MicroDrivers d = viz::preset_drivers("septic");
  // The spread the network was generated with, and another one (a `set` event could change it).
  for (const double log_sd : {m.threshold_log_sd, 2.0 * m.threshold_log_sd}) {
    m.threshold_log_sd = log_sd;
    const auto cached = site_states(m, net.sublingual[0], d, 0.0);
    const auto computed = site_states(m, uncached, d, 0.0);
    REQUIRE(cached.size() == computed.size());
    bool identical = true;
    for (std::size_t i = 0; i < cached.size(); ++i) {
      identical = identical && same_bits(cached[i].flow_margin, computed[i].flow_margin) &&
                  cached[i].flow_class == computed[i].flow_class;
    }
    INFO("threshold_log_sd " << log_sd);
    CHECK(identical);
  }
  // And the spread matters: doubling it changes some vessel's margin.
  MicrocirculationParams wide;
  wide.threshold_log_sd = 2.0 * MicrocirculationParams{}.threshold_log_sd;
  const auto narrow_states = site_states(MicrocirculationParams{}, net.sublingual[0], d, 0.0);
  const auto wide_states = site_states(wide, net.sublingual[0], d, 0.0);
  bool any_different = false;
  for (std::size_t i = 0; i < narrow_states.size(); ++i) {
    any_different = any_different || !same_bits(narrow_states[i].flow_margin, wide_states[i].flow_margin);
  }
  CHECK(any_different);
}

TEST_CASE("observe_circulation gives exactly observe's circulation and tone") {
  const Simulator sim = septic_simulator_at_3h();
  const Observables full = sim.observe();
  const CirculationObservables c = sim.observe_circulation();
  CHECK(same_bits(c.circulation.arterial_mmHg, full.circulation.arterial_mmHg));
  CHECK(same_bits(c.circulation.lv_output_mL_per_min, full.circulation.lv_output_mL_per_min));
  CHECK(same_bits(c.circulation.central_mmHg, full.circulation.central_mmHg));
  CHECK(same_bits(c.tone.heart_rate_bpm, full.tone.heart_rate_bpm));
  CHECK(full.circulation.arterial_mmHg > 40.0);  // a real state, not zeros compared with zeros
}

TEST_CASE("The integrated-states-only right-hand side equals the full one on the integrated states") {
  const Simulator sim = septic_simulator_at_3h();
  const ModelParams& p = sim.params();
  const InitialCondition ic = reference_state(p);
  const StateVector y = sim.state();
  StateVector all{}, integrated{};
  REQUIRE(derivatives(p, ic.reference, sim.inputs(), y, all) == 0);
  REQUIRE(derivatives(p, ic.reference, sim.inputs(), y, integrated, DerivativeSet::kIntegratedOnly) == 0);
  const std::vector<std::size_t> closed_form = {kNeExogenous, kNeEffectSite, kVasopressin,
                                                kEpinephrine, kDobutamine,   kNitroglycerinEffect};
  for (std::size_t i = 0; i < kStateCount; ++i) {
    INFO("state " << i);
    if (std::find(closed_form.begin(), closed_form.end(), i) != closed_form.end()) {
      CHECK(integrated[i] == 0.0);
    } else {
      CHECK(same_bits(integrated[i], all[i]));
    }
  }
  CHECK(all[kNeExogenous] != 0.0);  // NE is running: the full set does compute it
}

TEST_CASE("A run given the patient's networks gives the same rows as a run that builds them") {
  std::vector<scenario::Override> o = {scenario::parse_override("scenario.duration_h=8")};
  const auto s = scenario::load_scenario(std::string(COHERENCE_SOURCE_DIR) + "/scenarios/septic_shock_crt_guided.toml", o);
  const run::RunResult built = run::run_scenario(s);
  REQUIRE(built.completed);
  const run::RunResult given = run::run_scenario(s, {}, nullptr, generate_network(s.params.micro, s.seed));
  REQUIRE(given.completed);
  CHECK(same_rows(built.rows, given.rows));
  CHECK(built.decisions.size() == given.decisions.size());
}
