// Protocols and monitors on constructed observation sequences; controller performance metrics.
#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "protocol/map_target.hpp"
#include "protocol/micro_guided.hpp"
#include "protocol/perfusion_guided.hpp"
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
  o.running.ne_ug_per_kg_min = 0.1;
  auto a = p.decide(o);
  REQUIRE(a.size() == 1);
  CHECK(*a[0].ne_dose_ug_per_kg_min > 0.1);
  CHECK(a[0].reason.find("below target 65") != std::string::npos);
  // Sustained high MAP: the dose falls, and stops at zero.
  o.map_mmHg = 95.0;
  double dose = 0.3;
  for (int i = 0; i < 200; ++i) {
    o.running.ne_ug_per_kg_min = dose;
    for (const auto& act : p.decide(o)) dose = *act.ne_dose_ug_per_kg_min;
  }
  CHECK(dose == 0.0);
  // Sustained low MAP: up to the ceiling, and the reason says so.
  o.map_mmHg = 40.0;
  std::string last_reason;
  for (int i = 0; i < 400; ++i) {
    o.running.ne_ug_per_kg_min = dose;
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
  o.running.ne_ug_per_kg_min = 0.2;
  for (double map : {40.0, 55.0, 62.0, 70.0, 68.0, 60.0, 75.0}) {
    o.map_mmHg = map;
    for (const auto& a : p.decide(o)) {
      const bool says_below = a.reason.find("below target") != std::string::npos;
      CHECK(says_below == (map < 65.0));
      o.running.ne_ug_per_kg_min = *a.ne_dose_ug_per_kg_min;
    }
  }
}

TEST_CASE("Monitor: lactate arrives after its delay, CRT is examined with noise on schedule") {
  MonitorSettings s;
  s.lactate_delay_min = 10.0;
  s.lactate_noise_mmol_per_L = 0.0;
  s.crt_noise_s = 0.0;
  Monitor m(s, 1);
  CHECK(m.lactate_due(0.0, 0.0));
  CHECK(m.lactate_due(240.0, 0.0));
  CHECK_FALSE(m.lactate_due(130.0, 0.0));
  m.draw_lactate(0.0, 3.14);
  CHECK_FALSE(m.observe(5.0, 70.0, 90.0, 5.0, {}).lactate_mmol_per_L.has_value());
  const auto o = m.observe(10.0, 70.0, 90.0, 5.0, {});
  REQUIRE(o.lactate_mmol_per_L.has_value());
  CHECK(*o.lactate_mmol_per_L == Approx(3.1));
  CHECK(*o.lactate_drawn_min == 0.0);
  m.examine_crt(30.0, 4.2, 1.3);
  const auto seen = m.observe(31.0, 70.0, 90.0, 5.0, {});
  CHECK(*seen.crt_s == Approx(4.0));  // 0.5 s resolution
  CHECK(*seen.crt_examined_min == 30.0);
  CHECK(*seen.mottling_score == 1.0);  // read as an integer score
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
    CHECK(d.after.ne_ug_per_kg_min >= 0.0);
    CHECK(d.after.ne_ug_per_kg_min <= 2.0);
  }
}

namespace {
run::RunResult run_protocols_scenario(const std::vector<std::string>& sets) {
  std::vector<scenario::Override> o;
  o.reserve(sets.size());
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
    if (row.map_mmHg >= 65.0) {
      reached = row.time_min;
      break;
    }
  }
  CHECK(reached >= 0.0);
  CHECK(reached <= 60.0);
  for (const auto& d : r.decisions) CHECK(d.action != "lower MAP target");  // never looks at the microcirculation
}

