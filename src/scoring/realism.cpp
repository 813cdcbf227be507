#include "scoring/realism.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace coherence::scoring {

namespace {

// Value at quantile q (0..1) of a float image (nearest rank).
double quantile(const cv::Mat& img, double q) {
  std::vector<float> v(img.begin<float>(), img.end<float>());
  const auto k = static_cast<std::size_t>(std::clamp(q, 0.0, 1.0) * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

double median_of(std::vector<double> v) {
  if (v.empty()) return 0.0;
  const auto k = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

// Background: a grey closing with a disk of 45 um diameter (fills every dark structure narrower
// than the disk), smoothed by a Gaussian of the same scale's sigma to remove the disk's facets.
cv::Mat background_of(const cv::Mat& img) {
  const int d = std::max(3, static_cast<int>(std::lround(45.0 / kRealismUmPerPx)) | 1);
  cv::Mat closed, smooth;
  cv::morphologyEx(img, closed, cv::MORPH_CLOSE, cv::getStructuringElement(cv::MORPH_ELLIPSE, {d, d}));
  cv::GaussianBlur(closed, smooth, {0, 0}, 0.25 * d, 0.25 * d, cv::BORDER_REFLECT);
  return smooth;
}

// Least-squares slope of log10 P against log10 f over [f0, f1] (cycles/um), from the radially
// averaged power spectrum in log-spaced bins (8 per decade).
double spectrum_slope(const std::vector<double>& f, const std::vector<double>& p, double f0, double f1) {
  const int bins_per_decade = 8;
  const int nb = std::max(2, static_cast<int>(std::ceil(std::log10(f1 / f0) * bins_per_decade)));
  std::vector<double> sum(static_cast<std::size_t>(nb), 0.0), count(static_cast<std::size_t>(nb), 0.0);
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (f[i] < f0 || f[i] >= f1) continue;
    const int b = std::min(nb - 1, static_cast<int>(std::log10(f[i] / f0) * bins_per_decade));
    sum[static_cast<std::size_t>(b)] += p[i];
    count[static_cast<std::size_t>(b)] += 1.0;
  }
  double sx = 0, sy = 0, sxx = 0, sxy = 0, n = 0;
  for (int b = 0; b < nb; ++b) {
    if (count[static_cast<std::size_t>(b)] == 0) continue;
    const double x = std::log10(f0) + (b + 0.5) / bins_per_decade;
    const double y = std::log10(sum[static_cast<std::size_t>(b)] / count[static_cast<std::size_t>(b)]);
    sx += x, sy += y, sxx += x * x, sxy += x * y, n += 1;
  }
  return n >= 2 ? (n * sxy - sx * sy) / (n * sxx - sx * sx) : 0.0;
}

void spectrum_slopes(const cv::Mat& img, RealismStats& s) {
  const int w = img.cols, h = img.rows;
  cv::Mat x = img - cv::mean(img)[0];
  cv::Mat window;
  cv::createHanningWindow(window, {w, h}, CV_32F);
  x = x.mul(window);
  cv::Mat spectrum;
  cv::dft(x, spectrum, cv::DFT_COMPLEX_OUTPUT);
  std::vector<double> f, p;
  f.reserve(static_cast<std::size_t>(w) * h);
  p.reserve(f.capacity());
  for (int ky = 0; ky < h; ++ky) {
    const double fy = (ky <= h / 2 ? ky : ky - h) / (h * kRealismUmPerPx);
    for (int kx = 0; kx < w; ++kx) {
      const double fx = (kx <= w / 2 ? kx : kx - w) / (w * kRealismUmPerPx);
      const cv::Vec2f c = spectrum.at<cv::Vec2f>(ky, kx);
      f.push_back(std::hypot(fx, fy));
      p.push_back(static_cast<double>(c[0]) * c[0] + static_cast<double>(c[1]) * c[1]);
    }
  }
  s.slope_coarse = spectrum_slope(f, p, 1.0 / 300.0, 1.0 / 30.0);
  s.slope_fine = spectrum_slope(f, p, 1.0 / 30.0, 1.0 / 8.0);
}

// Hessian of a Gaussian-smoothed image (scale sigma px), scale-normalised by sigma^2.
struct Hessian {
  cv::Mat xx, yy, xy;
};
Hessian hessian(const cv::Mat& img, double sigma) {
  cv::Mat g;
  cv::GaussianBlur(img, g, {0, 0}, sigma, sigma, cv::BORDER_REFLECT);
  Hessian hs;
  cv::Sobel(g, hs.xx, CV_32F, 2, 0, 3, 0.25 * sigma * sigma, 0, cv::BORDER_REFLECT);  // Sobel 3x3: 4 x d2/dx2
  cv::Sobel(g, hs.yy, CV_32F, 0, 2, 3, 0.25 * sigma * sigma, 0, cv::BORDER_REFLECT);
  cv::Sobel(g, hs.xy, CV_32F, 1, 1, 3, 0.25 * sigma * sigma, 0, cv::BORDER_REFLECT);
  return hs;
}

float bilinear(const cv::Mat& img, double x, double y) {
  x = std::clamp(x, 0.0, img.cols - 1.001);
  y = std::clamp(y, 0.0, img.rows - 1.001);
  const int x0 = static_cast<int>(x), y0 = static_cast<int>(y);
  const double u = x - x0, v = y - y0;
  const float* r0 = img.ptr<float>(y0);
  const float* r1 = img.ptr<float>(y0 + 1);
  return static_cast<float>((1 - v) * ((1 - u) * r0[x0] + u * r0[x0 + 1]) + v * ((1 - u) * r1[x0] + u * r1[x0 + 1]));
}

void thin_vessels(const cv::Mat& img, const cv::Mat& bg, RealismStats& s) {
  const int w = img.cols, h = img.rows;
  // Scales in um. A Gaussian line of sigma w answers most strongly (scale-normalised) at
  // s = sqrt(2) w: thin vessels (FWHM up to ~20 um, w <= 8.5 um) at 3-9 um, wider ones at 13-26 um.
  const std::vector<double> thin = {3.0, 4.5, 6.0, 9.0}, wide = {13.0, 18.0, 26.0};
  cv::Mat best_thin(h, w, CV_32F, cv::Scalar(0)), best_wide(h, w, CV_32F, cv::Scalar(0));
  cv::Mat nx(h, w, CV_32F), ny(h, w, CV_32F), ratio(h, w, CV_32F, cv::Scalar(1));
  for (int pass = 0; pass < 2; ++pass) {
    for (double scale_um : pass == 0 ? thin : wide) {
      const Hessian hs = hessian(img, scale_um / kRealismUmPerPx);
      for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
          const float a = hs.xx.at<float>(y, x), b = hs.xy.at<float>(y, x), c = hs.yy.at<float>(y, x);
          const float tr = 0.5f * (a + c), disc = std::sqrt(0.25f * (a - c) * (a - c) + b * b);
          const float l1 = tr + disc, l2 = tr - disc;  // l1: across a dark ridge (> 0)
          const float r = l1 / std::max(1.0f, bg.at<float>(y, x));
          if (pass == 0) {
            if (r > best_thin.at<float>(y, x)) {
              best_thin.at<float>(y, x) = r;
              // Eigenvector of l1: the normal to the ridge.
              float ex = b, ey = l1 - a;
              if (std::abs(ex) + std::abs(ey) < 1e-12f) ex = (a >= c) ? 1.0f : 0.0f, ey = (a >= c) ? 0.0f : 1.0f;
              const float n = std::hypot(ex, ey);
              nx.at<float>(y, x) = ex / n;
              ny.at<float>(y, x) = ey / n;
              ratio.at<float>(y, x) = l1 > 0 ? std::abs(l2) / l1 : 1.0f;
            }
          } else {
            best_wide.at<float>(y, x) = std::max(best_wide.at<float>(y, x), r);
          }
        }
      }
    }
  }
  // Candidate ridge pixels: thin scale wins, line-like, above the contrast floor, and a local
  // maximum across the ridge.
  constexpr float kFloor = 0.012f;  // scale-normalised curvature / background (~0.035 darkness)
  cv::Mat ridge(h, w, CV_8U, cv::Scalar(0));
  for (int y = 1; y < h - 1; ++y) {
    for (int x = 1; x < w - 1; ++x) {
      const float r = best_thin.at<float>(y, x);
      if (r < kFloor || r <= best_wide.at<float>(y, x) || ratio.at<float>(y, x) > 0.5f) continue;
      const double ux = nx.at<float>(y, x), uy = ny.at<float>(y, x);
      if (bilinear(best_thin, x + ux, y + uy) > r || bilinear(best_thin, x - ux, y - uy) > r) continue;
      ridge.at<std::uint8_t>(y, x) = 1;
    }
  }
  // Ridges at least 30 um long (connected pixels' extent): not debris specks or noise.
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(ridge, labels, stats, centroids, 8, CV_32S);
  const int min_extent = static_cast<int>(std::ceil(30.0 / kRealismUmPerPx));
  std::vector<bool> keep(static_cast<std::size_t>(n), false);
  for (int k = 1; k < n; ++k) {
    keep[static_cast<std::size_t>(k)] = std::max(stats.at<int>(k, cv::CC_STAT_WIDTH), stats.at<int>(k, cv::CC_STAT_HEIGHT)) >= min_extent;
  }
  // Profiles across each ridge pixel, of the lightly smoothed image relative to the background.
  cv::Mat smooth;
  cv::GaussianBlur(img, smooth, {0, 0}, 0.7, 0.7, cv::BORDER_REFLECT);
  std::vector<double> dark, fwhm;
  constexpr double kStep = 0.25;  // px
  const int half = static_cast<int>(25.0 / kRealismUmPerPx / kStep);
  for (int y = 1; y < h - 1; ++y) {
    for (int x = 1; x < w - 1; ++x) {
      if (!ridge.at<std::uint8_t>(y, x) || !keep[static_cast<std::size_t>(labels.at<int>(y, x))]) continue;
      const double ux = nx.at<float>(y, x), uy = ny.at<float>(y, x);
      const double b = std::max(1.0f, bg.at<float>(y, x));
      std::vector<double> depth(static_cast<std::size_t>(2 * half + 1));
      for (int k = -half; k <= half; ++k) {
        depth[static_cast<std::size_t>(k + half)] = 1.0 - bilinear(smooth, x + k * kStep * ux, y + k * kStep * uy) / b;
      }
      const double d0 = depth[static_cast<std::size_t>(half)];
      if (d0 <= 0.0) continue;
      auto edge = [&](int dir) {
        for (int k = 1; k <= half; ++k) {
          const double d = depth[static_cast<std::size_t>(half + dir * k)];
          if (d < 0.5 * d0) {
            const double prev = depth[static_cast<std::size_t>(half + dir * (k - 1))];
            return (k - 1 + (prev - 0.5 * d0) / std::max(1e-9, prev - d)) * kStep;
          }
        }
        return -1.0;
      };
      const double left = edge(-1), right = edge(1);
      if (left < 0.0 || right < 0.0) continue;  // not a closed profile within +-25 um
      dark.push_back(d0);
      fwhm.push_back((left + right) * kRealismUmPerPx);
    }
  }
  s.thin_ridge_px = static_cast<int>(dark.size());
  s.thin_darkness = median_of(dark);
  s.thin_fwhm_um = median_of(fwhm);
}

}  // namespace

