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
  // Deciding at the fork changes the infusions from now on, not the state now.
  const run::Sample now = micro->sample();
  for (const auto& c : run::kSampleColumns) {
    const std::string name(c.name);
    const bool infusion = name == "ne_dose_ug_per_kg_min" || name == "vasopressin_U_per_min" ||
                          name == "epinephrine_ug_per_kg_min" || name == "dobutamine_ug_per_kg_min" ||
                          name == "nitroglycerin_ug_per_min";
    INFO(name);
    if (!infusion) CHECK(now.*c.member == at_fork.*c.member);
  }
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

TEST_CASE("A branch handed to another protocol: to none (fixed), or to one that starts later") {
  const auto sc = load("macro_vs_micro.toml");
  run::Session a(sc);
  a.advance_to(720.0);
  const double ne_at_fork = a.timeline().infusions.ne_ug_per_kg_min;
  const std::size_t decisions_before = a.decisions().size();
  // fixed: nobody titrates; the infusions running at the fork keep running to the end.
  auto spec = sc.protocol;
  spec.name = "fixed";
  auto none = a.fork(spec);
  CHECK(none->controller() == nullptr);
  const auto rows = continue_to_end(*none, 725.0);
  REQUIRE(rows.size() > 100);
  for (const auto& r : rows) CHECK(r.ne_dose_ug_per_kg_min == ne_at_fork);
  CHECK(none->decisions().size() == decisions_before);
  // micro_guided from 13 h: no decision of its own before then, decisions from then on.
  spec.name = "micro_guided";
  spec.start_min = 780.0;
  auto later = a.fork(spec);
  continue_to_end(*later, 725.0);
  bool before = false, after = false;
  for (const auto& d : later->decisions()) {
    if (d.protocol != "micro_guided") continue;
    before |= d.time_min < 780.0;
    after |= d.time_min >= 780.0;
  }
  CHECK_FALSE(before);
  CHECK(after);
}

TEST_CASE("A protocol taking over at the fork does not repeat the initial resuscitation") {
  const auto sc = load("macro_vs_micro.toml");
  run::Session a(sc);
  a.advance_to(720.0);
  auto spec = sc.protocol;
  spec.name = "micro_guided";
  auto micro = a.fork(spec);
  continue_to_end(*micro, 725.0);
  int initial_before = 0, initial_after = 0;
  for (const auto& d : micro->decisions()) {
    if (d.action.find("crystalloid") == std::string::npos || d.action.find("mL/kg") == std::string::npos) continue;
    (d.time_min < 720.0 ? initial_before : initial_after) += 1;
  }
  CHECK(initial_before == 1);  // macro_first's 30 mL/kg at its start, in the shared past
  CHECK(initial_after == 0);   // 2100 mL already given: micro_guided gives no second 30 mL/kg
}
