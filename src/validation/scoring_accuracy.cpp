#include "validation/scoring_accuracy.hpp"

#include <optional>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <limits>

#include "run/parallel.hpp"
#include "scoring/analysis.hpp"
#include "viz/bed.hpp"
#include "viz/presets.hpp"
#include "viz/raster.hpp"

namespace coherence::validation {

namespace {

double point_segment_distance(double px, double py, const model::PointUm& a, const model::PointUm& b) {
  const double dx = b.x_um - a.x_um, dy = b.y_um - a.y_um;
  const double len2 = dx * dx + dy * dy;
  const double t = len2 > 0.0 ? std::clamp(((px - a.x_um) * dx + (py - a.y_um) * dy) / len2, 0.0, 1.0) : 0.0;
  return std::hypot(px - (a.x_um + t * dx), py - (a.y_um + t * dy));
}

double median(std::vector<double> v) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

scoring::Clip render_clip(const viz::ClipSetup& setup, int frames, std::string name,
                          const std::function<void(const viz::FrameScene&)>& each) {
  viz::Renderer renderer(setup);
  std::vector<std::vector<std::uint8_t>> pixels;
  viz::GreyImage image;
  for (int k = 0; k < frames; ++k) {
    const viz::FrameScene f = viz::build_frame(setup, k);
    if (each) each(f);
    renderer.render(f, image);
    pixels.push_back(image.pixels);
  }
  const viz::DevicePreset& d = setup.device;
  return scoring::clip_from_grey8(pixels, d.width_px, d.height_px, d.um_per_px(), d.fps, std::move(name));
}

std::vector<AccuracyClip> accuracy_clips() {
  std::vector<AccuracyClip> out;
  const std::vector<std::pair<std::string, viz::Artifacts>> dials = {
      {"clean", {0.0, 0.0, 0.0, 0.0, 0.2}},    {"pressure", {0.4, 0.0, 0.0, 0.0, 0.2}},
      {"saliva", {0.0, 0.4, 0.0, 0.0, 0.2}},   {"motion_blur", {0.0, 0.0, 0.4, 0.0, 0.2}},
      {"defocus", {0.0, 0.0, 0.0, 0.4, 0.2}},  {"drift", {0.0, 0.0, 0.0, 0.0, 0.6}},
  };
  std::uint64_t seed = 100;
  for (const std::string device : {"sdf", "idf"}) {
    for (const std::string preset : {"healthy", "septic", "severe"}) {
      for (const auto& [dial, a] : dials) {
        std::string name = device;
        name += "_";
        name += preset;
        name += "_";
        name += dial;
        out.push_back({name, device, preset, {}, a, seed++});
      }
    }
  }
  const std::vector<std::array<double, 4>> mixes = {
      {0.3, 0.2, 0.2, 0.3}, {0.0, 0.0, 0.5, 0.5}, {0.5, 0.3, 0.1, 0.1}, {0.1, 0.1, 0.2, 0.6}};
  for (std::size_t k = 0; k < mixes.size(); ++k) {
    out.push_back({"sdf_mix" + std::to_string(k + 1), "sdf", "", mixes[k], {0.0, 0.0, 0.0, 0.0, 0.2}, seed++});
  }
  return out;
}

std::vector<AccuracyClip> severe_artifact_clips() {
  return {
      {"sdf_septic_pressure_severe", "sdf", "septic", {}, {0.95, 0.0, 0.0, 0.0, 0.2}, 901},
      {"sdf_septic_saliva_severe", "sdf", "septic", {}, {0.0, 0.95, 0.0, 0.0, 0.2}, 902},
      {"sdf_septic_defocus_severe", "sdf", "septic", {}, {0.0, 0.0, 0.0, 0.95, 0.2}, 903},
      {"sdf_septic_drift_severe", "sdf", "septic", {}, {0.0, 0.0, 0.0, 0.0, 1.0}, 904},
  };
}

std::vector<AccuracyClip> realistic_clips() {
  std::vector<AccuracyClip> out;
  std::uint64_t seed = 300;
  for (const std::string preset : {"healthy", "septic", "severe"}) {
    out.push_back({"sdf_" + preset + "_realistic", "sdf", preset, {}, viz::Artifacts{}, seed++, true});
  }
  out.push_back({"idf_septic_realistic", "idf", "septic", {}, viz::Artifacts{}, seed++, true});
  return out;
}

ClipComparison evaluate_clip(const AccuracyClip& c, double seconds) {
  ClipComparison out;
  out.clip = c;
  const viz::DevicePreset device = viz::device_preset(c.device);
  model::MicrocirculationParams micro;
  micro.field_width_um = device.field_width_um;
  micro.field_height_um = device.field_height_um;
  micro.window_s = seconds;
  const model::MicroDrivers drivers =
      c.scenario ? c.scenario->drivers : viz::preset_drivers(c.preset.empty() ? "healthy" : c.preset);
  model::Site site;
  std::vector<model::VesselState> states;
  std::optional<viz::Bed> bed;
  viz::Look look;
  double start_s = 0.0;
  if (c.scenario) {  // as `coherence render SCENARIO --at-min T --site K --look clean` draws it
    micro = c.scenario->micro;
    micro.window_s = seconds;
    const model::Network net = viz::network_for_camera(micro, c.scenario->network, c.seed, device);
    site = viz::site_in_view(net, c.scenario->site_index, device);
    start_s = c.scenario->start_s;
    states = model::site_states(micro, site, c.scenario->drivers, start_s);
  } else if (c.realistic) {  // as `coherence render --preset P` draws the default look
    look = viz::look_preset("realistic");
    look.oedema = viz::oedema_index(drivers);
    bed = viz::connected_bed(micro, c.seed, 0, device.field_width_um, device.field_height_um);
    states = model::site_states(micro, bed->site, drivers, 0.0);
    if (c.preset.empty()) viz::assign_bed_classes(micro, *bed, states, c.fractions, c.seed);
    viz::bed_flow(micro, *bed, states, 0.0);
    site = bed->site;
  } else {
    const model::Network net = model::generate_network(micro, c.seed);
    site = model::with_field(net.sublingual.front(), device.field_width_um, device.field_height_um);
    states = model::site_states(micro, site, drivers, 0.0);
    if (c.preset.empty()) viz::assign_classes(micro, site, states, c.fractions, c.seed);
  }
  viz::ClipSetup setup = viz::make_clip(device, c.artifacts, site, states, start_s, c.seed, look);
  if (bed) viz::share_depths(*bed, setup.depth_um);
  const int frames = static_cast<int>(std::lround(seconds * device.fps));
  const std::vector<viz::VisiblePiece> pieces = viz::visible_pieces(setup, viz::visible_arcs(setup, frames));
  out.truth = viz::visible_metrics(setup, pieces);
  double offset_x = 0.0, offset_y = 0.0;
  // The velocity actually drawn while moving (artifacts such as probe pressure slow the cells:
  // the pixels show that, and it is what a scorer can measure).
  std::vector<double> drawn_sum(site.vessels.size(), 0.0), drawn_n(site.vessels.size(), 0.0);
  const scoring::Clip clip = render_clip(setup, frames, c.name, [&](const viz::FrameScene& f) {
    for (const auto& vs : f.vessels) {
      if (vs.velocity_um_per_s > 0.0) {
        drawn_sum[vs.vessel_index] += vs.velocity_um_per_s;
        drawn_n[vs.vessel_index] += 1.0;
      }
    }
    if (f.index == 0) {
      offset_x = f.offset_x_um;
      offset_y = f.offset_y_um;
    }
  });
  const scoring::SiteScore score = scoring::score_site(clip);
  out.scored = score.metrics;
  out.acceptable = score.acceptable;
  out.velocity_measured_fraction = score.evidence.velocity_measured_fraction();
  out.flow_refused = score.flow_refused;
  for (const auto& q : score.quality) {
    if (q.score >= 10) out.flagged.push_back(q.name);
  }

  // Match scored small vessels to truth vessels (truth moved into frame 0's image coordinates).
  double scored_small = 0.0, matched = 0.0;
  for (const auto& v : score.vessels) {
    if (!v.small) continue;
    scored_small += v.length_um;
    std::vector<int> votes(site.vessels.size(), 0);
    for (const auto& p : v.polyline_um) {
      double best = 1e9;
      int best_i = -1;
      for (std::size_t i = 0; i < site.vessels.size(); ++i) {
        if (!states[i].visible) continue;
        const auto& poly = site.vessels[i].polyline;
        const double tol = 0.5 * site.vessels[i].diameter_um + 3.0;
        for (std::size_t k = 1; k < poly.size(); ++k) {
          const double d = point_segment_distance(p.x_um - offset_x, p.y_um - offset_y, poly[k - 1], poly[k]);
          if (d < tol && d < best) {
            best = d;
            best_i = static_cast<int>(i);
          }
        }
      }
      if (best_i >= 0) ++votes[static_cast<std::size_t>(best_i)];
    }
    const auto it = std::max_element(votes.begin(), votes.end());
    if (it == votes.end() || *it * 2 < static_cast<int>(v.polyline_um.size())) continue;
    const auto i = static_cast<std::size_t>(it - votes.begin());
    if (!states[i].small) continue;
    matched += v.length_um;
    out.matches.push_back(
        {static_cast<double>(states[i].flow_class), v.flow_measured ? static_cast<double>(v.flow_class) : 4.0, v.length_um});
    const bool truth_perfused =
        states[i].flow_class == model::FlowClass::kContinuous || states[i].flow_class == model::FlowClass::kSluggish;
    if (truth_perfused && drawn_n[i] > 0.0) {
      const double truth_v = drawn_sum[i] / drawn_n[i];
      const double err = std::isfinite(v.velocity_um_per_s) && v.flow_measured
                             ? std::abs(v.velocity_um_per_s / truth_v - 1.0)
                             : std::numeric_limits<double>::infinity();
      out.perfused_velocity_errors.push_back({err, v.length_um});
    }
    const bool both_continuous = states[i].flow_class == model::FlowClass::kContinuous && v.flow_measured &&
                                 v.flow_class == model::FlowClass::kContinuous;
    out.continuous_matched += both_continuous ? 1 : 0;
    if (both_continuous && std::isfinite(v.velocity_um_per_s) && drawn_n[i] > 0.0) {
      ++out.continuous_measured;
      const double truth_v = drawn_sum[i] / drawn_n[i];
      out.velocity_rel_errors.push_back(std::abs(v.velocity_um_per_s / truth_v - 1.0));
      out.velocity_ratios.push_back(v.velocity_um_per_s / truth_v);
    }
  }
  out.matched_length_fraction = scored_small > 0.0 ? matched / scored_small : 0.0;

  // Recall: each visible small truth piece, sampled every 2 um; a sample is found when a scored
  // centreline (frame 0's image, moved back into the site's coordinates) passes within half the
  // true diameter + 3 um, the matching tolerance above.
  std::vector<std::vector<model::PointUm>> scored_lines;
  for (const auto& v : score.vessels) {
    std::vector<model::PointUm> line;
    for (const auto& p : v.polyline_um) line.push_back({p.x_um - offset_x, p.y_um - offset_y});
    scored_lines.push_back(std::move(line));
  }
  const double margin_um = score.margin_px * device.um_per_px();
  for (const auto& piece : pieces) {
    const auto i = piece.vessel_index;
    if (!states[i].small) continue;
    const double tol = 0.5 * site.vessels[i].diameter_um + 3.0;
    const auto cls = static_cast<std::size_t>(states[i].flow_class);
    for (std::size_t k = 1; k < piece.polyline.size(); ++k) {
      const auto& a = piece.polyline[k - 1];
      const auto& b = piece.polyline[k];
      const double len = std::hypot(b.x_um - a.x_um, b.y_um - a.y_um);
      const int n = std::max(1, static_cast<int>(std::ceil(len / 2.0)));
      for (int j = 0; j < n; ++j) {
        const double f = (j + 0.5) / n;
        const double x = a.x_um + f * (b.x_um - a.x_um), y = a.y_um + f * (b.y_um - a.y_um);
        // Only the analysed field counts (the scorer leaves the edge strip out by design).
        const double xi = x + offset_x, yi = y + offset_y;
        if (xi < margin_um || yi < margin_um || xi > device.field_width_um - margin_um ||
            yi > device.field_height_um - margin_um) {
          continue;
        }
        out.truth_small_length_um[cls] += len / n;
        const bool found = std::any_of(scored_lines.begin(), scored_lines.end(), [&](const auto& line) {
          for (std::size_t q = 1; q < line.size(); ++q) {
            if (point_segment_distance(x, y, line[q - 1], line[q]) < tol) return true;
          }
          return line.size() == 1 && std::hypot(line[0].x_um - x, line[0].y_um - y) < tol;
        });
        if (found) out.found_small_length_um[cls] += len / n;
      }
    }
  }
  return out;
}

std::pair<double, double> measure_by_video(const model::MicrocirculationParams& m, const model::Network& net,
                                           const model::MicroDrivers& drivers, double t_s, double seconds,
                                           std::uint64_t seed) {
  const viz::DevicePreset device = viz::device_preset("sdf");
  model::MicrocirculationParams micro = m;
  micro.window_s = seconds;
  // Sites in parallel (each is independent and seeded on its own: the result does not depend on
  // the thread count).
  auto one_site = [&](std::size_t k) {
    const model::Site site = model::with_field(net.sublingual[k], device.field_width_um, device.field_height_um);
    const auto states = model::site_states(micro, site, drivers, t_s);
    const std::uint64_t clip_seed = seed ^ (0x9E3779B97F4A7C15ULL * (k + 1)) ^ static_cast<std::uint64_t>(std::llround(t_s));
    const viz::ClipSetup setup = viz::make_clip(device, viz::Artifacts{}, site, states, t_s, clip_seed);
    return scoring::score_site(render_clip(setup, static_cast<int>(std::lround(seconds * device.fps)), site.name));
  };
  const std::size_t n = net.sublingual.size();
  std::vector<scoring::SiteScore> sites = run::parallel_map(n, static_cast<unsigned>(n), one_site);
  const auto combined = scoring::combine_sites(std::move(sites));
  return {combined.mean.mfi, combined.mean.ppv_pct};
}

AccuracySummary summarise(const std::vector<ClipComparison>& accuracy, const std::vector<ClipComparison>& severe) {
  AccuracySummary s;
  s.clips = static_cast<int>(accuracy.size());
  auto bias_loa = [&](auto diff, double& bias, double& lo, double& hi) {
    std::vector<double> d;
    d.reserve(accuracy.size());
    for (const auto& c : accuracy) d.push_back(diff(c));
    double mean = 0.0;
    for (double x : d) mean += x / static_cast<double>(d.size());
    double var = 0.0;
    for (double x : d) var += (x - mean) * (x - mean) / std::max<double>(1.0, static_cast<double>(d.size()) - 1.0);
    bias = mean;
    lo = mean - 1.96 * std::sqrt(var);
    hi = mean + 1.96 * std::sqrt(var);
  };
  bias_loa([](const ClipComparison& c) { return c.scored.tvd_mm_per_mm2 - c.truth.tvd_mm_per_mm2; }, s.tvd_bias,
           s.tvd_loa_low, s.tvd_loa_high);
  bias_loa([](const ClipComparison& c) { return c.scored.ppv_pct - c.truth.ppv_pct; }, s.ppv_bias, s.ppv_loa_low,
           s.ppv_loa_high);
  std::array<std::array<double, 5>, 4> confusion{};
  std::vector<double> velocity, clip_velocity;
  std::vector<std::array<double, 2>> all_perfused;
  int cont_matched = 0, cont_measured = 0;
  for (const auto& c : accuracy) {
    cont_matched += c.continuous_matched;
    cont_measured += c.continuous_measured;
    s.mfi_mae += std::abs(c.scored.mfi - c.truth.mfi) / static_cast<double>(accuracy.size());
    for (const auto& m : c.matches) {
      confusion[static_cast<std::size_t>(m[0])][static_cast<std::size_t>(m[1])] += m[2];
    }
    velocity.insert(velocity.end(), c.velocity_rel_errors.begin(), c.velocity_rel_errors.end());
    all_perfused.insert(all_perfused.end(), c.perfused_velocity_errors.begin(), c.perfused_velocity_errors.end());
    if (c.truth.rbc_velocity_um_per_s > 0.0) {
      clip_velocity.push_back(std::isfinite(c.scored.rbc_velocity_um_per_s)
                                  ? std::abs(c.scored.rbc_velocity_um_per_s / c.truth.rbc_velocity_um_per_s - 1.0)
                                  : std::numeric_limits<double>::infinity());
    }
    if (!c.acceptable) ++s.moderate_flagged;
  }
  s.confusion = confusion;
  // Agreement and kappa over the classified length (the scorer's classes against the truth's);
  // the unmeasured length (column 4) separately, and in the agreement over all matched length.
  double total = 0.0, agree = 0.0, unmeasured = 0.0;
  std::array<double, 4> rows{}, cols{};
  for (std::size_t i = 0; i < 4; ++i) {
    unmeasured += confusion[i][4];
    for (std::size_t j = 0; j < 4; ++j) {
      total += confusion[i][j];
      rows[i] += confusion[i][j];
      cols[j] += confusion[i][j];
      if (i == j) agree += confusion[i][j];
    }
  }
  double expected = 0.0;
  for (std::size_t i = 0; i < 4; ++i) expected += total > 0.0 ? rows[i] * cols[i] / (total * total) : 0.0;
  const double po = total > 0.0 ? agree / total : 0.0;
  s.class_agreement_pct = 100.0 * po;
  s.class_agreement_all_pct = total + unmeasured > 0.0 ? 100.0 * agree / (total + unmeasured) : 0.0;
  s.kappa = expected < 1.0 ? (po - expected) / (1.0 - expected) : 0.0;
  s.velocity_median_error_pct = 100.0 * median(velocity);
  s.clip_velocity_error_pct = 100.0 * median(clip_velocity);
  s.unmeasured_pct = total + unmeasured > 0.0 ? 100.0 * unmeasured / (total + unmeasured) : 0.0;
  {
    std::sort(all_perfused.begin(), all_perfused.end());
    double len = 0.0, within = 0.0;
    for (const auto& [e, l] : all_perfused) {
      len += l;
      if (e < 0.15) within += l;
    }
    double acc = 0.0;
    s.velocity_error_all_pct = std::numeric_limits<double>::infinity();
    for (const auto& [e, l] : all_perfused) {
      acc += l;
      if (acc >= 0.5 * len) {
        s.velocity_error_all_pct = 100.0 * e;
        break;
      }
    }
    s.velocity_within_15_pct = len > 0.0 ? 100.0 * within / len : 0.0;
  }
  s.velocity_coverage_pct = cont_matched > 0 ? 100.0 * cont_measured / cont_matched : 0.0;
  for (std::size_t k = 0; k < 4; ++k) {
    double truth = 0.0, found = 0.0;
    for (const auto& c : accuracy) {
      truth += c.truth_small_length_um[k];
      found += c.found_small_length_um[k];
    }
    s.recall_pct[k] = truth > 0.0 ? 100.0 * found / truth : std::numeric_limits<double>::quiet_NaN();
  }
  s.severe_clips = static_cast<int>(severe.size());
  for (const auto& c : severe) s.severe_flagged += c.acceptable ? 0 : 1;
  return s;
}

}  // namespace coherence::validation
