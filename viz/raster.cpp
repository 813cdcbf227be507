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
#include <stdexcept>

#include "model/random.hpp"

namespace coherence::viz {

namespace {

constexpr std::uint64_t kPurposeTexture = 21;
constexpr std::uint64_t kPurposeNoise = 22;
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
