#include "scoring/analysis.hpp"
#include "scoring/stages.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <tuple>
#include <optional>
#include <opencv2/imgproc.hpp>
#include <opencv2/ximgproc.hpp>

namespace coherence::scoring {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double median_of(std::vector<double> v) {
  if (v.empty()) return kNaN;
  const std::size_t n = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n), v.end());
  return v[n];
}

// ---------------------------------------------------------------------------------------------
// 1-2. Flicker and stabilisation.

// Illumination flicker: each frame's gain to the clip's median brightness. Every later step that
// reads a frame is linear in it and applies the gain itself (no normalised copy of the clip).
std::vector<double> flicker_gains(const std::vector<cv::Mat>& frames) {
  std::vector<double> brightness;
  brightness.reserve(frames.size());
  for (const auto& f : frames) brightness.push_back(cv::mean(f)[0]);
  const double target = median_of(brightness);
  std::vector<double> gain;
  gain.reserve(brightness.size());
  for (double b : brightness) gain.push_back(b > 0.0 ? target / b : 1.0);
  return gain;
}

// Registration view of the part `roi` of a frame (whole frame if empty), times `gain`: lightly
// smoothed (individual red cells, which move on their own, and noise fade), minus a very broad
// background (vignetting, which does not move with the tissue). What remains is the vessel network
// and tissue texture, which move with the probe. Every step is linear, so the gain commutes.
cv::Mat registration_view(const cv::Mat& frame, double scale, double gain, cv::Rect roi = {}) {
  cv::Mat img, fine, tiny, broad;
  if (scale != 1.0) {
    cv::resize(frame, img, cv::Size(), scale, scale, cv::INTER_AREA);
  } else {
    img = frame;
  }
  if (roi.area() == 0) roi = cv::Rect(0, 0, img.cols, img.rows);
  if (scale == 1.0) {
    cv::boxFilter(img(roi), fine, -1, cv::Size(7, 7));  // cheap at full resolution; reads beyond roi
  } else {
    cv::GaussianBlur(img(roi), fine, cv::Size(), 3.0 * scale);
  }
  cv::resize(img, tiny, cv::Size(), 1.0 / 16.0, 1.0 / 16.0, cv::INTER_AREA);
  cv::GaussianBlur(tiny, tiny, cv::Size(), 1.5);
  cv::resize(tiny, broad, img.size(), 0, 0, cv::INTER_LINEAR);
  cv::Mat out = fine - broad(roi);
  if (gain != 1.0) out *= gain;
  return out;
}

// Normalised cross-correlation of `tpl` at every offset inside `search` (direct sums: cheaper
// than OpenCV's DFT path when the search is only a few pixels wider than the template). The
// window sums of the search come from integral images; the cross term is a vectorised dot product.
cv::Mat ncc_direct(const cv::Mat& search, const cv::Mat& tpl) {
  const int ox = search.cols - tpl.cols + 1, oy = search.rows - tpl.rows + 1;
  cv::Mat res(oy, ox, CV_32F);
  const double n = static_cast<double>(tpl.total());
  cv::Scalar t_mean_s, t_sd_s;
  cv::meanStdDev(tpl, t_mean_s, t_sd_s);
  const double t_mean = t_mean_s[0];
  const double t_var = t_sd_s[0] * t_sd_s[0] * n;
  cv::Mat sum, sqsum;
  cv::integral(search, sum, sqsum, CV_64F, CV_64F);
  const cv::Mat tpl_c = tpl.isContinuous() ? tpl : tpl.clone();
  for (int dy = 0; dy < oy; ++dy) {
    for (int dx = 0; dx < ox; ++dx) {
      const double sab = tpl_c.dot(search(cv::Rect(dx, dy, tpl.cols, tpl.rows)));
      auto box = [&](const cv::Mat& I) {
        return I.at<double>(dy + tpl.rows, dx + tpl.cols) - I.at<double>(dy, dx + tpl.cols) -
               I.at<double>(dy + tpl.rows, dx) + I.at<double>(dy, dx);
      };
      const double sb = box(sum), sbb = box(sqsum);
      const double cov = sab - t_mean * sb;
      const double b_var = sbb - sb * sb / n;
      res.at<float>(dy, dx) = static_cast<float>(cov / std::sqrt(t_var * std::max(b_var, 0.0) + 1e-30));
    }
  }
  return res;
}

// Peak of the normalised cross-correlation of `tpl` (a window of the frame) inside `search` of
// the reference, with a parabola through the peak; returns the template's offset in the search.
cv::Point2d ncc_peak(const cv::Mat& search, const cv::Mat& tpl) {
  cv::Mat res;
  if (search.cols - tpl.cols <= 10 && search.rows - tpl.rows <= 10) {
    res = ncc_direct(search, tpl);
  } else {
    cv::matchTemplate(search, tpl, res, cv::TM_CCOEFF_NORMED);
  }
  cv::Point p;
  cv::minMaxLoc(res, nullptr, nullptr, nullptr, &p);
  auto vertex = [](float a, float b, float c) {
    const float d = a - 2.0f * b + c;
    return d < 0.0f ? std::clamp(0.5 * (a - c) / d, -0.5, 0.5) : 0.0;
  };
  double dx = 0.0, dy = 0.0;
  if (p.x > 0 && p.x < res.cols - 1) dx = vertex(res.at<float>(p.y, p.x - 1), res.at<float>(p.y, p.x), res.at<float>(p.y, p.x + 1));
  if (p.y > 0 && p.y < res.rows - 1) dy = vertex(res.at<float>(p.y - 1, p.x), res.at<float>(p.y, p.x), res.at<float>(p.y + 1, p.x));
  return {p.x + dx, p.y + dy};
}

// Shift of each frame against the first: normalised cross-correlation of a central template of
// the frame within +-max_shift of the reference (energy-weighted, so the large structures rule,
// not the streaming cells; a phase correlation's whitening lets the cells win), at half
// resolution (a quarter), sub-pixel by a parabola. refine_against_mean() then refines at full
// resolution.
std::vector<cv::Point2d> register_frames(const std::vector<cv::Mat>& frames, const std::vector<double>& gain,
                                         double max_shift_px) {
  constexpr double kScale = 0.25;
  const cv::Mat ref_half = registration_view(frames.front(), kScale, gain.front());
  const int r = std::max(2, static_cast<int>(std::ceil(kScale * max_shift_px)));
  const int tw = std::min(ref_half.cols - 2 * r, 120), th = std::min(ref_half.rows - 2 * r, 90);
  std::vector<cv::Point2d> shift(frames.size(), cv::Point2d(0.0, 0.0));
  if (tw < 16 || th < 16) return shift;
  const cv::Rect tpl((ref_half.cols - tw) / 2, (ref_half.rows - th) / 2, tw, th);
  const cv::Rect search(tpl.x - r, tpl.y - r, tw + 2 * r, th + 2 * r);
  for (std::size_t t = 1; t < frames.size(); ++t) {
    const cv::Point2d coarse = ncc_peak(ref_half(search), registration_view(frames[t], kScale, gain[t])(tpl));
    // The frame's content sits at the reference position minus the template's offset.
    shift[t] = cv::Point2d(-(coarse.x - r) / kScale, -(coarse.y - r) / kScale);
  }
  return shift;
}

// Second pass: each frame refined against the temporal mean of the first pass's registered
// frames, in which individual red cells are averaged away (they bias a frame-to-frame match).
void refine_against_mean(const std::vector<cv::Mat>& frames, const std::vector<double>& gain,
                         std::vector<cv::Point2d>& shift, const cv::Mat& mean) {
  const cv::Mat ref = registration_view(mean, 1.0, 1.0);
  constexpr int kFine = 3;
  const int tw = std::min(ref.cols - 2 * 24, 288), th = std::min(ref.rows - 2 * 24, 216);
  if (tw < 32 || th < 32) return;
  const cv::Rect tpl((ref.cols - tw) / 2, (ref.rows - th) / 2, tw, th);
  for (std::size_t t = 0; t < frames.size(); ++t) {
    const int ix = static_cast<int>(std::lround(shift[t].x)), iy = static_cast<int>(std::lround(shift[t].y));
    const cv::Rect around(tpl.x - ix - kFine, tpl.y - iy - kFine, tpl.width + 2 * kFine, tpl.height + 2 * kFine);
    if ((around & cv::Rect(0, 0, ref.cols, ref.rows)) != around) continue;
    const cv::Point2d fine = ncc_peak(ref(around), registration_view(frames[t], 1.0, gain[t], tpl));
    shift[t] = cv::Point2d(ix - (fine.x - kFine), iy - (fine.y - kFine));
  }
  // Everything relative to the first frame, as before.
  const cv::Point2d origin = shift.front();
  for (auto& d : shift) d -= origin;
}

