// One output row of a run (a timeseries.csv line) as named values, and the one table of its
// columns: name, unit and member. The table is the only place a column's name is written; the CSV
// header, the summary's measurements and every lookup by a name from user input (captions, trial
// measurement columns and inclusion criteria) go through it. Code that knows the column reads the
// member.
#pragma once

#include <array>
#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace coherence::run {

// NaN = not computed (an empty CSV cell). Units are in the names (and in kSampleColumns).
struct Sample {
  static constexpr double kNotComputed = std::numeric_limits<double>::quiet_NaN();

  // DESIGN.md's contract.
  double time_min = kNotComputed;
  double map_mmHg = kNotComputed;
  double hr_bpm = kNotComputed;
  double co_L_per_min = kNotComputed;
  double cvp_mmHg = kNotComputed;
  double svr_dyn_s_per_cm5 = kNotComputed;
  double pmsf_mmHg = kNotComputed;
  double blood_volume_mL = kNotComputed;
  double ne_dose_ug_per_kg_min = kNotComputed;
  double ne_plasma_ug_per_L = kNotComputed;
  double fluids_in_mL = kNotComputed;  // since the start of the run
  double lactate_mmol_per_L = kNotComputed;
  double crt_s = kNotComputed;
  double mottling_score = kNotComputed;
  double do2_mL_per_min = kNotComputed;
  double vo2_mL_per_min = kNotComputed;
  double mfi = kNotComputed;
  double ppv_pct = kNotComputed;
  double tvd_mm_per_mm2 = kNotComputed;
  double pvd_mm_per_mm2 = kNotComputed;
  double hi = kNotComputed;
  // Extras.
  double stroke_volume_mL = kNotComputed;
  double haematocrit = kNotComputed;
  double haemoglobin_g_per_dL = kNotComputed;
  double plasma_volume_mL = kNotComputed;
  double interstitial_volume_mL = kNotComputed;
  double fluid_balance_mL = kNotComputed;  // in minus out since the start of the run
  double urine_mL_per_h = kNotComputed;
  double capillary_filtration_mL_per_min = kNotComputed;
  double inflammation = kNotComputed;
  double il6_pg_per_mL = kNotComputed;
  double o2_extraction = kNotComputed;
  double sympathetic_activity = kNotComputed;
  double mfi_vessel = kNotComputed;
  double debacker_per_mm = kNotComputed;
  double rbc_velocity_um_per_s = kNotComputed;
  double skin_perfused_fraction = kNotComputed;
  double perfused_fraction_meanfield = kNotComputed;
  double extraction_capacity = kNotComputed;
  double nonperfused_stopped_pct = kNotComputed;
  double nonperfused_stop_go_pct = kNotComputed;
  double nonperfused_few_rbc_pct = kNotComputed;
  double perfusion_pressure_ratio = kNotComputed;
  double tissue_pressure_rise_mmHg = kNotComputed;
  double ne_precapillary_factor = kNotComputed;
  double vasopressin_U_per_min = kNotComputed;
  double epinephrine_ug_per_kg_min = kNotComputed;
  double dobutamine_ug_per_kg_min = kNotComputed;
  double nitroglycerin_ug_per_min = kNotComputed;
  double creatinine_umol_per_L = kNotComputed;
  double aki_stage_creatinine = kNotComputed;  // KDIGO stage 0-3 on creatinine alone
  double gfr_mL_per_min = kNotComputed;
  double renal_flow_ratio = kNotComputed;
  double renal_injury = kNotComputed;
  double rrt_effluent_mL_per_kg_h = kNotComputed;
  double rrt_net_ultrafiltration_mL_per_h = kNotComputed;
  double glycolytic_drive_mmol_per_kg_h = kNotComputed;
  double hypoxic_lactate_mmol_per_min = kNotComputed;
  double lactate_clearance_L_per_min = kNotComputed;
  double hepatic_dysfunction = kNotComputed;
  double splanchnic_flow_ratio = kNotComputed;
};

