// The statistics of a finished trial (analysis.json), read from patients.csv:
// - paired protocol comparisons (every protocol against the first): paired t and Wilcoxon
//   signed-rank tests of continuous outcomes, McNemar's test of 28-day death, Kaplan-Meier by
//   protocol with the log-rank test, and a Cox model of the protocol;
// - the source study's observational analysis, per protocol: Shapiro-Wilk, Pearson and Spearman
//   correlations of the exposure (NE dose at a measurement time) with the microcirculation and
//   lactate with Benjamini-Hochberg FDR, univariable and multivariable linear regression,
//   piecewise regression breakpoints with 95% intervals, a table 1 by exposure group, and
//   survival by the "cliff" (Kaplan-Meier, log-rank, univariable and adjusted Cox).
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace coherence::trial {

struct TrialSpec;

// The observational analysis's settings ([analysis] in the trial file; docs/trials.md).
struct AnalysisSpec {
  std::string exposure = "day1_ne_dose_ug_per_kg_min";
  std::vector<std::string> correlates = {"day1_lactate_mmol_per_L", "day1_hi", "day1_mfi", "day1_ppv_pct",
                                         "day1_mottling_score"};
  std::vector<std::string> adjust = {"patient.saps2", "day1_hr_bpm", "day1_il6_pg_per_mL"};
  double group_threshold = 0.5;   // table 1: exposure <= vs > (ug/kg/min)
  double cliff_threshold = 0.8;   // survival: exposure > this (the source study's 0.80)
};

// patients.csv as columns (empty cells are NaN in numeric()).
class Table {
 public:
  static Table read_csv(const std::filesystem::path& file);
  bool has(const std::string& column) const { return index_.contains(column); }
  const std::vector<std::string>& text(const std::string& column) const;
  std::vector<double> numeric(const std::string& column) const;
  std::size_t rows() const { return rows_; }
  const std::vector<std::string>& columns() const { return names_; }

 private:
  std::vector<std::string> names_;
  std::map<std::string, std::size_t> index_;
  std::vector<std::vector<std::string>> cells_;  // by column
  std::size_t rows_ = 0;
};

nlohmann::json analyse_trial(const TrialSpec& spec, const Table& patients);

}  // namespace coherence::trial