namespace {
run::RunResult run_file(const std::string& name, const std::vector<std::string>& sets = {}) {
  std::vector<scenario::Override> o;
  o.reserve(sets.size());
  for (const auto& t : sets) o.push_back(scenario::parse_override(t));
  const auto s = scenario::load_scenario(std::string(COHERENCE_SOURCE_DIR) + "/scenarios/" + name, o);
  auto r = run::run_scenario(s);
  REQUIRE(r.completed);
  return r;
}

// Mean of a column over the rows at or after `from_min`.
double mean_after(const run::RunResult& r, run::SampleMember column, double from_min) {
  double sum = 0.0;
  int n = 0;
  for (const auto& row : r.rows) {
    if (row.time_min >= from_min) {
      sum += row.*column;
      ++n;
    }
  }
  return sum / n;
}

bool micro_targeted(const run::DecisionRow& d) {
  return d.action == "lower MAP target" || d.action == "start dobutamine" || d.action == "start nitroglycerin" ||
         d.reason.find("judged by the microcirculation") != std::string::npos;
}
}  // namespace

TEST_CASE("micro_guided in a patient whose microcirculation holds behaves like macro_first") {
  // Severe vasoplegia but capillaries spared (injury 0.2): MFI stays normal when measured.
  const auto macro = run_protocols_scenario({"sepsis.severity=0.95", "patient.microvascular_injury=0.2"});
  const auto micro = run_protocols_scenario(
      {"sepsis.severity=0.95", "patient.microvascular_injury=0.2", "protocol.name=micro_guided"});
  int micro_steps = 0, measurements = 0;
  for (const auto& d : micro.decisions) {
    if (micro_targeted(d)) ++micro_steps;
    if (d.action == "measure microcirculation") ++measurements;
  }
  CHECK(measurements > 0);  // it looked (CRT stayed long),
  CHECK(micro_steps == 0);  // found coherence, and changed nothing:
  // the same doses and pressures (each instrument has its own noise stream, so the extra
  // sublingual measurements leave the arterial-line noise unchanged).
  CHECK(mean_after(micro, &run::Sample::ne_dose_ug_per_kg_min, 360.0) ==
        Approx(mean_after(macro, &run::Sample::ne_dose_ug_per_kg_min, 360.0)).margin(0.02));
  CHECK(mean_after(micro, &run::Sample::map_mmHg, 360.0) ==
        Approx(mean_after(macro, &run::Sample::map_mmHg, 360.0)).margin(1.0));
  CHECK(mean_after(micro, &run::Sample::mfi, 360.0) == Approx(mean_after(macro, &run::Sample::mfi, 360.0)).margin(0.05));
}

TEST_CASE("Losing coherence under high NE: micro_guided ends on less NE and better MFI, MAP >= 60") {
  // scenarios/macro_vs_micro.toml: vasoplegia with septic cardiomyopathy; MAP 65 takes NE ~1.05.
  const auto macro = run_file("macro_vs_micro.toml");
  const auto micro = run_file("macro_vs_micro.toml", {"protocol.name=micro_guided"});
  const double last6h = 18.0 * 60.0;
  const double ne_macro = mean_after(macro, &run::Sample::ne_dose_ug_per_kg_min, last6h);
  const double ne_micro = mean_after(micro, &run::Sample::ne_dose_ug_per_kg_min, last6h);
  const double mfi_macro = mean_after(macro, &run::Sample::mfi, last6h);
  const double mfi_micro = mean_after(micro, &run::Sample::mfi, last6h);
  INFO("NE " << ne_macro << " -> " << ne_micro << ", MFI " << mfi_macro << " -> " << mfi_micro);
  CHECK(ne_macro >= 0.5);                // macro_first really is on high NE ...
  CHECK(mfi_macro < 2.6);                // ... with the capillaries failing at MAP 65
  CHECK(ne_micro <= ne_macro - 0.1);     // less NE
  CHECK(mfi_micro >= mfi_macro + 0.4);   // better capillary flow
  // MAP >= 60: every hourly mean after the initial resuscitation.
  for (int hour = 4; hour < 24; ++hour) {
    const double h = hour;
    double sum = 0.0;
    int n = 0;
    for (const auto& row : micro.rows) {
      if (row.time_min >= 60.0 * h && row.time_min < 60.0 * (h + 1.0)) {
        sum += row.map_mmHg;
        ++n;
      }
    }
    INFO("hour " << h);
    CHECK(sum / n >= 60.0);
  }
  // Each micro-targeted step was judged by a later measurement (kept or undone), with its reason.
  int started = 0, judged = 0;
  for (const auto& d : micro.decisions) {
    if (micro_targeted(d)) ++started;
    if (d.action.rfind("keep ", 0) == 0 || d.action == "restore MAP target" || d.action == "stop dobutamine" ||
        d.action == "stop nitroglycerin" || d.action == "no more fluid for the microcirculation") {
      ++judged;
    }
    CHECK_FALSE(d.reason.empty());
  }
  CHECK(started >= 1);
  CHECK(judged == started);
}

