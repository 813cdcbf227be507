#include "viz/raster.hpp"

#include <png.h>
#include <zlib.h>

#include <algorithm>
#include <utility>
#include <functional>
#include <queue>
#include <array>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <cmath>
#include <cstdio>
#include <memory>
#include <numbers>
#include <stdexcept>

#include "model/random.hpp"

namespace coherence::viz {

namespace {

constexpr std::uint64_t kPurposeTexture = 21;
constexpr std::uint64_t kPurposeNoise = 22;
constexpr std::uint64_t kPurposeLook = 23;
constexpr int kExpTableSize = 4096;
constexpr double kExpTableMax = 8.0;

// Position and unit tangent at arc length s along a polyline.
struct OnPath {
  double x, y, tx, ty;
};

// `tangent[i]`: the unit tangent of segment i - 1 -> i (computed once per vessel).
OnPath point_at(const std::vector<model::PointUm>& p, const std::vector<double>& cum,
                const std::vector<std::pair<double, double>>& tangent, double s) {
  const auto it = std::upper_bound(cum.begin(), cum.end(), s);
  std::size_t i = static_cast<std::size_t>(std::clamp<std::ptrdiff_t>(it - cum.begin(), 1,
                                                                      static_cast<std::ptrdiff_t>(cum.size()) - 1));
  const double seg = cum[i] - cum[i - 1];
  const double u = seg > 0.0 ? (s - cum[i - 1]) / seg : 0.0;
  const double dx = p[i].x_um - p[i - 1].x_um, dy = p[i].y_um - p[i - 1].y_um;
  return {p[i - 1].x_um + u * dx, p[i - 1].y_um + u * dy, tangent[i].first, tangent[i].second};
}

}  // namespace

Renderer::Renderer(const ClipSetup& clip) : clip_(clip) {
  const DevicePreset& d = clip.device;
  const int w = d.width_px, h = d.height_px, m = margin_px_;
  const double um_per_px = d.um_per_px();
  // Tissue texture: low-frequency blobs (+-8%) on a larger canvas so drift can move it.
  model::Rng rng = model::Rng::stream(clip.seed, 0, kPurposeTexture);
  const int tw = w + 2 * m, th = h + 2 * m;
  texture_.assign(static_cast<std::size_t>(tw) * th, 1.0f);
  for (int k = 0; k < 40; ++k) {
    const double cx = rng.uniform(0, tw), cy = rng.uniform(0, th);
    const double sigma = rng.uniform(40.0, 160.0) / um_per_px;
    const double amp = rng.uniform(-0.08, 0.08);
    const int r = static_cast<int>(3 * sigma);
    if (clip.look.realistic) continue;  // its own tissue layers (the draws above keep the stream)
    for (int y = std::max(0, static_cast<int>(cy) - r); y < std::min(th, static_cast<int>(cy) + r); ++y) {
      for (int x = std::max(0, static_cast<int>(cx) - r); x < std::min(tw, static_cast<int>(cx) + r); ++x) {
        const double q = ((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (2 * sigma * sigma);
        texture_[static_cast<std::size_t>(y) * tw + x] += static_cast<float>(amp * std::exp(-q));
      }
    }
  }
  // Vignetting: illumination falls ~25% towards the corners.
  vignette_.resize(static_cast<std::size_t>(w) * h);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const double rx = (x - 0.5 * w) / (0.5 * w), ry = (y - 0.5 * h) / (0.5 * h);
      vignette_[static_cast<std::size_t>(y) * w + x] = static_cast<float>(1.0 - 0.125 * (rx * rx + ry * ry));
    }
  }
  // Saliva and bubbles: bright round blobs.
  saliva_.assign(static_cast<std::size_t>(w) * h, 0.0f);
  if (clip.artifacts.saliva > 0.0) {
    const int n = 2 + static_cast<int>(10 * clip.artifacts.saliva);
    for (int k = 0; k < n; ++k) {
      const double cx = rng.uniform(0, w), cy = rng.uniform(0, h);
      const double radius = rng.uniform(30.0, 110.0) / um_per_px;
      for (int y = std::max(0, static_cast<int>(cy - radius - 3)); y < std::min(h, static_cast<int>(cy + radius + 3)); ++y) {
        for (int x = std::max(0, static_cast<int>(cx - radius - 3)); x < std::min(w, static_cast<int>(cx + radius + 3)); ++x) {
          const double r = std::hypot(x - cx, y - cy) / radius;
          const double ring = std::exp(-std::pow((r - 1.0) / 0.08, 2)) + 0.35 * (r < 1.0 ? 1.0 : 0.0);
          saliva_[static_cast<std::size_t>(y) * w + x] += static_cast<float>(45.0 * clip.artifacts.saliva * ring);
        }
      }
    }
  }
  absorbance_.assign(static_cast<std::size_t>(w) * h, 0.0f);
  model::Rng noise = model::Rng::stream(clip.seed, 0, kPurposeNoise);
  // Twice the frame, so each frame reads a contiguous window starting anywhere in the first half.
  noise_table_.resize(2 * static_cast<std::size_t>(w) * h);
  for (float& v : noise_table_) v = static_cast<float>(noise.normal());
  exp_table_.resize(kExpTableSize);
  for (int i = 0; i < kExpTableSize; ++i) exp_table_[static_cast<std::size_t>(i)] = static_cast<float>(std::exp(-kExpTableMax * i / kExpTableSize));
  for (const model::Vessel& v : clip.site->vessels) {
    Path path;
    double acc = 0.0;
    path.cumulative_um.push_back(0.0);
    path.tangent.emplace_back(1.0, 0.0);
    for (std::size_t i = 1; i < v.polyline.size(); ++i) {
      const double dx = v.polyline[i].x_um - v.polyline[i - 1].x_um, dy = v.polyline[i].y_um - v.polyline[i - 1].y_um;
      const double len = std::hypot(dx, dy);
      acc += len;
      path.cumulative_um.push_back(acc);
      path.tangent.emplace_back(len > 0 ? dx / len : 1.0, len > 0 ? dy / len : 0.0);
    }
    paths_.push_back(std::move(path));
  }
  if (clip.look.realistic) build_realistic_layers();
}

void Renderer::splat(double cx, double cy, double sigma, double amplitude) {
  const int w = clip_.device.width_px, h = clip_.device.height_px;
  const int r = static_cast<int>(std::ceil(2.5 * sigma));  // the tail beyond is < 4.4% of the peak
  const int x0 = std::max(0, static_cast<int>(std::floor(cx)) - r), x1 = std::min(w - 1, static_cast<int>(std::floor(cx)) + r);
  const int y0 = std::max(0, static_cast<int>(std::floor(cy)) - r), y1 = std::min(h - 1, static_cast<int>(std::floor(cy)) + r);
  if (x0 > x1 || y0 > y1) return;
  // Separable Gaussian weights from the exp(-a) table (0.2% steps; invisible under sensor noise).
  float gx[128], gy[128];
  const int nx = std::min(128, x1 - x0 + 1), ny = std::min(128, y1 - y0 + 1);
  const double table_per_unit = kExpTableSize / kExpTableMax / (2.0 * sigma * sigma);
  auto weight = [&](double d) {
    const int k = static_cast<int>(d * d * table_per_unit);
    return k < kExpTableSize ? exp_table_[static_cast<std::size_t>(k)] : 0.0f;
  };
  for (int i = 0; i < nx; ++i) gx[i] = weight(x0 + i - cx);
  for (int j = 0; j < ny; ++j) gy[j] = static_cast<float>(amplitude) * weight(y0 + j - cy);
  for (int j = 0; j < ny; ++j) {
    float* row = absorbance_.data() + static_cast<std::size_t>(y0 + j) * w + x0;
    const float a = gy[j];
    for (int i = 0; i < nx; ++i) row[i] += a * gx[i];
  }
}

void Renderer::render(const FrameScene& f, GreyImage& out) {
  const DevicePreset& d = clip_.device;
  const int w = d.width_px, h = d.height_px, m = margin_px_;
  const double um_per_px = d.um_per_px();
  std::fill(absorbance_.begin(), absorbance_.end(), 0.0f);
  if (clip_.look.realistic && !clean_) {
    draw_cells_realistic(f);
    compose_realistic(f, out);
    return;
  }
  const double contrast = 1.0 - 0.4 * f.saliva;
  const int blur_steps = f.motion_blur_s > 0.0 ? 4 : 1;
  for (const VesselScene& vs : f.vessels) {
    const model::Vessel& v = clip_.site->vessels[vs.vessel_index];
    const Path& path = paths_[vs.vessel_index];
    // Capillary cells deform to fill the lumen: a short dash along the vessel. Wider vessels
    // carry many cells side by side: small disks spread across the lumen.
    const bool wide = v.diameter_um >= 11.0;
    const double cell_sigma_um = wide ? 2.4 : std::max(1.6, 0.3 * v.diameter_um);
    const double sigma_px = std::sqrt(cell_sigma_um * cell_sigma_um + f.psf_sigma_um * f.psf_sigma_um) / um_per_px;
    const double amplitude = (wide ? 0.3 : 0.42) * contrast * vs.absorbance_scale / blur_steps;
    static constexpr double kDash[3] = {-2.6, 0.0, 2.6};  // um along the axis (a ~8 um long cell)
    const int parts = wide ? 1 : 3;
    const auto& lateral = clip_.cell_lateral_um[vs.vessel_index];
    for (std::size_t k = 0; k < vs.cell_arc_um.size(); ++k) {
      for (int b = 0; b < blur_steps; ++b) {
        for (int part = 0; part < parts; ++part) {
          double arc = vs.cell_arc_um[k] + (wide ? 0.0 : kDash[part]) -
                       vs.velocity_um_per_s * f.motion_blur_s * b / blur_steps;
          arc = std::fmod(arc, v.length_um);
          if (arc < 0.0) arc += v.length_um;
          const OnPath p = point_at(v.polyline, path.cumulative_um, path.tangent, arc);
          const double x_um = p.x - p.ty * lateral[k] + f.offset_x_um;
          const double y_um = p.y + p.tx * lateral[k] + f.offset_y_um;
          splat(x_um / um_per_px, y_um / um_per_px, sigma_px, amplitude);
        }
      }
    }
  }
  // Compose: background x flicker x transmission + saliva + noise.
  out.width = w;
  out.height = h;
  out.pixels.resize(static_cast<std::size_t>(w) * h);
  const int ox = std::clamp(static_cast<int>(std::lround(f.offset_x_um / um_per_px)), -m, m);
  const int oy = std::clamp(static_cast<int>(std::lround(f.offset_y_um / um_per_px)), -m, m);
  const int tw = w + 2 * m;
  // A contiguous window of the noise table per frame (start seeded by the frame index).
  const std::size_t pixels = static_cast<std::size_t>(w) * h;
  const float* noise = noise_table_.data() +
                       (static_cast<std::size_t>(f.index) * 7919u * 131u) % (noise_table_.size() - pixels);
  const float level = static_cast<float>(d.background_level * (clean_ ? 1.0 : f.brightness));
  const float noise_sd = clean_ ? 0.0f : static_cast<float>(d.noise_sd);
  const float scale = static_cast<float>(kExpTableSize / kExpTableMax);
  for (int y = 0; y < h; ++y) {
    const float* tex = texture_.data() + static_cast<std::size_t>(y - oy + m) * tw + (m - ox);
    for (int x = 0; x < w; ++x) {
      const std::size_t p = static_cast<std::size_t>(y) * w + x;
      const int ai = std::min(kExpTableSize - 1, static_cast<int>(absorbance_[p] * scale));
      const float background = clean_ ? level : level * vignette_[p] * tex[x];
      const float value = background * exp_table_[static_cast<std::size_t>(ai)] + saliva_[p] + noise_sd * noise[p];
      out.pixels[p] = static_cast<std::uint8_t>(std::clamp(value + 0.5f, 0.0f, 255.0f));
    }
  }
}

namespace {

// Smooth random field on a w x h canvas: standard normals on a grid of `cell` px, interpolated
// bicubically (Catmull-Rom), so the field varies on the scale of the grid.
void add_value_noise(std::vector<float>& out, int w, int h, double cell, double amplitude, model::Rng& rng) {
  const int gw = static_cast<int>(std::ceil(w / cell)) + 4, gh = static_cast<int>(std::ceil(h / cell)) + 4;
  std::vector<float> grid(static_cast<std::size_t>(gw) * gh);
  for (float& g : grid) g = static_cast<float>(rng.normal());
  auto cr = [](float p0, float p1, float p2, float p3, float t) {
    return p1 + 0.5f * t * (p2 - p0 + t * (2 * p0 - 5 * p1 + 4 * p2 - p3 + t * (3 * (p1 - p2) + p3 - p0)));
  };
  const auto G = [&](int gx, int gy) { return grid[static_cast<std::size_t>(gy) * gw + gx]; };
  // Each grid row interpolated along x once (the same arithmetic as per pixel, so the same floats).
  std::vector<float> rows(static_cast<std::size_t>(gh) * w);
  for (int gy = 0; gy < gh; ++gy) {
    for (int x = 0; x < w; ++x) {
      const double fx = x / cell + 1.0;
      const int ix = static_cast<int>(fx);
      const float tx = static_cast<float>(fx - ix);
      rows[static_cast<std::size_t>(gy) * w + x] = cr(G(ix - 1, gy), G(ix, gy), G(ix + 1, gy), G(ix + 2, gy), tx);
    }
  }
  for (int y = 0; y < h; ++y) {
    const double fy = y / cell + 1.0;
    const int iy = static_cast<int>(fy);
    const float ty = static_cast<float>(fy - iy);
    const float* r0 = rows.data() + static_cast<std::size_t>(iy - 1) * w;
    const float* r1 = r0 + w;
    const float* r2 = r1 + w;
    const float* r3 = r2 + w;
    float* o = out.data() + static_cast<std::size_t>(y) * w;
    for (int x = 0; x < w; ++x) o[x] += static_cast<float>(amplitude) * cr(r0[x], r1[x], r2[x], r3[x], ty);
  }
}

// Adds a Gaussian splat to a canvas (used for the static layers).
void splat_canvas(std::vector<float>& c, int w, int h, double cx, double cy, double sigma, double amplitude) {
  const int r = static_cast<int>(std::ceil(3.0 * sigma));
  const int x0 = std::max(0, static_cast<int>(cx) - r), x1 = std::min(w - 1, static_cast<int>(cx) + r);
  const int y0 = std::max(0, static_cast<int>(cy) - r), y1 = std::min(h - 1, static_cast<int>(cy) + r);
  for (int y = y0; y <= y1; ++y) {
    for (int x = x0; x <= x1; ++x) {
      const double q = ((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (2.0 * sigma * sigma);
      if (q < 4.5) c[static_cast<std::size_t>(y) * w + x] += static_cast<float>(amplitude * std::exp(-q));
    }
  }
}

}  // namespace

void Renderer::build_realistic_layers() {
  const DevicePreset& d = clip_.device;
  const Look& look = clip_.look;
  const int w = d.width_px, h = d.height_px, m = margin_px_;
  const int tw = w + 2 * m, th = h + 2 * m;
  const double um = d.um_per_px();
  model::Rng rng = model::Rng::stream(clip_.seed, 0, kPurposeLook);
  // Multi-scale tissue texture: octaves from 640 um down to 10 um, amplitude falling as the
  // square root of the wavelength (a power spectrum ~ f^-3, as measured on the real frame),
  // on a log scale so it multiplies; oedema (fluid between the layers) smooths it.
  std::vector<float> log_tissue(static_cast<std::size_t>(tw) * th, 0.0f);
  const double tex = look.texture * (1.0 - 0.35 * look.oedema);
  for (double wl_um = 640.0; wl_um >= 40.0; wl_um *= 0.5) {
    add_value_noise(log_tissue, tw, th, 0.5 * wl_um / um, 0.17 * tex * std::pow(wl_um / 640.0, 0.9), rng);
  }
  // Fine mottling (epithelial cells, papillae: 5-20 um) is stronger than the power law above.
  for (double wl_um = 20.0; wl_um >= 5.0; wl_um *= 0.5) {
    add_value_noise(log_tissue, tw, th, 0.5 * wl_um / um, 0.045 * tex, rng);
  }
  // Out-of-focus vessels below the focal plane: wide, blurred, winding dark bands.
  const double area_mm2 = d.field_width_um * d.field_height_um * 1e-6;
  const int n_deep = static_cast<int>(std::lround(look.deep_vessels * 6.0 * area_mm2 / 0.66));
  for (int k = 0; k < n_deep; ++k) {
    double x = rng.uniform(0, tw), y = rng.uniform(0, th), heading = rng.uniform(0, 2 * std::numbers::pi);
    const double diameter_um = rng.uniform(50.0, 120.0), blur_um = rng.uniform(25.0, 50.0);
    const double peak = rng.uniform(0.2, 0.45);
    const double sigma = std::hypot(diameter_um / 2.5, blur_um) / um;
    const double length_um = rng.uniform(300.0, 900.0);
    const double step = 0.5 * sigma;
    const double amp = peak * step / (std::sqrt(2.0 * std::numbers::pi) * sigma);
    for (double s = 0.0; s < length_um / um; s += step) {
      splat_canvas(log_tissue, tw, th, x, y, sigma, -amp);
      heading += 0.15 * rng.normal();
      x += step * std::cos(heading);
      y += step * std::sin(heading);
    }
  }
  // Debris: small dark specks (3-10 um) and a few fibres, ~25 per mm^2, sharp (on the surface).
  const int n_debris = static_cast<int>(std::lround(look.debris * 25.0 * area_mm2 * tw * th / (double(w) * h)));
  for (int k = 0; k < n_debris; ++k) {
    const double x = rng.uniform(0, tw), y = rng.uniform(0, th);
    const double radius = rng.uniform(1.5, 5.0) / um, dark = rng.uniform(0.4, 1.4);
    const bool fibre = rng.uniform() < 0.06;
    if (!fibre) {
      splat_canvas(log_tissue, tw, th, x, y, std::max(0.7, radius), -dark);
      continue;
    }
    const double heading = rng.uniform(0, 2 * std::numbers::pi), len = rng.uniform(15.0, 40.0) / um;
    for (double s = -0.5 * len; s <= 0.5 * len; s += 0.5) {
      splat_canvas(log_tissue, tw, th, x + s * std::cos(heading), y + s * std::sin(heading), 1.0, -0.35 * dark);
    }
  }
  tissue_.resize(log_tissue.size());
  for (std::size_t i = 0; i < log_tissue.size(); ++i) tissue_[i] = std::exp(log_tissue[i]);
  // Specular reflections: one or two bright glints on wet mucosa.
  specular_.assign(log_tissue.size(), 0.0f);
  const int n_spec = look.specular > 0.0 ? 1 + (rng.uniform() < 0.5 ? 1 : 0) : 0;
  for (int k = 0; k < n_spec; ++k) {
    splat_canvas(specular_, tw, th, rng.uniform(0, tw), rng.uniform(0, th), rng.uniform(2.0, 6.0) / um,
                 look.specular * rng.uniform(50.0, 90.0));
  }
  // Uneven illumination (fixed to the optics): a broad smooth field and a stronger fall-off.
  illumination_.assign(static_cast<std::size_t>(w) * h, 0.0f);
  add_value_noise(illumination_, w, h, 0.6 * w, 0.13 * look.illumination, rng);
  add_value_noise(illumination_, w, h, 0.25 * w, 0.06 * look.illumination, rng);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const double rx = (x - 0.5 * w) / (0.5 * w), ry = (y - 0.5 * h) / (0.5 * h);
      float& v = illumination_[static_cast<std::size_t>(y) * w + x];
      v = static_cast<float>(std::exp(v) * (1.0 - (0.125 + 0.1 * look.illumination) * (rx * rx + ry * ry)));
    }
  }
  // Saturating absorption: A_eff = A_sat (1 - exp(-A / A_sat)); scattered light fills in what
  // a thick column of cells would block (wide vessels never go black).
  transmission_.resize(kExpTableSize);
  const double a_sat = look.saturation > 0.0 ? 0.6 / look.saturation : 1e9;
  for (int i = 0; i < kExpTableSize; ++i) {
    const double a = kExpTableMax * i / kExpTableSize;
    transmission_[static_cast<std::size_t>(i)] = static_cast<float>(std::exp(-a_sat * (1.0 - std::exp(-a / a_sat))));
  }
}

void Renderer::draw_cells_realistic(const FrameScene& f) {
  const DevicePreset& d = clip_.device;
  const Look& look = clip_.look;
  const double um_per_px = d.um_per_px();
  const double contrast = 1.0 - 0.4 * f.saliva;
  const double smear_s = f.motion_blur_s + look.exposure * d.exposure_s;
  for (const VesselScene& vs : f.vessels) {
    const model::Vessel& v = clip_.site->vessels[vs.vessel_index];
    const Path& path = paths_[vs.vessel_index];
    const bool wide = v.diameter_um >= 11.0;
    const double depth = clip_.depth_um[vs.vessel_index];
    // Defocus grows with depth below the focal plane (~0.13 um of blur sigma per um); light
    // scattered on the way back from deeper vessels lowers their contrast.
    const double defocus_um = 0.12 * look.depth_blur * depth;
    const double cell_sigma_um = wide ? 2.4 : std::max(1.6, 0.3 * v.diameter_um);
    const double sigma_um = std::sqrt(cell_sigma_um * cell_sigma_um + f.psf_sigma_um * f.psf_sigma_um + defocus_um * defocus_um);
    const double sigma_px = sigma_um / um_per_px;
    const double scatter = std::exp(-look.depth_blur * depth / 120.0);
    // Cells stretched along a narrow lumen (columns): up to ~13 um long dashes, smeared backwards
    // along the flow over the exposure. Both lie along the axis: the cell is drawn as splats
    // evenly spaced over the whole dash + smear, at most 0.8 sigma apart (closer than the blur
    // resolves), with the cell's total absorbance.
    const double half_dash = wide ? 0.0 : 2.6 + 2.4 * look.columns;
    const double smear = vs.velocity_um_per_s * smear_s;  // signed: the trail lies upstream
    const double lo = -half_dash + std::min(0.0, -smear), hi = half_dash + std::max(0.0, -smear);
    const int samples = hi - lo < 0.5 * sigma_um ? 1 : static_cast<int>(std::ceil((hi - lo) / (0.8 * sigma_um))) + 1;
    const double spacing = samples > 1 ? (hi - lo) / (samples - 1) : 0.0;
    const double first = samples > 1 ? lo : 0.5 * (lo + hi);
    // A venule's cells overlap by the dozen (a saturated column): every `thin`-th cell is drawn
    // with `thin` times the absorbance, keeping >= 6 splats over each point (the same mean
    // absorbance, a little more grain; 3-4x fewer splats in a 40-70 um venule).
    const double overlap = v.diameter_um >= 20.0 && v.length_um > 0.0
                               ? static_cast<double>(vs.cell_arc_um.size()) / (v.length_um * v.diameter_um) * 2.0 *
                                     std::numbers::pi * sigma_um * sigma_um
                               : 0.0;
    const std::size_t thin = std::max<std::size_t>(1, static_cast<std::size_t>(overlap / 6.0));
    const double amplitude =
        (wide ? 0.16 : 0.24) * contrast * vs.absorbance_scale * scatter / samples * static_cast<double>(thin);
    const auto& lateral = clip_.cell_lateral_um[vs.vessel_index];
    for (std::size_t k = 0; k < vs.cell_arc_um.size(); k += thin) {
      for (int j = 0; j < samples; ++j) {
        double arc = vs.cell_arc_um[k] + first + spacing * j;
        arc = std::fmod(arc, v.length_um);
        if (arc < 0.0) arc += v.length_um;
        const OnPath p = point_at(v.polyline, path.cumulative_um, path.tangent, arc);
        const double x_um = p.x - p.ty * lateral[k] + f.offset_x_um;
        const double y_um = p.y + p.tx * lateral[k] + f.offset_y_um;
        splat(x_um / um_per_px, y_um / um_per_px, sigma_px, amplitude);
      }
    }
  }
}

void Renderer::compose_realistic(const FrameScene& f, GreyImage& out) {
  const DevicePreset& d = clip_.device;
  const Look& look = clip_.look;
  const int w = d.width_px, h = d.height_px, m = margin_px_;
  const double um_per_px = d.um_per_px();
  out.width = w;
  out.height = h;
  out.pixels.resize(static_cast<std::size_t>(w) * h);
  const int ox = std::clamp(static_cast<int>(std::lround(f.offset_x_um / um_per_px)), -m, m);
  const int oy = std::clamp(static_cast<int>(std::lround(f.offset_y_um / um_per_px)), -m, m);
  const int tw = w + 2 * m;
  const std::size_t pixels = static_cast<std::size_t>(w) * h;
  const std::size_t span = noise_table_.size() - pixels;
  const float* shot = noise_table_.data() + (static_cast<std::size_t>(f.index) * 7919u * 131u) % span;
  const float* read = noise_table_.data() + (static_cast<std::size_t>(f.index) * 104729u + 50021u) % span;
  // Oedematous mucosa scatters more: paler tissue.
  const float level = static_cast<float>(d.background_level * f.brightness * (1.0 + 0.10 * look.oedema));
  // Shot noise: variance = I / gain (gain in grey levels per photo-electron); read noise in grey
  // levels. Without the noise dial: the clean look's Gaussian sensor noise.
  const float gain = 9.0f, read_sd = static_cast<float>(look.noise > 0.0 ? 1.5 : d.noise_sd);
  const float shot_scale = static_cast<float>(look.noise) / std::sqrt(gain);
  const float scale = static_cast<float>(kExpTableSize / kExpTableMax);
  for (int y = 0; y < h; ++y) {
    const std::size_t row = static_cast<std::size_t>(y - oy + m) * tw + (m - ox);
    const float* tissue = tissue_.data() + row;
    const float* spec = specular_.data() + row;
    for (int x = 0; x < w; ++x) {
      const std::size_t p = static_cast<std::size_t>(y) * w + x;
      const int ai = std::min(kExpTableSize - 1, static_cast<int>(absorbance_[p] * scale));
      const float signal = level * illumination_[p] * tissue[x] * transmission_[static_cast<std::size_t>(ai)] + spec[x] + saliva_[p];
      const float value = signal + shot_scale * std::sqrt(std::max(0.0f, signal)) * shot[p] + read_sd * read[p];
      out.pixels[p] = static_cast<std::uint8_t>(std::clamp(value + 0.5f, 0.0f, 255.0f));
    }
  }
}

namespace {

// Flushes and closes `file` (written to `tmp`), both checked, and renames `tmp` to `path`; on any
// failure (`ok` false on entry, with `saved` its errno) removes `tmp` and throws: a full disk never
// leaves a short frame under its name.
void close_and_rename(std::FILE* file, const std::string& tmp, const std::filesystem::path& path, bool ok, int saved) {
  if (ok && (std::fflush(file) != 0 || std::ferror(file) != 0)) {
    ok = false;
    saved = errno;
  }
  if (std::fclose(file) != 0 && ok) {
    ok = false;
    saved = errno;
  }
  if (!ok) {
    std::remove(tmp.c_str());
    throw std::runtime_error(tmp + ": cannot write: " + std::strerror(saved != 0 ? saved : EIO));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw std::runtime_error(path.string() + ": cannot rename into place: " + ec.message());
}

// Writes rows of `bytes_per_pixel` (1 or 2) greyscale samples; 16-bit samples are native-endian
// uint16 (libpng swaps them to PNG's big-endian order).
void write_png_rows(const std::filesystem::path& path, int width, int height, int bit_depth, const std::uint8_t* data) {
  const std::string tmp = path.string() + ".partial";
  std::FILE* file = std::fopen(tmp.c_str(), "wb");
  if (!file) throw std::runtime_error(tmp + ": cannot open for writing: " + std::strerror(errno));
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  // libpng reports errors only by longjmp; nothing with a destructor is created between here and
  // the last libpng call.
  if (!png || !info || setjmp(png_jmpbuf(png))) {  // NOLINT(cert-err52-cpp)
    png_destroy_write_struct(&png, &info);
    const int saved = errno;
    std::fclose(file);
    std::remove(tmp.c_str());
    // libpng's writer fails on a short fwrite (a full disk): errno holds the OS reason.
    throw std::runtime_error(tmp + ": cannot write: " + (saved != 0 ? std::strerror(saved) : "PNG encoding failed"));
  }
  errno = 0;
  png_init_io(png, file);
  png_set_compression_level(png, 1);
  png_set_compression_strategy(png, Z_HUFFMAN_ONLY);  // sensor noise defeats LZ matching anyway
  png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_SUB);
  png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), bit_depth,
               PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_BASE, PNG_FILTER_TYPE_BASE);
  png_write_info(png, info);
  if (bit_depth == 16) png_set_swap(png);
  const std::size_t row_bytes = static_cast<std::size_t>(width) * (bit_depth == 16 ? 2 : 1);
  for (int y = 0; y < height; ++y) png_write_row(png, data + static_cast<std::size_t>(y) * row_bytes);
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  close_and_rename(file, tmp, path, true, 0);
}

