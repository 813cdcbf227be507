// The scoring pipeline on 5 sites x 4 s x 30 fps at 640x480 (DESIGN.md: <= 5 s on 2 cores),
// frames in memory (decoding excluded) and from PNG folders (decoding included, inputs loaded in
// parallel as `coherence score` does).
#include <fmt/format.h>

#include <chrono>
#include <filesystem>

#include "bench/benchmarks.hpp"
#include "run/parallel.hpp"
#include "scoring/analysis.hpp"
#include "scoring/clip.hpp"
#include "viz/presets.hpp"
#include "viz/raster.hpp"
#include "viz/scene.hpp"

namespace coherence::bench {

Section bench_score(const Options& o) {
  using Clock = std::chrono::steady_clock;
  Section out{"Scoring pipeline", "coherence_bench --only score", {}, {}};
  const viz::DevicePreset device = viz::device_preset("sdf");
  model::MicrocirculationParams micro;
  micro.field_width_um = device.field_width_um;
  micro.field_height_um = device.field_height_um;
  const double clip_seconds = o.quick ? 1.0 : 4.0;
  const int frames = static_cast<int>(clip_seconds * device.fps);
  std::vector<scoring::Clip> clips;
  const auto dir = std::filesystem::temp_directory_path() / "coherence_bench_score";
  std::filesystem::remove_all(dir);
  for (std::uint64_t k = 1; k <= 5; ++k) {
    const model::Network net = model::generate_network(micro, k);
    const model::Site& site = net.sublingual.front();
    const auto states = model::site_states(micro, site, viz::preset_drivers("septic"), 0.0);
    const viz::ClipSetup setup = viz::make_clip(device, viz::Artifacts{}, site, states, 0.0, k);
    viz::Renderer renderer(setup);
    std::vector<std::vector<std::uint8_t>> pixels;
    viz::GreyImage image;
    std::filesystem::create_directories(dir / fmt::format("site{}", k));
    for (int t = 0; t < frames; ++t) {
      renderer.render(viz::build_frame(setup, t), image);
      pixels.push_back(image.pixels);
      viz::write_png(dir / fmt::format("site{}", k) / fmt::format("frame_{:04d}.png", t), image);
    }
    clips.push_back(scoring::clip_from_grey8(pixels, device.width_px, device.height_px, device.um_per_px(), device.fps,
                                             fmt::format("site{}", k)));
  }
  for (const unsigned threads : {2U, 1U}) {
    auto score_all = [&](const std::vector<scoring::Clip>& set) {
      run::parallel_map(set.size(), threads, [&set](std::size_t k) { return scoring::score_site(set[k]); });
    };
    auto t0 = Clock::now();
    score_all(clips);
    const double in_memory = std::chrono::duration<double>(Clock::now() - t0).count();
    t0 = Clock::now();
    const std::vector<scoring::Clip> loaded = run::parallel_map(5, threads, [&](std::size_t k) {
      return scoring::load_clip(dir / fmt::format("site{}", k + 1), {device.um_per_px(), device.fps});
    });
    score_all(loaded);
    const double from_png = std::chrono::duration<double>(Clock::now() - t0).count();
    const bool goal = threads == 2;
    const std::string size = fmt::format("5 sites x {:g} s x {:g} fps (640x480), {} thread{}", clip_seconds, device.fps,
                                         threads, threads == 1 ? "" : "s");
    out.figures.push_back({size + ", frames in memory", fmt::format("{:.2f} s", in_memory),
                           goal ? "<= 5 s on 2 cores" : "", goal ? time_ratio(in_memory, 5.0) : ""});
    out.figures.push_back({size + ", from PNG folders (decoding included)", fmt::format("{:.2f} s", from_png),
                           goal ? "<= 5 s on 2 cores" : "", goal ? time_ratio(from_png, 5.0) : ""});
  }
  std::filesystem::remove_all(dir);
  out.details.emplace_back("For comparison: automated AVA 4 takes about 4.5 min per video (DESIGN.md).");
  return out;
}

}  // namespace coherence::bench