TEST_CASE("micro_guided: a failed step is undone and not retried for 6 h") {
  // Obstruction-driven loss (severity 1.0, injury 0.4) and typical loss (0.9, 1.0).
  for (const auto& sets : std::vector<std::vector<std::string>>{
           {"sepsis.severity=1.0", "patient.microvascular_injury=0.4", "protocol.name=micro_guided"},
           {"protocol.name=micro_guided"}}) {
    const auto r = run_protocols_scenario(sets);
    std::map<std::string, double> failed_at;  // step -> when it was undone
    for (const auto& d : r.decisions) {
      for (const auto& [undo, start] : std::vector<std::pair<std::string, std::string>>{
               {"restore MAP target", "lower MAP target"},
               {"stop dobutamine", "start dobutamine"},
               {"stop nitroglycerin", "start nitroglycerin"}}) {
        if (d.action == undo) failed_at[start] = d.time_min;
        if (d.action == start && failed_at.count(start)) CHECK(d.time_min >= failed_at[start] + 360.0 - 1e-9);
      }
    }
  }
}

namespace {
// Drives a protocol through 2-minute epochs with constructed observations.
struct Driver {
  Protocol& p;
  Observations o;
  std::vector<Action> step(double t) {
    o.time_min = t;
    auto acts = p.decide(o);
    for (const auto& a : acts) {
      if (a.ne_dose_ug_per_kg_min) o.running.ne_ug_per_kg_min = *a.ne_dose_ug_per_kg_min;
      if (a.dobutamine_ug_per_kg_min) o.running.dobutamine_ug_per_kg_min = *a.dobutamine_ug_per_kg_min;
      if (a.nitroglycerin_ug_per_min) o.running.nitroglycerin_ug_per_min = *a.nitroglycerin_ug_per_min;
      if (a.vasopressin_U_per_min) o.running.vasopressin_U_per_min = *a.vasopressin_U_per_min;
    }
    return acts;
  }
  static bool has(const std::vector<Action>& acts, const std::string& what) {
    for (const auto& a : acts) {
      if (a.what == what) return true;
    }
    return false;
  }
};
}  // namespace