// Frames moved back by their shifts, flicker removed (bilinear: linear, so the gain commutes).
std::vector<cv::Mat> apply_shifts(const std::vector<cv::Mat>& frames, const std::vector<double>& gain,
                                  const std::vector<cv::Point2d>& shift) {
  std::vector<cv::Mat> out(frames.size());
  for (std::size_t t = 0; t < frames.size(); ++t) {
    if (t == 0) {
      frames[t].convertTo(out[t], CV_32F, gain[t]);
      continue;
    }
    const cv::Mat m = (cv::Mat_<double>(2, 3) << 1, 0, -shift[t].x, 0, 1, -shift[t].y);
    cv::warpAffine(frames[t], out[t], m, frames[t].size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    out[t] *= gain[t];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// 3. Detection.

// Frangi vesselness of bright ridges in `img` (contrast: vessels positive), maximum over scales.
// The structure constant c is tied to the image's noise (not to its strongest vessel, which would
// let venules suppress capillaries).
cv::Mat vesselness(const cv::Mat& img, const std::vector<double>& sigmas_px, double beta, double c) {
  cv::Mat best = cv::Mat::zeros(img.size(), CV_32F);
  for (double s : sigmas_px) {
    cv::Mat g, dxx, dyy, dxy;
    cv::GaussianBlur(img, g, cv::Size(), s);
    cv::Sobel(g, dxx, CV_32F, 2, 0, 3);
    cv::Sobel(g, dyy, CV_32F, 0, 2, 3);
    cv::Sobel(g, dxy, CV_32F, 1, 1, 3);
    const float norm = static_cast<float>(s * s);
    // Eigenvalues, |l1| <= |l2|; a bright ridge has l2 << 0.
    cv::Mat l1(img.size(), CV_32F), l2(img.size(), CV_32F);
    for (int y = 0; y < img.rows; ++y) {
      const float* a = dxx.ptr<float>(y);
      const float* b = dyy.ptr<float>(y);
      const float* cxy = dxy.ptr<float>(y);
      float* e1 = l1.ptr<float>(y);
      float* e2 = l2.ptr<float>(y);
      for (int x = 0; x < img.cols; ++x) {
        const float xx = a[x] * norm, yy = b[x] * norm, xy = cxy[x] * norm;
        const float tr = 0.5f * (xx + yy);
        const float d = std::sqrt(0.25f * (xx - yy) * (xx - yy) + xy * xy);
        float u = tr + d, v = tr - d;
        if (std::abs(u) > std::abs(v)) std::swap(u, v);
        e1[x] = u;
        e2[x] = v;
      }
    }
    const float c2 = static_cast<float>(2.0 * c * c) + 1e-12f;
    const float b2 = static_cast<float>(2.0 * beta * beta);
    for (int y = 0; y < img.rows; ++y) {
      const float* e1 = l1.ptr<float>(y);
      const float* e2 = l2.ptr<float>(y);
      float* out = best.ptr<float>(y);
      for (int x = 0; x < img.cols; ++x) {
        if (e2[x] >= 0.0f) continue;
        const float rb = e1[x] / e2[x];
        const float ss = e1[x] * e1[x] + e2[x] * e2[x];
        const float v = std::exp(-rb * rb / b2) * (1.0f - std::exp(-ss / c2));
        out[x] = std::max(out[x], v);
      }
    }
  }
  return best;
}

int neighbours(const cv::Mat& skel, int x, int y) {
  int n = 0;
  for (int dy = -1; dy <= 1; ++dy) {
    for (int dx = -1; dx <= 1; ++dx) {
      if (dx == 0 && dy == 0) continue;
      const int xx = x + dx, yy = y + dy;
      if (xx >= 0 && yy >= 0 && xx < skel.cols && yy < skel.rows && skel.at<std::uint8_t>(yy, xx)) ++n;
    }
  }
  return n;
}

// Splits a one-pixel skeleton at its junctions into ordered segments. Pixels with three or more
// neighbours are junction candidates; a connected cluster of candidates that touches exactly two
// line pieces is only the corner of a diagonal staircase and joins them; a cluster touching
// three or more pieces (or one) is a real junction and separates them.
std::vector<Segment> trace_segments(const cv::Mat& skel) {
  const int w = skel.cols, h = skel.rows;
  cv::Mat candidate = cv::Mat::zeros(skel.size(), CV_8U);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      if (skel.at<std::uint8_t>(y, x) && neighbours(skel, x, y) >= 3) candidate.at<std::uint8_t>(y, x) = 1;
    }
  }
  cv::Mat body = skel.clone();
  body.setTo(0, candidate);
  cv::Mat body_labels, cluster_labels;
  cv::connectedComponents(body, body_labels, 8, CV_32S);
  const int nclusters = cv::connectedComponents(candidate, cluster_labels, 8, CV_32S);
  // Which line pieces each candidate cluster touches.
  std::vector<std::vector<int>> touches(static_cast<std::size_t>(nclusters));
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const int c = cluster_labels.at<int>(y, x);
      if (c == 0) continue;
      auto& t = touches[static_cast<std::size_t>(c)];
      for (int dy = -1; dy <= 1; ++dy) {
        for (int dx = -1; dx <= 1; ++dx) {
          const int xx = x + dx, yy = y + dy;
          if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
          const int b = body_labels.at<int>(yy, xx);
          if (b > 0 && std::find(t.begin(), t.end(), b) == t.end()) t.push_back(b);
        }
      }
    }
  }
  // Paths = line pieces plus bridging clusters; real junctions removed.
  cv::Mat path = body.clone(), junction = cv::Mat::zeros(skel.size(), CV_8U);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const int c = cluster_labels.at<int>(y, x);
      if (c == 0) continue;
      if (touches[static_cast<std::size_t>(c)].size() == 2) {
        path.at<std::uint8_t>(y, x) = 1;
      } else {
        junction.at<std::uint8_t>(y, x) = 1;
      }
    }
  }
  cv::Mat junction_labels, junction_stats, junction_centres;
  cv::connectedComponentsWithStats(junction, junction_labels, junction_stats, junction_centres, 8, CV_32S);
  cv::Mat labels;
  const int n = cv::connectedComponents(path, labels, 8, CV_32S);
  std::vector<std::vector<cv::Point>> members(static_cast<std::size_t>(n));
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const int l = labels.at<int>(y, x);
      if (l > 0) members[static_cast<std::size_t>(l)].push_back({x, y});
    }
  }
  auto junction_at = [&](cv::Point p) -> std::optional<cv::Point2f> {
    for (int dy = -1; dy <= 1; ++dy) {
      for (int dx = -1; dx <= 1; ++dx) {
        const int xx = p.x + dx, yy = p.y + dy;
        if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
        const int j = junction_labels.at<int>(yy, xx);
        if (j > 0) {
          return cv::Point2f(static_cast<float>(junction_centres.at<double>(j, 0)),
                             static_cast<float>(junction_centres.at<double>(j, 1)));
        }
      }
    }
    return std::nullopt;
  };
  // Pixel index within its component, for the walk.
  cv::Mat index(skel.size(), CV_32S, cv::Scalar(-1));
  for (int l = 1; l < n; ++l) {
    const auto& pts = members[static_cast<std::size_t>(l)];
    for (std::size_t i = 0; i < pts.size(); ++i) index.at<int>(pts[i].y, pts[i].x) = static_cast<int>(i);
  }
  std::vector<Segment> out;
  for (int l = 1; l < n; ++l) {
    const auto& pts = members[static_cast<std::size_t>(l)];
    auto in_comp = [&](int x, int y) { return x >= 0 && y >= 0 && x < w && y < h && labels.at<int>(y, x) == l; };
    auto degree = [&](cv::Point p) {
      int d = 0;
      for (int dy = -1; dy <= 1; ++dy) {
        for (int dx = -1; dx <= 1; ++dx) {
          if ((dx || dy) && in_comp(p.x + dx, p.y + dy)) ++d;
        }
      }
      return d;
    };
    cv::Point start = pts.front();
    for (const auto& p : pts) {
      if (degree(p) <= 1) {
        start = p;
        break;
      }
    }
    std::vector<std::uint8_t> seen(pts.size(), 0);
    // Walks over unseen pixels, preferring 4-neighbours so the walk follows the line.
    auto walk = [&](cv::Point from, std::vector<cv::Point>& out_path) {
      cv::Point cur = from;
      while (true) {
        cv::Point next(-1, -1);
        static constexpr int kOrder[8][2] = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}, {1, 1}, {-1, -1}, {1, -1}, {-1, 1}};
        for (const auto& d : kOrder) {
          const cv::Point q(cur.x + d[0], cur.y + d[1]);
          if (!in_comp(q.x, q.y)) continue;
          if (!seen[static_cast<std::size_t>(index.at<int>(q.y, q.x))]) {
            next = q;
            break;
          }
        }
        if (next.x < 0) return;
        seen[static_cast<std::size_t>(index.at<int>(next.y, next.x))] = 1;
        out_path.push_back(next);
        cur = next;
      }
    };
    seen[static_cast<std::size_t>(index.at<int>(start.y, start.x))] = 1;
    std::vector<cv::Point> forward, backward;
    walk(start, forward);
    walk(start, backward);  // a start that was not an end: the other direction
    Segment seg;
    seg.pixels.assign(backward.rbegin(), backward.rend());
    seg.pixels.push_back(start);
    seg.pixels.insert(seg.pixels.end(), forward.begin(), forward.end());
    if (seg.pixels.size() < 2) continue;
    seg.start_junction = junction_at(seg.pixels.front());
    seg.end_junction = junction_at(seg.pixels.back());
    out.push_back(std::move(seg));
  }
  return out;
}

