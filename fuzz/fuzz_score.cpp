// Fuzz target: the scoring stages beyond load_clip, on frames in memory (issue 21). The first
// bytes choose the frame size (16-127 px a side), the frame count (2-7), the pixel size (within
// 0.05-50 um/px) and the frame rate (within 1-1000 fps): the ranges `coherence score` accepts; the
// rest are the pixels (repeated to fill). score_site, combine_sites and score_json must return,
// or refuse with InputError or an OpenCV error (which `score` reports as one line, exit
// 2); a crash, a sanitizer report or any other exception is a defect.
#include <opencv2/core.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

#include "core/errors.hpp"
#include "scoring/analysis.hpp"
#include "scoring/clip.hpp"
#include "scoring/report.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 6) return 0;
  const int w = 16 + data[0] % 112, h = 16 + data[1] % 112;
  const std::size_t n = 2 + data[2] % 6;
  using coherence::scoring::kMaxFps, coherence::scoring::kMinFps, coherence::scoring::kMaxUmPerPx,
      coherence::scoring::kMinUmPerPx;
  // Log-spaced over each range.
  const double um = kMinUmPerPx * std::pow(kMaxUmPerPx / kMinUmPerPx, data[3] / 255.0);
  const double fps = kMinFps * std::pow(kMaxFps / kMinFps, data[4] / 255.0);
  const std::uint8_t* pixels = data + 5;
  const std::size_t available = size - 5;
  std::vector<std::vector<std::uint8_t>> frames(n, std::vector<std::uint8_t>(static_cast<std::size_t>(w) * h));
  std::size_t k = 0;
  for (auto& f : frames) {
    for (auto& p : f) p = pixels[k++ % available];
  }
  try {
    const auto clip = coherence::scoring::clip_from_grey8(frames, w, h, um, fps, "fuzz");
    auto site = coherence::scoring::score_site(clip);
    std::vector<coherence::scoring::SiteScore> sites;
    sites.push_back(std::move(site));
    (void)coherence::scoring::score_json(coherence::scoring::combine_sites(std::move(sites)));
  } catch (const coherence::InputError&) {
  } catch (const cv::Exception&) {
  }
  return 0;
}