TEST_CASE("micro_guided on constructed observations: measure, step, judge, keep or undo") {
  MicroGuidedSettings s;
  s.macro.initial_fluid_mL_per_kg = 0.0;
  s.macro.initial_fluid_duration_min = 0.0;
  s.macro.vasopressin_U_per_min = 0.0;
  s.macro.max_challenges = 0;
  MicroGuidedProtocol p(s);
  Driver d{p, {}};
  d.o.map_mmHg = 65.0;
  d.o.running.ne_ug_per_kg_min = 0.6;
  d.o.crt_s = 5.0;  // not improving
  auto acts = d.step(0.0);
  CHECK(Driver::has(acts, "measure microcirculation"));
  CHECK(p.wants_micro_measurement());
  // The measurement arrives: MFI 2.0 on NE 0.6 -> lower the MAP target.
  d.o.mfi = 2.0;
  d.o.ppv_pct = 60.0;
  d.o.micro_measured_min = 0.0;
  acts = d.step(2.0);
  REQUIRE(Driver::has(acts, "lower MAP target"));
  CHECK(*p.map_target_mmHg() == Approx(62.0));
  // Nothing to judge before 30 min.
  for (int t = 4; t < 32; t += 2) CHECK_FALSE(Driver::has(d.step(t), "measure microcirculation"));
  CHECK(Driver::has(d.step(32.0), "measure microcirculation"));
  SECTION("the microcirculation responds: the step is kept") {
    d.o.mfi = 2.7;
    d.o.micro_measured_min = 32.0;
    d.o.map_mmHg = 62.0;
    acts = d.step(34.0);
    CHECK(Driver::has(acts, "keep lower MAP target"));
    CHECK(*p.map_target_mmHg() == Approx(62.0));
  }
  SECTION("no response: undone, then the next step (dobutamine)") {
    d.o.mfi = 2.1;
    d.o.micro_measured_min = 32.0;
    acts = d.step(34.0);
    CHECK(Driver::has(acts, "restore MAP target"));
    CHECK(Driver::has(acts, "start dobutamine"));
    CHECK(*p.map_target_mmHg() == Approx(65.0));
    CHECK(d.o.running.dobutamine_ug_per_kg_min == Approx(5.0));
  }
  SECTION("MAP fell below 60 although MFI rose: undone") {
    d.o.mfi = 2.8;
    d.o.micro_measured_min = 32.0;
    d.o.map_mmHg = 57.0;
    acts = d.step(34.0);
    CHECK(Driver::has(acts, "restore MAP target"));
  }
}

TEST_CASE("crt_guided on constructed observations: fluids while responsive, then the tests") {
  PerfusionGuidedSettings s;
  s.macro.initial_fluid_mL_per_kg = 0.0;
  s.macro.initial_fluid_duration_min = 0.0;
  s.macro.vasopressin_U_per_min = 0.0;
  PerfusionGuidedProtocol p(PerfusionGuidedProtocol::Signal::kCrt, s);
  p.set_history({70.0, 110.0, 0.0});  // a chronic hypertensive
  Driver d{p, {}};
  d.o.map_mmHg = 66.0;
  d.o.co_L_per_min = 5.0;
  d.o.crt_s = 4.5;
  d.o.crt_examined_min = 0.0;
  CHECK(Driver::has(d.step(0.0), "fluid challenge"));
  // An hour later CO has not risen: not fluid-responsive; the next reading brings the vasopressor test.
  d.o.crt_examined_min = 60.0;
  auto acts = d.step(60.0);
  CHECK(Driver::has(acts, "stop fluid challenges"));
  CHECK(Driver::has(acts, "vasopressor test"));
  CHECK(*p.map_target_mmHg() == Approx(80.0));
  // After 1 h CRT is still long: back to 65 and the inodilator test.
  d.o.crt_examined_min = 120.0;
  acts = d.step(120.0);
  CHECK(Driver::has(acts, "restore MAP target"));
  CHECK(Driver::has(acts, "inodilator test"));
  CHECK(*p.map_target_mmHg() == Approx(65.0));
  // CRT normalises on dobutamine: kept.
  d.o.crt_s = 2.5;
  d.o.crt_examined_min = 180.0;
  CHECK(Driver::has(d.step(180.0), "keep dobutamine"));
  CHECK(d.o.running.dobutamine_ug_per_kg_min == Approx(5.0));
}

TEST_CASE("lactate_guided: at target when lactate falls >= 20% per reading, acts when it does not") {
  PerfusionGuidedSettings s;
  s.macro.initial_fluid_mL_per_kg = 0.0;
  s.macro.initial_fluid_duration_min = 0.0;
  s.macro.vasopressin_U_per_min = 0.0;
  s.macro.max_challenges = 0;  // straight to the inodilator test
  PerfusionGuidedProtocol p(PerfusionGuidedProtocol::Signal::kLactate, s);
  Driver d{p, {}};
  d.o.map_mmHg = 66.0;
  d.o.lactate_mmol_per_L = 5.0;
  d.o.lactate_drawn_min = 0.0;
  CHECK(Driver::has(d.step(10.0), "inodilator test"));  // first reading above 2: not at target
  // 4.0 is a 20% fall: at target, and after the hour the dobutamine is kept.
  d.o.lactate_mmol_per_L = 4.0;
  d.o.lactate_drawn_min = 120.0;
  CHECK(Driver::has(d.step(130.0), "keep dobutamine"));
}

