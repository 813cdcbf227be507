// `coherence score INPUT... [--um-per-px X] [--fps F] [--json FILE] [--csv FILE] [--overlay DIR]`:
// each INPUT is one site's video (a folder of frames or a video file); prints or writes the
// consensus measures as JSON with the truth's keys.
// `coherence score --batch DIR_OR_LIST [--patient NAME] [--summary-csv FILE] ...`: every video or
// frame folder of DIR (or every path listed in the file LIST) scored on its own, one row per
// video; with --patient, the videos are that patient's sites.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <cstdio>
#include <cstdlib>
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
  sub->add_option("inputs", opts->inputs, "One per site: a folder of PNG frames or a video file");
  sub->add_option("--batch", opts->batch,
                  "Score each video / frame folder in this folder (or each path listed in this file, one a line) on "
                  "its own: one row per video");
  sub->add_option("--patient", opts->patient, "The inputs are this patient's sites: a row of means and HI over them");
  sub->add_option("--summary-csv", opts->summary_csv,
                  "Write one row per video / site here (with --batch the default is to print it)");
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
  sub->add_option("--overlay", opts->overlay_dir,
                  "Write overlay_site<K>.png here (vessels coloured by flow class and numbered by the CSV's vessel id, a legend; beside it the truth when a truth.json lies beside the input; K: the input's position)");
  sub->add_option("--threads", opts->threads, "Sites scored in parallel (default: all cores)")
      ->check(CLI::Range(1, 256));
}

namespace {

bool is_video_name(const std::filesystem::path& p) {
  static const std::vector<std::string> kExt = {".mp4", ".mkv", ".avi", ".mov", ".webm", ".mpg", ".mpeg", ".m4v",
                                                ".ogv", ".wmv", ".mts", ".m2ts", ".ts"};
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return std::find(kExt.begin(), kExt.end(), e) != kExt.end();
}

bool has_png(const std::filesystem::path& dir) {
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".png") return true;
  }
  return false;
}

// The inputs of --batch: a folder's video files and frame folders (natural order), or the paths
// listed in a text file (one a line, relative to the list's folder; blank lines and # comments
// skipped).
std::vector<std::string> batch_inputs(const std::filesystem::path& batch) {
  std::error_code ec;
  const auto st = std::filesystem::status(batch, ec);
  std::vector<std::string> out;
  if (st.type() == std::filesystem::file_type::directory) {
    if (has_png(batch)) {
      throw scenario::InputError(fmt::format("--batch {}: a folder of frames (one video): score it without --batch",
                                             batch.string()));
    }
    std::vector<std::filesystem::path> found;
    for (std::filesystem::directory_iterator it(batch, ec), end; !ec && it != end; it.increment(ec)) {
      std::error_code kind;
      if (it->is_directory(kind) && has_png(it->path())) found.push_back(it->path());
      else if (it->is_regular_file(kind) && is_video_name(it->path())) found.push_back(it->path());
    }
    if (ec) throw scenario::InputError(fmt::format("--batch {}: cannot read the folder: {}", batch.string(), ec.message()));
    std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
      return scoring::natural_less(a.filename().string(), b.filename().string());
    });
    for (const auto& f : found) out.push_back(f.string());
    if (out.empty()) {
      throw scenario::InputError(
          fmt::format("--batch {}: no video files ({}) and no folders of PNG frames in it", batch.string(),
                      ".mp4, .mkv, .avi, .mov, ..."));
    }
    return out;
  }
  if (st.type() != std::filesystem::file_type::regular) {
    throw scenario::InputError(fmt::format("--batch {}: no such folder or list file", batch.string()));
  }
  if (is_video_name(batch)) {
    throw scenario::InputError(fmt::format("--batch {}: a video file, not a list: score it without --batch", batch.string()));
  }
  std::ifstream in(batch);
  if (!in) throw scenario::InputError(fmt::format("--batch {}: cannot read", batch.string()));
  const std::filesystem::path base = batch.parent_path();
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto b = line.find_first_not_of(" \t");
    if (b == std::string::npos || line[b] == '#') continue;
    line = line.substr(b, line.find_last_not_of(" \t") - b + 1);
    if (line.find('\0') != std::string::npos) {
      throw scenario::InputError(fmt::format("{}:{}: not a text list of inputs", batch.string(), n));
    }
    const std::filesystem::path p = std::filesystem::path(line).is_absolute() ? std::filesystem::path(line) : base / line;
    if (!std::filesystem::exists(p, ec)) {
      throw scenario::InputError(fmt::format("{}:{}: {}: no such file or folder", batch.string(), n, line));
    }
    out.push_back(p.string());
  }
  if (out.empty()) throw scenario::InputError(fmt::format("--batch {}: lists no input", batch.string()));
  return out;
}

