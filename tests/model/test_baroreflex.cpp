// Cardiopulmonary (low-pressure) reflex and baroreflex resetting (issue 20, phys-cp).
// Literature (abstracts read 2026-12-02): nonhypotensive lower-body negative pressure (-5 to
// -15 mmHg) lowers CVP by a few mmHg and raises muscle sympathetic activity by +61% to +149% at
// unchanged MAP and heart rate (Victor & Leimbach 1987; Floras 2001; Sundlof & Wallin 1978); LBNP
// -10 mmHg for 1 h lowered CVP and forearm and splanchnic flow without BP or HR change (Hirsch
// 1989). Before this change the sympathetic target depended on MAP alone: a CVP change at constant
// MAP moved it by exactly 0.
#include <catch2/catch.hpp>

#include <cmath>

#include "model/hemodynamics.hpp"
#include "model/model.hpp"
#include "model/simulator.hpp"
#include "validation/experiments.hpp"

using namespace coherence;

TEST_CASE("At constant MAP, unloading the cardiopulmonary receptors raises the vascular sympathetic target") {
  const model::BaroreflexParams b;
  const double rest = model::vascular_sympathetic_target(b, 90.0, b.cvp_set_point_mmHg);
  CHECK(rest == Approx(0.5).margin(1e-12));
  // LBNP -10..-15 mmHg: CVP about 3 mmHg lower, MAP unchanged. The model's activity is bounded at
  // twice its resting value (s = 1), so the literature's +61..+149% is asserted as >= +30%.
  const double lbnp = model::vascular_sympathetic_target(b, 90.0, b.cvp_set_point_mmHg - 3.0);
  CHECK(lbnp / rest - 1.0 >= 0.30);
  CHECK(lbnp < 1.0);
  // Volume loading at constant MAP inhibits it.
  const double loaded = model::vascular_sympathetic_target(b, 90.0, b.cvp_set_point_mmHg + 3.0);
  CHECK(loaded < rest - 0.15);
  // The heart-rate arm does not see CVP: nonhypotensive LBNP leaves HR unchanged.
  CHECK(model::baroreflex_target(b, 90.0) == Approx(rest).margin(1e-12));
  // Smooth and bounded: a very high CVP (ventilated, right-heart failure) cannot abolish the
  // arterial reflex: at MAP 65 the vascular target stays above its resting value.
  CHECK(model::vascular_sympathetic_target(b, 65.0, 20.0) > 0.5);
}

TEST_CASE("The healthy reference state is a steady state of the reflex and of its resetting") {
  const model::ModelParams p = validation::healthy_adult();
  model::Simulator sim(p, 0.0);
  const auto o = sim.observe();
  // CVP at its set point: the cardiopulmonary term adds nothing at rest.
  CHECK(o.circulation.central_mmHg == Approx(p.baroreflex.cvp_set_point_mmHg).margin(0.1));
  CHECK(o.vascular_sympathetic_target == Approx(o.sympathetic_target).margin(0.02));
  sim.set_inputs(model::Inputs{}, 120.0);
  sim.advance_to(120.0);
  CHECK(std::abs(sim.state()[model::kBaroreflexReset]) < 0.05);
}

TEST_CASE("Baroreflex resetting follows a sustained fall in MAP partially and slowly") {
  model::ModelParams p = validation::healthy_adult();
  model::Simulator sim(p, 0.0);
  const double map0 = sim.observe().circulation.arterial_mmHg;
  // Haemorrhage-like hypotension held by a sustained fall in blood volume is awkward to script;
  // septic vasoplegia without treatment gives a sustained low MAP.
  model::Inputs in;
  in.sepsis_severity = 0.7;
  sim.set_inputs(in, 24 * 60.0);
  sim.advance_to(6 * 60.0);
  const double reset_6h = sim.state()[model::kBaroreflexReset];
  sim.advance_to(24 * 60.0);
  const double reset_24h = sim.state()[model::kBaroreflexReset];
  const double map_24h = sim.observe().circulation.arterial_mmHg;
  REQUIRE(map_24h < map0 - 10.0);
  // Toward the prevailing MAP (negative), growing over the day, never more than the share.
  CHECK(reset_6h < 0.0);
  CHECK(reset_24h < reset_6h);
  CHECK(std::abs(reset_24h) <= p.baroreflex.reset_fraction * (map0 - map_24h) + 1.0);
}
