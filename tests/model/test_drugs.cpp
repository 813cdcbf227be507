// Drugs other than NE and the non-crystalloid fluids: exact PK, conservation, signs of effect.
#include <catch2/catch.hpp>
#include <cmath>

#include "model/drugs.hpp"
#include "model/microcirculation.hpp"
#include "model/simulator.hpp"
#include "validation/experiments.hpp"

using namespace coherence::model;

TEST_CASE("Vasopressin reaches Landry's plasma level with the first-order closed form") {
  // C(t) = S R (1 - 2^{-t / t1/2}); 0.01 U/min -> 30 pg/mL at steady state (Landry 1997).
  const ModelParams p = coherence::validation::septic_adult();
  Simulator sim(p, 0.0);
  Inputs in;
  in.vasopressin_U_per_min = 0.01;
  sim.set_inputs(in, 240.0);
  const double t_half = p.drugs.vasopressin_half_life_min;
  for (double t : {5.0, 15.0, 60.0, 240.0}) {
    sim.advance_to(t);
    const double exact = 30.0 * (1.0 - std::exp2(-t / t_half));
    CHECK(sim.state()[kVasopressin] == Approx(exact).epsilon(1e-4));
  }
}

TEST_CASE("Epinephrine and dobutamine follow one-compartment kinetics with their clearances") {
  const ModelParams p = coherence::validation::septic_adult();  // SAPS II 50, 70 kg
  // Abboud 2009 at 70 kg and SAPS II 50: CL = 127 L/h exactly.
  CHECK(epinephrine_clearance_L_per_min(p) == Approx(127.0 / 60.0));
  CHECK(epinephrine_volume_L(p) == Approx(3.5 * 127.0 / 60.0 / std::log(2.0)));
  Simulator sim(p, 0.0);
  Inputs in;
  in.epinephrine_ug_per_kg_min = 0.2;
  in.dobutamine_ug_per_kg_min = 5.0;
  sim.set_inputs(in, 20.0);
  const double k_epi = epinephrine_clearance_L_per_min(p) / epinephrine_volume_L(p);
  const double k_dob = dobutamine_clearance_L_per_min(p) / dobutamine_volume_L(p);
  for (double t : {1.0, 3.5, 10.0, 20.0}) {
    sim.advance_to(t);
    const double epi = 14.0 / epinephrine_clearance_L_per_min(p) * (1.0 - std::exp(-k_epi * t));
    const double dob = 350.0 / dobutamine_clearance_L_per_min(p) * (1.0 - std::exp(-k_dob * t));
    CHECK(sim.state()[kEpinephrine] == Approx(epi).epsilon(1e-4));
    CHECK(sim.state()[kDobutamine] == Approx(dob).epsilon(1e-4));
  }
}

TEST_CASE("Albumin and packed cells add exactly their protein, water and red cells") {
  const ModelParams p = coherence::validation::septic_adult();
  Simulator sim(p, -360.0);
  Inputs in;
  in.sepsis_severity = 0.7;
  sim.set_inputs(in, 0.0);
  sim.advance_to(0.0);
  const auto y0 = sim.state();
  auto water = [](const StateVector& y) {
    const double blood = y[kArterialVolume] + y[kVenousVolume] + y[kCentralVolume] + y[kPulmonaryVolume];
    return blood - y[kRedCellVolume] + y[kInterstitialVolume] - y[kFluidIn] + y[kFluidOut];
  };
  // 100 mL of 20% albumin and 300 mL of packed cells, each over 30 minutes.
  in.albumin_solution_mL_per_min = 100.0 / 30.0;
  in.albumin_g_per_min = 20.0 / 30.0;
  in.packed_cells_mL_per_min = 300.0 / 30.0;
  sim.set_inputs(in, 30.0);
  sim.advance_to(30.0);
  in.albumin_solution_mL_per_min = in.albumin_g_per_min = in.packed_cells_mL_per_min = 0.0;
  sim.set_inputs(in, 240.0);
  sim.advance_to(240.0);
  const auto y1 = sim.state();
  const double hct = p.drugs.packed_cells_haematocrit;
  CHECK(y1[kRedCellVolume] - y0[kRedCellVolume] == Approx(300.0 * hct).epsilon(1e-6));
  CHECK((y1[kPlasmaProtein] + y1[kInterstitialProtein]) - (y0[kPlasmaProtein] + y0[kInterstitialProtein]) ==
        Approx(20.0).epsilon(1e-4));
  CHECK(y1[kFluidIn] - y0[kFluidIn] == Approx(100.0 + 300.0 * (1.0 - hct)).epsilon(1e-6));
  CHECK(std::abs(water(y1) - water(y0)) < 0.1);
}

