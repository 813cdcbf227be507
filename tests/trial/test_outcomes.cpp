// The outcome model's hypotension term measures depth below the MAP floor (Maheshwari 2018's
// TWA-MAP < 65), so a patient held at the target accrues none (issue 25: the old term, the share
// of day 1 with MAP < 65, gave a patient titrated to 65 about half a day of "hypotension"); and no
// death falls before the end of day 1, the data the hazard is computed from.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>

#include "run/runner.hpp"
#include "trial/outcomes.hpp"

using namespace coherence;

namespace {

// 24 h + 1 row of a run every 5 min whose MAP is map(t); other states normal.
run::RunResult course(const std::function<double(double)>& map, double hours = 24.0) {
  run::RunResult r;
  for (double t = 0.0; t <= hours * 60.0 + 1e-9; t += 5.0) {
    run::Sample row;
    for (const auto& c : run::kSampleColumns) row.*c.member = 0.0;
    row.time_min = t;
    row.map_mmHg = map(t);
    row.lactate_mmol_per_L = 1.5;
    row.mfi = 3.0;
    row.ppv_pct = 95.0;
    row.do2_mL_per_min = 1000.0;
    r.rows.push_back(row);
  }
  r.completed = true;
  return r;
}

double column(const std::vector<double>& out, const char* name) {
  const auto& c = trial::outcome_columns();
  return out[static_cast<std::size_t>(std::find(c.begin(), c.end(), name) - c.begin())];
}

}  // namespace

TEST_CASE("Outcome model: a MAP held at its floor accrues no hypotension, alternating around it little") {
  scenario::Scenario s;
  s.params.patient.weight_kg = 70.0;
  s.params.patient.saps2 = 50.0;
  const trial::OutcomeModel m;
  const auto at_65 = trial::compute_outcomes(s, course([](double) { return 65.0; }), m, 1.0);
  // A titrated patient: 64 and 66 mmHg in turn (mean 65, half the time below 65).
  const auto around = trial::compute_outcomes(
      s, course([](double t) { return static_cast<int>(t / 5.0) % 2 ? 66.0 : 64.0; }), m, 1.0);
  const auto at_55 = trial::compute_outcomes(s, course([](double) { return 55.0; }), m, 1.0);

  CHECK(column(at_65, "hypotension_area_mmHg_h") == 0.0);
  // The old bias: half of the time "below 65" although the mean is at target.
  CHECK(column(around, "map_below_65_h") == Approx(12.0).margin(0.1));
  CHECK(column(around, "hypotension_area_mmHg_h") == Approx(12.0).margin(0.1));  // 1 mmHg x 12 h
  CHECK(column(at_55, "hypotension_area_mmHg_h") == Approx(240.0).margin(1.0));  // 10 mmHg x 24 h

  // Predicted mortality: odds ratios exactly Maheshwari's per mmHg of day-1 TWA below 65.
  auto odds = [](double p) { return p / (1.0 - p); };
  const double p65 = column(at_65, "predicted_mortality_28d");
  const double p_around = column(around, "predicted_mortality_28d");
  const double p55 = column(at_55, "predicted_mortality_28d");
  CHECK(odds(p_around) / odds(p65) == Approx(std::pow(1.114, 0.5)).epsilon(1e-3));  // TWA 0.5 mmHg
  CHECK(odds(p55) / odds(p65) == Approx(std::pow(1.114, 10.0)).epsilon(1e-3));      // TWA 10 mmHg
  // The old term (0.54 x share of day 1 below 65) raised the titrated patient's odds by e^0.27
  // = 1.31: the new one by 1.055.
  CHECK(odds(p_around) / odds(p65) < 1.06);
}

TEST_CASE("Outcome model: no death before the end of day 1, whose data the hazard uses") {
  scenario::Scenario s;
  s.params.patient.weight_kg = 70.0;
  s.params.patient.saps2 = 90.0;  // a high hazard
  const trial::OutcomeModel m;
  const auto r = course([](double) { return 50.0; }, 72.0);
  for (double e : {1e-9, 1e-4, 0.01, 0.1, 0.5, 2.0}) {
    const auto out = trial::compute_outcomes(s, r, m, e);
    INFO(e);
    CHECK(column(out, "survival_d") >= 1.0);
  }
  // P(death by day 28) is still the model's probability: death iff Exp(1) <= H28.
  const auto probe = trial::compute_outcomes(s, r, m, 0.5);
  const double h28 = -std::log1p(-column(probe, "predicted_mortality_28d"));
  CHECK(column(trial::compute_outcomes(s, r, m, h28 * 0.999), "death_28d") == 1.0);
  CHECK(column(trial::compute_outcomes(s, r, m, h28 * 1.001), "death_28d") == 0.0);
}

TEST_CASE("Exposure columns: hours on and amounts of each drug are the exact integrals of a known course") {
  // 24 h at 5-min rows: NE 0.1 ug/kg/min for the first 6 h; vasopressin 0.03 U/min from 2-4 h and
  // again from 10-12 h (two starts); dobutamine 5 ug/kg/min from 12 h on; no epinephrine or
  // nitroglycerin. Each row stands for the 5 min to the next (the last row for none).
  run::RunResult r = course([](double) { return 65.0; });
  for (auto& row : r.rows) {
    const double t = row.time_min;
    row.ne_dose_ug_per_kg_min = t < 360.0 ? 0.1 : 0.0;
    const bool vp = (t >= 120.0 && t < 240.0) || (t >= 600.0 && t < 720.0);
    row.vasopressin_U_per_min = vp ? 0.03 : 0.0;
    row.dobutamine_ug_per_kg_min = t >= 720.0 ? 5.0 : 0.0;
  }
  r.decisions.resize(7);
  scenario::Scenario s;
  s.params.patient.weight_kg = 80.0;
  const auto e = trial::compute_exposure(s, r);
  const auto& c = trial::exposure_columns();
  auto get = [&](const char* name) { return e[static_cast<std::size_t>(std::find(c.begin(), c.end(), name) - c.begin())]; };
  CHECK(get("ne_h") == Approx(6.0));
  CHECK(get("vasopressin_h") == Approx(4.0));
  CHECK(get("vasopressin_total_U") == Approx(0.03 * 240.0));  // 7.2 U
  CHECK(get("vasopressin_starts") == 2.0);
  CHECK(get("dobutamine_h") == Approx(12.0));                  // 12 h to the last row (24 h)
  CHECK(get("dobutamine_total_mg") == Approx(5.0 * 80.0 * 720.0 / 1000.0));  // 288 mg
  CHECK(get("epinephrine_h") == 0.0);
  CHECK(get("nitroglycerin_total_mg") == 0.0);
  CHECK(get("decisions") == 7.0);
  CHECK(std::isnan(get("map_within_5_mmHg_pct")));  // no MAP-target metrics in this run
}
