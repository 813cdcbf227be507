// The teaching viewer's frame time (issue 8: smooth, >= 60 frames/s): the window drawn as fast as
// it can for a fixed number of frames (fixed 1/60 s steps, no frame limiter), on whatever display
// is there. bench/run.sh provides Xvfb (software OpenGL) when there is none; a desktop GPU is faster.
#include <fmt/format.h>

#include <cstdlib>

#include "bench/benchmarks.hpp"
#include "scenario/scenario.hpp"
#include "viewer/window.hpp"

namespace coherence::bench {

Section bench_viewer(const Options& o) {
  Section out{"Teaching viewer", "coherence_bench --only viewer (needs a display: xvfb-run)", {}, {}};
  const char* display = std::getenv("DISPLAY");
  if (!display || !*display) {
    out.details.emplace_back("Skipped: no display (bench/run.sh runs the benchmarks under xvfb-run when DISPLAY is unset).");
    return out;
  }
  const int frames = o.quick ? 10 : 600;
  for (const double speed : {4.0, 60.0}) {
    const auto s = scenario::load_scenario(COHERENCE_SOURCE_DIR "/scenarios/ne_cliff.toml");
    viewer::ViewerOptions vo;
    vo.start_min = 60.0;
    vo.speed_min_per_s = speed;
    vo.pause_at_captions = false;
    viewer::LiveViewer live(s, vo);
    viewer::WindowOptions wo;
    wo.frames = frames;
    const viewer::FrameTimes ft = viewer::run_window(live, wo);
    out.figures.push_back(
        {fmt::format("1280x720 window, scenarios/ne_cliff.toml at {:g} simulated min/s, {} frames, DISPLAY {}", speed,
                     ft.frames, display),
         fmt::format("{:.2f} ms per frame ({:.0f} frames/s; simulation + video {:.2f} ms, drawing {:.2f} ms; 95th "
                     "percentile {:.2f} ms; {} of {} frames redrawn)",
                     ft.frame_ms_mean, 1000.0 / ft.frame_ms_mean, ft.tick_ms_mean, ft.draw_ms_mean, ft.frame_ms_p95,
                     ft.redrawn, ft.frames),
         ">= 60 frames/s (issue 8)", rate_ratio(1000.0 / ft.frame_ms_mean, 60.0)});
  }
  out.details.emplace_back(
      "A frame in which nothing on screen changed is not drawn again (the video runs at 30 frames/s, the panels "
      "at 10): the loop keeps the image and waits for the next 1/60 s tick. The worst frames are those that "
      "renew the video clip and redraw the panels.");
  return out;
}

}  // namespace coherence::bench