TEST_CASE("Each drug moves the circulation in its documented direction") {
  const ModelParams p = coherence::validation::septic_icu_adult();
  auto after = [&](auto set) {
    Simulator sim(p, -360.0);
    Inputs in = coherence::validation::maintenance_inputs(p, 0.7);
    in.ne_dose_ug_per_kg_min = 0.2;
    sim.set_inputs(in, 0.0);
    sim.advance_to(0.0);
    set(in);
    sim.set_inputs(in, 60.0);
    sim.advance_to(60.0);
    return sim.observe();
  };
  const auto none = after([](Inputs&) {});
  const auto vp = after([](Inputs& in) { in.vasopressin_U_per_min = 0.03; });
  const auto dob = after([](Inputs& in) { in.dobutamine_ug_per_kg_min = 5.0; });
  const auto ntg = after([](Inputs& in) { in.nitroglycerin_ug_per_min = 100.0; });
  const auto epi = after([](Inputs& in) { in.epinephrine_ug_per_kg_min = 0.1; });
  CHECK(vp.svr_dyn_s_per_cm5 > none.svr_dyn_s_per_cm5 * 1.2);
  CHECK(vp.micro_drivers.drug_drive_factor < 1.0);
  CHECK(dob.circulation.lv_output_mL_per_min > none.circulation.lv_output_mL_per_min * 1.05);
  CHECK(dob.micro_drivers.drug_drive_factor > 1.1);
  CHECK(ntg.circulation.mean_systemic_filling_mmHg < none.circulation.mean_systemic_filling_mmHg - 1.0);
  CHECK(ntg.circulation.arterial_mmHg < none.circulation.arterial_mmHg);
  CHECK(ntg.micro_drivers.drug_drive_factor > 1.2);
  CHECK(epi.circulation.arterial_mmHg > none.circulation.arterial_mmHg + 3.0);
  CHECK(epi.oxygen.lactate_production_mmol_per_min > none.oxygen.lactate_production_mmol_per_min);
}

TEST_CASE("Patient modifiers: age lengthens healthy CRT (Schriger & Baraff 1988), usual MAP resets MAP") {
  auto healthy_after_hour = [](double age, double usual_map) {
    ModelParams p = coherence::validation::healthy_adult();
    p.patient.age_years = age;
    p.patient.usual_map_mmHg = usual_map;
    Simulator sim(p, 0.0);
    sim.set_inputs(Inputs{}, 60.0);
    sim.advance_to(60.0);
    const Network net = generate_network(p.micro, 1);
    const auto m = evaluate_network(p.micro, net, sim.observe().micro_drivers, 3600.0);
    return std::pair{m.crt_s, sim.observe().circulation.arterial_mmHg};
  };
  const auto [crt25, map25] = healthy_after_hour(25.0, 90.0);
  const auto [crt75, map75] = healthy_after_hour(75.0, 90.0);
  CHECK(crt25 == Approx(1.2).margin(0.15));  // young adults ~1.2 s
  CHECK(crt75 == Approx(1.8).margin(0.15));  // elderly 1.5-1.8 s
  CHECK(map25 == Approx(map75).margin(2.0));  // age alone does not move resting MAP here
  const auto [crt_h, map_h] = healthy_after_hour(50.0, 110.0);
  CHECK(map_h == Approx(110.0).margin(8.0));  // a chronic hypertensive rests near the usual MAP
  (void)crt_h;
}
