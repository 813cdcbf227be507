#include "viz/raster.hpp"

#include <png.h>
#include <zlib.h>

#include <algorithm>
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

OnPath point_at(const std::vector<model::PointUm>& p, const std::vector<double>& cum, double s) {
  const auto it = std::upper_bound(cum.begin(), cum.end(), s);
  std::size_t i = static_cast<std::size_t>(std::clamp<std::ptrdiff_t>(it - cum.begin(), 1,
                                                                      static_cast<std::ptrdiff_t>(cum.size()) - 1));
  const double seg = cum[i] - cum[i - 1];
  const double u = seg > 0.0 ? (s - cum[i - 1]) / seg : 0.0;
  const double dx = p[i].x_um - p[i - 1].x_um, dy = p[i].y_um - p[i - 1].y_um;
  const double len = std::hypot(dx, dy);
  return {p[i - 1].x_um + u * dx, p[i - 1].y_um + u * dy, len > 0 ? dx / len : 1.0, len > 0 ? dy / len : 0.0};
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
    for (std::size_t i = 1; i < v.polyline.size(); ++i) {
      acc += std::hypot(v.polyline[i].x_um - v.polyline[i - 1].x_um, v.polyline[i].y_um - v.polyline[i - 1].y_um);
      path.cumulative_um.push_back(acc);
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
          const OnPath p = point_at(v.polyline, path.cumulative_um, arc);
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
  std::vector<float> col(4);
  for (int y = 0; y < h; ++y) {
    const double fy = y / cell + 1.0;
    const int iy = static_cast<int>(fy);
    const float ty = static_cast<float>(fy - iy);
    for (int x = 0; x < w; ++x) {
      const double fx = x / cell + 1.0;
      const int ix = static_cast<int>(fx);
      const float tx = static_cast<float>(fx - ix);
      for (int k = 0; k < 4; ++k) col[k] = cr(G(ix - 1, iy - 1 + k), G(ix, iy - 1 + k), G(ix + 1, iy - 1 + k), G(ix + 2, iy - 1 + k), tx);
      out[static_cast<std::size_t>(y) * w + x] += static_cast<float>(amplitude) * cr(col[0], col[1], col[2], col[3], ty);
    }
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
    // Cells stretched along a narrow lumen (columns): up to ~13 um long dashes.
    const double half_dash = 2.6 + 2.4 * look.columns;
    const int parts = wide ? 1 : 4;
    const double smear_um = std::abs(vs.velocity_um_per_s) * smear_s;
    const int steps = std::clamp(static_cast<int>(std::ceil(smear_um / 2.0)), 1, 6);
    const double amplitude = (wide ? 0.16 : 0.08 * 3.0 / parts) * contrast * vs.absorbance_scale * scatter / steps;
    const auto& lateral = clip_.cell_lateral_um[vs.vessel_index];
    for (std::size_t k = 0; k < vs.cell_arc_um.size(); ++k) {
      for (int b = 0; b < steps; ++b) {
        for (int part = 0; part < parts; ++part) {
          const double along = wide ? 0.0 : half_dash * (2.0 * part / (parts - 1) - 1.0);
          double arc = vs.cell_arc_um[k] + along - (steps > 1 ? vs.velocity_um_per_s * smear_s * b / (steps - 1) : 0.0);
          arc = std::fmod(arc, v.length_um);
          if (arc < 0.0) arc += v.length_um;
          const OnPath p = point_at(v.polyline, path.cumulative_um, arc);
          const double x_um = p.x - p.ty * lateral[k] + f.offset_x_um;
          const double y_um = p.y + p.tx * lateral[k] + f.offset_y_um;
          splat(x_um / um_per_px, y_um / um_per_px, sigma_px, amplitude);
        }
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
  // Flushed and closed, both checked: a full disk never leaves a short frame under its name.
  bool ok = std::fflush(file) == 0 && std::ferror(file) == 0;
  int saved = ok ? 0 : errno;
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

}  // namespace

void write_png(const std::filesystem::path& path, const GreyImage& image) {
  write_png_rows(path, image.width, image.height, 8, image.pixels.data());
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