RealismStats realism_stats(const cv::Mat& grey8, double um_per_px) {
  if (grey8.empty() || grey8.type() != CV_8UC1) throw std::invalid_argument("realism_stats: expected an 8-bit grey image");
  if (!(um_per_px > 0.0)) throw std::invalid_argument("realism_stats: pixel size must be > 0");
  cv::Mat img;
  grey8.convertTo(img, CV_32F);
  if (std::abs(um_per_px - kRealismUmPerPx) > 1e-9) {
    const double f = um_per_px / kRealismUmPerPx;
    cv::Mat r;
    cv::resize(img, r, {std::max(8, static_cast<int>(std::lround(img.cols * f))), std::max(8, static_cast<int>(std::lround(img.rows * f)))},
               0, 0, f < 1.0 ? cv::INTER_AREA : cv::INTER_LINEAR);
    img = r;
  }
  RealismStats s;
  cv::Scalar mean, sd;
  cv::meanStdDev(img, mean, sd);
  s.grey_sd = sd[0];
  const double p50 = quantile(img, 0.5);
  s.median_grey = p50;
  s.spread = p50 > 0.0 ? (quantile(img, 0.95) - quantile(img, 0.05)) / p50 : 0.0;
  const cv::Mat bg = background_of(img);
  cv::meanStdDev(bg, mean, sd);
  s.illumination_cv = mean[0] > 0.0 ? sd[0] / mean[0] : 0.0;
  cv::Mat half_bg = 0.5 * bg, dark;
  cv::compare(img, half_bg, dark, cv::CMP_LT);
  s.dark_share = static_cast<double>(cv::countNonZero(dark)) / static_cast<double>(img.total());
  spectrum_slopes(img, s);
  thin_vessels(img, bg, s);
  // Immerkaer's kernel: zero response to planes and quadrics; norm sqrt(36) = 6.
  const cv::Mat k = (cv::Mat_<float>(3, 3) << 1, -2, 1, -2, 4, -2, 1, -2, 1);
  cv::Mat lap;
  cv::filter2D(img, lap, CV_32F, k, {-1, -1}, 0, cv::BORDER_REFLECT);
  const cv::Mat inner = lap(cv::Rect(1, 1, lap.cols - 2, lap.rows - 2)).clone();
  const double med = quantile(inner, 0.5);
  cv::Mat dev = cv::abs(inner - med);
  s.noise_grey = 1.4826 * quantile(dev, 0.5) / 6.0;
  return s;
}

cv::Mat read_grey_png(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) throw std::invalid_argument(file.string() + ": cannot read an image (no such file)");
  cv::Mat m = cv::imread(file.string(), cv::IMREAD_UNCHANGED);
  if (m.empty()) throw std::invalid_argument(file.string() + ": cannot read an image");
  if (m.channels() == 3) cv::cvtColor(m, m, cv::COLOR_BGR2GRAY);
  if (m.channels() == 4) cv::cvtColor(m, m, cv::COLOR_BGRA2GRAY);
  if (m.depth() == CV_16U) m.convertTo(m, CV_8U, 1.0 / 257.0);
  if (m.type() != CV_8UC1) throw std::invalid_argument(file.string() + ": not an 8-bit grey image");
  return m;
}

}  // namespace coherence::scoring
