// Input of the scoring pipeline: one site's video as floating-point frames. The pipeline reads
// pixels only (never the renderer's internals): a folder of PNG frames (8- or 16-bit, grey or
// colour; colour is reduced to its green channel, where haemoglobin absorbs) or a video file
// decoded by ffmpeg as a child process (any container and codec ffmpeg reads).
#pragma once

#include <opencv2/core.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace coherence::scoring {

// The accepted ranges (from a flag, meta.json, truth.json or the container), inclusive: a
// value outside is bad input, never replaced by another source.
constexpr double kMinFps = 1.0, kMaxFps = 1000.0;
constexpr double kMinUmPerPx = 0.05, kMaxUmPerPx = 50.0;
// The memory bound: a frame holds at most kMaxFramePixels pixels (4096 x 4096), a clip at most
// kMaxClipPixels over all its frames (2^28: e.g. 873 frames of 640 x 480, ~29 s at 30 fps; the
// scorer holds ~8 bytes per pixel). A larger input is refused before it is decoded.
constexpr long long kMaxFramePixels = 4096LL * 4096LL;
constexpr long long kMaxClipPixels = 1LL << 28;

struct Clip {
  std::vector<cv::Mat> frames;  // CV_32F, intensity in [0, 1], all the same size
  double um_per_px = 0.0;
  double fps = 0.0;
  int bit_depth = 8;
  std::string source;           // the input, for messages and reports
  std::vector<std::string> notes;  // where um_per_px and fps came from when sources disagree
  int width() const { return frames.empty() ? 0 : frames.front().cols; }
  int height() const { return frames.empty() ? 0 : frames.front().rows; }
  double duration_s() const { return fps > 0.0 ? static_cast<double>(frames.size()) / fps : 0.0; }
};

// Precedence, highest first: the flag, meta.json, truth.json (beside the frames or the video),
// then (fps only) the video container's average frame rate. A lower source that disagrees with
// the value used is named in Clip::notes.
struct ClipOptions {
  std::optional<double> um_per_px;  // from a flag; else from meta.json / truth.json beside
  std::optional<double> fps;        // from a flag; else meta file, else the video container
};

// Loads a folder (frame_*.png if present, else every *.png, in natural order: frame_2 before
// frame_10) or a video file. Throws InputError (exit 2) for a missing, empty, corrupt,
// mismatched or too large input, or a pixel size or frame rate outside the ranges above.
Clip load_clip(const std::filesystem::path& input, const ClipOptions& options);

// The folder whose meta.json and truth.json describe `input`: the folder of frames itself, or a
// video file's folder ("." for a bare file name).
std::filesystem::path meta_folder(const std::filesystem::path& input);

// Whether file name `a` sorts before `b` with digit runs compared as numbers.
bool natural_less(const std::string& a, const std::string& b);

// Frames from 8-bit grey pixel buffers (the renderer's output in memory; tests, validation).
Clip clip_from_grey8(const std::vector<std::vector<std::uint8_t>>& frames, int width, int height, double um_per_px,
                     double fps, std::string source);

}  // namespace coherence::scoring
