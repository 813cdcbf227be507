// The `coherence` subcommands: each has an options struct, a setup function that registers it
// with CLI11, and a run function. `main` only registers them and maps errors to exit codes.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <memory>
#include <limits>
#include <string>
#include <vector>

#include "run/runner.hpp"

namespace coherence::cli {

// The render + score measurement of the microcirculation for a scenario's monitors.
run::VideoMicroMeasurer video_measurer(const scenario::Scenario& s);

struct RunOptions {
  std::string scenario_file;
  std::vector<std::string> overrides;  // KEY=VALUE
  std::string out_dir = "out/run";
  bool no_plot = false;
  std::vector<double> dump_vessels_at_min;  // write vessels_t<T>min.json at these times
};
void setup_run(CLI::App& app, const std::shared_ptr<RunOptions>& opts);
int run_run(const RunOptions& opts);

struct RenderOptions {
  std::string scenario_file;           // or a preset
  std::string preset;                  // healthy, septic, severe
  std::string class_fractions;         // none,intermittent,sluggish,continuous (sum 1)
  bool masks = false;
  std::vector<std::string> overrides;
  double at_min = 60.0;
  bool at_min_given = false;           // --at-min on the command line (a scenario file's option)
  int site = 1;
  double seconds = 4.0;
  std::string device = "sdf";
  std::string out_dir = "out/render";
  std::string video;
  std::int64_t seed = 1;               // for presets
  double pressure = 0.0, saliva = 0.0, motion_blur = 0.0, defocus = 0.0, drift = 0.2;
  std::string look = "realistic";      // clean | realistic
  int threads = 0;                     // 0: all cores (output identical for any count)
  bool no_frames = false;              // with --video: no frame PNGs, raw frames piped to ffmpeg
  // Realistic-look dials, 0-1 (NaN: not given, the look's own value).
  static constexpr double kUnset = std::numeric_limits<double>::quiet_NaN();
  double columns = kUnset, exposure = kUnset, depth_blur = kUnset, saturation = kUnset, illumination = kUnset,
         texture = kUnset, deep_vessels = kUnset, debris = kUnset, specular = kUnset, shot_noise = kUnset;
};
void setup_render(CLI::App& app, const std::shared_ptr<RenderOptions>& opts);
int run_render(const RenderOptions& opts);

struct ScoreOptions {
  std::vector<std::string> inputs;  // one per site: frames folder or video file
  double um_per_px = 0.0;           // 0: from a meta file
  double fps = 0.0;                 // 0: from a meta file or the container
  std::string json_file, csv_file, overlay_dir;
  int threads = 0;                  // 0: all cores
  std::string batch;                // a folder of videos / frame folders, or a list file: each on its own
  std::string patient;              // the inputs are this patient's sites (means and HI over them)
  std::string summary_csv;          // one row per video (default with --batch: printed)
};
void setup_score(CLI::App& app, const std::shared_ptr<ScoreOptions>& opts);
int run_score(const ScoreOptions& opts);

struct ScoreCheckOptions {
  int clips = 0;          // 0: the whole accuracy set
  double seconds = 4.0;
  std::string docs_dir;
  int threads = 0;
  std::string scenarios_dir = "scenarios";  // the scenario clips' files
};
void setup_score_check(CLI::App& app, const std::shared_ptr<ScoreCheckOptions>& opts);
int run_score_check(const ScoreCheckOptions& opts);

struct RenderCheckOptions {
  std::vector<std::string> images;  // PNG frames to measure (default: the built-in rendered set)
  double um_per_px = 0.0;           // of the images (0: from a truth.json beside them)
  std::string real_file;            // the real reference frame (3.1 um/px)
  std::string docs_dir;             // rewrite the realism table in DIR/rendering.md
  std::int64_t seed = 1;
};
void setup_render_check(CLI::App& app, const std::shared_ptr<RenderCheckOptions>& opts);
int run_render_check(const RenderCheckOptions& opts);

struct CompareOptions {
  std::vector<std::string> run_dirs;  // output folders of `coherence run`
  std::vector<std::string> labels;    // one per run (default: the protocol name)
  std::string out_dir = "out/compare";
  double last_hours = 6.0;            // "end of run" figures average over this window
};
void setup_compare(CLI::App& app, const std::shared_ptr<CompareOptions>& opts);
int run_compare(const CompareOptions& opts);

struct ValidateOptions {
  std::string docs_dir;  // rewrite the generated tables in these docs
  bool quiet = false;
};
void setup_validate(CLI::App& app, const std::shared_ptr<ValidateOptions>& opts);
int run_validate(const ValidateOptions& opts);

struct TrialOptions {
  std::string trial_file;
  std::vector<std::string> overrides;  // KEY=VALUE
  int patients = 0;                    // 0: the trial file's
  std::int64_t seed = -1;              // -1: the trial file's
  int threads = 0;                     // 0: all cores
  std::string out_dir = "out/trial";
  bool resume = false;
  bool no_plot = false;
  std::string docs_dir;  // observational replication: write its table into DIR/validation.md
  bool decisions = false;  // DIR/decisions/patient_<id>_<arm>.csv
  int replay = 0;          // > 0: re-run this patient alone (run outputs + its patients.csv rows)
  std::string arm;         // --replay: this arm only (default: every arm)
};
void setup_trial(CLI::App& app, const std::shared_ptr<TrialOptions>& opts);
int run_trial(const TrialOptions& opts);

struct ViewOptions {
  std::string scenario_file;
  std::vector<std::string> overrides;
  std::string screenshot_file;  // headless capture after `frames` frames
  int frames = 0;               // > 0: stop after this many frames (fixed 1/60 s steps)
  int site = 1;
  double speed_min_per_s = 2.0;
  double start_h = 0.0;
  std::string device = "sdf";
  bool no_caption_pause = false;
  bool frame_times = false;
  int at_caption = 0;           // > 0: the live view begins at this lesson caption (1-based)
  std::string layout_file;      // JSON of the captured frame's texts and strips (tests)
};
void setup_view(CLI::App& app, const std::shared_ptr<ViewOptions>& opts);
int run_view(const ViewOptions& opts);

}  // namespace coherence::cli
