// The realism statistics (scoring/realism.hpp) on images whose answers are known in closed form:
// white noise (Laplacian MAD = its SD), a Gaussian dark line (darkness and FWHM = 2.355 sigma),
// a power-law random field (spectrum slope), a uniform background (no illumination variation).
#include <catch2/catch.hpp>

#include <cmath>
#include <numbers>
#include <random>

#include <opencv2/core.hpp>

#include "scoring/realism.hpp"

using namespace coherence;

namespace {

cv::Mat to8(const cv::Mat& f) {
  cv::Mat out;
  f.convertTo(out, CV_8U);  // rounds and saturates
  return out;
}

}  // namespace

TEST_CASE("realism: white noise is measured as its SD, a flat field has no illumination variation", "[realism]") {
  std::mt19937 gen(5);
  std::normal_distribution<float> n(0.0f, 5.0f);
  cv::Mat f(300, 400, CV_32F);
  for (int y = 0; y < f.rows; ++y)
    for (int x = 0; x < f.cols; ++x) f.at<float>(y, x) = 140.0f + n(gen);
  const auto s = scoring::realism_stats(to8(f), scoring::kRealismUmPerPx);
  // Rounding to 8 bits adds 1/12 grey^2 of variance: sqrt(25 + 1/12) = 5.01.
  CHECK(s.noise_grey == Approx(5.01).epsilon(0.05));
  CHECK(s.grey_sd == Approx(5.01).epsilon(0.03));
  CHECK(s.dark_share == 0.0);
  // The closing lifts the background to the local upper envelope: nearly flat (CV << 0.05).
  CHECK(s.illumination_cv < 0.01);
  // White noise: a flat spectrum.
  CHECK(std::abs(s.slope_fine) < 0.3);
}

TEST_CASE("realism: a Gaussian dark line has its darkness and FWHM", "[realism]") {
  // Background 160, depth 0.2, sigma 5 um: FWHM = 2 sqrt(2 ln 2) x 5 = 11.77 um.
  const double um = scoring::kRealismUmPerPx, sigma_um = 5.0, depth = 0.2;
  cv::Mat f(240, 320, CV_32F);
  for (int y = 0; y < f.rows; ++y)
    for (int x = 0; x < f.cols; ++x) {
      const double d = (x - 160.3) * um;
      f.at<float>(y, x) = static_cast<float>(160.0 * (1.0 - depth * std::exp(-d * d / (2 * sigma_um * sigma_um))));
    }
  const auto s = scoring::realism_stats(to8(f), um);
  REQUIRE(s.thin_ridge_px > 100);
  // Profiles are read from the image smoothed by a 0.7 px Gaussian: the line seen has
  // sigma' = sqrt(5^2 + (0.7 x 3.1)^2) = 5.45 um and depth 0.2 x 5 / 5.45 = 0.183.
  const double seen_um = std::hypot(sigma_um, 0.7 * um);
  CHECK(s.thin_darkness == Approx(depth * sigma_um / seen_um).margin(0.01));
  CHECK(s.thin_fwhm_um == Approx(2.0 * std::sqrt(2.0 * std::log(2.0)) * seen_um).margin(0.8));
  CHECK(s.dark_share == 0.0);  // 20% darker, not 50%
}

TEST_CASE("realism: a power-law field has its spectrum slope, resampling keeps the answer", "[realism]") {
  // Random phases, amplitude ~ f^(-beta/2): power ~ f^-beta with beta = 3.
  const int w = 512, h = 512;
  std::mt19937 gen(9);
  std::uniform_real_distribution<double> phase(0.0, 2.0 * std::numbers::pi);
  cv::Mat spec(h, w, CV_32FC2);
  for (int ky = 0; ky < h; ++ky)
    for (int kx = 0; kx < w; ++kx) {
      const double fx = (kx <= w / 2 ? kx : kx - w), fy = (ky <= h / 2 ? ky : ky - h);
      const double f = std::hypot(fx, fy);
      const double a = f > 0 ? std::pow(f, -1.5) : 0.0, p = phase(gen);
      spec.at<cv::Vec2f>(ky, kx) = cv::Vec2f(static_cast<float>(a * std::cos(p)), static_cast<float>(a * std::sin(p)));
    }
  cv::Mat field;
  cv::dft(spec, field, cv::DFT_INVERSE | cv::DFT_REAL_OUTPUT);
  cv::Scalar mean, sd;
  cv::meanStdDev(field, mean, sd);
  field = 128.0 + (field - mean[0]) * (20.0 / sd[0]);
  const auto s = scoring::realism_stats(to8(field), scoring::kRealismUmPerPx);
  CHECK(s.slope_coarse == Approx(-3.0).margin(0.35));
  // Finer pixels, resampled to 3.1 um/px by area: the coarse slope is the same field's.
  const auto r = scoring::realism_stats(to8(field), 0.5 * scoring::kRealismUmPerPx);
  CHECK(r.slope_coarse == Approx(-3.0).margin(0.4));
}

TEST_CASE("realism: bad input", "[realism]") {
  CHECK_THROWS_AS(scoring::realism_stats(cv::Mat(), 3.1), std::invalid_argument);
  CHECK_THROWS_AS(scoring::realism_stats(cv::Mat(50, 50, CV_8U, cv::Scalar(100)), 0.0), std::invalid_argument);
  CHECK_THROWS_AS(scoring::read_grey_png("/no/such/file.png"), std::invalid_argument);
}
