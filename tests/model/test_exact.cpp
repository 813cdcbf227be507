// Exact solutions and conservation laws.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "model/model.hpp"
#include "model/norepinephrine.hpp"
#include "model/ode_solver.hpp"
#include "model/simulator.hpp"
#include "body_water.hpp"
#include "validation/experiments.hpp"

using namespace coherence::model;

TEST_CASE("Plasma NE after a step and after stopping follows the one-compartment closed form") {
  // C(t) = (R/CL)(1 - e^{-k t}) while infusing, then C(T) e^{-k (t - T)}; k = CL / V.
  ModelParams p = coherence::validation::septic_adult();
  const double dose = 0.25;                                     // ug/kg/min
  const double rate_ug_per_min = dose * p.patient.weight_kg;   // 17.5 ug/min
  const double cl = ne_clearance_L_per_min(p);                 // L/min
  const double volume = p.norepinephrine.volume_L * p.patient.weight_kg / 70.0;
  const double k = cl / volume;                                // 1/min
  Simulator sim(p, 0.0);
  Inputs in;
  in.ne_dose_ug_per_kg_min = dose;
  sim.set_inputs(in, 30.0);
  for (double t : {1.0, 2.0, 5.0, 10.0, 30.0}) {
    sim.advance_to(t);
    const double exact = rate_ug_per_min / cl * (1.0 - std::exp(-k * t));
    CHECK(std::abs(sim.state()[kNeExogenous] - exact) / exact < 1e-4);
  }
  const double c_stop = sim.state()[kNeExogenous];
  sim.set_inputs(Inputs{}, 60.0);
  for (double t : {31.0, 35.0, 45.0, 60.0}) {
    sim.advance_to(t);
    const double exact = c_stop * std::exp(-k * (t - 30.0));
    CHECK(std::abs(sim.state()[kNeExogenous] - exact) / exact < 1e-4);
  }
}

TEST_CASE("A Windkessel compartment draining through a resistance decays with tau = R C") {
  // dV/dt = -(P - P_out)/R with P = (V - V0)/C: P(t) = P_out + (P0 - P_out) e^{-t/(R C)}.
  const double r_mmHg_min_per_mL = 0.014, c_mL_per_mmHg = 1.5, v0_mL = 620.0, p_out_mmHg = 10.0;
  const double p0_mmHg = 90.0;
  RightHandSide rhs = [&](double, std::span<const double> y, std::span<double> d) {
    const double p = (y[0] - v0_mL) / c_mL_per_mmHg;
    d[0] = -(p - p_out_mmHg) / r_mmHg_min_per_mL;
    return 0;
  };
  SolverOptions o;
  o.relative_tolerance = 1e-8;
  o.absolute_tolerances = {1e-8};
  const double y0[] = {v0_mL + c_mL_per_mmHg * p0_mmHg};
  OdeSolver solver(rhs, 0.0, y0, o);
  const double tau = r_mmHg_min_per_mL * c_mL_per_mmHg;  // 0.021 min
  for (double t : {0.5 * tau, tau, 3.0 * tau, 6.0 * tau}) {
    solver.advance_to(t);
    const double p = (solver.state()[0] - v0_mL) / c_mL_per_mmHg;
    const double exact = p_out_mmHg + (p0_mmHg - p_out_mmHg) * std::exp(-t / tau);
    CHECK(p == Approx(exact).epsilon(1e-5));
  }
}

TEST_CASE("Total body water is conserved over 72 h of septic shock with fluids and NE") {
  // (blood - red cells) + interstitium - intake + losses is invariant.
  const ModelParams p = coherence::validation::septic_adult();
  Simulator sim(p, -360.0);
  auto water = [&] { return coherence::model::test::body_water_invariant_mL(sim); };
  const double w0 = water();
  Inputs in;
  in.sepsis_severity = 0.7;
  sim.set_inputs(in, 0.0);
  sim.advance_to(0.0);
  in.crystalloid_mL_per_min = 2100.0 / 120.0 + 1.75;
  in.ne_dose_ug_per_kg_min = 0.2;
  sim.set_inputs(in, 120.0);
  sim.advance_to(120.0);
  in.crystalloid_mL_per_min = 1.75;
  sim.set_inputs(in, 72.0 * 60.0);
  sim.advance_to(72.0 * 60.0);
  CHECK(sim.state()[kFluidIn] > 5000.0);  // fluid really moved
  CHECK(std::abs(water() - w0) < 0.1);
}

