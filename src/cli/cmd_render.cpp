// `coherence render [SCENARIO.toml | --preset NAME] [--at-min T] [--site K] [--seconds S]
//  [--device NAME] [--out DIR] [--video FILE]`: synthetic sublingual frames with exact truth.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <exception>
#include <memory>
#include <optional>
#include <thread>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "validation/scoring_accuracy.hpp"
#include "model/microcirculation.hpp"
#include "model/random.hpp"
#include "output/files.hpp"
#include "output/vessel_dump.hpp"
#include "run/runner.hpp"
#include "scenario/scenario.hpp"
#include "viz/bed.hpp"
#include "viz/presets.hpp"
#include "viz/raster.hpp"
#include "viz/scene.hpp"

namespace coherence::cli {

void setup_render(CLI::App& app, const std::shared_ptr<RenderOptions>& opts) {
  CLI::App* sub = app.add_subcommand("render", "Render synthetic sublingual video frames with exact ground truth");
  sub->add_option("scenario", opts->scenario_file, "Scenario file (TOML); or use --preset");
  sub->add_option("--preset", opts->preset, "Flow mix without a scenario: healthy, septic, severe");
  sub->add_option("--class-fractions", opts->class_fractions,
                  "Flow mix by class, by small-vessel length: none,intermittent,sluggish,continuous (sum 1)");
  sub->add_flag("--masks", opts->masks, "Also write mask_vessels.png (16-bit ids) and mask_classes.png (frame 0)");
  sub->add_option("--set", opts->overrides, "Override a scenario key, e.g. patient.weight_kg=80")->type_name("KEY=VALUE");
  sub->add_option("--at-min", opts->at_min, "Scenario time of the first frame (min; with a scenario file only)")
      ->capture_default_str();
  // Which of the scenario-only options were given (an error with --preset / --class-fractions).
  sub->callback([opts, sub] { opts->at_min_given = sub->count("--at-min") > 0; });
  sub->add_option("--site", opts->site, "Sublingual site 1-5")->capture_default_str();
  sub->add_option("--seconds", opts->seconds, "Clip length (s)")->capture_default_str();
  sub->add_option("--device", opts->device, "Device preset: sdf, sdf-hd, idf")->capture_default_str();
  sub->add_option("--out", opts->out_dir, "Output folder for frame_0000.png ... and truth.json")->capture_default_str();
  sub->add_option("--video", opts->video, "Also encode with ffmpeg: FILE.mkv (lossless FFV1) or FILE.mp4 (H.264)");
  sub->add_option("--seed", opts->seed, "Seed of the network for --preset (0 - 2^63-1)")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{0}, std::numeric_limits<std::int64_t>::max()));
  sub->add_option("--pressure", opts->pressure, "Artifact dial 0-1: probe pressure")->capture_default_str();
  sub->add_option("--saliva", opts->saliva, "Artifact dial 0-1: saliva and bubbles")->capture_default_str();
  sub->add_option("--motion-blur", opts->motion_blur, "Artifact dial 0-1: motion blur")->capture_default_str();
  sub->add_option("--defocus", opts->defocus, "Artifact dial 0-1: defocus")->capture_default_str();
  sub->add_option("--drift", opts->drift, "Artifact dial 0-1: probe drift and jitter")->capture_default_str();
  sub->add_flag("--no-frames", opts->no_frames,
                "With --video: pipe raw frames straight into ffmpeg, write no frame PNGs (truth.json, motion.png still)");
  sub->add_option("--threads", opts->threads, "Frames rendered and written in parallel (default: all cores)")
      ->check(CLI::Range(1, 256));
  sub->add_option("--look", opts->look, "Look: realistic (real optics and texture) or clean (sharp cells, smooth tissue)")
      ->capture_default_str();
  const std::pair<const char*, double RenderOptions::*> dials[] = {
      {"columns", &RenderOptions::columns},       {"exposure", &RenderOptions::exposure},
      {"depth-blur", &RenderOptions::depth_blur}, {"saturation", &RenderOptions::saturation},
      {"illumination", &RenderOptions::illumination}, {"texture", &RenderOptions::texture},
      {"deep-vessels", &RenderOptions::deep_vessels}, {"debris", &RenderOptions::debris},
      {"specular", &RenderOptions::specular},     {"shot-noise", &RenderOptions::shot_noise}};
  for (const auto& [name, member] : dials) {
    sub->add_option(std::string("--") + name, (*opts).*member, std::string("Realistic-look dial 0-1: ") + name);
  }
}

