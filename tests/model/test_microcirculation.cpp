// The capillary networks: metric functions on hand-built fields with known answers, geometry,
// determinism, and the mechanisms behind perfusion.
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "model/microcirculation.hpp"
#include "model/params.hpp"

using namespace coherence::model;

namespace {

// A straight vessel from (x0, y0) to (x1, y1) in 1 um steps.
std::vector<PointUm> line(double x0, double y0, double x1, double y1) {
  const int n = static_cast<int>(std::ceil(std::hypot(x1 - x0, y1 - y0)));
  std::vector<PointUm> p;
  for (int i = 0; i <= n; ++i) p.push_back({x0 + (x1 - x0) * i / n, y0 + (y1 - y0) * i / n});
  return p;
}

}  // namespace

TEST_CASE("Metrics of a hand-built field: TVD, PVD, PPV, quadrant and vessel MFI, De Backer, velocity") {
  // Field 1000 x 800 um = 0.8 mm^2. Quadrants: TL continuous, TR sluggish, BL intermittent, BR none.
  // Horizontal vessels of 400 um (each inside one quadrant, avoiding the quarter lines), plus a
  // venule (excluded: >= 20 um) and an invisible capillary (excluded: no red cells).
  const auto tl = line(50, 150, 450, 150), tr = line(550, 150, 950, 150);
  const auto bl = line(50, 650, 450, 650), br = line(550, 650, 950, 650);
  const auto venule = line(0, 400, 1000, 400), ghost = line(50, 300, 450, 300);
  std::vector<ObservedVessel> v = {
      {tl, 6.0, true, FlowClass::kContinuous, 1000.0}, {tr, 6.0, true, FlowClass::kSluggish, 200.0},
      {bl, 6.0, true, FlowClass::kIntermittent, 100.0}, {br, 6.0, true, FlowClass::kNone, 0.0},
      {venule, 30.0, true, FlowClass::kContinuous, 2000.0}, {ghost, 6.0, false, FlowClass::kNone, 0.0}};
  const SiteMetrics m = site_metrics(1000.0, 800.0, v);
  // Small visible length 4 x 400 um = 1.6 mm over 0.8 mm^2.
  CHECK(m.tvd_mm_per_mm2 == Approx(2.0).epsilon(1e-9));
  CHECK(m.pvd_mm_per_mm2 == Approx(1.0).epsilon(1e-9));
  CHECK(m.ppv_pct == Approx(50.0).epsilon(1e-9));
  CHECK(m.quadrant_scores[0] == 3.0);  // top-left
  CHECK(m.quadrant_scores[1] == 2.0);
  CHECK(m.quadrant_scores[2] == 1.0);
  CHECK(m.quadrant_scores[3] == 0.0);
  CHECK(m.mfi == Approx(1.5));
  CHECK(m.mfi_vessel == Approx(1.5));
  // Length-weighted velocity of the perfused vessels: (1000 + 200) / 2.
  CHECK(m.rbc_velocity_um_per_s == Approx(600.0));
  // Each 400 um vessel crosses one vertical quarter line (x = 250 or 750): 4 crossings over
  // 3 x (1000 + 800) um = 5.4 mm of grid.
  CHECK(m.debacker_per_mm == Approx(4.0 / 5.4).epsilon(1e-9));
}

TEST_CASE("Quadrant MFI uses the predominant class by length, and splits vessels at the midlines") {
  // One diagonal vessel crossing all four... a horizontal vessel across the vertical midline:
  // 300 um in the left quadrant (continuous) and 100 um in the right one.
  const auto across = line(200, 100, 600, 100);
  const auto right_none = line(700, 100, 900, 100);  // 200 um of no flow in the top-right quadrant
  std::vector<ObservedVessel> v = {{across, 6.0, true, FlowClass::kContinuous, 900.0},
                                   {right_none, 6.0, true, FlowClass::kNone, 0.0}};
  const SiteMetrics m = site_metrics(1000.0, 800.0, v);
  CHECK(m.quadrant_scores[0] == 3.0);   // 300 um continuous
  CHECK(m.quadrant_scores[1] == 0.0);   // 200 um none beats 100 um continuous
  CHECK(m.quadrant_scores[2] == -1.0);  // empty quadrants are not scored
  CHECK(m.quadrant_scores[3] == -1.0);
  CHECK(m.mfi == Approx(1.5));
}

TEST_CASE("Heterogeneity index is (max - min) / mean of site MFIs") {
  const std::vector<double> mfi = {3.0, 2.5, 2.0, 2.5, 2.5};
  CHECK(heterogeneity_index(mfi) == Approx(1.0 / 2.5));
  const std::vector<double> equal = {2.75, 2.75};
  CHECK(heterogeneity_index(equal) == 0.0);
}

