// `coherence score INPUT... [--um-per-px X] [--fps F] [--json FILE] [--csv FILE] [--overlay DIR]`:
// each INPUT is one site's video (a folder of frames or a video file); prints or writes the
// consensus measures as JSON with the truth's keys.
#include <fmt/format.h>

#include <cstdio>
#include <thread>

#include "cli/commands.hpp"
#include "output/files.hpp"
#include "run/parallel.hpp"
#include "scenario/scenario.hpp"
#include "scoring/clip.hpp"
#include "scoring/report.hpp"

namespace coherence::cli {

void setup_score(CLI::App& app, const std::shared_ptr<ScoreOptions>& opts) {
  CLI::App* sub = app.add_subcommand("score", "Score sublingual video: TVD, PVD, PPV, MFI, HI, De Backer, RBC velocity");
  sub->add_option("inputs", opts->inputs, "One per site: a folder of PNG frames or a video file")->required();
  // Given, a value must lie in its range (0 is not "unset"): it then wins over meta.json, which
  // wins over truth.json, which wins over the container (a note says when they disagree).
  sub->add_option("--um-per-px", opts->um_per_px,
                  fmt::format("Pixel size, {:g}-{:g} (default: meta.json, else truth.json beside the input)",
                              scoring::kMinUmPerPx, scoring::kMaxUmPerPx))
      ->check(CLI::Range(scoring::kMinUmPerPx, scoring::kMaxUmPerPx));
  sub->add_option("--fps", opts->fps,
                  fmt::format("Frame rate, {:g}-{:g} (default: meta.json, else truth.json, else the video "
                              "container's average rate)",
                              scoring::kMinFps, scoring::kMaxFps))
      ->check(CLI::Range(scoring::kMinFps, scoring::kMaxFps));
  sub->add_option("--json", opts->json_file, "Write the JSON here (default: print it)");
  sub->add_option("--csv", opts->csv_file, "Write one row per detected vessel here");
  sub->add_option("--overlay", opts->overlay_dir, "Write overlay_site<K>.png here (vessels coloured by flow class)");
  sub->add_option("--threads", opts->threads, "Sites scored in parallel (default: all cores)")
      ->check(CLI::Range(1, 256));
}

int run_score(const ScoreOptions& opts) {
  scoring::ClipOptions co;
  // 0: not given (a given value was range-checked by the option).
  if (opts.um_per_px != 0.0) co.um_per_px = opts.um_per_px;
  if (opts.fps != 0.0) co.fps = opts.fps;
  const unsigned threads = opts.threads > 0 ? static_cast<unsigned>(opts.threads)
                                            : std::max(1u, std::thread::hardware_concurrency());
  // Load every input first (in parallel): bad input fails before any scoring or output.
  const std::vector<scoring::Clip> clips = run::parallel_map(
      opts.inputs.size(), threads, [&opts, &co](std::size_t k) { return scoring::load_clip(opts.inputs[k], co); });
  for (const auto& c : clips) {
    for (const auto& note : c.notes) std::fprintf(stderr, "coherence: note: %s: %s\n", c.source.c_str(), note.c_str());
  }
  std::vector<scoring::SiteScore> sites = run::parallel_map(clips.size(), threads, [&clips](std::size_t k) {
    try {
      return scoring::score_site(clips[k]);
    } catch (const cv::Exception& e) {
      // OpenCV refuses what the frames cannot give (e.g. a vessel filter wider than the frame).
      throw scenario::InputError(fmt::format("{}: {}x{} px at {:g} um/px cannot be scored (OpenCV: {})",
                                             clips[k].source, clips[k].width(), clips[k].height(), clips[k].um_per_px,
                                             e.err));
    }
  });
  const scoring::ClipSetScore score = scoring::combine_sites(std::move(sites));
  const nlohmann::json j = scoring::score_json(score);
  if (!opts.overlay_dir.empty()) {
    const std::filesystem::path dir = opts.overlay_dir;
    output::prepare_output_folder(dir, [](const std::string& n) { return n.rfind("overlay_site", 0) == 0; });
    for (std::size_t k = 0; k < score.sites.size(); ++k) {
      scoring::write_overlay(score.sites[k], dir / fmt::format("overlay_site{}.png", k + 1));
    }
  }
  if (!opts.csv_file.empty()) output::write_file_atomic(opts.csv_file, scoring::vessels_csv(score));
  if (opts.json_file.empty()) {
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    output::write_json(opts.json_file, j);
    std::printf("%zu site(s): TVD %.1f mm/mm2, PVD %.1f, PPV %.0f%%, MFI %.2f, HI %.2f, RBC velocity %.0f um/s%s -> %s\n",
                score.sites.size(), score.mean.tvd_mm_per_mm2, score.mean.pvd_mm_per_mm2, score.mean.ppv_pct,
                score.mean.mfi, score.hi, score.mean.rbc_velocity_um_per_s,
                score.acceptable ? "" : " (QUALITY: unacceptable, see quality)", opts.json_file.c_str());
  }
  return 0;
}

}  // namespace coherence::cli
