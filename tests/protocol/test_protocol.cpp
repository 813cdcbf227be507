// Protocols and monitors on constructed observation sequences; controller performance metrics.
#include <catch2/catch.hpp>
#include <string>

#include "protocol/monitor.hpp"
#include "protocol/protocol.hpp"
#include "run/runner.hpp"
#include "scenario/scenario.hpp"

using namespace coherence;
using namespace coherence::protocol;

TEST_CASE("Varvel metrics on known samples") {
  // Target 65: PE = -10.77, 0, 9.23, 1.54, -1.54 %.
  const auto v = varvel({58, 65, 71, 66, 64}, 65.0);
  CHECK(v.mdpe_pct == Approx(0.0).margin(1e-12));
  CHECK(v.mdape_pct == Approx(100.0 / 65.0));
  CHECK(v.wobble_pct == Approx(100.0 / 65.0));
  CHECK(v.within_5_mmHg_pct == Approx(60.0));
  CHECK(v.samples == 5);
}

TEST_CASE("map_target raises NE when MAP is low, lowers it when high, never below 0 or above the ceiling") {
  MapTargetSettings s;
  s.ne_max_ug_per_kg_min = 0.5;
  MapTargetProtocol p(s);
  Observations o;
  o.map_mmHg = 50.0;
  o.ne_dose_ug_per_kg_min = 0.1;
  auto a = p.decide(o);
  REQUIRE(a.size() == 1);
  CHECK(*a[0].ne_dose_ug_per_kg_min > 0.1);
  CHECK(a[0].reason.find("below target 65") != std::string::npos);
  // Sustained high MAP: the dose falls, and stops at zero.
  o.map_mmHg = 95.0;
  double dose = 0.3;
  for (int i = 0; i < 200; ++i) {
    o.ne_dose_ug_per_kg_min = dose;
    for (const auto& act : p.decide(o)) dose = *act.ne_dose_ug_per_kg_min;
  }
  CHECK(dose == 0.0);
  // Sustained low MAP: up to the ceiling, and the reason says so.
  o.map_mmHg = 40.0;
  std::string last_reason;
  for (int i = 0; i < 400; ++i) {
    o.ne_dose_ug_per_kg_min = dose;
    for (const auto& act : p.decide(o)) {
      dose = *act.ne_dose_ug_per_kg_min;
      last_reason = act.reason;
    }
  }
  CHECK(dose == 0.5);
  CHECK(last_reason.find("ceiling") != std::string::npos);
  // Within the deadband nothing happens.
  o.map_mmHg = 65.5;
  CHECK(p.decide(o).empty());
}

TEST_CASE("Every reason matches the observation it was given") {
  MapTargetProtocol p(MapTargetSettings{});
  Observations o;
  o.ne_dose_ug_per_kg_min = 0.2;
  for (double map : {40.0, 55.0, 62.0, 70.0, 68.0, 60.0, 75.0}) {
    o.map_mmHg = map;
    for (const auto& a : p.decide(o)) {
      const bool says_below = a.reason.find("below target") != std::string::npos;
      CHECK(says_below == (map < 65.0));
      o.ne_dose_ug_per_kg_min = *a.ne_dose_ug_per_kg_min;
    }
  }
}

TEST_CASE("Monitor: lactate arrives after its delay; CRT is examined with noise on schedule") {
  MonitorSettings s;
  s.lactate_delay_min = 10.0;
  s.lactate_noise_mmol_per_L = 0.0;
  s.crt_noise_s = 0.0;
  Monitor m(s, 1);
  CHECK(m.lactate_due(0.0, 0.0));
  CHECK(m.lactate_due(240.0, 0.0));
  CHECK_FALSE(m.lactate_due(130.0, 0.0));
  m.draw_lactate(0.0, 3.14);
  CHECK_FALSE(m.observe(5.0, 70.0, 90.0, 5.0, 0.1).lactate_mmol_per_L.has_value());
  const auto o = m.observe(10.0, 70.0, 90.0, 5.0, 0.1);
  REQUIRE(o.lactate_mmol_per_L.has_value());
  CHECK(*o.lactate_mmol_per_L == Approx(3.1));
  CHECK(*o.lactate_drawn_min == 0.0);
  m.examine_crt(30.0, 4.2);
  CHECK(*m.observe(31.0, 70.0, 90.0, 5.0, 0.1).crt_s == Approx(4.0));  // 0.5 s resolution
}

