// Outputs of the scoring pipeline: JSON with the truth's keys (DESIGN.md), a per-vessel CSV and
// an overlay image per site (vessels coloured by flow class) for people to look at.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "scoring/analysis.hpp"

namespace coherence::scoring {

nlohmann::json score_json(const ClipSetScore& score);

// site, vessel, length_um, diameter_um, small, flow_class, moving_fraction, velocity_um_per_s, ...
std::string vessels_csv(const ClipSetScore& score);

// The stabilised mean image with centrelines coloured by class: none red, intermittent orange,
// sluggish yellow, continuous green; vessels >= 20 um blue. Written atomically as PNG.
void write_overlay(const SiteScore& site, const std::filesystem::path& png);

}  // namespace coherence::scoring
