// Accuracy of the scoring pipeline against exact ground truth: clips rendered in memory (healthy,
// septic and severe mixes, assigned class mixes; SDF and IDF; every artifact dial at a moderate
// setting), scored from their pixels alone, compared with the renderer's truth. Also clips with
// severe artifacts, which the quality check must flag. Feeds a test and docs/scoring.md.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "model/microcirculation.hpp"
#include "scoring/clip.hpp"
#include "viz/scene.hpp"

namespace coherence::validation {

struct AccuracyClip {
  std::string name;
  std::string device;                 // sdf, idf
  std::string preset;                 // healthy, septic, severe; or empty with fractions
  std::array<double, 4> fractions{};  // none, intermittent, sluggish, continuous
  viz::Artifacts artifacts;
  std::uint64_t seed = 1;
  // The default realistic look (issue 22), drawn as `coherence render --preset P` draws it: the
  // connected bed, its conserved flow and depths, the look's optics and the preset's oedema.
  bool realistic = false;
};

// Renders `frames` frames of a clip in memory, as the scoring pipeline's input (8-bit grey);
// `each`, if given, sees every frame's scene before it is drawn.
scoring::Clip render_clip(const viz::ClipSetup& setup, int frames, std::string name,
                          const std::function<void(const viz::FrameScene&)>& each = nullptr);

// The accuracy set (>= 40 clips) and the severe-artifact set.
std::vector<AccuracyClip> accuracy_clips();
std::vector<AccuracyClip> severe_artifact_clips();
// Clips on the default realistic look (healthy, septic, severe on SDF; septic on IDF), scored
// and summarised on their own (issue 22 Build 7, issue 23 Build 5).
std::vector<AccuracyClip> realistic_clips();

struct ClipComparison {
  AccuracyClip clip;
  model::SiteMetrics truth, scored;
  bool acceptable = true;                  // the quality check's verdict
  std::vector<std::string> flagged;        // quality items scored 10
  // Matched small vessels: truth class, scored class (4: unmeasured), scored length (um).
  std::vector<std::array<double, 3>> matches;
  // Matched small vessels perfused in truth: |scored / drawn velocity - 1| (infinite when the
  // scorer measured none) and the scored length (um): the velocity error over all perfused length.
  std::vector<std::array<double, 2>> perfused_velocity_errors;
  double velocity_measured_fraction = 0.0;  // the scorer's own (of the perfused length)
  std::vector<std::string> flow_refused;    // the scorer's reasons, if it refused the flow measures
  std::vector<double> velocity_rel_errors; // continuous vessels with a measured velocity
  std::vector<double> velocity_ratios;     // scored / truth, same vessels
  int continuous_matched = 0;              // continuous in both
  int continuous_measured = 0;             // ... with a measured velocity
  double matched_length_fraction = 0.0;    // of scored small-vessel length
  // Detection recall by truth class (none, intermittent, sluggish, continuous): the truth's
  // visible small-vessel length, and the part of it within a scored vessel's reach (any scored
  // vessel's centreline within half the true diameter + 3 um), um.
  std::array<double, 4> truth_small_length_um{}, found_small_length_um{};
};

ClipComparison evaluate_clip(const AccuracyClip& clip, double seconds = 4.0);

struct AccuracySummary {
  int clips = 0;
  double tvd_bias = 0.0, tvd_loa_low = 0.0, tvd_loa_high = 0.0;  // mm/mm2 (scored - truth)
  double ppv_bias = 0.0, ppv_loa_low = 0.0, ppv_loa_high = 0.0;  // points
  double mfi_mae = 0.0;
  double class_agreement_pct = 0.0;      // by matched length with a scored class
  double class_agreement_all_pct = 0.0;  // by all matched length (unmeasured = disagreement)
  double kappa = 0.0;                    // Cohen's, by matched length with a scored class
  double velocity_median_error_pct = 0.0;
  int severe_clips = 0, severe_flagged = 0;
  int moderate_flagged = 0;          // accuracy clips the quality check refused
  std::array<std::array<double, 5>, 4> confusion{};  // [truth][scored: 4 unmeasured], matched length (um)
  double velocity_coverage_pct = 0.0;  // continuous matched vessels with a measured velocity
  // Over the matched length perfused in truth, unmeasured counted as an infinite error: the
  // length-weighted median error, and the share of that length measured within 15%.
  double velocity_error_all_pct = 0.0;
  double velocity_within_15_pct = 0.0;
  double clip_velocity_error_pct = 0.0;  // median over clips of |scored / true clip velocity - 1|
  double unmeasured_pct = 0.0;           // of the matched small-vessel length
  std::array<double, 4> recall_pct{};    // detection recall of the visible small-vessel length, by truth class
};

// The sublingual microcirculation measured as a clinician's device would: each of the 5 sites
// rendered as SDF video (seconds long, seeded by `seed` and the time) and scored from its pixels;
// returns the mean MFI and PPV.
std::pair<double, double> measure_by_video(const model::MicrocirculationParams& m, const model::Network& net,
                                           const model::MicroDrivers& drivers, double t_s, double seconds,
                                           std::uint64_t seed);

AccuracySummary summarise(const std::vector<ClipComparison>& accuracy, const std::vector<ClipComparison>& severe);

}  // namespace coherence::validation