double path_length_px(const std::vector<cv::Point>& p) {
  double len = 0.0;
  for (std::size_t i = 1; i < p.size(); ++i) len += std::hypot(p[i].x - p[i - 1].x, p[i].y - p[i - 1].y);
  return len;
}

// Resamples a pixel path at unit spacing with a smoothed tangent.
Sampling resample(const std::vector<cv::Point2f>& pixels) {
  std::vector<cv::Point2f> p;
  // Light smoothing of the staircase of pixel centres.
  for (std::size_t i = 0; i < pixels.size(); ++i) {
    cv::Point2f s(0, 0);
    int n = 0;
    for (long k = -2; k <= 2; ++k) {
      const long j = std::clamp(static_cast<long>(i) + k, 0L, static_cast<long>(pixels.size()) - 1);
      s += pixels[static_cast<std::size_t>(j)];
      ++n;
    }
    p.push_back(s * (1.0f / static_cast<float>(n)));
  }
  std::vector<double> cum(p.size(), 0.0);
  for (std::size_t i = 1; i < p.size(); ++i) cum[i] = cum[i - 1] + cv::norm(p[i] - p[i - 1]);
  Sampling out;
  const double total = cum.back();
  std::size_t seg = 1;
  for (int step = 0; static_cast<double>(step) <= total; ++step) {
    const auto s = static_cast<double>(step);  // 1 px steps along the path
    while (seg + 1 < p.size() && cum[seg] < s) ++seg;
    const double a = cum[seg - 1], b = cum[seg];
    const float f = b > a ? static_cast<float>((s - a) / (b - a)) : 0.0f;
    const cv::Point2f q = p[seg - 1] + (p[seg] - p[seg - 1]) * f;
    cv::Point2f t = p[std::min(seg + 1, p.size() - 1)] - p[seg > 1 ? seg - 2 : 0];
    const float tn = static_cast<float>(cv::norm(t));
    if (tn > 0.0f) t *= 1.0f / tn;
    out.point.push_back(q);
    out.normal.emplace_back(-t.y, t.x);
  }
  return out;
}

float bilinear(const cv::Mat& img, float x, float y);

// Lumen width: full width at half maximum of the contrast profile across the centreline,
// median over the segment (the mask's width overstates it: it is thresholded after blurring).
double fwhm_diameter_px(const cv::Mat& contrast, const Sampling& smp, double search_px) {
  std::vector<double> widths;
  const int reach = static_cast<int>(std::ceil(search_px));
  for (std::size_t j = 0; j < smp.point.size(); j += 2) {
    std::vector<float> prof;
    for (int o = -reach; o <= reach; ++o) {
      const cv::Point2f q = smp.point[j] + smp.normal[j] * static_cast<float>(o);
      prof.push_back(bilinear(contrast, q.x, q.y));
    }
    const int c = reach;
    // Peak near the centre (within 2 px), baseline the lower of the two profile ends.
    int peak = c;
    for (int o = c - 2; o <= c + 2; ++o) {
      if (prof[static_cast<std::size_t>(o)] > prof[static_cast<std::size_t>(peak)]) peak = o;
    }
    const float base = std::min(prof.front(), prof.back());
    const float half = 0.5f * (prof[static_cast<std::size_t>(peak)] + base);
    if (prof[static_cast<std::size_t>(peak)] - base <= 0.0f) continue;
    auto edge = [&](int dir) {
      for (int o = peak; o >= 0 && o < static_cast<int>(prof.size()); o += dir) {
        const float v = prof[static_cast<std::size_t>(o)];
        if (v < half) {
          const float prev = prof[static_cast<std::size_t>(o - dir)];
          return static_cast<double>(o - dir) + dir * static_cast<double>((prev - half) / (prev - v));
        }
      }
      return std::numeric_limits<double>::quiet_NaN();
    };
    const double a = edge(-1), b = edge(+1);
    if (std::isfinite(a) && std::isfinite(b)) widths.push_back(b - a);
  }
  return widths.empty() ? std::numeric_limits<double>::quiet_NaN() : median_of(widths);
}

float bilinear(const cv::Mat& img, float x, float y) {
  x = std::clamp(x, 0.0f, static_cast<float>(img.cols - 1) - 1e-3f);
  y = std::clamp(y, 0.0f, static_cast<float>(img.rows - 1) - 1e-3f);
  const int x0 = static_cast<int>(x), y0 = static_cast<int>(y);
  const float fx = x - static_cast<float>(x0), fy = y - static_cast<float>(y0);
  const float* r0 = img.ptr<float>(y0);
  const float* r1 = img.ptr<float>(y0 + 1);
  return (1 - fy) * ((1 - fx) * r0[x0] + fx * r0[x0 + 1]) + fy * ((1 - fx) * r1[x0] + fx * r1[x0 + 1]);
}

// ---------------------------------------------------------------------------------------------
// 4. Flow along one segment.

struct Flow {
  double moving_fraction = 0.0;
  double velocity_px_per_frame = kNaN;
  double correlation = 0.0;
};

// Peak of sum_t sum_j r_t(j) r_{t+k}(j + d) over d in [-dmax, dmax], using pairs flagged `use`;
// returns the sub-pixel shift and the normalised peak height.
std::pair<double, double> correlation_peak(const std::vector<std::vector<float>>& r, const std::vector<char>& use, int lag,
                                           int dmax) {
  const int n = static_cast<int>(r.front().size());
  const int span = 2 * dmax + 1;
  std::vector<double> c(static_cast<std::size_t>(span), 0.0), norm(static_cast<std::size_t>(span), 0.0);
  std::vector<double> e0(static_cast<std::size_t>(span), 0.0), e1(static_cast<std::size_t>(span), 0.0);
  std::vector<double> pa(static_cast<std::size_t>(n) + 1), pb(static_cast<std::size_t>(n) + 1);
  for (std::size_t t = 0; t + static_cast<std::size_t>(lag) < r.size(); ++t) {
    if (!use[t]) continue;
    const auto& a = r[t];
    const auto& b = r[t + static_cast<std::size_t>(lag)];
    // Energies of any window from prefix sums; the cross term with four partial sums (a fixed
    // order: the same result on every run).
    pa[0] = pb[0] = 0.0;
    for (int j = 0; j < n; ++j) {
      pa[static_cast<std::size_t>(j) + 1] = pa[static_cast<std::size_t>(j)] + static_cast<double>(a[static_cast<std::size_t>(j)]) * a[static_cast<std::size_t>(j)];
      pb[static_cast<std::size_t>(j) + 1] = pb[static_cast<std::size_t>(j)] + static_cast<double>(b[static_cast<std::size_t>(j)]) * b[static_cast<std::size_t>(j)];
    }
    for (int d = -dmax; d <= dmax; ++d) {
      // a[j] against b[j + d] for every j with both inside the profile.
      const int j0 = std::max(0, -d), j1 = std::min(n, n - d), shifted0 = j0 + d;
      const float* pa_ = a.data() + j0;
      const float* pb_ = b.data() + shifted0;
      const int len = j1 - j0;
      double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
      int j = 0;
      for (; j + 4 <= len; j += 4) {
        s0 += static_cast<double>(pa_[j] * pb_[j]);
        s1 += static_cast<double>(pa_[j + 1] * pb_[j + 1]);
        s2 += static_cast<double>(pa_[j + 2] * pb_[j + 2]);
        s3 += static_cast<double>(pa_[j + 3] * pb_[j + 3]);
      }
      for (; j < len; ++j) s0 += static_cast<double>(pa_[j] * pb_[j]);
      const auto k = static_cast<std::size_t>(d + dmax);  // 0 .. 2 dmax
      c[k] += (s0 + s1) + (s2 + s3);
      e0[k] += pa[static_cast<std::size_t>(j1)] - pa[static_cast<std::size_t>(j0)];
      e1[k] += pb[static_cast<std::size_t>(j1 + d)] - pb[static_cast<std::size_t>(shifted0)];
    }
  }
  for (std::size_t k = 0; k < c.size(); ++k) norm[k] = c[k] / std::sqrt(e0[k] * e1[k] + 1e-20);
  const auto best = static_cast<std::size_t>(std::max_element(norm.begin(), norm.end()) - norm.begin());
  double shift = static_cast<double>(best) - dmax;
  if (best > 0 && best + 1 < norm.size()) {
    const double y0 = norm[best - 1], y1 = norm[best], y2 = norm[best + 1];
    const double den = y0 - 2.0 * y1 + y2;
    if (den < 0.0) shift += std::clamp(0.5 * (y0 - y2) / den, -0.5, 0.5);
  }
  return {shift, norm[best]};
}