TEST_CASE("Generated networks: realistic density, sizes, determinism") {
  const MicrocirculationParams m;
  const Network a = generate_network(m, 7), b = generate_network(m, 7), c = generate_network(m, 8);
  REQUIRE(a.sublingual.size() == 5);
  for (const Site& s : a.sublingual) {
    double small_um = 0.0;
    int venules = 0;
    for (const Vessel& v : s.vessels) {
      for (const PointUm& p : v.polyline) {
        CHECK(p.x_um >= 0.0);
        CHECK(p.x_um <= s.width_um);
        CHECK(p.y_um >= 0.0);
        CHECK(p.y_um <= s.height_um);
      }
      if (v.diameter_um < 20.0) {
        small_um += v.length_um;
        CHECK(v.diameter_um >= 5.0);
      } else {
        ++venules;
      }
    }
    const double tvd = small_um * 1e-3 / (s.width_um * s.height_um * 1e-6);
    CHECK(tvd == Approx(m.small_vessel_density_mm_per_mm2).epsilon(0.05));
    CHECK(venules == m.venules_per_site);
  }
  // Same seed, same vessels; another seed, other vessels.
  CHECK(a.sublingual[2].vessels.size() == b.sublingual[2].vessels.size());
  CHECK(a.sublingual[2].vessels[5].polyline.back().x_um == b.sublingual[2].vessels[5].polyline.back().x_um);
  CHECK(a.sublingual[2].vessels[5].threshold_z == b.sublingual[2].vessels[5].threshold_z);
  CHECK(a.sublingual[2].vessels[5].polyline.back().x_um != c.sublingual[2].vessels[5].polyline.back().x_um);
}

TEST_CASE("Perfusion mechanisms: pressure, NE closure, obstruction, red cells") {
  const MicrocirculationParams m;
  const Network net = generate_network(m, 3);
  MicroDrivers healthy;
  const double ppv_healthy = evaluate_network(m, net, healthy, 0.0).mean.ppv_pct;
  CHECK(ppv_healthy > 95.0);

  // Sepsis raises thresholds and heterogeneity: perfusion falls.
  MicroDrivers septic = healthy;
  septic.inflammation = 0.7;
  septic.perfusion_ratio = 0.7;
  const auto ms = evaluate_network(m, net, septic, 0.0);
  CHECK(ms.mean.ppv_pct < ppv_healthy - 15.0);

  // Raising perfusion pressure recruits capillaries when autoregulation is lost.
  MicroDrivers pressed = septic;
  pressed.perfusion_ratio = 1.0;
  CHECK(evaluate_network(m, net, pressed, 0.0).mean.pvd_mm_per_mm2 > ms.mean.pvd_mm_per_mm2);

  // High NE concentrations close precapillary arterioles.
  MicroDrivers high_ne = pressed;
  high_ne.alpha_ne_equivalent_ug_per_L = 120.0;
  CHECK(evaluate_network(m, net, high_ne, 0.0).mean.ppv_pct < evaluate_network(m, net, pressed, 0.0).mean.ppv_pct - 10.0);

  // Haemodilution: fewer red cells per capillary, more vessels seen without moving cells.
  MicroDrivers diluted = healthy;
  diluted.haematocrit = 0.15;
  const auto md = evaluate_network(m, net, diluted, 0.0);
  CHECK(md.mean.ppv_pct < ppv_healthy);
  CHECK(md.mean.tvd_mm_per_mm2 < evaluate_network(m, net, healthy, 0.0).mean.tvd_mm_per_mm2);
}

TEST_CASE("Stop-go vessels move for their duty fraction, stopped vessels never move") {
  Vessel v;
  v.stop_go_period_s = 4.0;
  v.stop_go_phase = 0.0;
  VesselState s;
  s.duty = 0.25;
  s.velocity_moving_um_per_s = 500.0;
  CHECK(vessel_velocity_um_per_s(v, s, 0.5) == 500.0);
  CHECK(vessel_velocity_um_per_s(v, s, 1.5) == 0.0);
  CHECK(vessel_velocity_um_per_s(v, s, 4.2) == 500.0);
  s.duty = 0.0;
  for (int k = 0; k < 80; ++k) CHECK(vessel_velocity_um_per_s(v, s, 0.1 * k) == 0.0);
}

TEST_CASE("The micro NE arms follow the patient's pressor NE sensitivity only by their exponent") {
  MicrocirculationParams m;
  MicroDrivers typical;
  typical.inflammation = 0.8;
  typical.alpha_ne_equivalent_ug_per_L = 60.0;
  MicroDrivers hyporesponsive = typical;
  hyporesponsive.ne_sensitivity = 0.1;
  for (const bool skin : {false, true}) {
    // Exponent 0 (default): a tenfold less pressor-sensitive patient's arterioles close alike.
    CHECK(ne_precapillary_factor(m, typical, skin) < 1.0);
    CHECK(ne_precapillary_factor(m, hyporesponsive, skin) == ne_precapillary_factor(m, typical, skin));
  }
  // Exponent 1: EC50 / sensitivity, so a tenfold concentration closes them as much as before.
  m.ne_sensitivity_exponent = 1.0;
  MicroDrivers ten_fold = hyporesponsive;
  ten_fold.alpha_ne_equivalent_ug_per_L = 600.0;
  for (const bool skin : {false, true}) {
    CHECK(ne_precapillary_factor(m, hyporesponsive, skin) > ne_precapillary_factor(m, typical, skin));
    CHECK(ne_precapillary_factor(m, ten_fold, skin) == Approx(ne_precapillary_factor(m, typical, skin)).epsilon(1e-12));
  }
}

