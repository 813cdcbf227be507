// The trial's figures (gnuplot, from analysis.json and patients.csv):
//   km.png       Kaplan-Meier survival by protocol (and by the NE cliff in the first protocol)
//   forest.png   paired protocol effects: standardised mean differences with 95% CIs, and the
//                hazard ratio of death, each protocol against the first
//   ne_vs_micro.png  exposure (NE dose) against MFI, PPV, HI and lactate with the fitted
//                piecewise line and its breakpoint interval
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "trial/analysis.hpp"

namespace coherence::trial {

struct TrialSpec;

// Writes the PNGs into `dir`; returns the reasons of any plot that could not be drawn (gnuplot
// missing or failing) without throwing.
std::vector<std::string> plot_trial(const TrialSpec& spec, const nlohmann::json& analysis, const Table& patients,
                                    const std::filesystem::path& dir);

}  // namespace coherence::trial