TEST_CASE("The reference state is a steady state") {
  const ModelParams p = coherence::validation::healthy_adult();
  const InitialCondition ic = reference_state(p);
  StateVector d{};
  REQUIRE(derivatives(p, ic.reference, Inputs{}, ic.state, d) == 0);
  // Blood compartments balanced; the interstitium loses only insensible water (0.5 mL/kg/h).
  for (int i : {kArterialVolume, kCentralVolume, kPulmonaryVolume}) CHECK(std::abs(d[i]) < 0.05);
  CHECK(d[kInterstitialVolume] == Approx(-0.5 * 70.0 / 60.0).margin(0.05));
  CHECK(std::abs(d[kLactate]) < 1e-9);
  CHECK(std::abs(d[kNeEndogenous]) < 1e-9);
  CHECK(std::abs(d[kPlasmaProtein]) < 1e-6);
}

TEST_CASE("Heart stopped: systemic pressures equalise at the systemic filling pressure") {
  // With no ejection the pulmonary compartment is isolated; arteries, veins and the central
  // veins share one pressure: (sum of their stressed volumes) / (sum of their compliances).
  ModelParams p = coherence::validation::healthy_adult();
  p.patient.baroreflex_gain = 0.0;
  p.hemodynamics.lv_end_systolic_elastance_mmHg_per_mL = 1e-6;  // no ejection
  p.hemodynamics.rv_end_systolic_elastance_mmHg_per_mL = 1e-6;
  p.patient.baseline_intake_mL_per_h = 0.0;
  p.fluids.urine_mL_per_kg_h = 0.0;
  p.fluids.insensible_mL_per_kg_h = 0.0;
  p.fluids.filtration_coefficient_mL_per_min_mmHg = 1e-9;  // no transcapillary exchange
  p.fluids.lymph_flow_mL_per_kg_h = 1e-9;
  const auto& h = p.hemodynamics;
  Simulator sim(p, 0.0);
  sim.set_inputs(Inputs{}, 5.0);
  sim.advance_to(5.0);
  const auto y = sim.state();
  const double stressed = (y[kArterialVolume] - h.arterial_unstressed_mL) + (y[kVenousVolume] - h.venous_unstressed_mL) +
                          (y[kCentralVolume] - h.central_unstressed_mL);
  const double compliance =
      h.arterial_compliance_mL_per_mmHg + h.venous_compliance_mL_per_mmHg + h.central_compliance_mL_per_mmHg;
  const auto c = sim.observe().circulation;
  CHECK(c.arterial_mmHg == Approx(stressed / compliance).margin(0.01));
  CHECK(c.venous_mmHg == Approx(stressed / compliance).margin(0.01));
  CHECK(c.central_mmHg == Approx(stressed / compliance).margin(0.01));
}

TEST_CASE("Vessel capacities scale with the patient's normal blood volume") {
  // A patient whose normal blood volume is 55 or 90 mL/kg (obese, athletic) is still a healthy
  // adult at rest: the circulation is neither empty nor overfilled.
  for (double bv : {55.0, 90.0}) {
    ModelParams p = coherence::validation::healthy_adult();
    p.hemodynamics.blood_volume_mL_per_kg = bv;
    Simulator sim(p, 0.0);
    sim.set_inputs(Inputs{}, 60.0);
    sim.advance_to(60.0);
    const auto o = sim.observe();
    INFO("blood volume " << bv << " mL/kg");
    CHECK(o.circulation.arterial_mmHg > 70.0);
    CHECK(o.circulation.arterial_mmHg < 100.0);
    CHECK(o.circulation.central_mmHg > 1.0);
    CHECK(o.circulation.central_mmHg < 8.0);
    CHECK(o.blood_volume_mL == Approx(bv * 70.0).epsilon(0.02));
  }
}

