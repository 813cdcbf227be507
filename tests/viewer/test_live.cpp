// The teaching viewer's command layer without a display: every control changes the simulation
// as its label says, checked against a twin viewer that did not receive the command.
#include <catch2/catch.hpp>

#include <string>

#include "run/runner.hpp"
#include "scenario/scenario.hpp"
#include "viewer/live.hpp"

using namespace coherence;
using viewer::Command;
using viewer::LiveViewer;

namespace {

scenario::Scenario load(const std::string& name, const std::vector<std::string>& sets = {}) {
  std::vector<scenario::Override> o;
  o.reserve(sets.size());
  for (const auto& s : sets) o.push_back(scenario::parse_override(s));
  return scenario::load_scenario(std::string(COHERENCE_SOURCE_DIR) + "/scenarios/" + name, o);
}

viewer::ViewerOptions at_hour(double h) {
  viewer::ViewerOptions o;
  o.start_min = 60.0 * h;
  o.speed_min_per_s = 60.0;  // 15 simulated min per 0.25 s tick
  o.pause_at_captions = false;
  return o;
}

// Advances by `minutes` of simulated time in 0.25 s ticks.
void advance(LiveViewer& v, double minutes) {
  const double until = v.session().time_min() + minutes;
  REQUIRE_FALSE(v.paused());
  while (v.session().time_min() < until - 1e-9 && !v.ended()) v.tick(0.25);
}

run::Sample sample(const LiveViewer& v) { return v.session().sample(); }

}  // namespace

TEST_CASE("viewer: norepinephrine up raises the dose in steps and the MAP, down lowers them", "[viewer]") {
  const auto s = load("septic_shock_untreated.toml");
  LiveViewer a(s, at_hour(1.0)), b(s, at_hour(1.0));
  for (int k = 0; k < 4; ++k) b.apply(Command::kNeUp);  // 0 -> 0.02 -> 0.04 -> 0.06 -> 0.08
  CHECK(b.session().timeline().infusions.ne_ug_per_kg_min == Approx(0.08));
  for (int k = 0; k < 4; ++k) b.apply(Command::kNeUp);  // 0.10, then 0.05 steps: 0.15, 0.20, 0.25
  CHECK(b.session().timeline().infusions.ne_ug_per_kg_min == Approx(0.25));
  CHECK(b.status() == "norepinephrine 0.25 ug/kg/min");
  advance(a, 30.0);
  advance(b, 30.0);
  CHECK(sample(b).ne_dose_ug_per_kg_min == Approx(0.25));
  CHECK(sample(b).map_mmHg > sample(a).map_mmHg + 5.0);
  b.apply(Command::kNeDown);
  CHECK(b.session().timeline().infusions.ne_ug_per_kg_min == Approx(0.20));
  for (int k = 0; k < 20; ++k) b.apply(Command::kNeDown);
  CHECK(b.session().timeline().infusions.ne_ug_per_kg_min == 0.0);  // never below 0
  // Every user action is in the decision log with its reason.
  const auto log = b.recent_decisions(100);
  REQUIRE(log.size() == 29);
  CHECK(log.front().protocol == "user");
  CHECK(log.front().reason.find("teaching viewer") != std::string::npos);
}

TEST_CASE("viewer: a fluid bolus gives 250 mL over 15 min and raises the filling pressure", "[viewer]") {
  const auto s = load("septic_shock_untreated.toml");
  LiveViewer a(s, at_hour(1.0)), b(s, at_hour(1.0));
  b.apply(Command::kFluidBolus);
  advance(a, 15.0);
  advance(b, 15.0);
  CHECK(sample(b).fluids_in_mL - sample(a).fluids_in_mL == Approx(250.0).margin(1.0));
  CHECK(sample(b).pmsf_mmHg > sample(a).pmsf_mmHg);
  CHECK(b.recent_decisions(1).back().bolus_mL == 250.0);
}

TEST_CASE("viewer: dobutamine raises cardiac output, vasopressin raises MAP, nitroglycerin lowers it", "[viewer]") {
  const auto s = load("septic_shock_untreated.toml");
  LiveViewer a(s, at_hour(1.0)), dobu(s, at_hour(1.0)), vaso(s, at_hour(1.0)), ntg(s, at_hour(1.0));
  dobu.apply(Command::kDobutamineUp);
  dobu.apply(Command::kDobutamineUp);
  CHECK(dobu.session().timeline().infusions.dobutamine_ug_per_kg_min == Approx(5.0));
  vaso.apply(Command::kVasopressin);
  CHECK(vaso.session().timeline().infusions.vasopressin_U_per_min == Approx(0.03));
  ntg.apply(Command::kNitroglycerin);
  CHECK(ntg.session().timeline().infusions.nitroglycerin_ug_per_min == Approx(33.0));
  for (LiveViewer* v : {&a, &dobu, &vaso, &ntg}) advance(*v, 30.0);
  CHECK(sample(dobu).co_L_per_min > sample(a).co_L_per_min * 1.05);
  CHECK(sample(vaso).map_mmHg > sample(a).map_mmHg + 3.0);
  CHECK(sample(ntg).map_mmHg < sample(a).map_mmHg - 1.0);
  // Off again.
  dobu.apply(Command::kDobutamineDown);
  dobu.apply(Command::kDobutamineDown);
  CHECK(dobu.session().timeline().infusions.dobutamine_ug_per_kg_min == 0.0);
  vaso.apply(Command::kVasopressin);
  CHECK(vaso.session().timeline().infusions.vasopressin_U_per_min == 0.0);
  ntg.apply(Command::kNitroglycerin);
  CHECK(ntg.session().timeline().infusions.nitroglycerin_ug_per_min == 0.0);
}

