// Links the scoring pipeline with nothing but its own dependencies (model, core, OpenCV, libpng):
// if any scoring source used the scenario loader, protocols or trials, this program would not
// link (issue 19 Build 5). Run, it scores a uniform grey clip through every stage and checks the
// only right answers: no vessel detected, a JSON object written, no grey spread.
#include <cstdio>
#include <exception>
#include <vector>

#include "scoring/analysis.hpp"
#include "scoring/clip.hpp"
#include "scoring/realism.hpp"
#include "scoring/report.hpp"

int main() {
  using namespace coherence::scoring;
  // A 64 x 64 clip of 30 uniform grey frames: nothing to detect.
  const std::vector<std::vector<std::uint8_t>> frames(30, std::vector<std::uint8_t>(64 * 64, 128));
  try {
    const Clip clip = clip_from_grey8(frames, 64, 64, 1.47, 30.0, "uniform");
    const SiteScore site = score_site(clip);
    const ClipSetScore set = combine_sites({site});
    const auto j = score_json(set);
    const cv::Mat grey(64, 64, CV_8U, cv::Scalar(128));
    const RealismStats r = realism_stats(grey, 3.1);
    std::printf("scored: vessels %zu, json %s, realism grey SD %.3g\n", site.vessels.size(),
                j.is_object() ? "object" : "other", r.grey_sd);
    if (!site.vessels.empty() || !j.is_object() || r.grey_sd != 0.0) return 1;
  } catch (const std::exception& e) {
    std::printf("error: %s\n", e.what());
    return 1;
  }
  return 0;
}
