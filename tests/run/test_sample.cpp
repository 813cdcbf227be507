// The output row's one table: lookups by name, and timeseries.csv's header and cells as before
// the row had named members (the golden header is the file's contract: DESIGN.md's columns first).
#include <catch2/catch.hpp>

#include <cmath>
#include <stdexcept>
#include <string>

#include "run/sample.hpp"

using namespace coherence;

TEST_CASE("Sample columns: a name finds its member once, an unknown name is an error") {
  CHECK(run::column_member("map_mmHg") == &run::Sample::map_mmHg);
  CHECK(run::column_member("splanchnic_flow_ratio") == &run::Sample::splanchnic_flow_ratio);
  CHECK(run::column_name(&run::Sample::fluids_in_mL) == "fluids_in_mL");
  CHECK(run::find_column("no_such_column") == nullptr);
  try {
    (void)run::column_member("no_such_column");
    FAIL("no exception");
  } catch (const std::out_of_range& e) {
    CHECK(std::string(e.what()) == "unknown column no_such_column");
  }
  // Every member starts as "not computed".
  const run::Sample empty;
  for (const auto& c : run::kSampleColumns) CHECK(std::isnan(empty.*c.member));
}

TEST_CASE("timeseries.csv: the header in its fixed order, 6 significant digits, NaN as an empty cell") {
  const std::string header =
      "time_min,map_mmHg,hr_bpm,co_L_per_min,cvp_mmHg,svr_dyn_s_per_cm5,pmsf_mmHg,blood_volume_mL,"
      "ne_dose_ug_per_kg_min,ne_plasma_ug_per_L,fluids_in_mL,lactate_mmol_per_L,crt_s,mottling_score,do2_mL_per_min,"
      "vo2_mL_per_min,mfi,ppv_pct,tvd_mm_per_mm2,pvd_mm_per_mm2,hi,stroke_volume_mL,haematocrit,haemoglobin_g_per_dL,"
      "plasma_volume_mL,interstitial_volume_mL,fluid_balance_mL,urine_mL_per_h,capillary_filtration_mL_per_min,"
      "inflammation,il6_pg_per_mL,o2_extraction,sympathetic_activity,mfi_vessel,debacker_per_mm,"
      "rbc_velocity_um_per_s,skin_perfused_fraction,perfused_fraction_meanfield,extraction_capacity,"
      "nonperfused_stopped_pct,nonperfused_stop_go_pct,nonperfused_few_rbc_pct,perfusion_pressure_ratio,"
      "tissue_pressure_rise_mmHg,ne_precapillary_factor,vasopressin_U_per_min,epinephrine_ug_per_kg_min,"
      "dobutamine_ug_per_kg_min,nitroglycerin_ug_per_min,creatinine_umol_per_L,aki_stage_creatinine,gfr_mL_per_min,"
      "renal_flow_ratio,renal_injury,rrt_effluent_mL_per_kg_h,rrt_net_ultrafiltration_mL_per_h,"
      "glycolytic_drive_mmol_per_kg_h,hypoxic_lactate_mmol_per_min,lactate_clearance_L_per_min,hepatic_dysfunction,"
      "splanchnic_flow_ratio\n";
  run::Sample row;
  row.time_min = 15.0;
  row.map_mmHg = 65.123456789;
  row.splanchnic_flow_ratio = 0.5;
  const std::string csv = run::format_timeseries_csv({row});
  REQUIRE(csv.starts_with(header));
  CHECK(csv.substr(header.size()) == "15,65.1235," + std::string(run::kSampleColumns.size() - 3, ',') + "0.5\n");
}