TEST_CASE("Closed-loop titration keeps MAP within 5 mmHg of target >= 85% of the time after 30 min") {
  const auto s = scenario::load_scenario(std::string(COHERENCE_SOURCE_DIR) + "/scenarios/septic_shock_map_target.toml");
  const auto r = run::run_scenario(s);
  REQUIRE(r.completed);
  REQUIRE(r.varvel.has_value());
  CHECK(r.varvel->within_5_mmHg_pct >= 85.0);
  CHECK(std::abs(r.varvel->mdpe_pct) < 3.0);
  // Every decision names its action and reason; doses stay within bounds.
  REQUIRE_FALSE(r.decisions.empty());
  for (const auto& d : r.decisions) {
    CHECK_FALSE(d.action.empty());
    CHECK_FALSE(d.reason.empty());
    CHECK(d.ne_after >= 0.0);
    CHECK(d.ne_after <= 2.0);
  }
}

namespace {
run::RunResult run_protocols_scenario(const std::vector<std::string>& sets) {
  std::vector<scenario::Override> o;
  for (const auto& t : sets) o.push_back(scenario::parse_override(t));
  const auto s = scenario::load_scenario(std::string(COHERENCE_SOURCE_DIR) + "/scenarios/septic_shock_protocols.toml", o);
  auto r = run::run_scenario(s);
  REQUIRE(r.completed);
  return r;
}
}  // namespace

TEST_CASE("macro_first: 30 mL/kg, fluid responsiveness judged by CO, and MAP >= 65 within 1 h") {
  const auto r = run_protocols_scenario({"sepsis.severity=0.7", "patient.microvascular_injury=1"});
  REQUIRE_FALSE(r.decisions.empty());
  CHECK(r.decisions.front().action == "crystalloid 30 mL/kg");
  CHECK(r.decisions.front().bolus_mL == Approx(2100.0));
  double reached = -1.0;
  for (const auto& row : r.rows) {
    if (row[1] >= 65.0) {
      reached = row[0];
      break;
    }
  }
  CHECK(reached >= 0.0);
  CHECK(reached <= 60.0);
  for (const auto& d : r.decisions) CHECK(d.action != "lower MAP target");  // never looks at the microcirculation
}

TEST_CASE("micro_guided in a patient whose microcirculation holds behaves like macro_first") {
  // Severe vasoplegia but capillaries spared (injury 0.2): MFI stays normal when measured.
  const auto macro = run_protocols_scenario({"sepsis.severity=0.95", "patient.microvascular_injury=0.2"});
  const auto micro = run_protocols_scenario(
      {"sepsis.severity=0.95", "patient.microvascular_injury=0.2", "protocol.name=micro_guided"});
  int micro_steps = 0, measurements = 0;
  for (const auto& d : micro.decisions) {
    if (d.action == "lower MAP target" || d.action == "restore MAP target") ++micro_steps;
    if (d.action == "measure microcirculation") ++measurements;
  }
  CHECK(measurements > 0);  // it looked (CRT stayed long),
  CHECK(micro_steps == 0);  // found coherence, and changed nothing
  const auto& a = macro.rows.back();
  const auto& b = micro.rows.back();
  CHECK(b[run::column_index("ne_dose_ug_per_kg_min")] == Approx(a[run::column_index("ne_dose_ug_per_kg_min")]).margin(0.05));
  CHECK(b[1] == Approx(a[1]).margin(4.0));
}

TEST_CASE("micro_guided tries a lower MAP target when coherence is lost, and undoes it if the microcirculation worsens") {
  // Obstruction-driven loss (severity 1.0, injury 0.4): lowering MAP does not help here.
  const auto r = run_protocols_scenario(
      {"sepsis.severity=1.0", "patient.microvascular_injury=0.4", "protocol.name=micro_guided"});
  std::vector<std::string> steps;
  for (const auto& d : r.decisions) {
    if (d.action == "lower MAP target" || d.action == "restore MAP target") steps.push_back(d.action);
  }
  REQUIRE(steps.size() >= 2);
  CHECK(steps[0] == "lower MAP target");
  CHECK(steps[1] == "restore MAP target");
  // Never two lowerings within 6 h of a restore.
  double restored = -1e9;
  for (const auto& d : r.decisions) {
    if (d.action == "restore MAP target") restored = d.time_min;
    if (d.action == "lower MAP target") CHECK(d.time_min >= restored + 360.0 - 1e-9);
  }
}
