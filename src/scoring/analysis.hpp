// The scoring pipeline of one site: stabilisation, vessel detection, flow, consensus measures,
// image quality. Pixels in, measures out: nothing here knows how a clip was made.
//
//  1. Flicker: every frame scaled to the clip's median brightness.
//  2. Stabilisation: sub-pixel normalised cross-correlation of each frame (half resolution,
//     band-passed, central template, search +-30 um) against the first; frames shifted back
//     (bilinear). (Phase correlation was tried and rejected: its whitening lets the streaming red
//     cells dominate the peak.)
//  3. Detection: absorbance-like contrast A = 1 - I / background on the temporal mean and the
//     temporal minimum (a red cell passes every point of a flowing vessel); multiscale Frangi
//     vesselness; hysteresis threshold relative to the image's own noise; thinning to
//     centrelines; centrelines split at junctions into segments; spurs pruned; diameter from the
//     distance to the mask edge.
//  4. Flow, per segment: a space-time diagram along the centreline (frames x arc length, averaged
//     across the lumen). Motion per frame pair from the diagram's change against the noise floor;
//     velocity from the peak of the summed cross-correlation of successive profiles (a red-cell
//     pattern is random, so the peak is unambiguous even when cells move further than their
//     spacing between frames); slow flow re-measured over longer frame lags.
//  5. Flow class (DESIGN.md), only from evidence: none if moving < 20% of the clip (or a measured
//     velocity below 10 um/s); a vessel that moves needs a measured red-cell displacement for a
//     class: intermittent if moving 20-80%, else sluggish (< 300 um/s) or continuous. A vessel
//     whose frames change but whose displacement cannot be measured is "unmeasured": no class,
//     no velocity, left out of PPV and MFI (never taken as continuous).
//  6. Measures: the consensus definitions shared with the model's ground truth
//     (model::site_metrics: TVD, PVD, PPV, quadrant and vessel MFI, De Backer, velocity). TVD and
//     De Backer over every detected vessel; PPV and MFI over the vessels with a measured flow
//     class, PVD = TVD x PPV; velocity over measured perfused vessels, with the measured
//     fraction of the perfused length beside it.
//  7. Quality (after Massey's MIQS: illumination, duration, focus, content, stability, pressure):
//     each 0 optimal, 1 acceptable, 10 unacceptable; plus flow evidence (the share of the moving
//     small-vessel length whose red-cell displacement was measured: frames out of time order
//     leave none). A clip too short or without flow evidence has its flow measures (PVD, PPV,
//     MFI, velocity) refused: NaN, written as null, with the reason.
#pragma once

#include <functional>

#include <opencv2/core.hpp>

#include <string>
#include <vector>

#include "model/microcirculation.hpp"
#include "scoring/clip.hpp"