// Canonical Huffman code lengths for freq[0..n), at most max_bits long (RFC 1951): a Huffman
// tree built with a deterministic tie-break; if it is too deep the frequencies are halved
// (rounding up, so no used symbol vanishes) and the tree built again.
void huffman_lengths(std::vector<std::uint64_t> freq, int max_bits, std::vector<std::uint8_t>& len) {
  const int n = static_cast<int>(freq.size());
  len.assign(freq.size(), 0);
  for (;;) {
    struct Node {
      std::uint64_t weight;
      int id, left, right;
    };
    std::vector<Node> nodes;
    using Entry = std::pair<std::uint64_t, int>;  // (weight, node): smallest first, ties by node
    std::priority_queue<Entry, std::vector<Entry>, std::greater<>> queue;
    for (int i = 0; i < n; ++i) {
      if (freq[static_cast<std::size_t>(i)] == 0) continue;
      nodes.push_back({freq[static_cast<std::size_t>(i)], i, -1, -1});
      queue.emplace(nodes.back().weight, static_cast<int>(nodes.size()) - 1);
    }
    if (nodes.empty()) return;
    if (nodes.size() == 1) {
      len[static_cast<std::size_t>(nodes[0].id)] = 1;
      return;
    }
    while (queue.size() > 1) {
      const auto [wa, a] = queue.top();
      queue.pop();
      const auto [wb, b] = queue.top();
      queue.pop();
      nodes.push_back({wa + wb, -1, a, b});
      queue.emplace(wa + wb, static_cast<int>(nodes.size()) - 1);
    }
    int deepest = 0;
    std::vector<std::pair<int, int>> stack{{queue.top().second, 0}};
    while (!stack.empty()) {
      const auto [node, depth] = stack.back();
      stack.pop_back();
      const Node& nd = nodes[static_cast<std::size_t>(node)];
      if (nd.left < 0) {
        len[static_cast<std::size_t>(nd.id)] = static_cast<std::uint8_t>(depth);
        deepest = std::max(deepest, depth);
      } else {
        stack.emplace_back(nd.left, depth + 1);
        stack.emplace_back(nd.right, depth + 1);
      }
    }
    if (deepest <= max_bits) return;
    for (auto& f : freq) f = f > 0 ? (f + 1) / 2 : 0;
  }
}