static viz::Look render_look(const RenderOptions& opts, const model::MicroDrivers& drivers) {
  viz::Look look;
  try {
    look = viz::look_preset(opts.look);
  } catch (const std::invalid_argument&) {
    throw scenario::InputError(fmt::format("--look {}: must be clean or realistic", opts.look));
  }
  const std::pair<const char*, std::pair<double, double viz::Look::*>> dials[] = {
      {"columns", {opts.columns, &viz::Look::columns}},       {"exposure", {opts.exposure, &viz::Look::exposure}},
      {"depth-blur", {opts.depth_blur, &viz::Look::depth_blur}}, {"saturation", {opts.saturation, &viz::Look::saturation}},
      {"illumination", {opts.illumination, &viz::Look::illumination}}, {"texture", {opts.texture, &viz::Look::texture}},
      {"deep-vessels", {opts.deep_vessels, &viz::Look::deep_vessels}}, {"debris", {opts.debris, &viz::Look::debris}},
      {"specular", {opts.specular, &viz::Look::specular}},    {"shot-noise", {opts.shot_noise, &viz::Look::noise}}};
  for (const auto& [name, dial] : dials) {
    const auto& [value, member] = dial;
    if (std::isnan(value)) continue;  // not given
    if (!(value >= 0.0 && value <= 1.0)) throw scenario::InputError(fmt::format("--{} {}: must lie in [0, 1]", name, value));
    if (!look.realistic) throw scenario::InputError(fmt::format("--{}: a realistic-look dial (needs --look realistic)", name));
    look.*member = value;
  }
  if (look.realistic) look.oedema = viz::oedema_index(drivers);
  return look;
}

namespace {

void check_dial(const char* name, double v) {
  if (!(v >= 0.0 && v <= 1.0)) throw scenario::InputError(fmt::format("--{} {}: must lie in [0, 1]", name, v));
}

// Drivers of a preset flow mix (a bad name is bad input).
model::MicroDrivers preset_drivers(const std::string& name) {
  try {
    return viz::preset_drivers(name);
  } catch (const std::invalid_argument&) {
    throw scenario::InputError(fmt::format("--preset {}: must be healthy, septic or severe", name));
  }
}

std::array<double, 4> parse_class_fractions(const std::string& text) {
  std::array<double, 4> f{};
  std::size_t start = 0;
  for (int k = 0; k < 4; ++k) {
    const auto comma = text.find(',', start);
    if ((k < 3) == (comma == std::string::npos)) break;
    try {
      std::size_t used = 0;
      const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      f[static_cast<std::size_t>(k)] = std::stod(item, &used);
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      throw scenario::InputError(fmt::format("--class-fractions {}: expected four numbers a,b,c,d", text));
    }
    if (k == 3) {
      const double sum = f[0] + f[1] + f[2] + f[3];
      for (double v : f) {
        if (!(v >= 0.0 && v <= 1.0)) {
          throw scenario::InputError(fmt::format("--class-fractions {}: each fraction must lie in [0, 1]", text));
        }
      }
      if (std::abs(sum - 1.0) > 1e-6) {
        throw scenario::InputError(fmt::format("--class-fractions {}: fractions must sum to 1 (sum {})", text, sum));
      }
      return f;
    }
    start = comma + 1;
  }
  throw scenario::InputError(fmt::format("--class-fractions {}: expected four numbers a,b,c,d", text));
}

}  // namespace

