// Outputs of the scoring pipeline: JSON with the truth's keys (DESIGN.md), a per-vessel CSV and
// an overlay image per site (vessels coloured by flow class) for people to look at.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "scoring/analysis.hpp"

namespace coherence::scoring {

nlohmann::json score_json(const ClipSetScore& score);

// file, site, vessel, length_um, diameter_um, small, flow_class, flow_class_name, flow_measured,
// moving_fraction, velocity_um_per_s, ...: an unmeasured vessel has empty flow_class and velocity.
std::string vessels_csv(const ClipSetScore& score);

// One row per video (batch scoring): file, patient, site, frames, fps, um_per_px, duration_s,
// every measure, velocity and flow measured fractions, quality verdict, refusal and reasons; a
// measure not reported is an empty cell. With `patient` non-empty, the videos are that
// patient's sites and a last row (site "mean") holds the means over sites and HI.
std::string videos_csv(const ClipSetScore& videos, const std::string& patient);

// "none" ... "continuous", or "unmeasured" for a vessel without a measured class.
const char* vessel_class_name(const ScoredVessel& v);

// The stabilised mean image with centrelines coloured by class: none red, intermittent orange,
// sluggish yellow, continuous green, unmeasured violet; vessels >= 20 um blue; each vessel
// numbered by its id (the per-vessel CSV's `vessel`, the JSON's "id"), the scored TVD / PPV / MFI
// at the top, the analysed field outlined and a legend strip below. With `truth` (a renderer's
// truth.json of one site, checked by overlay_truth_problem) a second panel to the right draws the
// truth's visible vessels by their true class, with the true measures. Written atomically as PNG.
void write_overlay(const SiteScore& site, const std::filesystem::path& png, const nlohmann::json* truth = nullptr);

// Why `truth` cannot be drawn beside `site` (not one site, another pixel size or frame size, a
// vessel without polyline / class), or empty when it can.
std::string overlay_truth_problem(const nlohmann::json& truth, const SiteScore& site);

}  // namespace coherence::scoring
