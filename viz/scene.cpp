#include "viz/scene.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>

#include "model/random.hpp"

namespace coherence::viz {

namespace {

constexpr std::uint64_t kPurposeCells = 11;
constexpr std::uint64_t kPurposeDrift = 12;
constexpr std::uint64_t kPurposeDepth = 13;

// Poisson draw (Knuth below 30, normal approximation above), deterministic.
int poisson(model::Rng& rng, double mean) {
  if (mean <= 0.0) return 0;
  if (mean > 30.0) return std::max(0, static_cast<int>(std::lround(mean + std::sqrt(mean) * rng.normal())));
  const double limit = std::exp(-mean);
  int k = 0;
  double prod = rng.uniform();
  while (prod > limit) {
    ++k;
    prod *= rng.uniform();
  }
  return k;
}

// Moving time of a stop-go square wave between times a and b (s).
double moving_time(const model::Vessel& v, double duty, double a, double b) {
  if (duty >= 1.0) return b - a;
  if (duty <= 0.0) return 0.0;
  auto cumulative = [&](double t) {
    const double x = t / v.stop_go_period_s + v.stop_go_phase;
    const double whole = std::floor(x);
    return v.stop_go_period_s * (whole * duty + std::min(x - whole, duty));
  };
  return cumulative(b) - cumulative(a);
}

// Velocity scale of probe pressure (venular flow stops first, capillaries slow).
double pressure_slow_down(const model::Vessel& v, double pressure) {
  const bool venule = v.diameter_um >= 20.0;
  return std::max(0.0, venule ? 1.0 - pressure : 1.0 - 0.5 * pressure);
}

// Cumulative arc length at each polyline point.
std::vector<double> cumulative_arc(const std::vector<model::PointUm>& poly) {
  std::vector<double> c(poly.size(), 0.0);
  for (std::size_t k = 1; k < poly.size(); ++k) {
    c[k] = c[k - 1] + std::hypot(poly[k].x_um - poly[k - 1].x_um, poly[k].y_um - poly[k - 1].y_um);
  }
  return c;
}

model::PointUm point_at_arc(const std::vector<model::PointUm>& poly, const std::vector<double>& cum, double s) {
  if (poly.size() == 1 || s <= 0.0) return poly.front();
  if (s >= cum.back()) return poly.back();
  const auto k = static_cast<std::size_t>(std::upper_bound(cum.begin(), cum.end(), s) - cum.begin());
  const double len = cum[k] - cum[k - 1];
  const double t = len > 0.0 ? (s - cum[k - 1]) / len : 0.0;
  return {poly[k - 1].x_um + t * (poly[k].x_um - poly[k - 1].x_um), poly[k - 1].y_um + t * (poly[k].y_um - poly[k - 1].y_um)};
}

double distance_to_polyline(const model::PointUm& p, const std::vector<model::PointUm>& poly) {
  double best = std::numeric_limits<double>::infinity();
  for (std::size_t k = 1; k < poly.size(); ++k) {
    const model::PointUm& a = poly[k - 1];
    const model::PointUm& b = poly[k];
    const double dx = b.x_um - a.x_um, dy = b.y_um - a.y_um;
    const double len2 = dx * dx + dy * dy;
    const double t = len2 > 0.0 ? std::clamp(((p.x_um - a.x_um) * dx + (p.y_um - a.y_um) * dy) / len2, 0.0, 1.0) : 0.0;
    best = std::min(best, std::hypot(p.x_um - (a.x_um + t * dx), p.y_um - (a.y_um + t * dy)));
  }
  return best;
}

// Merges sorted intervals whose gap is at most `bridge`.
ArcIntervals merge_intervals(ArcIntervals v, double bridge) {
  std::sort(v.begin(), v.end());
  ArcIntervals out;
  for (const auto& iv : v) {
    if (!out.empty() && iv.first <= out.back().second + bridge) {
      out.back().second = std::max(out.back().second, iv.second);
    } else {
      out.push_back(iv);
    }
  }
  return out;
}

}  // namespace

std::vector<ArcIntervals> visible_arcs(const ClipSetup& clip, int frames) {
  const model::Site& site = *clip.site;
  const double duration_s = frames > 1 ? (frames - 1) / clip.device.fps : 0.0;
  std::vector<ArcIntervals> out(site.vessels.size());
  constexpr double kStep_um = 1.0;
  std::vector<const model::Vessel*> large;  // drawn large vessels: they hide what lies in them
  for (std::size_t j = 0; j < site.vessels.size(); ++j) {
    if (site.vessels[j].diameter_um >= 20.0 && !clip.cell_arc0_um[j].empty()) large.push_back(&site.vessels[j]);
  }
  for (std::size_t i = 0; i < site.vessels.size(); ++i) {
    const model::Vessel& v = site.vessels[i];
    const auto& cells = clip.cell_arc0_um[i];
    if (cells.empty()) continue;
    const double length = v.length_um;
    if (v.diameter_um >= 20.0) {
      out[i] = {{0.0, length}};
      continue;
    }
    model::VesselState s = clip.states[i];
    s.velocity_moving_um_per_s *= pressure_slow_down(v, clip.artifacts.pressure);
    const double sweep = cell_displacement_um(v, s, clip.start_time_s, clip.start_time_s + duration_s);
    // Each cell's swept arc on the vessel (cells wrap from its end to its start).
    ArcIntervals swept;
    for (double a0 : cells) {
      if (sweep >= length) {
        swept = {{0.0, length}};
        break;
      }
      const double a = a0, b = a0 + sweep;
      if (b <= length) {
        swept.emplace_back(a, b);
      } else {
        swept.emplace_back(a, length);
        swept.emplace_back(0.0, b - length);
      }
    }
    // Runs of cells traced by eye; a run no longer than a red cell is one motionless cell.
    ArcIntervals runs;
    for (const auto& [a, b] : merge_intervals(swept, kVisibleGapBridge_um)) {
      if (b - a < 2.0 * kRedCellRadius_um) continue;
      runs.emplace_back(std::max(0.0, a - kRedCellRadius_um), std::min(length, b + kRedCellRadius_um));
    }
    if (runs.empty()) continue;
    // Not where the vessel lies inside a large vessel's image.
    const auto cum = cumulative_arc(v.polyline);
    ArcIntervals seen;
    for (const auto& [a, b] : runs) {
      double start = -1.0;
      const int n = std::max(1, static_cast<int>(std::ceil((b - a) / kStep_um)));
      for (int k = 0; k <= n; ++k) {
        const double arc = a + (b - a) * k / n;
        const model::PointUm p = point_at_arc(v.polyline, cum, arc);
        const bool hidden = std::any_of(large.begin(), large.end(), [&](const model::Vessel* w) {
          return distance_to_polyline(p, w->polyline) < 0.5 * w->diameter_um;
        });
        if (!hidden && start < 0.0) start = arc;
        if ((hidden || k == n) && start >= 0.0) {
          if (arc > start) seen.emplace_back(start, arc);
          start = -1.0;
        }
      }
    }
    out[i] = std::move(seen);
  }
  return out;
}

std::vector<VisiblePiece> visible_pieces(const ClipSetup& clip, const std::vector<ArcIntervals>& arcs) {
  const model::Site& site = *clip.site;
  std::vector<VisiblePiece> out;
  for (std::size_t i = 0; i < site.vessels.size(); ++i) {
    const auto& poly = site.vessels[i].polyline;
    const auto cum = cumulative_arc(poly);
    for (const auto& [a, b] : arcs[i]) {
      VisiblePiece piece;
      piece.vessel_index = i;
      piece.polyline.push_back(point_at_arc(poly, cum, a));
      for (std::size_t k = 0; k < poly.size(); ++k) {
        if (cum[k] > a && cum[k] < b) piece.polyline.push_back(poly[k]);
      }
      piece.polyline.push_back(point_at_arc(poly, cum, b));
      out.push_back(std::move(piece));
    }
  }
  return out;
}

model::SiteMetrics visible_metrics(const ClipSetup& clip, int frames) {
  return visible_metrics(clip, visible_pieces(clip, visible_arcs(clip, frames)));
}

model::SiteMetrics visible_metrics(const ClipSetup& clip, const std::vector<VisiblePiece>& pieces) {
  const model::Site& site = *clip.site;
  std::vector<model::ObservedVessel> observed;
  observed.reserve(pieces.size());
  for (const auto& piece : pieces) {
    const model::VesselState& s = clip.states[piece.vessel_index];
    observed.push_back({piece.polyline, site.vessels[piece.vessel_index].diameter_um, true, s.flow_class,
                        s.velocity_moving_um_per_s, nullptr});
  }
  return model::site_metrics(site.width_um, site.height_um, observed);
}

DevicePreset device_preset(const std::string& name) {
  DevicePreset d;
  d.name = name;
  if (name == "sdf") return d;  // MicroScan-like: 640 x 480, 0.94 mm wide (square pixels: 0.705 mm high), 30 fps
  if (name == "sdf-hd") {
    d.width_px = 1280;
    d.height_px = 960;
    return d;
  }
  if (name == "idf") {  // CytoCam-like: 1.55 x 1.16 mm, 25 fps, sharper optics
    d.width_px = 1280;
    d.height_px = 958;
    d.field_width_um = 1550.0;
    d.field_height_um = 1160.0;
    d.fps = 25.0;
    d.psf_sigma_um = 1.2;
    d.noise_sd = 2.5;
    d.background_level = 175.0;
    d.exposure_s = 0.002;  // CytoCam: 2 ms pulses
    return d;
  }
  throw std::invalid_argument("unknown device '" + name + "' (sdf, sdf-hd, idf)");
}

std::vector<std::string> device_preset_names() { return {"sdf", "sdf-hd", "idf"}; }

Look look_preset(const std::string& name) {
  Look l;
  l.name = name;
  if (name == "clean") return l;
  if (name == "realistic") {
    l.realistic = true;
    l.columns = l.exposure = l.depth_blur = l.saturation = l.illumination = l.texture = 1.0;
    l.deep_vessels = l.debris = l.specular = l.noise = 1.0;
    return l;
  }
  throw std::invalid_argument("unknown look '" + name + "' (clean, realistic)");
}

std::vector<std::string> look_names() { return {"clean", "realistic"}; }

double oedema_index(const model::MicroDrivers& d) {
  // Leak grows with inflammation; a tissue-pressure rise (mmHg above the healthy reference) is
  // the oedema the model itself tracks. 10 mmHg or full inflammation saturate the index.
  return std::clamp(std::max(0.8 * d.inflammation * d.injury / 1.5, d.tissue_pressure_rise_mmHg / 10.0), 0.0, 1.0);
}

ClipSetup make_clip(const DevicePreset& device, const Artifacts& artifacts, const model::Site& site,
                    std::vector<model::VesselState> states, double start_time_s, std::uint64_t seed, const Look& look) {
  ClipSetup c;
  c.look = look;
  c.device = device;
  c.artifacts = artifacts;
  c.site = &site;
  c.states = std::move(states);
  c.start_time_s = start_time_s;
  c.seed = seed;
  model::Rng rng = model::Rng::stream(seed, 0, kPurposeCells);
  for (std::size_t i = 0; i < site.vessels.size(); ++i) {
    const model::Vessel& v = site.vessels[i];
    const model::VesselState& s = c.states[i];
    const int n = s.visible || v.diameter_um >= 20.0 ? poisson(rng, s.rbc_per_um * v.length_um) : 0;  // no cells: invisible
    std::vector<double> arc, lateral;
    const double half_lumen = std::max(0.0, 0.5 * v.diameter_um - 3.5);
    for (int k = 0; k < n; ++k) {
      arc.push_back(rng.uniform(0.0, v.length_um));
      lateral.push_back(rng.uniform(-half_lumen, half_lumen));
    }
    // Stasis (realistic look): stopped cells aggregate into short dense clumps (rouleaux) with
    // plasma between them; a still frame shows a stopped capillary as beads, not a column.
    if (look.realistic && s.duty * s.velocity_moving_um_per_s < 10.0 && v.diameter_um < 20.0 && arc.size() >= 2) {
      std::vector<std::size_t> order(arc.size());
      for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
      std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return arc[a] < arc[b]; });
      constexpr std::size_t kClump = 4;
      for (std::size_t g = 0; g < order.size(); g += kClump) {
        const std::size_t e = std::min(order.size(), g + kClump);
        double mean = 0.0;
        for (std::size_t k = g; k < e; ++k) mean += arc[order[k]];
        mean /= static_cast<double>(e - g);
        for (std::size_t k = g; k < e; ++k) {
          arc[order[k]] = std::clamp(mean + 4.0 * (static_cast<double>(k - g) - 0.5 * static_cast<double>(e - g - 1)), 0.0,
                                     std::nextafter(v.length_um, 0.0));
        }
      }
    }
    c.cell_arc0_um.push_back(std::move(arc));
    c.cell_lateral_um.push_back(std::move(lateral));
  }
  model::Rng drift = model::Rng::stream(seed, 0, kPurposeDrift);
  for (int k = 0; k < 8; ++k) c.drift_phase.push_back(drift.uniform(0.0, 2.0 * std::numbers::pi));
  // Depth below the focal plane: capillaries lie in the top ~40 um of the mucosa, venules deeper;
  // oedema pushes everything down by up to 25 um (an own stream: the cell draws are unchanged).
  model::Rng depth = model::Rng::stream(seed, 0, kPurposeDepth);
  for (const model::Vessel& v : site.vessels) {
    const double base = v.diameter_um >= 20.0 ? depth.uniform(25.0, 60.0) : depth.uniform(5.0, 40.0);
    c.depth_um.push_back(base + 25.0 * look.oedema);
  }
  return c;
}