// `pair_stride` > 1: the velocity from every pair_stride-th frame pair only (a cheaper screening
// reading; motion is judged on every pair).
Flow flow_along(const std::vector<cv::Mat>& frames, const Sampling& smp, double radius_px, double pixel_noise_sd,
                const ScoringSettings& s, double um_per_px, double fps, int pair_stride = 1) {
  Flow f;
  const int n = static_cast<int>(smp.point.size());
  const std::size_t nt = frames.size();
  const int half = std::max(0, static_cast<int>(std::lround(0.5 * radius_px)));
  // Space-time diagram: profile along the centreline, averaged across the lumen.
  std::vector<std::vector<float>> st(nt, std::vector<float>(static_cast<std::size_t>(n)));
  for (std::size_t t = 0; t < nt; ++t) {
    for (int j = 0; j < n; ++j) {
      float sum = 0.0f;
      for (int o = -half; o <= half; ++o) {
        const cv::Point2f q = smp.point[static_cast<std::size_t>(j)] + smp.normal[static_cast<std::size_t>(j)] * static_cast<float>(o);
        sum += bilinear(frames[t], q.x, q.y);
      }
      st[t][static_cast<std::size_t>(j)] = sum / static_cast<float>(2 * half + 1);
    }
  }
  std::vector<float> mean(static_cast<std::size_t>(n), 0.0f);
  for (const auto& row : st) {
    for (int j = 0; j < n; ++j) mean[static_cast<std::size_t>(j)] += row[static_cast<std::size_t>(j)];
  }
  for (auto& m : mean) m /= static_cast<float>(nt);
  // Residual against the temporal mean: only what moves remains.
  std::vector<std::vector<float>> r = st;
  for (auto& row : r) {
    for (int j = 0; j < n; ++j) row[static_cast<std::size_t>(j)] -= mean[static_cast<std::size_t>(j)];
  }
  // Motion per frame pair: mean squared change against the noise floor of the averaged profile.
  const double floor = 2.0 * pixel_noise_sd * pixel_noise_sd / static_cast<double>(2 * half + 1);
  std::vector<char> moving(nt > 1 ? nt - 1 : 0, 0);
  int moving_pairs = 0;
  for (std::size_t t = 0; t + 1 < nt; ++t) {
    // A high percentile of the squared change, not its mean: a stopped vessel crossed by a
    // flowing one changes only over the crossing, a flowing vessel changes over most of its length.
    std::vector<double> d2(static_cast<std::size_t>(n));
    for (int j = 0; j < n; ++j) {
      const double d = static_cast<double>(st[t + 1][static_cast<std::size_t>(j)]) - st[t][static_cast<std::size_t>(j)];
      d2[static_cast<std::size_t>(j)] = d * d;
    }
    const auto q = d2.begin() + static_cast<std::ptrdiff_t>(s.motion_percentile * (n - 1));
    std::nth_element(d2.begin(), q, d2.end());
    moving[t] = *q > s.motion_threshold * floor;
    moving_pairs += moving[t];
  }
  f.moving_fraction = nt > 1 ? static_cast<double>(moving_pairs) / static_cast<double>(nt - 1) : 0.0;
  if (moving_pairs == 0) {
    f.velocity_px_per_frame = 0.0;
    return f;
  }
  // Velocity from the summed cross-correlation of successive profiles.
  const double vmax_px = s.max_velocity_um_per_s / um_per_px / fps;
  const int dmax = std::max(2, std::min(static_cast<int>(std::ceil(vmax_px)), n - std::max(8, n / 3)));
  if (n < 12 || dmax < 2) return f;
  std::vector<char> screened;
  if (pair_stride > 1) {
    screened = moving;
    for (std::size_t t = 0; t < screened.size(); ++t) screened[t] = t % static_cast<std::size_t>(pair_stride) == 0 ? screened[t] : 0;
  }
  const std::vector<char>& pairs = pair_stride > 1 ? screened : moving;
  auto [shift, peak] = correlation_peak(r, pairs, 1, dmax);
  int lag = 1, searched = dmax;  // the lag and the range (in shifts) of the reading
  // Slow flow: measure over a longer lag for sub-pixel resolution.
  if (std::abs(shift) < 2.0) {
    lag = std::clamp(static_cast<int>(std::lround(3.0 / std::max(std::abs(shift), 0.2))), 2, 15);
    std::vector<char> use(moving.size(), 0);
    for (std::size_t t = 0; t + static_cast<std::size_t>(lag) < nt; t += static_cast<std::size_t>(pair_stride)) {
      int m = 0;
      for (int k = 0; k < lag; ++k) m += moving[t + static_cast<std::size_t>(k)];
      use[t] = m * 2 >= lag;
    }
    searched = std::max(2, std::min(static_cast<int>(std::ceil(3.0 * lag)), n - std::max(8, n / 3)));
    if (std::any_of(use.begin(), use.end(), [](char c) { return c != 0; })) {
      const auto [s2, p2] = correlation_peak(r, use, lag, searched);
      shift = s2 / lag;
      peak = p2;
    }
  }
  f.correlation = peak;
  // A weak peak, or one at the edge of the searchable range (the cells moved further than the
  // segment can show between frames), is no measurement.
  const bool at_edge = std::abs(shift) * lag >= searched - 1.0;
  f.velocity_px_per_frame = (peak < s.min_correlation || at_edge) ? kNaN : std::abs(shift);
  // A slow reading decides "sluggish": it must be a clear peak, since fast flow seen through a
  // short window can alias to a weak peak at a small shift.
  if (std::isfinite(f.velocity_px_per_frame) && f.velocity_px_per_frame * um_per_px * fps < s.sluggish_velocity_um_per_s &&
      peak < s.min_correlation_slow) {
    f.velocity_px_per_frame = kNaN;
  }
  return f;
}

struct KeptSegment {
  const Segment* segment;
  double radius_px;
};

// A kept segment's end at a junction: which segment, which end, and the unit direction of its
// last few pixels pointing out of the segment into the junction.
struct JunctionEnd {
  std::size_t seg;
  bool at_start;
  cv::Point2f dir;
};

// The kept segments' ends grouped by the junction they meet (junction centres keyed at 1/16 px).
std::map<std::pair<long, long>, std::vector<JunctionEnd>> ends_by_junction(const std::vector<KeptSegment>& kept) {
  auto key = [](cv::Point2f c) { return std::make_pair(std::lround(c.x * 16.0f), std::lround(c.y * 16.0f)); };
  std::map<std::pair<long, long>, std::vector<JunctionEnd>> at_junction;
  for (std::size_t k = 0; k < kept.size(); ++k) {
    const auto& px = kept[k].segment->pixels;
    const std::size_t back = std::min<std::size_t>(px.size() - 1, 6);
    auto direction = [&](std::size_t from, std::size_t to) {
      cv::Point2f d(static_cast<float>(px[to].x - px[from].x), static_cast<float>(px[to].y - px[from].y));
      const float n = static_cast<float>(cv::norm(d));
      return n > 0.0f ? d * (1.0f / n) : d;
    };
    if (kept[k].segment->start_junction) at_junction[key(*kept[k].segment->start_junction)].push_back({k, true, direction(back, 0)});
    if (kept[k].segment->end_junction) {
      at_junction[key(*kept[k].segment->end_junction)].push_back({k, false, direction(px.size() - 1 - back, px.size() - 1)});
    }
  }
  return at_junction;
}

// Chains of kept segments joined at shared junctions where they continue nearly straight
// (greedy, most collinear pairs first, at most one partner per segment end). Each chain is a list
// of (segment index, reversed) in walking order.
std::vector<std::vector<std::pair<std::size_t, bool>>> flow_paths(const std::vector<KeptSegment>& kept) {
  const auto at_junction = ends_by_junction(kept);
  // partner[k][0] = segment joined at k's start, [1] at its end.
  std::vector<std::array<long, 2>> partner(kept.size(), {-1, -1});
  for (const auto& [where, ends] : at_junction) {
    std::vector<std::tuple<double, std::size_t, std::size_t>> pairs;
    for (std::size_t a = 0; a < ends.size(); ++a) {
      for (std::size_t b = a + 1; b < ends.size(); ++b) {
        if (ends[a].seg == ends[b].seg) continue;
        const double straight = -static_cast<double>(ends[a].dir.dot(ends[b].dir));  // 1 = straight through
        if (straight > 0.8) pairs.emplace_back(straight, a, b);
      }
    }
    std::sort(pairs.begin(), pairs.end(), [](const auto& x, const auto& y) { return std::get<0>(x) > std::get<0>(y); });
    std::vector<char> used(ends.size(), 0);
    for (const auto& [straight, a, b] : pairs) {
      if (used[a] || used[b]) continue;
      used[a] = used[b] = 1;
      partner[ends[a].seg][ends[a].at_start ? 0 : 1] = static_cast<long>(ends[b].seg) * 2 + (ends[b].at_start ? 0 : 1);
      partner[ends[b].seg][ends[b].at_start ? 0 : 1] = static_cast<long>(ends[a].seg) * 2 + (ends[a].at_start ? 0 : 1);
    }
  }
  std::vector<char> done(kept.size(), 0);
  std::vector<std::vector<std::pair<std::size_t, bool>>> out;
  auto walk_from = [&](std::size_t k, bool enter_at_start) {
    std::vector<std::pair<std::size_t, bool>> chain;
    std::size_t cur = k;
    bool reversed = !enter_at_start;  // walking from start to end unless entered at the end
    while (!done[cur]) {
      done[cur] = 1;
      chain.emplace_back(cur, reversed);
      const long next = partner[cur][reversed ? 0 : 1];  // leave by the far end
      if (next < 0) break;
      cur = static_cast<std::size_t>(next / 2);
      reversed = (next % 2) == 1;  // entered at its end: walk it backwards
    }
    return chain;
  };
  // Chains start at segments with a free (unpartnered) end; what remains are loops.
  for (std::size_t k = 0; k < kept.size(); ++k) {
    if (done[k]) continue;
    if (partner[k][0] < 0) {
      out.push_back(walk_from(k, true));
    } else if (partner[k][1] < 0) {
      out.push_back(walk_from(k, false));
    }
  }
  for (std::size_t k = 0; k < kept.size(); ++k) {
    if (!done[k]) out.push_back(walk_from(k, true));
  }
  return out;
}

