// Image statistics that say how much a sublingual frame looks like a real one (issue 22), computed
// the same way on rendered frames and on a real frame, both first resampled to one pixel size
// (kRealismUmPerPx, the real reference frame's) by area averaging:
//   grey SD and spread        SD of the grey levels; (p95 - p5) / p50; the median p50
//   illumination CV           background = grey closing with a 45 um disk (removes the dark
//                             vessels), then SD / mean of that background
//   dark share                fraction of pixels darker than 50% of their background
//   spectrum slopes           radially averaged power spectrum (mean removed, Hann window), the
//                             least-squares slope of log P against log f over 300-30 um and 30-8 um
//                             wavelengths
//   thin vessels              multi-scale Hessian ridge detector; pixels whose strongest dark-ridge
//                             response is at the thin scales (sigma 3-9 um:
//                             FWHM up to ~20 um), line-like, above a
//                             contrast floor, on ridges >= 30 um long; median darkness
//                             (1 - I / background at the centre line) and median FWHM of the
//                             profile across the ridge
//   noise                     Laplacian MAD: 1.4826 MAD of the image filtered with Immerkaer's
//                             noise kernel, divided by its norm 6 (the SD of white noise that
//                             would give it; texture at the pixel scale counts too)
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace coherence::scoring {

inline constexpr double kRealismUmPerPx = 3.1;

struct RealismStats {
  double grey_sd = 0.0;
  double spread = 0.0;              // (p95 - p5) / p50
  double median_grey = 0.0;         // p50: tissue brightness
  double illumination_cv = 0.0;
  double dark_share = 0.0;          // pixels < 50% of the background
  double slope_coarse = 0.0;        // 300-30 um wavelengths
  double slope_fine = 0.0;          // 30-8 um wavelengths
  double thin_darkness = 0.0;       // median over thin-ridge pixels
  double thin_fwhm_um = 0.0;
  int thin_ridge_px = 0;            // ridge pixels measured
  double noise_grey = 0.0;          // Laplacian MAD
};

// Statistics of an 8-bit grey image of `um_per_px` (resampled to kRealismUmPerPx first).
RealismStats realism_stats(const cv::Mat& grey8, double um_per_px);

// Reads an 8-bit grey PNG; throws std::invalid_argument naming the file when it cannot.
cv::Mat read_grey_png(const std::filesystem::path& file);

}  // namespace coherence::scoring