TEST_CASE("macro_first adds vasopressin at NE 0.25 and the map_target set event changes the target") {
  const auto r = run_file("macro_vs_micro.toml");
  bool added = false;
  for (const auto& d : r.decisions) {
    if (d.action == "add vasopressin") {
      added = true;
      CHECK(d.observed.running.ne_ug_per_kg_min >= 0.25);
    }
  }
  CHECK(added);
  // septic_shock_map_target.toml raises the target to 75 at 12 h; Varvel uses the target in force.
  const auto mt = run_file("septic_shock_map_target.toml");
  CHECK(mean_after(mt, &run::Sample::map_mmHg, 780.0) == Approx(75.0).margin(2.0));
  REQUIRE(mt.varvel.has_value());
  CHECK(mt.varvel->within_5_mmHg_pct >= 85.0);
}

TEST_CASE("Scenario library: crt_guided and lactate_guided run and log ANDROMEDA's steps") {
  const auto crt = run_file("septic_shock_crt_guided.toml");
  bool inodilator = false;
  for (const auto& d : crt.decisions) inodilator = inodilator || d.action == "inodilator test";
  CHECK(inodilator);
  const auto hyper = run_file("chronic_hypertensive.toml");
  bool vasopressor_test = false;
  for (const auto& d : hyper.decisions) vasopressor_test = vasopressor_test || d.action == "vasopressor test";
  CHECK(vasopressor_test);
  const auto lac = run_file("septic_shock_lactate_guided.toml");
  CHECK_FALSE(lac.decisions.empty());
}

TEST_CASE("macro_first on constructed observations: 30 mL/kg, challenges judged by CO, vasopressin at NE 0.25") {
  MacroFirstSettings s;
  MacroFirstProtocol p(s);
  p.set_history({80.0, 90.0, 0.0});
  Driver d{p, {}};
  d.o.map_mmHg = 50.0;
  d.o.co_L_per_min = 4.0;
  auto acts = d.step(0.0);
  REQUIRE_FALSE(acts.empty());
  CHECK(acts[0].what == "crystalloid 30 mL/kg");
  CHECK(*acts[0].bolus_mL == Approx(2400.0));  // 30 mL/kg x 80 kg
  CHECK(acts[0].bolus_duration_min == Approx(180.0));
  CHECK(Driver::has(acts, "increase NE"));
  // No challenge during the initial 3 h; after it, hypoperfused (lactate 3): a challenge.
  d.o.map_mmHg = 66.0;
  d.o.lactate_mmol_per_L = 3.0;
  d.o.running.ne_ug_per_kg_min = 0.1;
  for (int t = 2; t < 180; t += 2) CHECK_FALSE(Driver::has(d.step(t), "fluid challenge"));
  CHECK(Driver::has(d.step(180.0), "fluid challenge"));
  // An hour later CO rose 20%: still responsive, another challenge.
  d.o.co_L_per_min = 4.8;
  acts = d.step(240.0);
  CHECK_FALSE(Driver::has(acts, "stop fluid challenges"));
  CHECK(Driver::has(acts, "fluid challenge"));
  // Then CO rose only 2%: not fluid-responsive, no more challenges.
  d.o.co_L_per_min = 4.9;
  acts = d.step(300.0);
  CHECK(Driver::has(acts, "stop fluid challenges"));
  CHECK_FALSE(Driver::has(acts, "fluid challenge"));
  CHECK_FALSE(Driver::has(d.step(360.0), "fluid challenge"));
  // NE reaches 0.25: vasopressin is added once.
  d.o.running.ne_ug_per_kg_min = 0.26;
  CHECK(Driver::has(d.step(362.0), "add vasopressin"));
  CHECK(d.o.running.vasopressin_U_per_min == Approx(0.03));
  CHECK_FALSE(Driver::has(d.step(364.0), "add vasopressin"));
}