TEST_CASE("Lactic acidosis takes away the arterioles' NE constriction as Ives 2013's alpha-1 maximum falls") {
  MicrocirculationParams m;
  // Henderson-Hasselbalch with bicarbonate 24 - (lactate - 1) and PaCO2 40: lactate 13 gives
  // HCO3 12 and pH exactly 6.1 + log10(12 / 1.2) = 7.1; lactate 1 gives 6.1 + log10(20).
  CHECK(lactic_acidosis_ph(m, 13.0) == Approx(7.1).epsilon(1e-14));
  CHECK(lactic_acidosis_ph(m, 1.0) == Approx(6.1 + std::log10(20.0)).epsilon(1e-14));
  CHECK(lactic_acidosis_ph(m, 0.5) == lactic_acidosis_ph(m, 1.0));  // no alkalosis below the reference
  CHECK(std::isfinite(lactic_acidosis_ph(m, 100.0)));                 // bicarbonate floored at 1 mmol/L
  // Ives 2013: 85, 57, 34, 16% of KCl maximum at pH 7.4, 7.1, 6.8, 6.5; linear between, flat outside.
  CHECK(alpha1_capacity_at_ph(7.4) == 1.0);
  CHECK(alpha1_capacity_at_ph(7.6) == 1.0);
  CHECK(alpha1_capacity_at_ph(7.1) == Approx(57.0 / 85.0).epsilon(1e-14));
  CHECK(alpha1_capacity_at_ph(6.8) == Approx(34.0 / 85.0).epsilon(1e-14));
  CHECK(alpha1_capacity_at_ph(6.95) == Approx(45.5 / 85.0).epsilon(1e-14));
  CHECK(alpha1_capacity_at_ph(6.0) == Approx(16.0 / 85.0).epsilon(1e-14));
  // The NE factor: E_max x A(pH) x Hill, so at lactate 13 the closure is 57/85 of the closure
  // without escape, exactly; at lactate 1 (pH 7.40) nothing changes.
  MicroDrivers d;
  d.inflammation = 0.8;
  d.alpha_ne_equivalent_ug_per_L = 90.0;
  // The cliff arm alone (the tonic arm is scaled by A(pH) too, so the ratio holds for each arm).
  m.ne_tonic_emax = 0.0;
  MicrocirculationParams off = m;
  off.acidosis_escape = 0.0;
  for (const bool skin : {false, true}) {
    d.lactate_mmol_per_L = 1.0;
    const double closure_off = 1.0 - ne_precapillary_factor(off, d, skin);
    REQUIRE(closure_off > 0.1);
    CHECK(1.0 - ne_precapillary_factor(m, d, skin) == Approx(closure_off).epsilon(1e-14));
    d.lactate_mmol_per_L = 13.0;
    CHECK(ne_precapillary_factor(off, d, skin) == Approx(1.0 - closure_off).epsilon(1e-14));
    CHECK(1.0 - ne_precapillary_factor(m, d, skin) == Approx(closure_off * 57.0 / 85.0).epsilon(1e-12));
  }
}

TEST_CASE("Autoregulation is a plateau above a lower limit that sepsis raises") {
  const MicrocirculationParams m;
  // MAP 65 -> 85 moves r_P ~0.60 -> 0.76 (issue 20). Mild sepsis (I J = 0.3): on the plateau,
  // flow changes by under 10% (the old r_P^(1 - 0.8 (1 - 0.9 I J)) gave +10.3%).
  const double mild = autoregulated_pressure_factor(m, 0.76, 0.3) / autoregulated_pressure_factor(m, 0.60, 0.3);
  CHECK(mild < 1.08);
  // Injured (I J = 1.3): the lower limit (r_P 0.5 x 1.39 = 0.70) is above MAP 65: the bed recruits.
  const double injured = autoregulated_pressure_factor(m, 0.76, 1.3) / autoregulated_pressure_factor(m, 0.60, 1.3);
  CHECK(injured > 1.15);
  // Below the limit flow follows pressure (slope 1 in logs); the healthy reference is exactly 1.
  const double below = std::log(autoregulated_pressure_factor(m, 0.40, 0.3) / autoregulated_pressure_factor(m, 0.30, 0.3)) /
                       std::log(0.40 / 0.30);
  CHECK(below == Approx(1.0).margin(0.05));
  CHECK(autoregulated_pressure_factor(m, 1.0, 0.7) == Approx(1.0).epsilon(1e-12));
  // The skin does not autoregulate (Jhanji 2009: skin flux rose with MAP, sublingual flow did not).
  CHECK(autoregulated_pressure_factor(m, 0.76, 0.3, true) / autoregulated_pressure_factor(m, 0.60, 0.3, true) ==
        Approx(0.76 / 0.60).epsilon(1e-9));
}
