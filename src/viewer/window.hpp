// The teaching viewer's SFML window (1280x720): the live sublingual video beside the trend strips,
// the coherence indicator, the decision log, lesson captions and the help overlay.
#pragma once

#include <string>

#include "viewer/live.hpp"

namespace coherence::viewer {

struct WindowOptions {
  std::string screenshot_file;  // non-empty: headless capture of frame `frames`, then exit
  int frames = 0;               // > 0: stop after this many frames (fixed 1/60 s steps)
  bool frame_times = false;     // print frame-time statistics at the end
  std::string layout_file;      // non-empty: JSON of the captured frame's texts and strips (tests)
};

struct FrameTimes {
  int frames = 0;
  int redrawn = 0;            // frames whose content changed and were drawn and displayed
  double tick_ms_mean = 0.0;  // simulation + video rendering (LiveViewer::tick)
  double draw_ms_mean = 0.0;  // SFML drawing and display, over all frames (0 for those not redrawn)
  double frame_ms_mean = 0.0, frame_ms_p95 = 0.0, frame_ms_max = 0.0;
};

// Opens the window and runs until closed (or `frames` are done). Throws std::runtime_error when
// no window can be opened or the font is missing.
FrameTimes run_window(LiveViewer& viewer, const WindowOptions& options);

// The font the viewer draws with (DejaVu Sans, Debian's fonts-dejavu-core).
inline constexpr const char* kFontFile = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

}  // namespace coherence::viewer