// For each kept segment and each of its ends (0 start, 1 end), the other segments meeting it at
// that junction that continue it without folding back: (segment, whether it meets the junction
// at its start).
std::vector<std::array<std::vector<std::pair<std::size_t, bool>>, 2>> junction_neighbours(
    const std::vector<KeptSegment>& kept, double min_straight) {
  const auto at_junction = ends_by_junction(kept);
  std::vector<std::array<std::vector<std::pair<std::size_t, bool>>, 2>> out(kept.size());
  for (const auto& [where, ends] : at_junction) {
    for (const auto& a : ends) {
      for (const auto& b : ends) {
        if (a.seg == b.seg) continue;
        if (-static_cast<double>(a.dir.dot(b.dir)) < min_straight) continue;
        out[a.seg][a.at_start ? 0 : 1].emplace_back(b.seg, b.at_start);
      }
    }
  }
  return out;
}

}  // namespace

void StageClock::lap(const char* name) {
  if (!settings_.stage_time) return;
  const auto now = std::chrono::steady_clock::now();
  settings_.stage_time(name, std::chrono::duration<double, std::milli>(now - start_).count());
  start_ = now;
}

Stabilised stabilise(const Clip& clip, const ScoringSettings& s, StageClock* clock) {
  auto stage = [clock](const char* name) {
    if (clock) clock->lap(name);
  };
  Stabilised out;
  out.um_per_px = clip.um_per_px;
  out.fps = clip.fps;
  out.duration_s = clip.duration_s();
  // 1-2. Flicker and stabilisation.
  const std::vector<cv::Mat>& raw = clip.frames;
  const std::vector<double> gain = flicker_gains(raw);
  stage("flicker");
  out.drift_px = register_frames(raw, gain, s.registration_search_um / clip.um_per_px);
  stage("coarse");
  {
    // The reference for the second pass: frames moved back by whole pixels (cheap) and averaged.
    const int w = raw.front().cols, h = raw.front().rows;
    cv::Mat m = cv::Mat::zeros(raw.front().size(), CV_32F), count = m.clone();
    for (std::size_t t = 0; t < raw.size(); ++t) {
      const int ix = static_cast<int>(std::lround(out.drift_px[t].x)), iy = static_cast<int>(std::lround(out.drift_px[t].y));
      const cv::Rect dst = cv::Rect(-ix, -iy, w, h) & cv::Rect(0, 0, w, h);
      if (dst.area() == 0) continue;
      const cv::Rect src(dst.x + ix, dst.y + iy, dst.width, dst.height);
      cv::scaleAdd(raw[t](src), gain[t], m(dst), m(dst));
      count(dst) += 1.0;
    }
    m /= cv::max(count, 1.0);
    stage("mean");
    refine_against_mean(raw, gain, out.drift_px, m);
    stage("refine");
  }
  out.frames = apply_shifts(raw, gain, out.drift_px);
  const std::vector<cv::Mat>& frames = out.frames;
  stage("stabilise");

  // Temporal mean and standard deviation: a vessel whose red cells stand still is dark in the
  // mean; one whose cells stream past flickers (high SD) but is only grey in the mean.
  cv::Mat mean = cv::Mat::zeros(frames.front().size(), CV_32F), sq = mean.clone();
  for (const auto& f : frames) {
    mean += f;
    sq += f.mul(f);
  }
  mean *= 1.0 / static_cast<double>(frames.size());
  out.temporal_var = sq * (1.0 / static_cast<double>(frames.size())) - mean.mul(mean);
  out.mean = mean;

  // Per-pixel temporal noise, from successive differences (robust: median over the image).
  {
    std::vector<double> v;
    const std::size_t pairs =
        std::min<std::size_t>(frames.size() - 1, static_cast<std::size_t>(s.noise_frame_pairs));
    for (std::size_t t = 0; t < pairs; ++t) {
      cv::Mat d = cv::abs(frames[t + 1] - frames[t]);
      for (int y = 0; y < d.rows; y += 4) {
        const float* p = d.ptr<float>(y);
        for (int x = 0; x < d.cols; x += 4) v.push_back(p[x]);
      }
    }
    out.pixel_noise_sd = 1.4826 * median_of(v) / std::sqrt(2.0) + 1e-6;
  }
  return out;
}

namespace {

// The contrast images the vessel mask came from, which the centrelines are then measured on.
struct ContrastMaps {
  cv::Mat contrast;  // absorbance-like contrast of the mean plus flicker
  cv::Mat smooth;    // contrast smoothed for the thresholds
  double level0 = 0.0;  // the background's median of `smooth`
};

// Contrast, vesselness, hysteresis and the edge margin: out.mask, out.margin_px, out.bright_fraction.
ContrastMaps vessel_mask(const Stabilised& st, const ScoringSettings& s, Detection& out) {
  const cv::Mat& mean = st.mean;
  const double pixel_noise_sd = st.pixel_noise_sd;
  // 3. Detection on absorbance-like contrast.
  const double um = st.um_per_px;
  const int bg_radius = std::max(5, static_cast<int>(std::lround(s.background_radius_um / um)));
  cv::Mat background;
  cv::morphologyEx(mean, background, cv::MORPH_CLOSE,
                   cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * bg_radius + 1, 2 * bg_radius + 1)));
  cv::GaussianBlur(background, background, cv::Size(), bg_radius / 2.0);
  background = cv::max(background, 1e-3);
  // Saliva and bubbles: bright patches and rings above the tissue's own level (the closing-based
  // background is the tissue without its vessels, so the tissue itself sits at ~1).
  out.bright_fraction =
      static_cast<double>(cv::countNonZero(mean / background > s.bright_ratio)) / static_cast<double>(mean.total());
  cv::Mat a_mean = 1.0 - mean / background;
  a_mean = cv::max(a_mean, 0.0);
  // Flicker above the sensor noise, in the same units (relative to the background).
  cv::Mat flicker;
  cv::max(st.temporal_var - pixel_noise_sd * pixel_noise_sd, 0.0, flicker);
  cv::sqrt(flicker, flicker);
  flicker = flicker / background;
  cv::Mat contrast = a_mean + flicker;
  cv::Mat smooth;
  cv::GaussianBlur(contrast, smooth, cv::Size(), std::max(0.8, s.contrast_smoothing_um / um));
  // The threshold comes from the background's own distribution (vessels are a minority of
  // pixels): its median and robust spread, which include tissue texture, not only noise.
  double sd = 0.0, level0 = 0.0;
  {
    std::vector<double> v;
    for (int y = 0; y < smooth.rows; y += 2) {
      const float* p = smooth.ptr<float>(y);
      for (int x = 0; x < smooth.cols; x += 2) v.push_back(p[x]);
    }
    level0 = median_of(v);
    std::vector<double> dev;
    dev.reserve(v.size());
    for (double x : v) dev.push_back(std::abs(x - level0));
    sd = 1.4826 * median_of(dev) + 1e-6;
  }
  std::vector<double> sigmas;
  for (double su : s.scales_um) sigmas.push_back(std::max(0.7, su / um));
  const cv::Mat vness = vesselness(smooth, sigmas, s.frangi_beta, s.frangi_c_sd * sd);
  // Hysteresis: strong = contrast high and tubular; weak pixels join strong components.
  const cv::Mat tubular = vness > s.tubular_strong;
  cv::Mat strong = (smooth > level0 + s.threshold_high_sd * sd) & tubular;
  cv::Mat weak = (smooth > level0 + s.threshold_low_sd * sd) & (vness > s.tubular_weak);
  cv::Mat labels, stats, centroids;
  const int ncomp = cv::connectedComponentsWithStats(weak, labels, stats, centroids, 8, CV_32S);
  std::vector<char> keep(static_cast<std::size_t>(ncomp), 0);
  for (int y = 0; y < labels.rows; ++y) {
    for (int x = 0; x < labels.cols; ++x) {
      if (strong.at<std::uint8_t>(y, x)) keep[static_cast<std::size_t>(labels.at<int>(y, x))] = 1;
    }
  }
  const double min_area_px = std::pow(s.min_component_side_um / um, 2.0) * 3.0;
  cv::Mat mask = cv::Mat::zeros(mean.size(), CV_8U);
  for (int y = 0; y < labels.rows; ++y) {
    for (int x = 0; x < labels.cols; ++x) {
      const int l = labels.at<int>(y, x);
      if (l > 0 && keep[static_cast<std::size_t>(l)] && stats.at<int>(l, cv::CC_STAT_AREA) >= min_area_px) {
        mask.at<std::uint8_t>(y, x) = 255;
      }
    }
  }
  cv::morphologyEx(mask, mask, cv::MORPH_CLOSE, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(3, 3)));
  // The frame's edge: shifted-back frames repeat their border pixels there, and the background
  // estimate is one-sided, which draws false ridges along the edge. Nothing is detected within
  // the largest drift plus a few pixels of it.
  {
    double max_drift = 0.0;
    for (const auto& d : st.drift_px) max_drift = std::max({max_drift, std::abs(d.x), std::abs(d.y)});
    const int margin = static_cast<int>(std::ceil(max_drift)) + std::max(3, bg_radius / 2);
    out.margin_px = margin;
    if (2 * margin < mask.cols && 2 * margin < mask.rows) {
      cv::Mat keep_inside = cv::Mat::zeros(mask.size(), CV_8U);
      keep_inside(cv::Rect(margin, margin, mask.cols - 2 * margin, mask.rows - 2 * margin)).setTo(255);
      mask &= keep_inside;
    }
  }
  out.mask = mask;
  return {contrast, smooth, level0};
}