TEST_CASE("The NE effect site's closed form agrees with the two-compartment chain integrated at tight tolerance") {
  // dCp/dt = (R - CL Cp)/V, dCe/dt = ke (Cp - Ce), with the dose changed at 4, 6 and 9 min.
  ModelParams p = coherence::validation::septic_adult();
  const double cl = ne_clearance_L_per_min(p);
  const double volume = p.norepinephrine.volume_L * p.patient.weight_kg / 70.0;
  const double ke = std::log(2.0) / p.norepinephrine.effect_site_half_life_min;
  const std::vector<std::pair<double, double>> doses = {{0.0, 0.3}, {4.0, 0.05}, {6.0, 0.8}, {9.0, 0.0}};
  auto dose_at = [&](double t) {
    double d = 0.0;
    for (const auto& [at, dose] : doses) {
      if (t >= at) d = dose;
    }
    return d;
  };
  double current_dose = 0.0;
  RightHandSide rhs = [&](double, std::span<const double> c, std::span<double> d) {
    d[0] = (current_dose * p.patient.weight_kg - cl * c[0]) / volume;
    d[1] = ke * (c[0] - c[1]);
    return 0;
  };
  SolverOptions tight;
  tight.relative_tolerance = 1e-11;
  tight.absolute_tolerances = {1e-13, 1e-13};
  const double c0[] = {0.0, 0.0};
  OdeSolver chain(rhs, 0.0, c0, tight);
  StateVector y{};
  Inputs in;
  InfusionKinetics exact(p, 0.0, y, in);
  double last_change = -1.0;
  for (int step = 1; step <= 28; ++step) {
    const double t = 0.5 * step;
    for (const auto& [at, dose] : doses) {
      if (at > last_change && at < t) {
        chain.advance_to(at);
        current_dose = dose;
        chain.reinitialize();
        in.ne_dose_ug_per_kg_min = dose;
        exact.restart(p, at, in);
        last_change = at;
      }
    }
    chain.advance_to(t);
    exact.fill(t, y);
    INFO("t = " << t << " min, dose " << dose_at(t));
    CHECK(y[kNeExogenous] == Approx(chain.state()[0]).epsilon(1e-8).margin(1e-10));
    CHECK(y[kNeEffectSite] == Approx(chain.state()[1]).epsilon(1e-8).margin(1e-10));
  }
}

TEST_CASE("The effect-site closed form is continuous when plasma and effect-site rates coincide") {
  // ke = CL/V makes the general formula 0/0; the limit k t e^{-k t} must be used.
  ModelParams p = coherence::validation::septic_adult();
  const double volume = p.norepinephrine.volume_L * p.patient.weight_kg / 70.0;
  const double k_plasma = ne_clearance_L_per_min(p) / volume;
  StateVector y0{};
  y0[kNeExogenous] = 4.0;  // ug/L, infusion stopped: Ce(t) = 4 k t e^{-k t} when ke = k
  for (double factor : {1.0, 1.0 + 1e-9, 1.0 - 1e-7}) {
    p.norepinephrine.effect_site_half_life_min = std::log(2.0) / (k_plasma * factor);
    const InfusionKinetics exact(p, 0.0, y0, Inputs{});
    StateVector y{};
    for (double t : {0.1, 1.0, 3.0, 10.0}) {
      exact.fill(t, y);
      INFO("ke / k = " << factor << ", t = " << t);
      CHECK(y[kNeEffectSite] == Approx(4.0 * k_plasma * t * std::exp(-k_plasma * t)).epsilon(1e-6));
    }
  }
}

TEST_CASE("Infusion changes do not restart the integrator, other input changes do") {
  const ModelParams p = coherence::validation::septic_adult();
  Simulator sim(p, 0.0);
  Inputs in;
  in.sepsis_severity = 0.7;
  sim.set_inputs(in, 10.0);
  sim.advance_to(10.0);
  const long restarts_before = sim.statistics().reinitializations;
  for (int k = 1; k <= 20; ++k) {  // a titration every 2 min
    in.ne_dose_ug_per_kg_min = 0.01 * k;
    in.vasopressin_U_per_min = k % 2 == 0 ? 0.03 : 0.0;
    sim.set_inputs(in, 10.0 + 2.0 * k);
    sim.advance_to(10.0 + 2.0 * k);
  }
  CHECK(sim.statistics().reinitializations == restarts_before);
  in.crystalloid_mL_per_min = 33.3;  // a bolus starts: the volume balance jumps
  sim.set_inputs(in, 60.0);
  sim.advance_to(60.0);
  CHECK(sim.statistics().reinitializations == restarts_before + 1);
}