int run_render(const RenderOptions& opts) {
  // Validate everything before touching the output folder.
  const int sources = !opts.scenario_file.empty() + !opts.preset.empty() + !opts.class_fractions.empty();
  if (sources != 1) {
    throw scenario::InputError("render: give either a scenario file or --preset or --class-fractions (one of them)");
  }
  if (opts.scenario_file.empty()) {
    const std::string mode = opts.preset.empty() ? "--class-fractions" : "--preset";
    if (!opts.overrides.empty()) {
      throw scenario::InputError(fmt::format("render: --set {}: --set changes a scenario file's keys; {} has none",
                                             opts.overrides.front(), mode));
    }
    if (opts.at_min_given) {
      throw scenario::InputError(fmt::format("render: --at-min {:g}: a scenario time needs a scenario file; {} "
                                             "renders one state",
                                             opts.at_min, mode));
    }
  }
  std::array<double, 4> fractions{};
  if (!opts.class_fractions.empty()) fractions = parse_class_fractions(opts.class_fractions);
  if (opts.site < 1 || opts.site > 5) throw scenario::InputError(fmt::format("--site {}: must be 1-5", opts.site));
  if (!(opts.seconds > 0.0 && opts.seconds <= 60.0)) {
    throw scenario::InputError(fmt::format("--seconds {}: must lie in (0, 60]", opts.seconds));
  }
  check_dial("pressure", opts.pressure);
  check_dial("saliva", opts.saliva);
  check_dial("motion-blur", opts.motion_blur);
  check_dial("defocus", opts.defocus);
  check_dial("drift", opts.drift);
  (void)render_look(opts, model::MicroDrivers{});  // the look's name and dials
  viz::DevicePreset device;
  try {
    device = viz::device_preset(opts.device);
  } catch (const std::invalid_argument& e) {
    throw scenario::InputError(fmt::format("--device {}: {}", opts.device, e.what()));
  }
  const std::filesystem::path video = opts.video;
  std::string video_ext = video.extension().string();
  std::transform(video_ext.begin(), video_ext.end(), video_ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (opts.no_frames && opts.video.empty()) throw scenario::InputError("--no-frames: needs --video FILE");
  if (!opts.video.empty() && video_ext != ".mkv" && video_ext != ".mp4") {
    throw scenario::InputError(fmt::format("--video {}: must end in .mkv (FFV1) or .mp4 (H.264)", opts.video));
  }
  if (!opts.video.empty()) output::output_target(video);  // a link, folder or FIFO is refused up front

  // The site's vessels and the drivers at the requested time.
  model::MicrocirculationParams micro;
  model::Network network;
  model::MicroDrivers drivers;
  double start_s = 0.0;
  std::string source;
  std::uint64_t seed = static_cast<std::uint64_t>(opts.seed);
  if (!opts.scenario_file.empty()) {
    std::vector<scenario::Override> overrides;
    for (const auto& t : opts.overrides) overrides.push_back(scenario::parse_override(t));
    const scenario::Scenario s = scenario::load_scenario(opts.scenario_file, overrides);
    if (!(opts.at_min >= 0.0 && opts.at_min <= s.duration_min)) {
      throw scenario::InputError(fmt::format("--at-min {}: must lie within the scenario (0 - {} min)", opts.at_min,
                                             s.duration_min));
    }
    run::RunResult r = run::run_scenario(s, {opts.at_min}, video_measurer(s));
    if (!r.completed || r.snapshots.empty()) {
      throw std::runtime_error(fmt::format("{}: the simulation did not reach t = {} min{}", s.file, opts.at_min,
                                           r.error.empty() ? "" : ": " + r.error));
    }
    micro = s.params.micro;
    network = std::move(r.network);
    drivers = r.snapshots.front().drivers;
    start_s = opts.at_min * 60.0;
    source = s.file;
    seed = s.seed;
  } else {
    drivers = preset_drivers(opts.preset.empty() ? "healthy" : opts.preset);
    micro.field_width_um = device.field_width_um;  // the site is the camera's field
    micro.field_height_um = device.field_height_um;
    network = model::generate_network(micro, seed);
    source = opts.preset.empty() ? "class-fractions:" + opts.class_fractions : "preset:" + opts.preset;
  }
  micro.window_s = opts.seconds;  // the truth describes exactly this clip
  // The image must show vessels everywhere: a field larger than the model's site (IDF) gets a
  // site generated at the camera's size from the same seed; a smaller one sees part of the site.
  // Either way the truth counts exactly what lies in the image.
  // The realistic look draws a connected bed (viz/bed.hpp) from the same seed, its flow from the
  // model's states at these drivers and conserved through every junction; the clean look draws
  // the model's own site.
  const viz::Look look = render_look(opts, drivers);
  model::Site site;
  std::vector<model::VesselState> states;
  std::optional<viz::Bed> bed;
  if (look.realistic) {
    bed = viz::connected_bed(micro, seed, static_cast<std::size_t>(opts.site - 1), device.field_width_um,
                             device.field_height_um);
    states = model::site_states(micro, bed->site, drivers, start_s);
    if (!opts.class_fractions.empty()) viz::assign_bed_classes(micro, *bed, states, fractions, seed);
    viz::bed_flow(micro, *bed, states, start_s);
    site = bed->site;
  } else {
    network = viz::network_for_camera(micro, std::move(network), seed, device);
    site = viz::site_in_view(network, static_cast<std::size_t>(opts.site - 1), device);
    states = model::site_states(micro, site, drivers, start_s);
    if (!opts.class_fractions.empty()) viz::assign_classes(micro, site, states, fractions, seed);
  }

  const std::filesystem::path out = opts.out_dir;
  output::prepare_output_folder(out, [](const std::string& name) {
    // meta.json too: `score` would prefer an old one to this clip's truth.json.
    return name.rfind("frame_", 0) == 0 || name.rfind("mask_", 0) == 0 || name == "truth.json" ||
           name == "meta.json" || name == "motion.png";
  });

  viz::Artifacts artifacts{opts.pressure, opts.saliva, opts.motion_blur, opts.defocus, opts.drift};
  viz::ClipSetup clip = viz::make_clip(device, artifacts, site, states, start_s, seed, look);
  if (bed) viz::share_depths(*bed, clip.depth_um);
  const int frames = std::max(1, static_cast<int>(std::lround(opts.seconds * device.fps)));
  const bool tty = isatty(STDERR_FILENO) != 0;
  nlohmann::json per_vessel_velocity = nlohmann::json::array();
  for (std::size_t i = 0; i < site.vessels.size(); ++i) per_vessel_velocity.push_back(nlohmann::json::array());
  nlohmann::json drift = nlohmann::json::array();
  for (int k = 0; k < frames; ++k) {
    const viz::FrameScene frame = viz::build_frame(clip, k);
    for (const auto& vs : frame.vessels) per_vessel_velocity[vs.vessel_index].push_back(vs.velocity_um_per_s);
    drift.push_back({frame.offset_x_um, frame.offset_y_um});
  }
  // Frames are independent given the clip: each thread renders (own Renderer) and writes every
  // T-th frame. The motion image's sums are integers, so their total does not depend on the
  // thread count: the output bytes are the same for any T.
  // ffmpeg's codec arguments for the video file.
  // Encoded to VIDEO.partial (the container named by -f) and renamed into place when ffmpeg
  // succeeded; a name starting with '-' would be read by ffmpeg as an option.
  const std::string video_partial = opts.video + ".partial";
  auto codec_args = [&]() -> std::vector<std::string> {
    std::vector<std::string> a;
    if (video_ext == ".mkv") {
      a = {"-c:v", "ffv1", "-level", "3", "-f", "matroska"};
    } else {
      a = {"-c:v", "libx264", "-preset", "fast", "-crf", "12", "-pix_fmt", "yuv420p", "-f", "mp4"};
    }
    a.push_back(video_partial.rfind('-', 0) == 0 ? "./" + video_partial : video_partial);
    return a;
  };
  auto ffmpeg_failed = [&](int status, const std::string& says = {}) {
    std::error_code ec;
    std::filesystem::remove(video_partial, ec);
    return std::runtime_error(status < 0 ? "ffmpeg not found (install the ffmpeg package) for --video"
                                         : fmt::format("ffmpeg failed with status {} encoding {}{}", status, opts.video,
                                                       says.empty() ? "" : ": " + says));
  };
  auto finish_video = [&] {
    std::error_code ec;
    std::filesystem::rename(video_partial, video, ec);
    if (ec) throw std::runtime_error(fmt::format("{}: cannot rename into place: {}", opts.video, ec.message()));
  };
  // --no-frames: raw 8-bit frames in order on ffmpeg's standard input (one rendering thread;
  // ffmpeg encodes in its own process).
  std::unique_ptr<output::ProcessInput> pipe;
  if (opts.no_frames) {
    std::vector<std::string> args = {"ffmpeg", "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "gray", "-s",
                                     fmt::format("{}x{}", device.width_px, device.height_px), "-framerate",
                                     fmt::format("{:g}", device.fps), "-i", "-"};
    for (auto& a : codec_args()) args.push_back(std::move(a));
    pipe = std::make_unique<output::ProcessInput>(args);
    if (!pipe->started()) throw ffmpeg_failed(-1);
  }
  const unsigned threads = pipe ? 1u : std::clamp(opts.threads > 0 ? static_cast<unsigned>(opts.threads)
                                                        : std::max(1u, std::thread::hardware_concurrency()),
                                      1u, static_cast<unsigned>(frames));
  const std::size_t pixels = static_cast<std::size_t>(device.width_px) * device.height_px;
  std::vector<std::vector<std::uint64_t>> sums(threads, std::vector<std::uint64_t>(pixels, 0)), sums_sq = sums;
  std::atomic<int> done{0};
  std::vector<std::exception_ptr> errors(threads);
  // The renderer's fixed layers (tissue, illumination, noise tables) are built once; each thread
  // works on its own copy.
  const viz::Renderer prototype(clip);
  auto worker = [&](unsigned t) {
    try {
      viz::Renderer renderer(prototype);
      viz::GreyImage image;
      for (int k = static_cast<int>(t); k < frames; k += static_cast<int>(threads)) {
        renderer.render(viz::build_frame(clip, k), image);
        auto& s1 = sums[t];
        auto& s2 = sums_sq[t];
        for (std::size_t p = 0; p < pixels; ++p) {
          s1[p] += image.pixels[p];
          s2[p] += static_cast<std::uint64_t>(image.pixels[p]) * image.pixels[p];
        }
        if (pipe) {
          if (!pipe->write(image.pixels.data(), image.pixels.size())) throw ffmpeg_failed(pipe->finish());
        } else {
          viz::write_png(out / fmt::format("frame_{:04d}.png", k), image);
        }
        const int n = ++done;
        if (tty && t == 0) std::fprintf(stderr, "\rrendering frame %d/%d", n, frames);
      }
    } catch (...) {
      errors[t] = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker, t);
  worker(0);
  for (auto& th : pool) th.join();
  for (const auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
  if (pipe) {
    const int status = pipe->finish();
    if (status != 0) throw ffmpeg_failed(status);
    finish_video();
  }
  std::vector<double> sum(pixels, 0.0), sum_sq(pixels, 0.0);
  for (unsigned t = 0; t < threads; ++t) {
    for (std::size_t p = 0; p < pixels; ++p) {
      sum[p] += static_cast<double>(sums[t][p]);
      sum_sq[p] += static_cast<double>(sums_sq[t][p]);
    }
  }
  if (tty) std::fprintf(stderr, "\n");
  viz::GreyImage motion{device.width_px, device.height_px, std::vector<std::uint8_t>(sum.size())};
  for (std::size_t p = 0; p < sum.size(); ++p) {
    const double mean = sum[p] / frames;
    const double sd = std::sqrt(std::max(0.0, sum_sq[p] / frames - mean * mean));
    motion.pixels[p] = static_cast<std::uint8_t>(std::clamp(7.0 * sd, 0.0, 255.0));
  }
  viz::write_png(out / "motion.png", motion);

  // What the frames show of each vessel (drawn red cells; not inside a large vessel's image): the
  // truth's vessels, computed once for the masks, the lengths and the measures.
  const std::vector<viz::ArcIntervals> visible = viz::visible_arcs(clip, frames);
  const std::vector<viz::VisiblePiece> pieces = viz::visible_pieces(clip, visible);
  if (opts.masks) {
    const viz::Masks masks = viz::rasterize_masks(clip, viz::build_frame(clip, 0), pieces);
    viz::write_png16(out / "mask_vessels.png", device.width_px, device.height_px, masks.vessel_id);
    viz::write_png(out / "mask_classes.png", masks.flow_class);
  }
  // Ground truth: the keys of `coherence score`, plus what only a renderer knows.
  std::vector<double> visible_length_um;
  for (const auto& arcs : visible) {
    double l = 0.0;
    for (const auto& [a, b] : arcs) l += b - a;
    visible_length_um.push_back(l);
  }
  nlohmann::json truth = output::clip_truth_json(site, states, viz::visible_metrics(clip, pieces), visible_length_um);
  for (std::size_t i = 0; i < site.vessels.size(); ++i) {
    truth["sites"][0]["vessels"][i]["velocity_per_frame_um_per_s"] = per_vessel_velocity[i];
  }
  truth["source"] = source;
  truth["site"] = opts.site;
  truth["device"] = device.name;
  truth["width_px"] = device.width_px;
  truth["height_px"] = device.height_px;
  truth["um_per_px"] = device.um_per_px();
  truth["fps"] = device.fps;
  truth["frames"] = frames;
  truth["seed"] = seed;
  truth["artifacts"] = {{"pressure", opts.pressure}, {"saliva", opts.saliva}, {"motion_blur", opts.motion_blur},
                        {"defocus", opts.defocus}, {"drift", opts.drift}};
  truth["look"] = {{"name", look.name},         {"columns", look.columns},       {"exposure", look.exposure},
                   {"depth_blur", look.depth_blur}, {"saturation", look.saturation}, {"illumination", look.illumination},
                   {"texture", look.texture},     {"deep_vessels", look.deep_vessels}, {"debris", look.debris},
                   {"specular", look.specular},   {"shot_noise", look.noise},      {"oedema", look.oedema}};
  if (bed) {  // connectivity: the nodes and, per vessel, the nodes it runs between (along the flow)
    static constexpr std::array<const char*, 4> kNodeKinds = {"inlet", "junction", "drain", "edge"};
    nlohmann::json nodes = nlohmann::json::array();
    for (std::size_t n = 0; n < bed->node_position.size(); ++n) {
      nodes.push_back({{"x_um", bed->node_position[n].x_um},
                       {"y_um", bed->node_position[n].y_um},
                       {"kind", kNodeKinds[static_cast<std::size_t>(bed->node_kind[n])]}});
    }
    truth["sites"][0]["nodes"] = std::move(nodes);
    for (std::size_t i = 0; i < site.vessels.size(); ++i) {
      auto& jv = truth["sites"][0]["vessels"][i];
      jv["from_node"] = bed->from_node[i];
      jv["to_node"] = bed->to_node[i];
      jv["mean_flow_um3_per_s"] = viz::mean_flow_um3_per_s(*bed, states, i);
    }
  }
  if (look.realistic) {
    nlohmann::json depth = nlohmann::json::array();
    for (double z : clip.depth_um) depth.push_back(z);
    truth["sites"][0]["vessel_depth_um"] = depth;
  }
  truth["scene_offset_um_per_frame"] = drift;
  output::write_json(out / "truth.json", truth);

  if (!opts.video.empty() && !opts.no_frames) {
    std::vector<std::string> args = {"ffmpeg", "-y", "-loglevel", "error", "-framerate", fmt::format("{:g}", device.fps),
                                     "-i", (out / "frame_%04d.png").string()};
    for (auto& a : codec_args()) args.push_back(std::move(a));
    std::string ffmpeg_says;
    const int status = output::run_process(args, &ffmpeg_says);
    if (status != 0) throw ffmpeg_failed(status, ffmpeg_says);
    finish_video();
  }
  std::printf("%d frames (%s, %dx%d, %.4g um/px, %g fps) of site %d -> %s\n", frames, device.name.c_str(),
              device.width_px, device.height_px, device.um_per_px(), device.fps, opts.site, out.string().c_str());
  return 0;
}

}  // namespace coherence::cli
