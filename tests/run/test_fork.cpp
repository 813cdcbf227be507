// A run that branches: Session::fork continues a patient from now without simulating the past
// again (issue 19 Build 6). A branch and the run it came from go on bit for bit alike, under the
// same protocol; under another protocol the past is shared and the futures differ.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "run/sample.hpp"
#include "run/session.hpp"
#include "scenario/scenario.hpp"

using namespace coherence;

namespace {

scenario::Scenario load(const std::string& name, const std::vector<std::string>& sets = {}) {
  std::vector<scenario::Override> o;
  for (const auto& t : sets) o.push_back(scenario::parse_override(t));
  return scenario::load_scenario(std::string(COHERENCE_SOURCE_DIR) + "/scenarios/" + name, o);
}

// Every column, bit for bit (NaN equal to NaN).
bool same_bits(const run::Sample& a, const run::Sample& b) {
  for (const auto& c : run::kSampleColumns) {
    const double x = a.*c.member, y = b.*c.member;
    if (std::memcmp(&x, &y, sizeof x) != 0) return false;
  }
  return true;
}

// Advances each session over the output grid from its time to the end, sampling at each output.
std::vector<run::Sample> continue_to_end(run::Session& s, double from_min) {
  std::vector<run::Sample> rows;
  const double step = s.scenario().output_interval_min;
  for (double t = from_min; t <= s.end_min() + 1e-9; t += step) {
    s.advance_to(t);
    rows.push_back(s.sample());
  }
  return rows;
}

}  // namespace

TEST_CASE("A run forked at 12 h and the run it came from continue bit for bit alike") {
  const auto sc = load("macro_vs_micro.toml");  // macro_first: NE titration, fluids, vasopressin
  run::Session a(sc);
  a.advance_to(720.0);
  const std::size_t decisions_before = a.decisions().size();
  auto b = a.fork();
  CHECK(b->time_min() == a.time_min());
  CHECK(b->decisions().size() == decisions_before);  // the past is carried, not re-simulated
  const auto ra = continue_to_end(a, 725.0);
  const auto rb = continue_to_end(*b, 725.0);
  REQUIRE(ra.size() == rb.size());
  REQUIRE(ra.size() > 100);
  std::size_t differing = 0;
  for (std::size_t k = 0; k < ra.size(); ++k) differing += same_bits(ra[k], rb[k]) ? 0 : 1;
  CHECK(differing == 0);
  REQUIRE(a.decisions().size() == b->decisions().size());
  CHECK(a.decisions().size() > decisions_before);  // the protocol kept acting after the fork
  for (std::size_t k = 0; k < a.decisions().size(); ++k) {
    CHECK(a.decisions()[k].time_min == b->decisions()[k].time_min);
    CHECK(a.decisions()[k].action == b->decisions()[k].action);
    CHECK(a.decisions()[k].after.ne_ug_per_kg_min == b->decisions()[k].after.ne_ug_per_kg_min);
  }
}

TEST_CASE("A forked run agrees with a run never forked within the solver's tolerance") {
  const auto sc = load("macro_vs_micro.toml");
  run::Session never(sc);
  run::Session forked(sc);
  forked.advance_to(720.0);
  auto branch = forked.fork();
  const auto r_never = continue_to_end(never, 725.0);
  const auto r_branch = continue_to_end(*branch, 725.0);
  REQUIRE(r_never.size() == r_branch.size());
  // Integrator restarts change the last digits only (rtol 1e-6); the protocol's discrete
  // decisions could amplify a difference, so the check is on the whole course, loosely.
  double worst_map = 0.0, worst_lactate = 0.0;
  for (std::size_t k = 0; k < r_never.size(); ++k) {
    worst_map = std::max(worst_map, std::abs(r_never[k].map_mmHg - r_branch[k].map_mmHg));
    worst_lactate = std::max(worst_lactate, std::abs(r_never[k].lactate_mmol_per_L - r_branch[k].lactate_mmol_per_L));
  }
  CHECK(worst_map < 0.5);
  CHECK(worst_lactate < 0.05);
}

TEST_CASE("One patient branched at 12 h under two protocols: a shared past, different futures") {
  const auto sc = load("macro_vs_micro.toml");
  run::Session macro(sc);
  macro.advance_to(720.0);
  const run::Sample at_fork = macro.sample();
  auto spec = sc.protocol;
  spec.name = "micro_guided";
  auto micro = macro.fork(spec);
  CHECK(same_bits(micro->sample(), at_fork));  // deciding at the fork changes inputs, not the state now
  REQUIRE(micro->controller() != nullptr);
  CHECK(micro->controller()->name() == "micro_guided");
  const auto rm = continue_to_end(macro, 725.0);
  const auto rg = continue_to_end(*micro, 725.0);
  REQUIRE(rm.size() == rg.size());
  // micro_guided starts by measuring the microcirculation and acts on it (the coherence-loss
  // patient of the lesson: NE high, MFI low), so its decisions after 12 h are its own.
  bool micro_acted = false;
  for (const auto& d : micro->decisions()) micro_acted |= d.time_min >= 720.0 && d.protocol == "micro_guided";
  CHECK(micro_acted);
  for (const auto& d : macro.decisions()) CHECK(d.protocol != "micro_guided");
  CHECK(rm.back().ne_dose_ug_per_kg_min != rg.back().ne_dose_ug_per_kg_min);
}