// Canonical codes for the lengths, bit-reversed for deflate's LSB-first bit order.
std::vector<std::uint32_t> canonical_codes(const std::vector<std::uint8_t>& len) {
  std::array<std::uint32_t, 16> count{}, next{};
  for (std::uint8_t l : len) {
    if (l > 0) ++count[l];
  }
  std::uint32_t code = 0;
  for (int bits = 1; bits < 16; ++bits) {
    code = (code + count[static_cast<std::size_t>(bits - 1)]) << 1;
    next[static_cast<std::size_t>(bits)] = code;
  }
  std::vector<std::uint32_t> out(len.size(), 0);
  for (std::size_t i = 0; i < len.size(); ++i) {
    if (len[i] == 0) continue;
    const std::uint32_t c = next[len[i]]++;
    std::uint32_t r = 0;
    for (int b = 0; b < len[i]; ++b) r |= ((c >> b) & 1u) << (len[i] - 1 - b);
    out[i] = r;
  }
  return out;
}

class BitWriter {
 public:
  explicit BitWriter(std::vector<std::uint8_t>& out) : out_(out) {}
  void put(std::uint32_t bits, int count) {
    acc_ |= static_cast<std::uint64_t>(bits) << used_;
    used_ += count;
    if (used_ >= 32) {
      for (int k = 0; k < 4; ++k) out_.push_back(static_cast<std::uint8_t>(acc_ >> (8 * k)));
      acc_ >>= 32;
      used_ -= 32;
    }
  }
  void finish() {
    while (used_ > 0) {
      out_.push_back(static_cast<std::uint8_t>(acc_));
      acc_ >>= 8;
      used_ = std::max(0, used_ - 8);
    }
  }

