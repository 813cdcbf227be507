#include "viz/scene.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

#include "model/random.hpp"

namespace coherence::viz {

namespace {

constexpr std::uint64_t kPurposeCells = 11;
constexpr std::uint64_t kPurposeDrift = 12;

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

}  // namespace

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
    return d;
  }
  throw std::invalid_argument("unknown device '" + name + "' (sdf, sdf-hd, idf)");
}

std::vector<std::string> device_preset_names() { return {"sdf", "sdf-hd", "idf"}; }

ClipSetup make_clip(const DevicePreset& device, const Artifacts& artifacts, const model::Site& site,
                    std::vector<model::VesselState> states, double start_time_s, std::uint64_t seed) {
  ClipSetup c;
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
    c.cell_arc0_um.push_back(std::move(arc));
    c.cell_lateral_um.push_back(std::move(lateral));
  }
  model::Rng drift = model::Rng::stream(seed, 0, kPurposeDrift);
  for (int k = 0; k < 8; ++k) c.drift_phase.push_back(drift.uniform(0.0, 2.0 * std::numbers::pi));
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
    const double slow_down = venule ? (1.0 - a.pressure) : (1.0 - 0.5 * a.pressure);
    s.velocity_moving_um_per_s *= std::max(0.0, slow_down);
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

}  // namespace coherence::viz
