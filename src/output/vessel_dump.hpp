// Ground truth of the capillary networks as JSON: the consensus measures per site and over the
// sites (the same keys as `coherence score` and truth.json, DESIGN.md), and every vessel with its
// geometry and flow over the observation window. Format: docs/model/microcirculation.md.
#pragma once

#include <nlohmann/json.hpp>

#include "model/microcirculation.hpp"

namespace coherence::output {

// The consensus measures under the keys of DESIGN.md (+ quadrant_mfi on request). Shared by the
// truth and the scoring pipeline, so the two compare field by field.
void put_metrics(nlohmann::json& j, const model::SiteMetrics& s, bool with_quadrants);

// One site: its measures (+ quadrant MFI) and every vessel, from given states.
nlohmann::json site_truth_json(const model::Site& site, const std::vector<model::VesselState>& states,
                               const model::SiteMetrics& metrics);

// The truth of a one-site clip: the measures of what the clip shows (`metrics`, from the visible
// parts of its vessels) at top level (hi = 0: one site) and the site with its vessels under
// "sites", each with the length of it the clip shows.
nlohmann::json clip_truth_json(const model::Site& site, const std::vector<model::VesselState>& states,
                               const model::SiteMetrics& metrics, const std::vector<double>& visible_length_um);

nlohmann::json network_truth_json(const model::MicrocirculationParams& m, const model::Network& net,
                                  const model::MicroDrivers& drivers, double t_s);

}  // namespace coherence::output