// Centrelines of out.mask split into segments, spurs and specks pruned; each kept one's geometry.
void trace_vessels(const Stabilised& st, const ContrastMaps& maps, const ScoringSettings& s, Detection& out) {
  const cv::Mat& mean = st.mean;
  const cv::Mat& contrast = maps.contrast;
  const cv::Mat& smooth = maps.smooth;
  const double level0 = maps.level0;
  const double um = st.um_per_px;
  const cv::Mat& mask = out.mask;
  cv::Mat dist;
  cv::distanceTransform(mask, dist, cv::DIST_L2, 3);
  cv::Mat skel;
  cv::ximgproc::thinning(mask, skel, cv::ximgproc::THINNING_ZHANGSUEN);
  skel = skel > 0;

  // Segments: pruned and measured (their flow is measure_flow's).
  const auto segments = trace_segments(skel);
  for (const Segment& seg : segments) {
    const double len_px = path_length_px(seg.pixels) + 1.0;
    std::vector<double> radii;
    for (const auto& p : seg.pixels) radii.push_back(dist.at<float>(p.y, p.x));
    const double radius_px = median_of(radii);
    // Spurs: short free-ended branches of a wider vessel's skeleton.
    // Spurs (a free end next to a junction) and isolated specks are dropped; a short link between
    // two junctions is real vessel and stays.
    const bool free_start = !seg.start_junction, free_end = !seg.end_junction;
    if ((free_start != free_end) && len_px < 2.0 * radius_px + 2.0) continue;
    if (free_start && free_end && len_px * um < s.min_segment_um) continue;
    ScoredVessel v;
    std::vector<cv::Point2f> seg_points;
    for (const auto& q : seg.pixels) seg_points.emplace_back(static_cast<float>(q.x), static_cast<float>(q.y));
    Sampling smp = resample(seg_points);
    const double fwhm = fwhm_diameter_px(contrast, smp, 2.0 * radius_px + 4.0);
    v.diameter_um = (std::isfinite(fwhm) ? fwhm : 2.0 * radius_px) * um;
    v.small = v.diameter_um < s.small_vessel_diameter_um;
    // Centreline: joined to the junctions it meets. A free end is carried on along the vessel's
    // direction to where the contrast falls to half the vessel's own (its end at half maximum):
    // thinning stops about a radius short of the mask's end, and the vesselness filter, which
    // answers weakly to the blob-like tip, shortens the mask itself.
    double centre_contrast = 0.0;
    {
      std::vector<double> c;
      for (const auto& q : seg.pixels) c.push_back(smooth.at<float>(q.y, q.x) - level0);
      centre_contrast = median_of(c);
    }
    auto extension = [&](std::size_t end, std::size_t inner) {
      const cv::Point2f a(static_cast<float>(seg.pixels[end].x), static_cast<float>(seg.pixels[end].y));
      const cv::Point2f b(static_cast<float>(seg.pixels[inner].x), static_cast<float>(seg.pixels[inner].y));
      cv::Point2f d = a - b;
      const float nd = static_cast<float>(cv::norm(d));
      if (nd <= 0.0f) return a;
      d *= 1.0f / nd;
      const double half = 0.5 * centre_contrast;
      const double reach_px = 3.0 * radius_px + 4.0;
      cv::Point2f e = a;
      for (int half_steps = 1; 0.5 * half_steps <= reach_px; ++half_steps) {
        const cv::Point2f q = a + d * static_cast<float>(0.5 * half_steps);
        if (q.x < 0.0f || q.y < 0.0f || q.x > static_cast<float>(mean.cols - 1) || q.y > static_cast<float>(mean.rows - 1)) break;
        if (bilinear(smooth, q.x, q.y) - level0 < half) break;
        e = q;
      }
      return e;
    };
    const std::size_t last = seg.pixels.size() - 1, back = std::min<std::size_t>(last, 4);
    if (seg.start_junction) {
      v.centreline_px.push_back(*seg.start_junction);
    } else {
      v.centreline_px.push_back(extension(0, back));
    }
    for (const auto& p : seg.pixels) v.centreline_px.emplace_back(static_cast<float>(p.x), static_cast<float>(p.y));
    if (seg.end_junction) {
      v.centreline_px.push_back(*seg.end_junction);
    } else {
      v.centreline_px.push_back(extension(last, last - back));
    }
    double length_px = 0.0;
    for (std::size_t k = 0; k < v.centreline_px.size(); ++k) {
      if (k > 0) length_px += cv::norm(v.centreline_px[k] - v.centreline_px[k - 1]);
      v.polyline_um.push_back({(v.centreline_px[k].x + 0.5) * um, (v.centreline_px[k].y + 0.5) * um});
    }
    v.length_um = length_px * um;
    out.vessels.push_back(std::move(v));
    out.segments.push_back(seg);
    out.radius_px.push_back(radius_px);
    out.profile.push_back(std::move(smp));
  }
}

void remove_blur(const ScoringSettings& s, Detection& out) {
  // Optical blur widens every profile: estimated from the thinnest tenth of the vessel length,
  // taken to be the thinnest capillaries (5 um), and removed from every width in quadrature. It
  // also measures focus.
  {
    std::vector<std::pair<double, double>> widths;  // (FWHM, length)
    double total = 0.0;
    for (const auto& v : out.vessels) {
      widths.emplace_back(v.diameter_um, v.length_um);
      total += v.length_um;
    }
    std::sort(widths.begin(), widths.end());
    double acc = 0.0, p10 = s.thinnest_capillary_um;
    for (const auto& [w, l] : widths) {
      acc += l;
      if (acc >= s.thinnest_length_fraction * total) {
        p10 = w;
        break;
      }
    }
    const double blur2 = std::max(0.0, p10 * p10 - s.thinnest_capillary_um * s.thinnest_capillary_um);
    out.blur_um = std::sqrt(blur2);
    for (auto& v : out.vessels) {
      v.diameter_um = std::sqrt(std::max(v.diameter_um * v.diameter_um - blur2,
                                         s.thinnest_capillary_um * s.thinnest_capillary_um));
      v.small = v.diameter_um < s.small_vessel_diameter_um;
    }
  }
}

}  // namespace

Detection detect(const Stabilised& st, const ScoringSettings& s, StageClock* clock) {
  Detection out;
  const ContrastMaps maps = vessel_mask(st, s, out);
  if (clock) clock->lap("detect");
  trace_vessels(st, maps, s, out);
  remove_blur(s, out);
  return out;
}