 private:
  std::vector<std::uint8_t>& out_;
  std::uint64_t acc_ = 0;
  int used_ = 0;
};

void put_be32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int k = 3; k >= 0; --k) out.push_back(static_cast<std::uint8_t>(v >> (8 * k)));
}

void put_chunk(std::vector<std::uint8_t>& png, const char* type, const std::uint8_t* data, std::size_t size) {
  put_be32(png, static_cast<std::uint32_t>(size));
  const std::size_t start = png.size();
  png.insert(png.end(), type, type + 4);
  png.insert(png.end(), data, data + size);
  put_be32(png, static_cast<std::uint32_t>(crc32(0L, png.data() + start, static_cast<uInt>(size + 4))));
}

// An 8-bit greyscale PNG in memory: every row SUB-filtered, the whole image one deflate block of
// literals with its own Huffman code (what zlib's Z_HUFFMAN_ONLY does, without its per-symbol
// bookkeeping: about 8x faster; sensor noise leaves LZ matching nothing to find).
std::vector<std::uint8_t> encode_png8(int width, int height, const std::uint8_t* pixels) {
  const auto w = static_cast<std::size_t>(width), h = static_cast<std::size_t>(height);
  std::vector<std::uint8_t> filtered((w + 1) * h);
  std::vector<std::uint64_t> freq(257, 0);
  for (std::size_t y = 0; y < h; ++y) {
    const std::uint8_t* row = pixels + y * w;
    std::uint8_t* f = filtered.data() + y * (w + 1);
    f[0] = 1;  // SUB
    std::uint8_t previous = 0;
    for (std::size_t x = 0; x < w; ++x) {
      f[x + 1] = static_cast<std::uint8_t>(row[x] - previous);
      previous = row[x];
    }
  }
  for (std::uint8_t b : filtered) ++freq[b];
  freq[256] = 1;  // end of block
  std::vector<std::uint8_t> lit_len;
  huffman_lengths(freq, 15, lit_len);
  const std::vector<std::uint32_t> lit_code = canonical_codes(lit_len);
  // The code lengths (257 literal/length codes, one unused distance code of length 0) are sent
  // with a code-length code of their own (symbols 0-15 only; no run-length symbols).
  std::vector<std::uint8_t> lengths(lit_len);
  lengths.push_back(0);
  std::vector<std::uint64_t> cl_freq(19, 0);
  for (std::uint8_t l : lengths) ++cl_freq[l];
  std::vector<std::uint8_t> cl_len;
  huffman_lengths(cl_freq, 7, cl_len);
  if (std::count_if(cl_len.begin(), cl_len.end(), [](std::uint8_t l) { return l > 0; }) == 1) {
    // A code-length code must be complete: give a second (unused) symbol the other 1-bit code.
    cl_len[cl_len[0] > 0 ? 1 : 0] = 1;
  }
  const std::vector<std::uint32_t> cl_code = canonical_codes(cl_len);
  static constexpr std::array<int, 19> kOrder = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
  int hclen = 19;
  while (hclen > 4 && cl_len[static_cast<std::size_t>(kOrder[static_cast<std::size_t>(hclen - 1)])] == 0) --hclen;

  std::vector<std::uint8_t> z;
  z.reserve(filtered.size() + filtered.size() / 8 + 1024);
  z.push_back(0x78);  // deflate, 32 KiB window
  z.push_back(0x01);  // no dictionary, fastest; (0x78 * 256 + 0x01) % 31 == 0
  BitWriter bits(z);
  bits.put(1, 1);  // the final block
  bits.put(2, 2);  // dynamic Huffman codes
  bits.put(0, 5);  // HLIT: 257 literal/length codes
  bits.put(0, 5);  // HDIST: 1 distance code
  bits.put(static_cast<std::uint32_t>(hclen - 4), 4);
  for (int i = 0; i < hclen; ++i) bits.put(cl_len[static_cast<std::size_t>(kOrder[static_cast<std::size_t>(i)])], 3);
  for (std::uint8_t l : lengths) bits.put(cl_code[l], cl_len[l]);
  for (std::uint8_t b : filtered) bits.put(lit_code[b], lit_len[b]);
  bits.put(lit_code[256], lit_len[256]);
  bits.finish();
  put_be32(z, static_cast<std::uint32_t>(adler32(1L, filtered.data(), static_cast<uInt>(filtered.size()))));

  std::vector<std::uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  std::vector<std::uint8_t> ihdr;
  put_be32(ihdr, static_cast<std::uint32_t>(width));
  put_be32(ihdr, static_cast<std::uint32_t>(height));
  ihdr.insert(ihdr.end(), {8, 0, 0, 0, 0});  // 8 bits, greyscale, deflate, adaptive filters, no interlace
  put_chunk(png, "IHDR", ihdr.data(), ihdr.size());
  put_chunk(png, "IDAT", z.data(), z.size());
  put_chunk(png, "IEND", nullptr, 0);
  return png;
}