// overlay_site<K>.png for each site, with a truth panel when a renderer's truth.json lies beside
// the input (the folder of frames, or the video's folder) and describes one site of that size.
void write_overlays(const std::vector<scoring::SiteScore>& sites, const std::vector<std::string>& inputs,
                    const std::filesystem::path& dir) {
  output::prepare_output_folder(dir, [](const std::string& n) { return n.rfind("overlay_site", 0) == 0; });
  for (std::size_t k = 0; k < sites.size(); ++k) {
    const std::filesystem::path truth_file = scoring::meta_folder(inputs[k]) / "truth.json";
    std::error_code ec;
    nlohmann::json truth;
    bool with_truth = false;
    if (std::filesystem::exists(truth_file, ec)) {
      std::ifstream f(truth_file);
      try {
        truth = nlohmann::json::parse(f);
      } catch (const std::exception&) {
        throw scenario::InputError(fmt::format("{}: not valid JSON", truth_file.string()));
      }
      const std::string problem = scoring::overlay_truth_problem(truth, sites[k]);
      with_truth = problem.empty();
      if (!with_truth) {
        std::fprintf(stderr, "coherence: note: %s: overlay without a truth panel: %s\n", truth_file.string().c_str(),
                     problem.c_str());
      }
    }
    scoring::write_overlay(sites[k], dir / fmt::format("overlay_site{}.png", k + 1), with_truth ? &truth : nullptr);
  }
}

}  // namespace