TEST_CASE("The default tolerance reproduces a tightly integrated septic course") {
  // Septic shock with NE titrated every 2 min and a bolus, integrated with the default options
  // (relative 1e-4) and with relative 1e-8: the difference stays far below what a monitor
  // resolves (MAP 1 mmHg, lactate 0.1 mmol/L).
  const ModelParams p = coherence::validation::septic_adult();
  SolverOptions tight = default_solver_options();
  tight.relative_tolerance = 1e-8;
  for (double& a : tight.absolute_tolerances) a *= 1e-3;
  Simulator fast(p, -360.0);
  Simulator reference(p, -360.0, tight);
  double worst_map = 0.0, worst_co = 0.0, worst_lactate = 0.0, worst_ne = 0.0;
  Inputs in;
  in.sepsis_severity = 0.8;
  double t = -360.0;
  for (int k = 0; t < 24.0 * 60.0; ++k) {
    const double next = t < 0.0 ? 0.0 : t + 2.0;
    if (t >= 0.0) {
      in.ne_dose_ug_per_kg_min = 0.2 + 0.15 * std::sin(0.37 * k) + (k % 3 == 0 ? 0.05 : 0.0);
      in.crystalloid_mL_per_min = t < 180.0 ? 2250.0 / 180.0 : 1.75;
    }
    for (Simulator* s : {&fast, &reference}) {
      s->set_inputs(in, next);
      s->advance_to(next);
    }
    t = next;
    const auto a = fast.observe();
    const auto b = reference.observe();
    worst_map = std::max(worst_map, std::abs(a.circulation.arterial_mmHg - b.circulation.arterial_mmHg));
    worst_co = std::max(worst_co, std::abs(a.circulation.lv_output_mL_per_min - b.circulation.lv_output_mL_per_min));
    worst_lactate = std::max(worst_lactate, std::abs(fast.state()[kLactate] - reference.state()[kLactate]));
    worst_ne = std::max(worst_ne, std::abs(fast.state()[kNeExogenous] - reference.state()[kNeExogenous]));
  }
  INFO("max |dMAP| " << worst_map << " mmHg, |dCO| " << worst_co << " mL/min, |dlactate| " << worst_lactate
                     << " mmol/L, |dNE infused| " << worst_ne << " ug/L");
  CHECK(worst_map < 0.1);     // measured 0.04 mmHg
  CHECK(worst_co < 30.0);     // measured 14 mL/min of ~5-7 L/min
  CHECK(worst_lactate < 0.02);  // measured 0.005 mmol/L
  CHECK(worst_ne < 1e-12);    // infused NE: the same closed form in both
  CHECK(fast.statistics().steps < reference.statistics().steps / 3);
}

TEST_CASE("Exchange beds see NE's venoconstriction only in their venoconstricted share") {
  ModelParams p;
  CirculationTone tone;
  tone.venous_unstressed_mL = 2500.0;
  tone.venous_compliance_mL_per_mmHg = 60.0;
  const double volume_mL = 3100.0;
  const double pv = (volume_mL - tone.venous_unstressed_mL) / tone.venous_compliance_mL_per_mmHg;  // 10 mmHg
  // Without NE's share of the tone, the exchange beds see the venous pressure itself, bit for bit.
  CHECK(exchange_venous_pressure_mmHg(p, tone, volume_mL, pv) == pv);
  // NE recruited 300 mL and stiffened the veins by 20%: without it the pressure would be
  // (3100 - (2500 + 300)) / (60 / 0.8) = 4 mmHg.
  tone.ne_venous_unstressed_shift_mL = 300.0;
  tone.ne_venous_compliance_factor = 0.8;
  const double unconstricted = 4.0;
  p.fluids.venoconstricted_exchange_fraction = 1.0;
  CHECK(exchange_venous_pressure_mmHg(p, tone, volume_mL, pv) == Approx(pv).epsilon(1e-14));
  p.fluids.venoconstricted_exchange_fraction = 0.0;
  CHECK(exchange_venous_pressure_mmHg(p, tone, volume_mL, pv) == Approx(unconstricted).epsilon(1e-14));
  p.fluids.venoconstricted_exchange_fraction = 0.3;
  CHECK(exchange_venous_pressure_mmHg(p, tone, volume_mL, pv) == Approx(0.3 * pv + 0.7 * unconstricted).epsilon(1e-14));
}

TEST_CASE("NE's venoconstriction filters less plasma out when fewer exchange beds see it") {
  // Septic shock on NE 0.5 ug/kg/min for 6 h with 100 mL/h of crystalloid: with the splanchnic share
  // (0.3) more plasma stays in the circulation than if every bed saw the constricted veins (1.0).
  auto run = [](double fraction) {
    ModelParams p = coherence::validation::septic_adult();
    p.fluids.venoconstricted_exchange_fraction = fraction;
    Simulator sim(p, 0.0);
    Inputs in;
    in.sepsis_severity = 0.7;
    in.ne_dose_ug_per_kg_min = 0.5;
    in.crystalloid_mL_per_min = 100.0 / 60.0;
    sim.set_inputs(in, 360.0);
    sim.advance_to(360.0);
    return sim.observe();
  };
  const auto shared = run(0.3);
  const auto everywhere = run(1.0);
  INFO("plasma " << shared.plasma_volume_mL << " vs " << everywhere.plasma_volume_mL << " mL, Hct "
                 << shared.haematocrit << " vs " << everywhere.haematocrit);
  CHECK(shared.plasma_volume_mL > everywhere.plasma_volume_mL + 300.0);  // measured ~600 mL
  CHECK(shared.haematocrit < everywhere.haematocrit);
}