TEST_CASE("viewer: sepsis severity up worsens the inflammation, down eases it", "[viewer]") {
  const auto s = load("septic_shock_untreated.toml");
  LiveViewer a(s, at_hour(1.0)), up(s, at_hour(1.0)), down(s, at_hour(1.0));
  for (int k = 0; k < 3; ++k) up.apply(Command::kSeverityUp);
  for (int k = 0; k < 3; ++k) down.apply(Command::kSeverityDown);
  CHECK(up.session().timeline().severity == Approx(1.0));  // 0.7 + 0.3
  CHECK(down.session().timeline().severity == Approx(0.4));
  for (LiveViewer* v : {&a, &up, &down}) advance(*v, 120.0);
  CHECK(sample(up).inflammation > sample(a).inflammation + 0.02);
  CHECK(sample(down).inflammation < sample(a).inflammation - 0.02);
  up.apply(Command::kSeverityUp);
  CHECK(up.session().timeline().severity == 1.0);  // at most 1
}

TEST_CASE("viewer: site, pause, speed and help controls", "[viewer]") {
  const auto s = load("septic_shock_untreated.toml");
  LiveViewer v(s, at_hour(1.0));
  REQUIRE(v.site() == 1);
  const auto first = v.frame().pixels;
  v.apply(Command::kNextSite);
  CHECK(v.site() == 2);
  CHECK(v.frame().pixels != first);  // another site's video
  v.apply(Command::kPreviousSite);
  v.apply(Command::kPreviousSite);
  CHECK(v.site() == 5);  // wraps around
  // Pause: the simulation stands still while the video goes on.
  v.apply(Command::kPause);
  CHECK(v.paused());
  const double t = v.session().time_min();
  const auto serial = v.frame_serial();
  v.tick(0.1);
  CHECK(v.session().time_min() == t);
  CHECK(v.frame_serial() > serial);
  v.apply(Command::kPause);
  // Speed: x2 and /2 change the simulated minutes per second of wall time.
  v.apply(Command::kFaster);
  CHECK(v.speed_min_per_s() == 120.0);
  const double t0 = v.session().time_min();
  v.tick(0.1);
  CHECK(v.session().time_min() - t0 == Approx(12.0));
  v.apply(Command::kSlower);
  v.apply(Command::kSlower);
  CHECK(v.speed_min_per_s() == 30.0);
  v.apply(Command::kHelp);
  CHECK(v.help());
  v.apply(Command::kHelp);
  CHECK_FALSE(v.help());
}

TEST_CASE("viewer: the autopilot runs the scenario's protocol, off, the protocol no longer acts", "[viewer]") {
  const auto s = load("septic_shock_protocols.toml");
  LiveViewer on(s, at_hour(1.0)), off(s, at_hour(1.0));
  off.apply(Command::kAutopilot);
  CHECK_FALSE(off.session().autopilot());
  const auto held = off.session().timeline().infusions;
  advance(on, 180.0);
  advance(off, 180.0);
  auto protocol_rows_after = [](const LiveViewer& v, double t) {
    int n = 0;
    for (const auto& d : v.session().decisions()) n += d.protocol != "user" && d.time_min > t ? 1 : 0;
    return n;
  };
  CHECK(protocol_rows_after(on, 60.0) > 3);
  CHECK(protocol_rows_after(off, 60.0) == 0);
  CHECK(off.session().timeline().infusions.ne_ug_per_kg_min == held.ne_ug_per_kg_min);
  CHECK(on.session().timeline().infusions.ne_ug_per_kg_min != held.ne_ug_per_kg_min);
  // Without a protocol the autopilot says so and changes nothing.
  LiveViewer fixed(load("septic_shock_untreated.toml"), at_hour(1.0));
  fixed.apply(Command::kAutopilot);
  CHECK(fixed.status().find("no protocol") != std::string::npos);
}

TEST_CASE("viewer: the coherence indicator follows MAP and the microcirculation", "[viewer]") {
  // Lesson 3 (vasoconstriction): MAP at target with capillaries failing at high NE.
  LiveViewer v(load("coherence_loss_3_vasoconstriction.toml"), at_hour(0.0));
  advance(v, 5.0 * 60.0);
  const auto c = v.coherence();
  CHECK(c.macro_adequate);
  CHECK_FALSE(c.micro_adequate);
  CHECK(c.verdict.rfind("LOSS OF COHERENCE", 0) == 0);
}

TEST_CASE("viewer: lesson captions appear at their time and pause the lesson", "[viewer]") {
  const auto s = load("ne_cliff.toml");
  REQUIRE(s.captions.size() >= 3);
  viewer::ViewerOptions o = at_hour(0.0);
  o.pause_at_captions = true;
  LiveViewer v(s, o);
  CHECK(v.caption() == nullptr);
  while (!v.paused() && !v.ended()) v.tick(0.25);
  REQUIRE(v.caption() != nullptr);
  CHECK(v.session().time_min() == Approx(s.captions.front().at_min));
  CHECK(v.caption()->text == s.captions.front().text);
  v.apply(Command::kPause);  // continue
  while (!v.paused() && !v.ended()) v.tick(0.25);
  CHECK(v.caption()->text == s.captions[1].text);
}

TEST_CASE("viewer: the same inputs give the same trends and video (repeatable lessons)", "[viewer]") {
  const auto s = load("septic_shock_untreated.toml");
  LiveViewer a(s, at_hour(1.0)), b(s, at_hour(1.0));
  for (LiveViewer* v : {&a, &b}) {
    v->apply(Command::kNeUp);
    v->apply(Command::kFluidBolus);
    advance(*v, 45.0);
  }
  CHECK(a.frame().pixels == b.frame().pixels);
  CHECK(a.now().map_mmHg == b.now().map_mmHg);
}
