// Benchmark: synthetic frames per second at a device preset on one core, rendering only and
// rendering + PNG encoding. DESIGN.md's goal: >= 300 frames/s at 640x480.
// Usage: bench_render [device=sdf] [frames=300]
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "model/microcirculation.hpp"
#include "viz/raster.hpp"
#include "viz/scene.hpp"

int main(int argc, char** argv) {
  using namespace coherence;
  using clock = std::chrono::steady_clock;
  const std::string device_name = argc > 1 ? argv[1] : "sdf";
  const int frames = argc > 2 ? std::atoi(argv[2]) : 300;
  const model::MicrocirculationParams m;
  const model::Network net = model::generate_network(m, 1);
  model::MicroDrivers septic;
  septic.inflammation = 0.7;
  septic.perfusion_ratio = 0.75;
  const auto& site = net.sublingual[0];
  const viz::ClipSetup clip = viz::make_clip(viz::device_preset(device_name), viz::Artifacts{}, site,
                                             model::site_states(m, site, septic, 0.0), 0.0, 1);
  viz::Renderer renderer(clip);
  viz::GreyImage img;
  std::size_t cells = 0;
  for (const auto& c : clip.cell_arc0_um) cells += c.size();
  auto t0 = clock::now();
  for (int k = 0; k < frames; ++k) renderer.render(viz::build_frame(clip, k), img);
  const double render_s = std::chrono::duration<double>(clock::now() - t0).count();
  const auto dir = std::filesystem::temp_directory_path() / "coherence_bench_render";
  std::filesystem::create_directories(dir);
  t0 = clock::now();
  for (int k = 0; k < frames; ++k) {
    renderer.render(viz::build_frame(clip, k), img);
    viz::write_png(dir / fmt::format("frame_{:04d}.png", k % 10), img);
  }
  const double png_s = std::chrono::duration<double>(clock::now() - t0).count();
  std::filesystem::remove_all(dir);
  fmt::print("device {} ({}x{}), septic site: {} vessels, {} red cells\n", device_name, img.width, img.height,
             site.vessels.size(), cells);
  fmt::print("render only: {:.0f} frames/s ({:.2f} ms/frame)\n", frames / render_s, 1e3 * render_s / frames);
  fmt::print("render + PNG: {:.0f} frames/s ({:.2f} ms/frame)\n", frames / png_s, 1e3 * png_s / frames);
  return 0;
}
