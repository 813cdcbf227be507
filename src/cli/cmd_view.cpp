// `coherence view SCENARIO.toml [--screenshot FILE --frames N]`: the teaching viewer.
#include <fmt/format.h>

#include <filesystem>

#include "cli/commands.hpp"
#include "scenario/scenario.hpp"
#include "viewer/window.hpp"
#include "viz/scene.hpp"

namespace coherence::cli {

void setup_view(CLI::App& app, const std::shared_ptr<ViewOptions>& opts) {
  CLI::App* sub = app.add_subcommand(
      "view", "Teaching viewer: the live sublingual video beside MAP, NE, lactate and micro trends, with controls");
  sub->add_option("scenario", opts->scenario_file, "Scenario file (TOML); [[captions]] make it a lesson")->required();
  sub->add_option("--set", opts->overrides, "Override a scalar key by its dotted path")->type_name("KEY=VALUE");
  sub->add_option("--screenshot", opts->screenshot_file, "Write the window after --frames frames to this PNG, then exit");
  sub->add_option("--frames", opts->frames, "Run this many frames (1/60 s each), then exit")
      ->check(CLI::Range(1, 10000000));
  sub->add_option("--site", opts->site, "Sublingual site shown first (1-5)")->check(CLI::Range(1, 5))->capture_default_str();
  sub->add_option("--speed", opts->speed_min_per_s, "Simulated minutes per second (0.25-480)")
      ->check(CLI::Range(0.25, 480.0))
      ->capture_default_str();
  sub->add_option("--start-h", opts->start_h, "Where the live view begins (h; the course before runs unseen)")
      ->capture_default_str();
  sub->add_option("--at-caption", opts->at_caption,
                  "Begin the live view at lesson caption N (1-based; shown, with the trends before it)")
      ->check(CLI::Range(1, 1000));
  sub->add_option("--layout", opts->layout_file,
                  "With --screenshot: also write the captured frame's texts and trend strips as JSON (for tests)");
  sub->add_option("--device", opts->device, "Microscope preset (sdf, sdf-hd, idf)")->capture_default_str();
  sub->add_flag("--no-caption-pause", opts->no_caption_pause, "Show lesson captions without pausing");
  sub->add_flag("--frame-times", opts->frame_times, "Print frame-time statistics at the end");
}

int run_view(const ViewOptions& opts) {
  std::vector<scenario::Override> overrides;
  overrides.reserve(opts.overrides.size());
  for (const auto& text : opts.overrides) overrides.push_back(scenario::parse_override(text));
  const scenario::Scenario s = scenario::load_scenario(opts.scenario_file, overrides);
  if (!opts.screenshot_file.empty()) {
    if (opts.frames <= 0) throw scenario::InputError("--screenshot needs --frames N (the frame to capture)");
    const std::filesystem::path shot(opts.screenshot_file);
    if (shot.extension() != ".png") {
      throw scenario::InputError(fmt::format("--screenshot {}: must end in .png", opts.screenshot_file));
    }
    const auto dir = shot.has_parent_path() ? shot.parent_path() : std::filesystem::path(".");
    if (!std::filesystem::is_directory(dir)) {
      throw scenario::InputError(fmt::format("--screenshot {}: no folder {}", opts.screenshot_file, dir.string()));
    }
  }
  if (!opts.layout_file.empty() && opts.screenshot_file.empty()) {
    throw scenario::InputError("--layout needs --screenshot (the layout is that frame's)");
  }
  double start_min = opts.start_h * 60.0;
  if (opts.at_caption > 0) {
    if (opts.start_h != 0.0) throw scenario::InputError("--at-caption and --start-h: give one of them");
    if (static_cast<std::size_t>(opts.at_caption) > s.captions.size()) {
      throw scenario::InputError(fmt::format("--at-caption {}: {} has {} caption(s)", opts.at_caption, s.file,
                                             s.captions.size()));
    }
    // Just after the caption's time: it is in force, and the clock does not pause on it again.
    start_min = std::min(s.duration_min, s.captions[static_cast<std::size_t>(opts.at_caption - 1)].at_min + 1e-6);
  }
  if (start_min > s.duration_min) {
    throw scenario::InputError(
        fmt::format("--start-h {}: after the end of the scenario ({} h)", opts.start_h, s.duration_min / 60.0));
  }
  try {
    (void)viz::device_preset(opts.device);
  } catch (const std::invalid_argument&) {
    throw scenario::InputError(fmt::format("--device {}: must be sdf, sdf-hd or idf", opts.device));
  }
  viewer::ViewerOptions vo;
  vo.start_min = start_min;
  vo.speed_min_per_s = opts.speed_min_per_s;
  vo.site = opts.site;
  vo.device = opts.device;
  vo.pause_at_captions = !opts.no_caption_pause;
  viewer::LiveViewer live(s, vo, s.monitoring.micro_method == "render_score" ? video_measurer(s) : nullptr);
  viewer::WindowOptions wo;
  wo.screenshot_file = opts.screenshot_file;
  wo.frames = opts.frames;
  wo.layout_file = opts.layout_file;
  const viewer::FrameTimes ft = viewer::run_window(live, wo);
  if (opts.frame_times) {
    fmt::print("{} frames: {:.2f} ms per frame on average (simulation + video {:.2f} ms, drawing {:.2f} ms), "
               "95th percentile {:.2f} ms, max {:.2f} ms: {:.0f} frames/s; {} redrawn (the others unchanged)\n",
               ft.frames, ft.frame_ms_mean, ft.tick_ms_mean, ft.draw_ms_mean, ft.frame_ms_p95, ft.frame_ms_max,
               ft.frame_ms_mean > 0 ? 1000.0 / ft.frame_ms_mean : 0.0, ft.redrawn);
  }
  if (!opts.screenshot_file.empty()) fmt::print("screenshot: {}\n", opts.screenshot_file);
  return 0;
}

}  // namespace coherence::cli
