// Synthetic video: frames per second on one core, rendering only and rendering + PNG encoding
// (DESIGN.md: >= 300 frames/s at 640x480), the high-resolution presets, and render to disk through
// the command line as users run it (realistic look, 2 threads; issue 22: >= 300 frames/s on 2 cores).
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <filesystem>
#include <string>

#include "bench/benchmarks.hpp"
#include "model/microcirculation.hpp"
#include "viz/presets.hpp"
#include "viz/raster.hpp"
#include "viz/scene.hpp"

namespace coherence::bench {

namespace {
struct RenderSpeed {
  double render_fps = 0.0, png_fps = 0.0;
  int width = 0, height = 0;
  std::size_t vessels = 0, cells = 0;
};

RenderSpeed measure(const std::string& device_name, int frames, bool with_png) {
  using Clock = std::chrono::steady_clock;
  const model::MicrocirculationParams m;
  const model::Network net = model::generate_network(m, 1);
  const model::MicroDrivers septic = viz::preset_drivers("septic");
  const auto& site = net.sublingual[0];
  const viz::ClipSetup clip = viz::make_clip(viz::device_preset(device_name), viz::Artifacts{}, site,
                                             model::site_states(m, site, septic, 0.0), 0.0, 1);
  viz::Renderer renderer(clip);
  viz::GreyImage img;
  RenderSpeed r;
  r.vessels = site.vessels.size();
  for (const auto& c : clip.cell_arc0_um) r.cells += c.size();
  auto t0 = Clock::now();
  for (int k = 0; k < frames; ++k) renderer.render(viz::build_frame(clip, k), img);
  r.render_fps = frames / std::chrono::duration<double>(Clock::now() - t0).count();
  r.width = img.width;
  r.height = img.height;
  if (with_png) {
    const auto dir = std::filesystem::temp_directory_path() / "coherence_bench_render";
    std::filesystem::create_directories(dir);
    t0 = Clock::now();
    for (int k = 0; k < frames; ++k) {
      renderer.render(viz::build_frame(clip, k), img);
      viz::write_png(dir / fmt::format("frame_{:04d}.png", k % 10), img);
    }
    r.png_fps = frames / std::chrono::duration<double>(Clock::now() - t0).count();
    std::filesystem::remove_all(dir);
  }
  return r;
}

// Wall time of one `coherence render` command (the whole process: setup, rendering, encoding,
// writing, truth.json); frames per second over the clip.
double render_to_disk_fps(const std::string& extra, int seconds) {
  using Clock = std::chrono::steady_clock;
  const auto dir = std::filesystem::temp_directory_path() / "coherence_bench_render_disk";
  std::filesystem::remove_all(dir);
  const std::string cmd = fmt::format("'{}' render --preset septic --seed 1 --seconds {} --threads 2 --out '{}' {} > /dev/null",
                                      COHERENCE_CLI, seconds, dir.string(), extra);
  const auto t0 = Clock::now();
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("benchmark command failed: " + cmd);
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  std::filesystem::remove_all(dir);
  return seconds * 30.0 / s;
}
}  // namespace

Section bench_render(const Options& o) {
  Section out{"Synthetic video", "coherence_bench --only render", {}, {}};
  const int frames = o.quick ? 5 : 300;
  const RenderSpeed sdf = measure("sdf", frames, true);
  out.figures.push_back({fmt::format("Render one {}x{} SDF frame of a septic site ({} vessels, {} red cells), one core",
                                     sdf.width, sdf.height, sdf.vessels, sdf.cells),
                         fmt::format("{:.0f} frames/s ({:.2f} ms per frame)", sdf.render_fps, 1e3 / sdf.render_fps),
                         ">= 300 frames/s at 640x480 on one core", rate_ratio(sdf.render_fps, 300.0)});
  out.figures.push_back({"The same + PNG encoding (Huffman-only deflate)",
                         fmt::format("{:.0f} frames/s ({:.2f} ms per frame)", sdf.png_fps, 1e3 / sdf.png_fps), "", ""});
  for (const std::string device : {"sdf-hd", "idf"}) {
    const RenderSpeed r = measure(device, o.quick ? 2 : 100, false);
    out.figures.push_back({fmt::format("Render only, {} ({}x{})", device, r.width, r.height),
                           fmt::format("{:.0f} frames/s", r.render_fps), "", ""});
  }
  const int seconds = o.quick ? 1 : 30;
  const double folder = render_to_disk_fps("", seconds);
  out.figures.push_back({fmt::format("Render to disk: coherence render --preset septic (realistic look, 640x480), {} s x 30 fps "
                                     "to a PNG folder, --threads 2, whole command", seconds),
                         fmt::format("{:.0f} frames/s", folder), ">= 300 frames/s on 2 cores (issue 22)", rate_ratio(folder, 300.0)});
  const auto mkv = std::filesystem::temp_directory_path() / "coherence_bench_render.mkv";
  const double video = render_to_disk_fps(fmt::format("--video '{}' --no-frames", mkv.string()), seconds);
  std::filesystem::remove(mkv);
  out.figures.push_back({fmt::format("The same to --video FILE.mkv (lossless FFV1) --no-frames, {} s", seconds),
                         fmt::format("{:.0f} frames/s", video), ">= 300 frames/s on 2 cores (issue 22)", rate_ratio(video, 300.0)});
  return out;
}

}  // namespace coherence::bench