// Writes `bytes` to NAME.partial, checked, and renames it into place.
void write_file_checked(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes) {
  const std::string tmp = path.string() + ".partial";
  std::FILE* file = std::fopen(tmp.c_str(), "wb");
  if (!file) throw std::runtime_error(tmp + ": cannot open for writing: " + std::strerror(errno));
  errno = 0;
  const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), file) == bytes.size();
  close_and_rename(file, tmp, path, ok, ok ? 0 : errno);
}

}  // namespace

void write_png(const std::filesystem::path& path, const GreyImage& image) {
  if (image.width <= 0 || image.height <= 0 ||
      image.pixels.size() != static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height)) {
    throw std::runtime_error(path.string() + ": cannot write an empty or inconsistent image");
  }
  write_file_checked(path, encode_png8(image.width, image.height, image.pixels.data()));
}

void write_png16(const std::filesystem::path& path, int width, int height, const std::vector<std::uint16_t>& pixels) {
  write_png_rows(path, width, height, 16, reinterpret_cast<const std::uint8_t*>(pixels.data()));
}

Masks rasterize_masks(const ClipSetup& clip, const FrameScene& frame, const std::vector<VisiblePiece>& pieces) {
  const DevicePreset& d = clip.device;
  const int w = d.width_px, h = d.height_px;
  const double um = d.um_per_px();
  Masks m;
  m.vessel_id.assign(static_cast<std::size_t>(w) * h, 0);
  m.flow_class = GreyImage{w, h, std::vector<std::uint8_t>(static_cast<std::size_t>(w) * h, 0)};
  // Large vessels first; the visible parts of small vessels never lie inside them.
  for (int pass = 0; pass < 2; ++pass) {
    for (const VisiblePiece& piece : pieces) {
      const std::size_t i = piece.vessel_index;
      const model::Vessel& v = clip.site->vessels[i];
      const bool wide = v.diameter_um >= 20.0;
      if ((pass == 0) != wide) continue;
      const model::VesselState& s = clip.states[i];
      const std::uint8_t cls = wide ? 5 : static_cast<std::uint8_t>(static_cast<int>(s.flow_class) + 1);
      const double r = 0.5 * v.diameter_um;
      const auto& poly = piece.polyline;
      for (std::size_t k = 1; k < poly.size(); ++k) {
        const double ax = (poly[k - 1].x_um + frame.offset_x_um) / um, ay = (poly[k - 1].y_um + frame.offset_y_um) / um;
        const double bx = (poly[k].x_um + frame.offset_x_um) / um, by = (poly[k].y_um + frame.offset_y_um) / um;
        const double rp = r / um;
        const int x0 = std::max(0, static_cast<int>(std::floor(std::min(ax, bx) - rp)));
        const int x1 = std::min(w - 1, static_cast<int>(std::ceil(std::max(ax, bx) + rp)));
        const int y0 = std::max(0, static_cast<int>(std::floor(std::min(ay, by) - rp)));
        const int y1 = std::min(h - 1, static_cast<int>(std::ceil(std::max(ay, by) + rp)));
        const double dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
        for (int y = y0; y <= y1; ++y) {
          for (int x = x0; x <= x1; ++x) {
            const double t = len2 > 0 ? std::clamp(((x - ax) * dx + (y - ay) * dy) / len2, 0.0, 1.0) : 0.0;
            const double ex = ax + t * dx - x, ey = ay + t * dy - y;
            if (ex * ex + ey * ey > rp * rp) continue;
            const std::size_t p = static_cast<std::size_t>(y) * w + x;
            m.vessel_id[p] = static_cast<std::uint16_t>(i + 1);
            m.flow_class.pixels[p] = cls;
          }
        }
      }
    }
  }
  return m;
}

}  // namespace coherence::viz