FlowResult measure_flow(const Stabilised& st, const Detection& det, const ScoringSettings& s, StageClock* clock) {
  auto stage = [clock](const char* name) {
    if (clock) clock->lap(name);
  };
  FlowResult out;
  const std::vector<cv::Mat>& frames = st.frames;
  const double um = st.um_per_px, fps = st.fps, pixel_noise_sd = st.pixel_noise_sd;
  std::vector<KeptSegment> kept;
  for (std::size_t k = 0; k < det.segments.size(); ++k) {
    // Motion (and a first velocity) on the segment's own profile.
    const Flow own = flow_along(frames, det.profile[k], det.radius_px[k], pixel_noise_sd, s, um, fps);
    VesselFlow v;
    v.moving_fraction = own.moving_fraction;
    v.correlation = own.correlation;
    v.velocity_um_per_s = own.velocity_px_per_frame * um * fps;
    out.vessels.push_back(v);
    kept.push_back({&det.segments[k], det.radius_px[k]});
  }
  stage("segments+motion");
  // Flow paths: segments continued straight through the junctions they share (a vessel crossing
  // another keeps its direction), so that flow is measured over whole vessels: a red cell that
  // moves further between frames than a short segment can show is still seen on the path.
  for (const auto& path : flow_paths(kept)) {
    // A one-segment path is the segment itself (already measured); a path none of whose
    // segments moves has no velocity to give them.
    const bool any_moving = std::any_of(path.begin(), path.end(), [&](const auto& member) {
      return out.vessels[member.first].moving_fraction >= s.intermittent_low;
    });
    if (path.size() < 2 || !any_moving) continue;
    std::vector<cv::Point2f> points;
    double radius_sum = 0.0;
    for (const auto& [k, reversed] : path) {
      const Segment& sg = *kept[k].segment;
      std::vector<cv::Point2f> pts;
      for (const auto& q : sg.pixels) pts.emplace_back(static_cast<float>(q.x), static_cast<float>(q.y));
      if (reversed) std::reverse(pts.begin(), pts.end());
      if (!points.empty()) {
        const auto& join = reversed ? sg.end_junction : sg.start_junction;
        if (join) points.push_back(*join);
      }
      points.insert(points.end(), pts.begin(), pts.end());
      radius_sum += kept[k].radius_px;
    }
    const Sampling smp = resample(points);
    const Flow flow = flow_along(frames, smp, radius_sum / static_cast<double>(path.size()), pixel_noise_sd, s, um, fps);
    // The path's velocity is the better measurement (longer profile) where it exists and the
    // segment itself moves; whether it moves, and how much of the time, is the segment's own.
    if (!std::isfinite(flow.velocity_px_per_frame)) continue;
    for (const auto& member : path) {
      VesselFlow& v = out.vessels[member.first];
      if (v.moving_fraction < s.intermittent_low) continue;
      v.velocity_um_per_s = flow.velocity_px_per_frame * um * fps;
      v.correlation = flow.correlation;
    }
  }
  // A moving segment still without a velocity is often shorter than its cells move between
  // frames, and its cells go on into one of the segments it meets (at any angle that does not
  // fold back). Each such continuation, at one end or both, is screened on a sparse set of frame
  // pairs; the clearest valid peak is measured on every pair and gives the segment its velocity.
  {
    const auto neighbours = junction_neighbours(kept, s.continuation_min_straight);
    auto pixels_of = [&](std::size_t k) {
      std::vector<cv::Point2f> pts;
      for (const auto& q : kept[k].segment->pixels) pts.emplace_back(static_cast<float>(q.x), static_cast<float>(q.y));
      return pts;
    };
    for (std::size_t k = 0; k < kept.size(); ++k) {
      VesselFlow& v = out.vessels[k];
      if (v.moving_fraction < s.intermittent_low || std::isfinite(v.velocity_um_per_s)) continue;
      const Segment& sg = *kept[k].segment;
      std::vector<std::optional<std::pair<std::size_t, bool>>> before = {std::nullopt}, after = {std::nullopt};
      for (const auto& n : neighbours[k][0]) before.emplace_back(n);
      for (const auto& n : neighbours[k][1]) after.emplace_back(n);
      double best_corr = -1.0, best_radius = 0.0;
      std::vector<cv::Point2f> best_points;
      for (const auto& b : before) {
        for (const auto& a : after) {
          if (!b && !a) continue;
          std::vector<cv::Point2f> points;
          double radius_sum = kept[k].radius_px;
          int members = 1;
          if (b) {
            // Walked towards k's start: the neighbour ends at the junction.
            auto pts = pixels_of(b->first);
            if (b->second) std::reverse(pts.begin(), pts.end());
            points = pts;
            points.push_back(*sg.start_junction);
            radius_sum += kept[b->first].radius_px;
            ++members;
          }
          const auto own = pixels_of(k);
          points.insert(points.end(), own.begin(), own.end());
          if (a) {
            points.push_back(*sg.end_junction);
            auto pts = pixels_of(a->first);
            if (!a->second) std::reverse(pts.begin(), pts.end());
            points.insert(points.end(), pts.begin(), pts.end());
            radius_sum += kept[a->first].radius_px;
            ++members;
          }
          // Screened on a sparse set of frame pairs; the best one measured on all of them.
          const Flow flow = flow_along(frames, resample(points), radius_sum / members, pixel_noise_sd, s, um, fps,
                                       s.continuation_screen_stride);
          if (std::isfinite(flow.velocity_px_per_frame) && flow.correlation > best_corr) {
            best_corr = flow.correlation;
            best_points = std::move(points);
            best_radius = radius_sum / members;
          }
        }
      }
      if (best_corr > 0.0) {
        const Flow flow = flow_along(frames, resample(best_points), best_radius, pixel_noise_sd, s, um, fps);
        if (std::isfinite(flow.velocity_px_per_frame)) {
          v.velocity_um_per_s = flow.velocity_px_per_frame * um * fps;
          v.correlation = flow.correlation;
        }
      }
    }
  }
  stage("continuations");
  for (VesselFlow& v : out.vessels) {
    using model::FlowClass;
    v.flow_measured = true;
    if (v.moving_fraction < s.intermittent_low ||
        (std::isfinite(v.velocity_um_per_s) && v.velocity_um_per_s < s.stopped_velocity_um_per_s)) {
      v.flow_class = FlowClass::kNone;
    } else if (!std::isfinite(v.velocity_um_per_s)) {
      // Its frames change, but no red-cell displacement was found: no evidence of a class.
      v.flow_measured = false;
      v.flow_class = FlowClass::kNone;  // placeholder, never read
    } else if (v.moving_fraction <= s.intermittent_high) {
      v.flow_class = FlowClass::kIntermittent;
    } else if (std::isfinite(v.velocity_um_per_s) && v.velocity_um_per_s < s.sluggish_velocity_um_per_s) {
      v.flow_class = FlowClass::kSluggish;
    } else {
      v.flow_class = FlowClass::kContinuous;
    }
  }
  stage("paths+velocity");
  return out;
}

std::vector<ScoredVessel> with_flow(const Detection& det, const FlowResult& flow) {
  std::vector<ScoredVessel> out = det.vessels;
  for (std::size_t i = 0; i < out.size() && i < flow.vessels.size(); ++i) {
    const VesselFlow& f = flow.vessels[i];
    out[i].moving_fraction = f.moving_fraction;
    out[i].velocity_um_per_s = f.velocity_um_per_s;
    out[i].correlation = f.correlation;
    out[i].flow_measured = f.flow_measured;
    out[i].flow_class = f.flow_class;
  }
  return out;
}

Measures consensus_measures(const std::vector<ScoredVessel>& vessels, double width_um, double height_um,
                            double margin_um) {
  Measures out;
  // 6. Consensus measures, by the same definitions as the ground truth, over the analysed field
  // (the image minus its edge margin: densities are per analysed area). TVD and De Backer over
  // every vessel; PPV and MFI over the vessels with a measured class (an unmeasured one is
  // neither perfused nor not); PVD = TVD x PPV.
  std::vector<std::vector<model::PointUm>> inner(vessels.size());
  std::vector<model::ObservedVessel> observed, measured;
  for (std::size_t i = 0; i < vessels.size(); ++i) {
    const auto& v = vessels[i];
    for (const auto& p : v.polyline_um) inner[i].push_back({p.x_um - margin_um, p.y_um - margin_um});
    const double velocity = std::isfinite(v.velocity_um_per_s) ? v.velocity_um_per_s : 0.0;  // perfused ones are finite
    observed.push_back({inner[i], v.diameter_um, true, v.flow_class, velocity, nullptr});
    if (v.flow_measured) measured.push_back(observed.back());
  }
  const double field_w = width_um - 2.0 * margin_um, field_h = height_um - 2.0 * margin_um;
  out.metrics = model::site_metrics(field_w, field_h, observed);
  {
    const model::SiteMetrics m = model::site_metrics(field_w, field_h, measured);
    out.metrics.ppv_pct = m.ppv_pct;
    out.metrics.pvd_mm_per_mm2 = out.metrics.tvd_mm_per_mm2 * m.ppv_pct / 100.0;
    out.metrics.mfi = m.mfi;
    out.metrics.mfi_vessel = m.mfi_vessel;
    out.metrics.quadrant_scores = m.quadrant_scores;
  }
  // Small-vessel length by evidence, and the mean RBC velocity over perfused small vessels
  // (length-weighted; each has a measured velocity). NaN when none: not measured is not 0.
  {
    double vsum = 0.0;
    for (const auto& v : vessels) {
      if (!v.small) continue;
      out.evidence.small += v.length_um;
      const bool perfused = v.flow_measured && (v.flow_class == model::FlowClass::kSluggish ||
                                                v.flow_class == model::FlowClass::kContinuous);
      if (!v.flow_measured) {
        out.evidence.unmeasured += v.length_um;
        out.evidence.moving += v.length_um;
      } else if (v.flow_class != model::FlowClass::kNone) {
        out.evidence.moving += v.length_um;
      }
      if (perfused) {
        out.evidence.perfused += v.length_um;
        vsum += v.length_um * v.velocity_um_per_s;
      }
    }
    out.metrics.rbc_velocity_um_per_s = out.evidence.perfused > 0.0 ? vsum / out.evidence.perfused : kNaN;
  }
  return out;
}