namespace coherence::scoring {

struct ScoringSettings {
  double stopped_velocity_um_per_s = 10.0;    // DESIGN.md flow-class rules
  double sluggish_velocity_um_per_s = 300.0;
  double intermittent_low = 0.2;
  double intermittent_high = 0.8;
  double small_vessel_diameter_um = 20.0;
  std::vector<double> scales_um = {1.5, 2.5, 4.0, 6.5, 10.0};  // Frangi scales (Gaussian sigma)
  double frangi_beta = 0.5;
  double frangi_c_sd = 3.0;        // Frangi's structure constant, in background SDs
  double threshold_high_sd = 5.0;  // hysteresis thresholds on the contrast, in noise SDs
  double threshold_low_sd = 2.5;
  double min_segment_um = 12.0;    // shorter centreline pieces are dropped
  double motion_threshold = 4.0;   // frame-pair change above this many x the noise floor = moving
  double motion_percentile = 0.7;  // ... judged at this percentile of the positions along the vessel
  double max_velocity_um_per_s = 4000.0;
  double min_correlation = 0.3;    // weaker velocity peaks are not measurements
  double min_correlation_slow = 0.6;  // a reading below the sluggish limit needs a clearer peak
  double thinnest_capillary_um = 5.0;   // the thinnest tenth of vessel length is this wide (V: 5-10 um)
  double bright_ratio = 1.08;                 // content: brighter than the tissue by this = saliva/bubble
  double bright_acceptable_fraction = 0.0005; // ... over more of the field than this: 1
  double bright_unacceptable_fraction = 0.01; // ... than this: 10
  double blur_acceptable_um = 6.0;      // focus: extra FWHM above this is "acceptable" (1) ...
  double blur_unacceptable_um = 11.0;   // ... above this "unacceptable" (10)
  // Flow evidence: measured share of the moving small-vessel length below this is "acceptable"
  // (1), below the second "unacceptable" (10, flow measures refused).
  double evidence_acceptable = 0.6;
  double evidence_unacceptable = 0.3;
  double min_flow_duration_s = 2.0;     // shorter clips: flow measures refused (duration item 10)
  // Quality items (MIQS, 0 optimal / 1 acceptable / 10 unacceptable).
  double duration_unacceptable_s = 2.0;  // duration: shorter is 10 ...
  double duration_acceptable_s = 4.0;    // ... shorter than this 1
  double level_unacceptable_low = 0.12;  // illumination: mean level below this or ...
  double level_unacceptable_high = 0.95; // ... above this is 10 ...
  double level_acceptable_low = 0.25;    // ... below this 1
  double saturated_level = 0.98;                 // a mean pixel above this is saturated ...
  double saturated_unacceptable_fraction = 0.05; // ... over more of the field than this: 10
  double content_tvd_unacceptable = 3.0;  // content: vessel density (mm/mm2) below this is 10 ...
  double content_tvd_acceptable = 8.0;    // ... below this 1
  double drift_unacceptable_um_per_s = 42.0;  // stability: probe drift speed above this is 10 ...
  double drift_acceptable_um_per_s = 25.0;    // ... above this 1
  // Pressure: judged only when more than this share of the small-vessel length flows ...
  double pressure_min_flowing_share = 0.3;
  double pressure_ratio_unacceptable = 0.25;  // ... venular / capillary velocity below this is 10 ...
  double pressure_ratio_acceptable = 0.5;     // ... below this 1
  // Detection (R, tuned on the accuracy set with the thresholds above).
  double registration_search_um = 30.0;  // coarse stabilisation: +- this
  double background_radius_um = 30.0;    // grey closing: removes dark structures narrower than twice this
  double contrast_smoothing_um = 1.2;    // Gaussian sigma on the contrast before thresholds (>= 0.8 px)
  double tubular_strong = 0.05;          // vesselness a strong (seed) pixel needs
  double tubular_weak = 0.02;            // ... and a weak (joining) pixel
  double min_component_side_um = 6.0;    // components smaller than 3 x this^2 are dropped
  int noise_frame_pairs = 8;  // noise floor from the first this many frame pairs (a robust median needs no more)
  // Blur: the thinnest vessels making up this share of the vessel length are taken to be
  // thinnest_capillary_um wide.
  double thinnest_length_fraction = 0.1;
  // Continuations: a neighbour at a junction continues a segment unless they fold back (cosine of
  // the angle between them, straight = 1, below this); each continuation screened on every this
  // many frame pairs before the best is measured on all.
  double continuation_min_straight = -0.2;
  int continuation_screen_stride = 3;
  // Called with each stage's name and wall time (ms) when set (`COHERENCE_SCORE_DEBUG=1 coherence score`).
  std::function<void(const char*, double)> stage_time;
};

struct ScoredVessel {
  std::vector<cv::Point2f> centreline_px;      // in the stabilised frame (the first frame's)
  std::vector<model::PointUm> polyline_um;
  double length_um = 0.0;
  double diameter_um = 0.0;
  bool small = true;
  double moving_fraction = 0.0;
  double velocity_um_per_s = 0.0;              // while moving; NaN when it could not be measured
  double correlation = 0.0;                    // peak of the normalised cross-correlation
  // False: the vessel moves but no red-cell displacement could be measured (no class; flow_class
  // is then kNone only as a placeholder and must not be read).
  bool flow_measured = true;
  model::FlowClass flow_class = model::FlowClass::kNone;
};

struct QualityItem {
  std::string name;    // illumination, duration, focus, content, stability, pressure
  int score = 0;       // 0 optimal, 1 acceptable, 10 unacceptable (MIQS)
  double value = 0.0;  // the measured quantity
  std::string detail;
};

// Small-vessel length (um) by flow evidence.
struct EvidenceLengths {
  double small = 0.0;        // every small vessel
  double unmeasured = 0.0;   // moving, displacement not measured
  double perfused = 0.0;     // measured sluggish or continuous (each has a velocity)
  double moving = 0.0;       // measured intermittent + perfused + unmeasured
  // Of the length that may be perfused (perfused + unmeasured), the share with a measured velocity.
  double velocity_measured_fraction() const;
  // Of the small-vessel length, the share with a flow class.
  double flow_measured_fraction() const;
};

struct SiteScore {
  std::string source;
  double width_um = 0.0, height_um = 0.0;
  double um_per_px = 0.0, fps = 0.0;
  int frames = 0;
  model::SiteMetrics metrics;
  std::vector<ScoredVessel> vessels;
  std::vector<QualityItem> quality;
  bool acceptable = true;                      // no quality item scored 10
  // Why the flow measures (PVD, PPV, MFI, vessel MFI, velocity: NaN) are not reported; empty
  // when they are.
  std::vector<std::string> flow_refused;
  EvidenceLengths evidence;
  // "optimal" (every item 0), "acceptable" (some 1), "unacceptable" (some 10).
  std::string verdict() const;
  // "item: detail" of every item not optimal.
  std::vector<std::string> reasons() const;
  double blur_um = 0.0;                        // estimated optical blur (extra FWHM), um
  int margin_px = 0;                           // edge strip left out (drift + half the background radius); measures are per analysed area
  std::vector<cv::Point2d> drift_px;           // per frame, against the first
  cv::Mat mean_image;                          // stabilised temporal mean (CV_32F), for overlays
};

SiteScore score_site(const Clip& clip, const ScoringSettings& settings = ScoringSettings{});

// Means over sites and HI across them, as the truth reports them. A flow measure is averaged
// over the sites that report it (NaN when none does); HI over those sites' MFI.
struct ClipSetScore {
  std::vector<SiteScore> sites;
  model::SiteMetrics mean;
  double hi = 0.0;
  bool acceptable = true;
  int sites_flow_refused = 0;
  EvidenceLengths evidence;  // summed over the sites that report flow (every site when none does)
};
ClipSetScore combine_sites(std::vector<SiteScore> sites);

}  // namespace coherence::scoring
