// The stages of score_site (analysis.hpp) with their typed hand-offs, so that a test or a tool can
// run one stage alone and look at what it passes on. Internal to the scoring pipeline: the
// public result is SiteScore; these types may change with the pipeline.
//
//   stabilise -> Stabilised -> detect -> Detection -> measure_flow -> FlowResult
//   -> consensus_measures -> Measures -> assess_quality -> Quality
//
// score_site is these calls in order plus the assembly of the SiteScore (and the refusal of the
// flow measures when Quality says so).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "scoring/analysis.hpp"
#include "scoring/clip.hpp"

namespace coherence::scoring {

// Wall time of each stage for ScoringSettings::stage_time: one clock shared by the stages of a
// site, so each reported interval runs from the previous report (nothing between stages is lost).
class StageClock {
 public:
  explicit StageClock(const ScoringSettings& s) : settings_(s), start_(std::chrono::steady_clock::now()) {}
  void lap(const char* name);

 private:
  const ScoringSettings& settings_;
  std::chrono::steady_clock::time_point start_;
};

// 1-2. Flicker removed and frames registered to the first.
struct Stabilised {
  double um_per_px = 0.0, fps = 0.0;
  double duration_s = 0.0;
  std::vector<cv::Point2d> drift_px;  // per frame, against the first
  std::vector<cv::Mat> frames;        // shifted back, flicker removed (CV_32F)
  cv::Mat mean;                       // temporal mean of `frames`
  cv::Mat temporal_var;               // temporal variance of `frames`
  double pixel_noise_sd = 0.0;        // per-pixel temporal noise (robust)
};

// A centreline piece between junctions or free ends.
struct Segment {
  std::vector<cv::Point> pixels;  // ordered
  // Centre of the junction each end meets (the vessel continues to it); unset for a free end.
  std::optional<cv::Point2f> start_junction, end_junction;
};

// A pixel path resampled at unit spacing with a smoothed tangent's normal.
struct Sampling {
  std::vector<cv::Point2f> point, normal;
};

// 3. Vessels found on the stabilised mean: geometry only (no flow yet). segments, radius_px and
// profile are parallel to vessels.
struct Detection {
  std::vector<ScoredVessel> vessels;  // centreline, polyline, length, blur-corrected diameter, small
  std::vector<Segment> segments;      // the kept centreline pieces
  std::vector<double> radius_px;      // median distance to the mask edge along each
  std::vector<Sampling> profile;      // each segment's own resampled path (its space-time diagram)
  cv::Mat mask;                       // CV_8U vessel mask after the edge margin
  double bright_fraction = 0.0;       // share of the field brighter than the tissue (saliva, bubbles)
  double blur_um = 0.0;               // estimated optical blur (extra FWHM)
  int margin_px = 0;                  // edge strip left out
};

// 4-5. Flow of one detected vessel (ScoredVessel's flow fields).
struct VesselFlow {
  double moving_fraction = 0.0;
  double velocity_um_per_s = 0.0;  // NaN when it could not be measured
  double correlation = 0.0;
  bool flow_measured = true;
  model::FlowClass flow_class = model::FlowClass::kNone;
};
struct FlowResult {
  std::vector<VesselFlow> vessels;  // parallel to Detection::vessels
};

// 6. Consensus measures over the analysed field, before any refusal.
struct Measures {
  model::SiteMetrics metrics;
  EvidenceLengths evidence;
};

// 7. MIQS items and the flow measures' refusals.
struct Quality {
  std::vector<QualityItem> items;
  bool acceptable = true;                 // no item scored 10
  std::vector<std::string> flow_refused;  // empty: flow measures reported
};

Stabilised stabilise(const Clip& clip, const ScoringSettings& s, StageClock* clock = nullptr);
Detection detect(const Stabilised& st, const ScoringSettings& s, StageClock* clock = nullptr);
FlowResult measure_flow(const Stabilised& st, const Detection& det, const ScoringSettings& s,
                        StageClock* clock = nullptr);
// Detection::vessels with their flow from FlowResult: the SiteScore's vessels.
std::vector<ScoredVessel> with_flow(const Detection& det, const FlowResult& flow);
// `vessels`: with_flow's.
Measures consensus_measures(const std::vector<ScoredVessel>& vessels, double width_um, double height_um,
                            double margin_um);
Quality assess_quality(const Stabilised& st, const Detection& det, const std::vector<ScoredVessel>& vessels,
                       const Measures& measures, const ScoringSettings& s);

}  // namespace coherence::scoring