using SampleMember = double Sample::*;

// A column of timeseries.csv. unit "1": dimensionless (a ratio, fraction, score or stage).
struct SampleColumn {
  std::string_view name;
  std::string_view unit;
  SampleMember member;
};

// The columns in timeseries.csv's order: DESIGN.md's contract first, then the extras.
inline constexpr std::array kSampleColumns = {
    SampleColumn{"time_min", "min", &Sample::time_min},
    SampleColumn{"map_mmHg", "mmHg", &Sample::map_mmHg},
    SampleColumn{"hr_bpm", "1/min", &Sample::hr_bpm},
    SampleColumn{"co_L_per_min", "L/min", &Sample::co_L_per_min},
    SampleColumn{"cvp_mmHg", "mmHg", &Sample::cvp_mmHg},
    SampleColumn{"svr_dyn_s_per_cm5", "dyn s/cm5", &Sample::svr_dyn_s_per_cm5},
    SampleColumn{"pmsf_mmHg", "mmHg", &Sample::pmsf_mmHg},
    SampleColumn{"blood_volume_mL", "mL", &Sample::blood_volume_mL},
    SampleColumn{"ne_dose_ug_per_kg_min", "ug/kg/min", &Sample::ne_dose_ug_per_kg_min},
    SampleColumn{"ne_plasma_ug_per_L", "ug/L", &Sample::ne_plasma_ug_per_L},
    SampleColumn{"fluids_in_mL", "mL", &Sample::fluids_in_mL},
    SampleColumn{"lactate_mmol_per_L", "mmol/L", &Sample::lactate_mmol_per_L},
    SampleColumn{"crt_s", "s", &Sample::crt_s},
    SampleColumn{"mottling_score", "1", &Sample::mottling_score},
    SampleColumn{"do2_mL_per_min", "mL/min", &Sample::do2_mL_per_min},
    SampleColumn{"vo2_mL_per_min", "mL/min", &Sample::vo2_mL_per_min},
    SampleColumn{"mfi", "1", &Sample::mfi},
    SampleColumn{"ppv_pct", "%", &Sample::ppv_pct},
    SampleColumn{"tvd_mm_per_mm2", "mm/mm2", &Sample::tvd_mm_per_mm2},
    SampleColumn{"pvd_mm_per_mm2", "mm/mm2", &Sample::pvd_mm_per_mm2},
    SampleColumn{"hi", "1", &Sample::hi},
    SampleColumn{"stroke_volume_mL", "mL", &Sample::stroke_volume_mL},
    SampleColumn{"haematocrit", "1", &Sample::haematocrit},
    SampleColumn{"haemoglobin_g_per_dL", "g/dL", &Sample::haemoglobin_g_per_dL},
    SampleColumn{"plasma_volume_mL", "mL", &Sample::plasma_volume_mL},
    SampleColumn{"interstitial_volume_mL", "mL", &Sample::interstitial_volume_mL},
    SampleColumn{"fluid_balance_mL", "mL", &Sample::fluid_balance_mL},
    SampleColumn{"urine_mL_per_h", "mL/h", &Sample::urine_mL_per_h},
    SampleColumn{"capillary_filtration_mL_per_min", "mL/min", &Sample::capillary_filtration_mL_per_min},
    SampleColumn{"inflammation", "1", &Sample::inflammation},
    SampleColumn{"il6_pg_per_mL", "pg/mL", &Sample::il6_pg_per_mL},
    SampleColumn{"o2_extraction", "1", &Sample::o2_extraction},
    SampleColumn{"sympathetic_activity", "1", &Sample::sympathetic_activity},
    SampleColumn{"mfi_vessel", "1", &Sample::mfi_vessel},
    SampleColumn{"debacker_per_mm", "1/mm", &Sample::debacker_per_mm},
    SampleColumn{"rbc_velocity_um_per_s", "um/s", &Sample::rbc_velocity_um_per_s},
    SampleColumn{"skin_perfused_fraction", "1", &Sample::skin_perfused_fraction},
    SampleColumn{"perfused_fraction_meanfield", "1", &Sample::perfused_fraction_meanfield},
    SampleColumn{"extraction_capacity", "1", &Sample::extraction_capacity},
    SampleColumn{"nonperfused_stopped_pct", "%", &Sample::nonperfused_stopped_pct},
    SampleColumn{"nonperfused_stop_go_pct", "%", &Sample::nonperfused_stop_go_pct},
    SampleColumn{"nonperfused_few_rbc_pct", "%", &Sample::nonperfused_few_rbc_pct},
    SampleColumn{"perfusion_pressure_ratio", "1", &Sample::perfusion_pressure_ratio},
    SampleColumn{"tissue_pressure_rise_mmHg", "mmHg", &Sample::tissue_pressure_rise_mmHg},
    SampleColumn{"ne_precapillary_factor", "1", &Sample::ne_precapillary_factor},
    SampleColumn{"vasopressin_U_per_min", "U/min", &Sample::vasopressin_U_per_min},
    SampleColumn{"epinephrine_ug_per_kg_min", "ug/kg/min", &Sample::epinephrine_ug_per_kg_min},
    SampleColumn{"dobutamine_ug_per_kg_min", "ug/kg/min", &Sample::dobutamine_ug_per_kg_min},
    SampleColumn{"nitroglycerin_ug_per_min", "ug/min", &Sample::nitroglycerin_ug_per_min},
    SampleColumn{"creatinine_umol_per_L", "umol/L", &Sample::creatinine_umol_per_L},
    SampleColumn{"aki_stage_creatinine", "1", &Sample::aki_stage_creatinine},
    SampleColumn{"gfr_mL_per_min", "mL/min", &Sample::gfr_mL_per_min},
    SampleColumn{"renal_flow_ratio", "1", &Sample::renal_flow_ratio},
    SampleColumn{"renal_injury", "1", &Sample::renal_injury},
    SampleColumn{"rrt_effluent_mL_per_kg_h", "mL/kg/h", &Sample::rrt_effluent_mL_per_kg_h},
    SampleColumn{"rrt_net_ultrafiltration_mL_per_h", "mL/h", &Sample::rrt_net_ultrafiltration_mL_per_h},
    SampleColumn{"glycolytic_drive_mmol_per_kg_h", "mmol/kg/h", &Sample::glycolytic_drive_mmol_per_kg_h},
    SampleColumn{"hypoxic_lactate_mmol_per_min", "mmol/min", &Sample::hypoxic_lactate_mmol_per_min},
    SampleColumn{"lactate_clearance_L_per_min", "L/min", &Sample::lactate_clearance_L_per_min},
    SampleColumn{"hepatic_dysfunction", "1", &Sample::hepatic_dysfunction},
    SampleColumn{"splanchnic_flow_ratio", "1", &Sample::splanchnic_flow_ratio},
};

// Each member once under one name, and no member without a column (it would never be written).
constexpr bool sample_columns_distinct() {
  for (std::size_t i = 0; i < kSampleColumns.size(); ++i) {
    for (std::size_t j = i + 1; j < kSampleColumns.size(); ++j) {
      if (kSampleColumns[i].member == kSampleColumns[j].member || kSampleColumns[i].name == kSampleColumns[j].name) {
        return false;
      }
    }
  }
  return true;
}
static_assert(sample_columns_distinct(), "a Sample member or column name appears twice in kSampleColumns");
static_assert(sizeof(Sample) == kSampleColumns.size() * sizeof(double), "every Sample member needs a column");

// The column of that name; nullptr when there is none.
const SampleColumn* find_column(std::string_view name);

// The name of a member's column.
std::string_view column_name(SampleMember member);

// The member of a column (throws std::out_of_range "unknown column NAME" for an unknown name).
SampleMember column_member(const std::string& name);

// timeseries.csv: a header of the column names, then a line per row (empty cell = NaN).
std::string format_timeseries_csv(const std::vector<Sample>& rows);

}  // namespace coherence::run
