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

struct Clip {
  std::vector<cv::Mat> frames;  // CV_32F, intensity in [0, 1], all the same size
  double um_per_px = 0.0;
  double fps = 0.0;
  int bit_depth = 8;
  std::string source;           // the input, for messages and reports
  int width() const { return frames.empty() ? 0 : frames.front().cols; }
  int height() const { return frames.empty() ? 0 : frames.front().rows; }
  double duration_s() const { return fps > 0.0 ? static_cast<double>(frames.size()) / fps : 0.0; }
};

struct ClipOptions {
  std::optional<double> um_per_px;  // from a flag; else from meta.json / truth.json beside
  std::optional<double> fps;        // from a flag; else meta file, else the video container
};

// Loads a folder (frame_*.png if present, else every *.png, sorted by name) or a video file.
// Throws scenario::InputError (exit 2) for a missing, empty, corrupt or mismatched input.
Clip load_clip(const std::filesystem::path& input, const ClipOptions& options);

// Frames from 8-bit grey pixel buffers (the renderer's output in memory; tests, validation).
Clip clip_from_grey8(const std::vector<std::vector<std::uint8_t>>& frames, int width, int height, double um_per_px,
                     double fps, std::string source);

}  // namespace coherence::scoring