Quality assess_quality(const Stabilised& st, const Detection& det, const std::vector<ScoredVessel>& vessels,
                       const Measures& measures, const ScoringSettings& s) {
  Quality out;
  const cv::Mat& mean = st.mean;
  const double um = st.um_per_px;
  const double bright_fraction = det.bright_fraction;
  // 7. Quality (MIQS categories).
  auto item = [&](std::string name, double value, int score, std::string detail) {
    out.items.push_back({std::move(name), score, value, std::move(detail)});
    if (score >= 10) out.acceptable = false;
  };
  const double level = cv::mean(mean)[0];
  double saturated = 0.0;
  {
    cv::Mat sat = mean > s.saturated_level;
    saturated = static_cast<double>(cv::countNonZero(sat)) / static_cast<double>(mean.total());
  }
  item("illumination", level,
       level < s.level_unacceptable_low || level > s.level_unacceptable_high ||
               saturated > s.saturated_unacceptable_fraction
           ? 10
           : (level < s.level_acceptable_low ? 1 : 0),
       fmt::format("mean level {:.2f}, {:.1f}% saturated", level, 100.0 * saturated));
  const double duration = st.duration_s;
  item("duration", duration,
       duration < s.duration_unacceptable_s ? 10 : (duration < s.duration_acceptable_s ? 1 : 0),
       fmt::format("{:.1f} s", duration));
  // Focus: the optical blur estimated above (the extra width of the thinnest capillaries).
  item("focus", det.blur_um, det.blur_um > s.blur_unacceptable_um ? 10 : (det.blur_um > s.blur_acceptable_um ? 1 : 0),
       fmt::format("blur {:.1f} um (extra FWHM of the thinnest capillaries)", det.blur_um));
  // Content: enough small vessels in view, not hidden under saliva or bubbles.
  const double tvd = measures.metrics.tvd_mm_per_mm2;
  const int content_score =
      tvd < s.content_tvd_unacceptable || bright_fraction > s.bright_unacceptable_fraction
          ? 10
          : (tvd < s.content_tvd_acceptable || bright_fraction > s.bright_acceptable_fraction ? 1 : 0);
  item("content", bright_fraction, content_score,
       fmt::format("small-vessel density {:.1f} mm/mm2; {:.2f}% of the field brighter than the tissue (saliva, bubbles)",
                   tvd, 100.0 * bright_fraction));
  double path = 0.0;
  for (std::size_t t = 1; t < st.drift_px.size(); ++t) {
    const cv::Point2d d = st.drift_px[t] - st.drift_px[t - 1];
    path += std::hypot(d.x, d.y) * um;
  }
  const double drift_speed = duration > 0.0 ? path / duration : 0.0;
  item("stability", drift_speed,
       drift_speed > s.drift_unacceptable_um_per_s ? 10 : (drift_speed > s.drift_acceptable_um_per_s ? 1 : 0),
       fmt::format("probe moves {:.0f} um/s", drift_speed));
  // Pressure (MIQS): probe pressure compresses the venules first, so their red cells move slower
  // than the capillaries' that feed them (normally venular velocity is at least capillary
  // velocity). Stopped venules count as velocity 0; unmeasurably fast ones do not suggest pressure.
  std::vector<double> small_v;
  double small_um = 0.0, small_flowing_um = 0.0, large_w = 0.0, large_vsum = 0.0;
  for (const auto& v : vessels) {
    if (!v.flow_measured) continue;  // neither flowing nor stopped
    const bool flowing = v.flow_class == model::FlowClass::kContinuous || v.flow_class == model::FlowClass::kSluggish;
    if (v.small) {
      small_um += v.length_um;
      if (flowing) small_flowing_um += v.length_um;
      if (flowing && std::isfinite(v.velocity_um_per_s)) small_v.push_back(v.velocity_um_per_s);
    } else if (v.flow_class == model::FlowClass::kNone) {
      large_w += v.length_um;
    } else if (std::isfinite(v.velocity_um_per_s)) {
      large_w += v.length_um;
      large_vsum += v.length_um * v.velocity_um_per_s;
    }
  }
  const double capillary_v = median_of(small_v);
  const bool capillaries_flow =
      small_um > 0.0 && small_flowing_um / small_um > s.pressure_min_flowing_share && std::isfinite(capillary_v);
  const double ratio = capillaries_flow && large_w > 0.0 && capillary_v > 0.0 ? (large_vsum / large_w) / capillary_v : 1.0;
  const int pressure_score = capillaries_flow && ratio < s.pressure_ratio_unacceptable
                                 ? 10
                                 : (capillaries_flow && ratio < s.pressure_ratio_acceptable ? 1 : 0);
  item("pressure", ratio, pressure_score,
       fmt::format("venular / capillary RBC velocity {:.2f}", ratio));
  // Flow evidence: a moving vessel's class rests on a measured red-cell displacement. Frames out
  // of time order (shuffled, or a frame rate far too low for the flow) leave motion without any.
  const EvidenceLengths& evidence = measures.evidence;
  const double measured_share = evidence.moving > 0.0 ? 1.0 - evidence.unmeasured / evidence.moving : 1.0;
  const int evidence_score =
      measured_share < s.evidence_unacceptable ? 10 : (measured_share < s.evidence_acceptable ? 1 : 0);
  item("flow_evidence", measured_share, evidence_score,
       fmt::format("red-cell displacement measured in {:.0f}% of the moving small-vessel length{}",
                   100.0 * measured_share,
                   evidence_score == 10 ? ": the frames change without coherent motion (frames out of time "
                                          "order, or flow far too fast for the frame rate)"
                                        : ""));
  // Flow measures without the evidence they need are refused, not reported.
  if (duration < s.min_flow_duration_s) {
    out.flow_refused.push_back(fmt::format("duration {:.1f} s: flow classes need at least {:g} s", duration,
                                           s.min_flow_duration_s));
  }
  if (evidence_score == 10) {
    out.flow_refused.push_back(fmt::format(
        "flow evidence: red-cell displacement measured in {:.0f}% of the moving small-vessel length (at least {:.0f}% "
        "needed): frames not coherent in time",
        100.0 * measured_share, 100.0 * s.evidence_unacceptable));
  }
  return out;
}

SiteScore score_site(const Clip& clip, const ScoringSettings& s) {
  SiteScore out;
  out.source = clip.source;
  out.um_per_px = clip.um_per_px;
  out.fps = clip.fps;
  out.frames = static_cast<int>(clip.frames.size());
  out.width_um = clip.width() * clip.um_per_px;
  out.height_um = clip.height() * clip.um_per_px;

  StageClock clock(s);
  const Stabilised st = stabilise(clip, s, &clock);
  const Detection det = detect(st, s, &clock);
  const FlowResult flow = measure_flow(st, det, s, &clock);
  out.drift_px = st.drift_px;
  out.mean_image = st.mean;
  out.blur_um = det.blur_um;
  out.margin_px = det.margin_px;
  out.vessels = with_flow(det, flow);

  const Measures measures = consensus_measures(out.vessels, out.width_um, out.height_um, out.margin_px * clip.um_per_px);
  out.metrics = measures.metrics;
  out.evidence = measures.evidence;
  Quality quality = assess_quality(st, det, out.vessels, measures, s);
  out.quality = std::move(quality.items);
  out.acceptable = quality.acceptable;
  out.flow_refused = std::move(quality.flow_refused);
  if (!out.flow_refused.empty()) {
    out.metrics.pvd_mm_per_mm2 = out.metrics.ppv_pct = out.metrics.mfi = out.metrics.mfi_vessel = kNaN;
    out.metrics.rbc_velocity_um_per_s = kNaN;
    out.metrics.quadrant_scores.fill(kNaN);
  }
  return out;
}

double EvidenceLengths::velocity_measured_fraction() const {
  return perfused + unmeasured > 0.0 ? perfused / (perfused + unmeasured) : kNaN;
}

double EvidenceLengths::flow_measured_fraction() const { return small > 0.0 ? 1.0 - unmeasured / small : kNaN; }

std::string SiteScore::verdict() const {
  int worst = 0;
  for (const auto& q : quality) worst = std::max(worst, q.score);
  return worst >= 10 ? "unacceptable" : (worst >= 1 ? "acceptable" : "optimal");
}

std::vector<std::string> SiteScore::reasons() const {
  std::vector<std::string> out;
  for (const auto& q : quality) {
    if (q.score > 0) out.push_back(fmt::format("{} {}: {}", q.name, q.score, q.detail));
  }
  return out;
}

ClipSetScore combine_sites(std::vector<SiteScore> sites) {
  ClipSetScore out;
  out.sites = std::move(sites);
  std::vector<double> mfis;
  std::vector<model::SiteMetrics> all;
  for (const auto& s : out.sites) {
    all.push_back(s.metrics);
    out.acceptable = out.acceptable && s.acceptable;
    if (!s.flow_refused.empty()) ++out.sites_flow_refused;
  }
  // The evidence beside the flow measures: over the sites that report them (every site when none does).
  const bool none_reports = out.sites_flow_refused == static_cast<int>(out.sites.size());
  for (const auto& s : out.sites) {
    if (!s.flow_refused.empty() && !none_reports) continue;
    if (s.flow_refused.empty()) mfis.push_back(s.metrics.mfi);
    out.evidence.small += s.evidence.small;
    out.evidence.unmeasured += s.evidence.unmeasured;
    out.evidence.perfused += s.evidence.perfused;
    out.evidence.moving += s.evidence.moving;
  }
  out.mean = model::mean_of_sites(all);
  // A flow measure: the mean over the sites that report it.
  auto mean_over = [&](double model::SiteMetrics::*field) {
    double sum = 0.0;
    int n = 0;
    for (const auto& m : all) {
      if (std::isfinite(m.*field)) {
        sum += m.*field;
        ++n;
      }
    }
    return n > 0 ? sum / n : kNaN;
  };
  for (auto field : {&model::SiteMetrics::pvd_mm_per_mm2, &model::SiteMetrics::ppv_pct, &model::SiteMetrics::mfi,
                     &model::SiteMetrics::mfi_vessel, &model::SiteMetrics::rbc_velocity_um_per_s}) {
    out.mean.*field = mean_over(field);
  }
  out.hi = mfis.empty() ? kNaN : model::heterogeneity_index(mfis);
  return out;
}

}  // namespace coherence::scoring
