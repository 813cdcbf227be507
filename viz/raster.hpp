// Pixels for a FrameScene: a bright, textured, vignetted tissue background; red cells as dark
// absorbers (green light is absorbed by haemoglobin) drawn as Gaussian splats whose width already
// includes the optical point-spread function (a Gaussian cell convolved with a Gaussian PSF stays
// Gaussian); intensity = background x flicker x exp(-absorbance) + saliva + sensor noise; 8-bit.
// The realistic look (Look) adds depth-dependent defocus, columns, exposure smear, saturating
// absorption, multi-scale texture, uneven illumination, deep vessels, debris, reflections and
// Poisson + read noise (docs/rendering.md).
#pragma once

#include <cstdint>
#include <filesystem>
#include <utility>
#include <vector>

#include "viz/scene.hpp"

namespace coherence::viz {

struct GreyImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;  // row-major
};

class Renderer {
 public:
  explicit Renderer(const ClipSetup& clip);
  // Draws one frame; deterministic in the clip's seed and the frame index.
  void render(const FrameScene& frame, GreyImage& out);
  // Without noise, flicker and texture (for tests of geometry).
  void set_clean(bool clean) { clean_ = clean; }

 private:
  struct Path {
    std::vector<double> cumulative_um;  // arc length at each polyline point
    std::vector<std::pair<double, double>> tangent;  // unit tangent of the segment ending there
  };
  void splat(double cx_px, double cy_px, double sigma_px, double amplitude);
  void build_realistic_layers();
  void draw_cells_realistic(const FrameScene& frame);
  void compose_realistic(const FrameScene& frame, GreyImage& out);

  const ClipSetup& clip_;
  int margin_px_ = 64;
  std::vector<float> texture_;      // (w + 2m) x (h + 2m), moves with the tissue
  std::vector<float> vignette_;     // w x h, fixed optics
  std::vector<float> saliva_;       // w x h
  std::vector<float> absorbance_;   // w x h, per frame
  std::vector<float> noise_table_;  // standard normals
  std::vector<float> exp_table_;    // exp(-a) for a in [0, 8)
  std::vector<Path> paths_;
  bool clean_ = false;
  // Realistic look (ClipSetup::look.realistic): tissue layers on the drift canvas, fixed optics.
  std::vector<float> tissue_;        // (w + 2m) x (h + 2m): texture x deep vessels x debris
  std::vector<float> specular_;      // (w + 2m) x (h + 2m): additive reflections, grey levels
  std::vector<float> illumination_;  // w x h
  std::vector<float> transmission_;  // exp(-saturated absorbance) over the absorbance table
};

// 8-bit greyscale PNG (the project's own encoder: SUB-filtered rows, one deflate block of
// Huffman-coded literals; no time chunk: identical bytes for identical pixels). Written to
// NAME.partial and renamed. Throws std::runtime_error.
void write_png(const std::filesystem::path& path, const GreyImage& image);

// 16-bit greyscale PNG (libpng; for label masks with more than 255 labels).
void write_png16(const std::filesystem::path& path, int width, int height, const std::vector<std::uint16_t>& pixels);

// Label masks of a site in the image of one frame (scene offset applied): vessel id + 1 and
// flow class + 1 (1 none ... 4 continuous; 5 for vessels >= 20 um); 0 = background. A pixel
// belongs to a vessel if it lies within its radius of the centreline of one of the vessel's
// visible pieces (visible_pieces: what the clip shows, the ground truth's vessels).
struct Masks {
  std::vector<std::uint16_t> vessel_id;
  GreyImage flow_class;
};
Masks rasterize_masks(const ClipSetup& clip, const FrameScene& frame, const std::vector<VisiblePiece>& pieces);

}  // namespace coherence::viz