int run_score(const ScoreOptions& opts) {
  scoring::ClipOptions co;
  // 0: not given (a given value was range-checked by the option).
  if (opts.um_per_px != 0.0) co.um_per_px = opts.um_per_px;
  if (opts.fps != 0.0) co.fps = opts.fps;
  const unsigned threads = opts.threads > 0 ? static_cast<unsigned>(opts.threads)
                                            : std::max(1u, std::thread::hardware_concurrency());
  const bool batch = !opts.batch.empty();
  if (batch == !opts.inputs.empty()) {
    throw scenario::InputError(batch ? "score: give inputs or --batch, not both"
                                     : "score: give one input per site, or --batch DIR_OR_LIST");
  }
  const std::vector<std::string> inputs = batch ? batch_inputs(opts.batch) : opts.inputs;
  // COHERENCE_SCORE_DEBUG=1: each stage's wall time on stderr (docs/scoring.md).
  scoring::ScoringSettings settings;
  if (std::getenv("COHERENCE_SCORE_DEBUG") != nullptr) {
    settings.stage_time = [](const char* name, double ms) { std::fprintf(stderr, "  %-14s %6.0f ms\n", name, ms); };
  }
  auto score_one = [&settings](const scoring::Clip& clip) {
    try {
      return scoring::score_site(clip, settings);
    } catch (const cv::Exception& e) {
      // OpenCV refuses what the frames cannot give (e.g. a vessel filter wider than the frame).
      throw scenario::InputError(fmt::format("{}: {}x{} px at {:g} um/px cannot be scored (OpenCV: {})", clip.source,
                                             clip.width(), clip.height(), clip.um_per_px, e.err));
    }
  };
  std::vector<scoring::SiteScore> sites;
  if (batch) {
    // Each video loaded and scored on its own (at most `threads` clips in memory); a bad one
    // fails the batch before anything is written.
    sites = run::parallel_map(inputs.size(), threads, [&](std::size_t k) {
      const scoring::Clip clip = scoring::load_clip(inputs[k], co);
      for (const auto& note : clip.notes) std::fprintf(stderr, "coherence: note: %s: %s\n", clip.source.c_str(), note.c_str());
      return score_one(clip);
    });
  } else {
    // Load every input first (in parallel): bad input fails before any scoring or output.
    const std::vector<scoring::Clip> clips =
        run::parallel_map(inputs.size(), threads, [&inputs, &co](std::size_t k) { return scoring::load_clip(inputs[k], co); });
    for (const auto& c : clips) {
      for (const auto& note : c.notes) std::fprintf(stderr, "coherence: note: %s: %s\n", c.source.c_str(), note.c_str());
    }
    sites = run::parallel_map(clips.size(), threads, [&clips, &score_one](std::size_t k) { return score_one(clips[k]); });
  }
  if (batch && opts.patient.empty()) {
    // One video, one result: the per-video JSON, summary and per-vessel CSV.
    const scoring::ClipSetScore all = scoring::combine_sites(sites);
    nlohmann::json j;
    j["videos"] = nlohmann::json::array();
    for (const auto& s : sites) j["videos"].push_back(scoring::score_json(scoring::combine_sites({s})));
    if (!opts.overlay_dir.empty()) write_overlays(sites, inputs, opts.overlay_dir);
    if (!opts.csv_file.empty()) output::write_file_atomic(opts.csv_file, scoring::vessels_csv(all));
    if (!opts.json_file.empty()) output::write_json(opts.json_file, j);
    const std::string table = scoring::videos_csv(all, "");
    if (opts.summary_csv.empty()) {
      std::printf("%s", table.c_str());
    } else {
      output::write_file_atomic(opts.summary_csv, table);
      std::printf("%zu video(s) scored, %d with flow refused, %zu unacceptable -> %s\n", sites.size(),
                  all.sites_flow_refused,
                  static_cast<std::size_t>(std::count_if(sites.begin(), sites.end(), [](const auto& s) { return !s.acceptable; })),
                  opts.summary_csv.c_str());
    }
    return 0;
  }
  const scoring::ClipSetScore score = scoring::combine_sites(std::move(sites));
  nlohmann::json j = scoring::score_json(score);
  if (!opts.patient.empty()) j["patient"] = opts.patient;
  if (!opts.summary_csv.empty()) output::write_file_atomic(opts.summary_csv, scoring::videos_csv(score, opts.patient));
  if (!opts.overlay_dir.empty()) write_overlays(score.sites, inputs, opts.overlay_dir);
  if (!opts.csv_file.empty()) output::write_file_atomic(opts.csv_file, scoring::vessels_csv(score));
  if (batch && opts.summary_csv.empty()) {
    std::printf("%s", scoring::videos_csv(score, opts.patient).c_str());
    if (!opts.json_file.empty()) output::write_json(opts.json_file, j);
  } else if (opts.json_file.empty()) {
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    output::write_json(opts.json_file, j);
    auto num = [](double v, const char* f) { return std::isfinite(v) ? fmt::format(fmt::runtime(f), v) : std::string("-"); };
    std::string refused;
    if (score.sites_flow_refused > 0) {
      refused = fmt::format(" (FLOW REFUSED at {} of {} site(s): {})", score.sites_flow_refused, score.sites.size(),
                            [&score] {
                              for (const auto& s : score.sites) {
                                if (!s.flow_refused.empty()) return s.flow_refused.front();
                              }
                              return std::string();
                            }());
    }
    std::printf("%zu site(s): TVD %.1f mm/mm2, PVD %s, PPV %s%%, MFI %s, HI %s, RBC velocity %s um/s (measured in %s%% "
                "of the perfused length)%s%s -> %s\n",
                score.sites.size(), score.mean.tvd_mm_per_mm2, num(score.mean.pvd_mm_per_mm2, "{:.1f}").c_str(),
                num(score.mean.ppv_pct, "{:.0f}").c_str(), num(score.mean.mfi, "{:.2f}").c_str(),
                num(score.hi, "{:.2f}").c_str(), num(score.mean.rbc_velocity_um_per_s, "{:.0f}").c_str(),
                num(100.0 * score.evidence.velocity_measured_fraction(), "{:.0f}").c_str(), refused.c_str(),
                score.acceptable ? "" : " (QUALITY: unacceptable, see quality)", opts.json_file.c_str());
  }
  return 0;
}

}  // namespace coherence::cli
