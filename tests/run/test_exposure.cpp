// The exposure figures summary.json and patients.csv share (run::compute_exposure): each row from
// admission stands for the interval to the next, the last row for none. Issue 19 Build 3: the
// run summary used to count every row times the output interval, one interval too many for a
// course that ends where it is exposed (rows run from 0 to the end inclusive).
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "run/exposure.hpp"
#include "run/sample.hpp"

using namespace coherence;

namespace {

// Rows every 5 min from `from_min` to 24 h inclusive, every column 0 but time and MAP 80.
std::vector<run::Sample> rows_to_24h(double from_min = 0.0) {
  std::vector<run::Sample> rows;
  for (double t = from_min; t <= 1440.0 + 1e-9; t += 5.0) {
    run::Sample row;
    for (const auto& c : run::kSampleColumns) row.*c.member = 0.0;
    row.time_min = t;
    row.map_mmHg = 80.0;
    rows.push_back(row);
  }
  return rows;
}

}  // namespace

TEST_CASE("Exposure: a condition held on every row of 0-24 h lasts 24 h, not 24 h + one interval") {
  // NE 1.0 ug/kg/min (above the 0.8 cliff) and MAP 60 on all 289 rows; 70 kg.
  auto rows = rows_to_24h();
  REQUIRE(rows.size() == 289);
  for (auto& r : rows) {
    r.ne_dose_ug_per_kg_min = 1.0;
    r.map_mmHg = 60.0;
    r.nitroglycerin_ug_per_min = 20.0;
  }
  rows.back().fluids_in_mL = 3000.0;
  rows.back().fluid_balance_mL = 1200.0;
  const run::Exposure e = run::compute_exposure(rows, 70.0);
  CHECK(e.ne_above_0_8_h == Approx(24.0));
  CHECK(e.ne_h == Approx(24.0));
  CHECK(e.map_below_65_h == Approx(24.0));
  CHECK(e.nitroglycerin_h == Approx(24.0));
  // 1 ug/kg/min x 70 kg x 1440 min = 100.8 mg; 20 ug/min x 1440 min = 28.8 mg.
  CHECK(e.ne_cumulative_mg == Approx(100.8));
  CHECK(e.nitroglycerin_total_mg == Approx(28.8));
  CHECK(e.ne_peak_ug_per_kg_min == 1.0);
  CHECK(e.fluids_in_mL == 3000.0);
  CHECK(e.fluid_balance_mL == 1200.0);
  CHECK(e.dobutamine_h == 0.0);
  CHECK(e.vasopressin_starts == 0.0);
}

TEST_CASE("Exposure: rows before admission count for nothing, and no rows give zero hours and NaN last values") {
  // From -2 h: the same figures as from 0 (the patient in our care from t = 0).
  auto before = rows_to_24h(-120.0);
  for (auto& r : before) r.ne_dose_ug_per_kg_min = r.time_min < 0.0 ? 2.0 : 0.5;
  const run::Exposure e = run::compute_exposure(before, 80.0);
  CHECK(e.ne_h == Approx(24.0));
  CHECK(e.ne_above_0_8_h == 0.0);
  CHECK(e.ne_peak_ug_per_kg_min == 0.5);
  CHECK(e.ne_cumulative_mg == Approx(0.5 * 80.0 * 1440.0 / 1000.0));  // 57.6 mg
  const run::Exposure none = run::compute_exposure({}, 80.0);
  CHECK(none.ne_h == 0.0);
  CHECK(none.ne_cumulative_mg == 0.0);
  CHECK(std::isnan(none.fluids_in_mL));
}
