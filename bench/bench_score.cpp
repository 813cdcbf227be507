// Benchmark: the scoring pipeline on 5 sites x 4 s x 30 fps at 640x480 (DESIGN.md's goal: <= 5 s
// on 2 cores), frames in memory (decoding excluded) and from PNG folders (decoding included).
// Usage: bench_score [threads=2]
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "run/parallel.hpp"
#include "scoring/analysis.hpp"
#include "scoring/clip.hpp"
#include "viz/presets.hpp"
#include "viz/raster.hpp"

int main(int argc, char** argv) {
  using namespace coherence;
  using clock = std::chrono::steady_clock;
  const unsigned threads = argc > 1 ? static_cast<unsigned>(std::atoi(argv[1])) : 2u;
  const viz::DevicePreset device = viz::device_preset("sdf");
  model::MicrocirculationParams micro;
  micro.field_width_um = device.field_width_um;
  micro.field_height_um = device.field_height_um;
  const int frames = static_cast<int>(4.0 * device.fps);
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
  auto score_all = [&](const std::vector<scoring::Clip>& set) {
    run::parallel_map(set.size(), threads, [&set](std::size_t k) { return scoring::score_site(set[k]); });
  };
  auto t0 = clock::now();
  score_all(clips);
  const double in_memory = std::chrono::duration<double>(clock::now() - t0).count();
  t0 = clock::now();
  // As `coherence score` does: every input loaded (in parallel), then scored.
  const std::vector<scoring::Clip> loaded = run::parallel_map(5, threads, [&](std::size_t k) {
    return scoring::load_clip(dir / fmt::format("site{}", k + 1), {device.um_per_px(), device.fps});
  });
  score_all(loaded);
  const double from_png = std::chrono::duration<double>(clock::now() - t0).count();
  std::filesystem::remove_all(dir);
  fmt::print("5 sites x {} frames (640x480), {} thread(s): {:.2f} s in memory, {:.2f} s from PNG folders "
             "(goal <= 5 s on 2 cores)\n",
             frames, threads, in_memory, from_png);
}