double cell_displacement_um(const model::Vessel& v, const model::VesselState& s, double t0_s, double t_s) {
  return s.velocity_moving_um_per_s * moving_time(v, s.duty, t0_s, t_s);
}

FrameScene build_frame(const ClipSetup& clip, int index) {
  FrameScene f;
  f.index = index;
  f.time_s = index / clip.device.fps;
  const Artifacts& a = clip.artifacts;
  const double t = f.time_s;
  const auto& ph = clip.drift_phase;
  // Probe drift (slow, tens of um) and hand jitter (fast, ~1-2 um), scaled by the dial.
  const double slow = 25.0 * a.drift, fast = 2.0 * a.drift;
  f.offset_x_um = slow * (std::sin(2 * std::numbers::pi * 0.07 * t + ph[0]) - std::sin(ph[0])) +
                  fast * std::sin(2 * std::numbers::pi * 3.1 * t + ph[1]);
  f.offset_y_um = slow * (std::sin(2 * std::numbers::pi * 0.05 * t + ph[2]) - std::sin(ph[2])) +
                  fast * std::sin(2 * std::numbers::pi * 4.3 * t + ph[3]);
  // Illumination flicker: a few percent.
  f.brightness = 1.0 + 0.015 * std::sin(2 * std::numbers::pi * 1.3 * t + ph[4]) +
                 0.01 * std::sin(2 * std::numbers::pi * 7.9 * t + ph[5]);
  f.psf_sigma_um = clip.device.psf_sigma_um * (1.0 + 3.0 * a.defocus);
  f.motion_blur_s = a.motion_blur / clip.device.fps;
  f.saliva = a.saliva;
  const model::Site& site = *clip.site;
  for (std::size_t i = 0; i < site.vessels.size(); ++i) {
    const model::Vessel& v = site.vessels[i];
    model::VesselState s = clip.states[i];
    // Probe pressure stops venular flow first, then slows capillaries and blanches them.
    const bool venule = v.diameter_um >= 20.0;
    s.velocity_moving_um_per_s *= pressure_slow_down(v, a.pressure);
    VesselScene vs;
    vs.vessel_index = i;
    vs.absorbance_scale = venule ? 1.0 : 1.0 - 0.5 * a.pressure;
    vs.velocity_um_per_s = model::vessel_velocity_um_per_s(v, s, clip.start_time_s + t);
    const double shift = cell_displacement_um(v, s, clip.start_time_s, clip.start_time_s + t);
    for (double s0 : clip.cell_arc0_um[i]) {
      double arc = std::fmod(s0 + shift, v.length_um);
      if (arc < 0.0) arc += v.length_um;
      vs.cell_arc_um.push_back(arc);
    }
    f.vessels.push_back(std::move(vs));
  }
  return f;
}

model::Network network_for_camera(const model::MicrocirculationParams& micro, model::Network network,
                                  std::uint64_t seed, const DevicePreset& device) {
  const model::Site& first = network.sublingual.front();
  if (device.field_width_um <= first.width_um + 1e-9 && device.field_height_um <= first.height_um + 1e-9) {
    return network;
  }
  model::MicrocirculationParams sized = micro;
  sized.field_width_um = device.field_width_um;
  sized.field_height_um = device.field_height_um;
  return model::generate_network(sized, seed);
}

model::Site site_in_view(const model::Network& network, std::size_t index, const DevicePreset& device) {
  return model::with_field(network.sublingual.at(index), device.field_width_um, device.field_height_um);
}

}  // namespace coherence::viz
