// The renderer draws what the model says: cells move by v dt, stopped vessels stay still, and
// dark pixels lie on the vessels.
#include <catch2/catch.hpp>
#include <png.h>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <cmath>
#include <vector>

#include "model/microcirculation.hpp"
#include "model/random.hpp"
#include "viz/raster.hpp"
#include "viz/scene.hpp"

using namespace coherence;

namespace {

model::Site straight_site(double diameter_um) {
  model::Site s;
  s.name = "test";
  s.width_um = 940.0;
  s.height_um = 750.0;
  s.unit_z = {0.0};
  model::Vessel v;
  for (int i = 0; i <= 700; ++i) v.polyline.push_back({120.0 + i, 375.0});
  v.diameter_um = diameter_um;
  v.length_um = 700.0;
  v.stop_go_period_s = 4.0;
  s.vessels.push_back(v);
  return s;
}

model::VesselState flowing(double velocity, double duty) {
  model::VesselState st;
  st.velocity_moving_um_per_s = velocity;
  st.duty = duty;
  st.rbc_per_um = 0.05;
  st.visible = true;
  return st;
}

// Absorbance-weighted centroid (x) of the dark pixels of a clean frame.
double dark_centroid_x(const viz::GreyImage& img, double background) {
  double sum = 0.0, wsum = 0.0;
  for (int y = 0; y < img.height; ++y) {
    for (int x = 0; x < img.width; ++x) {
      const double w = std::max(0.0, background - img.pixels[static_cast<std::size_t>(y) * img.width + x]);
      sum += w * x;
      wsum += w;
    }
  }
  return sum / wsum;
}

}  // namespace

TEST_CASE("A cell moves v dt between frames (within 0.1 px) on a straight vessel") {
  const model::Site site = straight_site(7.0);
  viz::Artifacts still;
  still.drift = 0.0;
  const viz::DevicePreset dev = viz::device_preset("sdf");
  viz::ClipSetup clip = viz::make_clip(dev, still, site, {flowing(600.0, 1.0)}, 0.0, 1);
  clip.cell_arc0_um = {{200.0}};  // one cell, far from the ends
  clip.cell_lateral_um = {{0.0}};
  viz::Renderer r(clip);
  r.set_clean(true);
  viz::GreyImage a, b;
  r.render(viz::build_frame(clip, 3), a);
  r.render(viz::build_frame(clip, 4), b);
  const double expected_px = 600.0 / dev.fps / dev.um_per_px();  // 20 um = 13.6 px
  const double measured_px = dark_centroid_x(b, dev.background_level) - dark_centroid_x(a, dev.background_level);
  CHECK(std::abs(measured_px - expected_px) < 0.1);
  // The scene itself moves the cell by exactly v dt.
  CHECK(viz::cell_displacement_um(site.vessels[0], clip.states[0], 0.0, 1.0 / dev.fps) == Approx(20.0));
}

TEST_CASE("Stopped vessels are static, stop-go vessels move only while moving") {
  const model::Site site = straight_site(7.0);
  viz::Artifacts still;
  still.drift = 0.0;
  const viz::DevicePreset dev = viz::device_preset("sdf");
  const viz::ClipSetup stopped = viz::make_clip(dev, still, site, {flowing(600.0, 0.0)}, 0.0, 2);
  viz::Renderer r(stopped);
  r.set_clean(true);
  viz::GreyImage a, b;
  r.render(viz::build_frame(stopped, 0), a);
  r.render(viz::build_frame(stopped, 40), b);
  REQUIRE_FALSE(stopped.cell_arc0_um[0].empty());
  CHECK(a.pixels == b.pixels);
  // Stop-go with a 4 s period and 25% duty: cells move during 1 s of every 4 s.
  const auto& v = site.vessels[0];
  const auto sg = flowing(600.0, 0.25);
  CHECK(viz::cell_displacement_um(v, sg, 0.0, 4.0) == Approx(600.0));
  CHECK(viz::cell_displacement_um(v, sg, 1.0, 4.0) == Approx(0.0).margin(1e-9));
}

TEST_CASE("Dark pixels lie within the vessel radius plus blur of its polyline") {
  model::Site site = straight_site(8.0);
  model::Vessel& v = site.vessels[0];
  v.polyline.clear();
  for (int i = 0; i <= 600; ++i) {  // a curve
    const double t = i / 600.0;
    v.polyline.push_back({150.0 + 600.0 * t, 375.0 + 150.0 * std::sin(5.0 * t)});
  }
  double length = 0.0;
  for (std::size_t i = 1; i < v.polyline.size(); ++i) {
    length += std::hypot(v.polyline[i].x_um - v.polyline[i - 1].x_um, v.polyline[i].y_um - v.polyline[i - 1].y_um);
  }
  v.length_um = length;
  viz::Artifacts still;
  still.drift = 0.0;
  const viz::DevicePreset dev = viz::device_preset("sdf");
  auto st = flowing(500.0, 1.0);
  st.rbc_per_um = 0.1;
  const viz::ClipSetup clip = viz::make_clip(dev, still, site, {st}, 0.0, 3);
  viz::Renderer r(clip);
  r.set_clean(true);
  viz::GreyImage img;
  r.render(viz::build_frame(clip, 5), img);
  // Cell sigma (0.3 d, >= 1.6 um) combined with the PSF; dash half-length 2.6 um along the axis.
  const double sigma_um = std::hypot(std::max(1.6, 0.3 * v.diameter_um), dev.psf_sigma_um);
  const double limit_um = 0.5 * v.diameter_um + 2.5 * sigma_um;  // splats are cut at 2.5 sigma
  int dark = 0, outside = 0;
  for (int y = 0; y < img.height; ++y) {
    for (int x = 0; x < img.width; ++x) {
      if (img.pixels[static_cast<std::size_t>(y) * img.width + x] > dev.background_level - 10) continue;
      ++dark;
      const double px = x * dev.um_per_px(), py = y * dev.um_per_px();
      double best = 1e9;
      for (const auto& p : v.polyline) best = std::min(best, std::hypot(p.x_um - px, p.y_um - py));
      if (best > limit_um + dev.um_per_px()) ++outside;
    }
  }
  CHECK(dark > 500);
  CHECK(outside == 0);
}

TEST_CASE("Device presets and their fields") {
  const auto sdf = viz::device_preset("sdf");
  CHECK(sdf.width_px == 640);
  CHECK(sdf.um_per_px() == Approx(940.0 / 640.0));
  CHECK(viz::device_preset("sdf-hd").width_px == 1280);
  const auto idf = viz::device_preset("idf");
  CHECK(idf.field_width_um == 1550.0);
  CHECK(idf.fps == 25.0);
  CHECK_THROWS_AS(viz::device_preset("microscope"), std::invalid_argument);
}

TEST_CASE("Every device preset renders a full frame of a generated site") {
  const model::MicrocirculationParams m;
  const model::Network net = model::generate_network(m, 4);
  model::MicroDrivers septic;
  septic.inflammation = 0.7;
  for (const auto& name : viz::device_preset_names()) {
    INFO(name);
    const auto dev = viz::device_preset(name);
    const viz::ClipSetup clip =
        viz::make_clip(dev, viz::Artifacts{}, net.sublingual[0], model::site_states(m, net.sublingual[0], septic, 0.0), 0.0, 4);
    viz::Renderer r(clip);
    viz::GreyImage img;
    r.render(viz::build_frame(clip, 29), img);
    REQUIRE(img.pixels.size() == static_cast<std::size_t>(dev.width_px) * dev.height_px);
    // Bright tissue with dark vessels: both ends of the grey scale are used.
    const auto [lo, hi] = std::minmax_element(img.pixels.begin(), img.pixels.end());
    CHECK(*lo < 90);
    CHECK(*hi > 150);
  }
}

TEST_CASE("Masks cover each vessel's lumen and carry its id and flow class") {
  const model::Site site = straight_site(10.0);  // 700 um x 10 um
  viz::Artifacts still;
  still.drift = 0.0;
  const auto dev = viz::device_preset("sdf-hd");
  auto st = flowing(500.0, 1.0);
  st.small = true;
  st.flow_class = model::FlowClass::kSluggish;
  const viz::ClipSetup clip = viz::make_clip(dev, still, site, {st}, 0.0, 5);
  const viz::Masks m = viz::rasterize_masks(clip, viz::build_frame(clip, 0), viz::visible_pieces(clip, viz::visible_arcs(clip, 120)));
  std::size_t area_px = 0;
  for (std::size_t p = 0; p < m.vessel_id.size(); ++p) {
    if (m.vessel_id[p] == 0) continue;
    ++area_px;
    CHECK(m.vessel_id[p] == 1);
    CHECK(m.flow_class.pixels[p] == 3);  // sluggish + 1
  }
  // Lumen 700 x 10 um plus the round caps, in pixels of 0.734 um.
  const double expected = (700.0 * 10.0 + 3.14159 * 25.0) / (dev.um_per_px() * dev.um_per_px());
  CHECK(static_cast<double>(area_px) == Approx(expected).epsilon(0.05));
}

// The clip's ground truth counts what the frames show: the arcs its drawn red cells pass.
TEST_CASE("Visible arcs: a moving column is seen whole, motionless cells only where they sit") {
  const model::Site site = straight_site(7.0);  // 700 um
  viz::Artifacts still;
  still.drift = 0.0;
  const auto dev = viz::device_preset("sdf");

  SECTION("cells sweeping the whole vessel show all of it") {
    viz::ClipSetup clip = viz::make_clip(dev, still, site, {flowing(600.0, 1.0)}, 0.0, 1);
    clip.cell_arc0_um = {{100.0}};  // one cell moving 600 um/s x 119/30 s = 2380 um > 700 um
    const auto arcs = viz::visible_arcs(clip, 120);
    REQUIRE(arcs[0].size() == 1);
    CHECK(arcs[0][0].first == 0.0);
    CHECK(arcs[0][0].second == 700.0);
  }
  SECTION("a cell moving part of the length shows its swept arc, padded by a cell radius") {
    viz::ClipSetup clip = viz::make_clip(dev, still, site, {flowing(30.0, 1.0)}, 0.0, 1);
    clip.cell_arc0_um = {{200.0}};  // sweeps 30 x 119/30 = 119 um
    const auto arcs = viz::visible_arcs(clip, 120);
    REQUIRE(arcs[0].size() == 1);
    CHECK(arcs[0][0].first == Approx(200.0 - viz::kRedCellRadius_um));
    CHECK(arcs[0][0].second == Approx(319.0 + viz::kRedCellRadius_um));
  }
  SECTION("stopped: close cells are traced through, a lone cell is a dot, a wide gap splits") {
    auto stopped = flowing(0.0, 0.0);
    stopped.flow_class = model::FlowClass::kNone;
    viz::ClipSetup clip = viz::make_clip(dev, still, site, {stopped}, 0.0, 1);
    // 100, 112, 130 (gaps 12 and 18 <= 20: one run); 300 alone; 500 and 540 (gap 40: two dots).
    clip.cell_arc0_um = {{130.0, 100.0, 112.0, 300.0, 500.0, 540.0}};
    const auto arcs = viz::visible_arcs(clip, 120);
    REQUIRE(arcs[0].size() == 1);
    CHECK(arcs[0][0].first == Approx(96.0));
    CHECK(arcs[0][0].second == Approx(134.0));
    const model::SiteMetrics m = viz::visible_metrics(clip, 120);
    // 38 um of stopped small vessel in the 940 x 750 um site.
    CHECK(m.tvd_mm_per_mm2 == Approx(38.0e-3 / (0.94 * 0.75)).epsilon(1e-6));
    CHECK(m.ppv_pct == Approx(0.0));
  }
  SECTION("a vessel without drawn cells is not seen") {
    viz::ClipSetup clip = viz::make_clip(dev, still, site, {flowing(600.0, 1.0)}, 0.0, 1);
    clip.cell_arc0_um = {{}};
    CHECK(viz::visible_arcs(clip, 120)[0].empty());
    CHECK(viz::visible_metrics(clip, 120).tvd_mm_per_mm2 == 0.0);
  }
}

TEST_CASE("Visible arcs: a capillary is hidden where it passes under a venule") {
  model::Site site = straight_site(7.0);  // capillary along y = 375 from x = 120 to 820
  model::Vessel venule;
  for (int i = 0; i <= 750; ++i) venule.polyline.push_back({470.0, static_cast<double>(i)});
  venule.diameter_um = 40.0;
  venule.length_um = 750.0;
  venule.stop_go_period_s = 4.0;
  site.vessels.push_back(venule);
  viz::Artifacts still;
  still.drift = 0.0;
  auto venule_state = flowing(800.0, 1.0);
  venule_state.small = false;
  viz::ClipSetup clip =
      viz::make_clip(viz::device_preset("sdf"), still, site, {flowing(600.0, 1.0), venule_state}, 0.0, 1);
  const auto arcs = viz::visible_arcs(clip, 120);
  // Capillary arc 0..700 minus the venule's lumen x in (450, 490), i.e. arc (330, 370), to the
  // 1 um sampling step.
  REQUIRE(arcs[0].size() == 2);
  CHECK(arcs[0][0].first == 0.0);
  CHECK(arcs[0][0].second == Approx(330.0).margin(1.0));
  CHECK(arcs[0][1].first == Approx(370.0).margin(1.0));
  CHECK(arcs[0][1].second == 700.0);
  double seen = 0.0;
  for (const auto& [a, b] : arcs[0]) seen += b - a;
  CHECK(seen == Approx(660.0).margin(2.0));
  REQUIRE(arcs[1].size() == 1);  // the venule itself is seen whole
  CHECK(arcs[1][0].second == 750.0);
}

// The realistic look (issue 22): the clean look is untouched by it, every dial is seeded and
// deterministic, defocus grows with depth, stasis clumps stopped cells, oedema shows in a still.
namespace {
struct LookFixture {
  model::MicrocirculationParams m;
  model::Network net = model::generate_network(m, 4);
  std::vector<model::VesselState> states(const model::MicroDrivers& d) const {
    return model::site_states(m, net.sublingual[0], d, 0.0);
  }
  viz::GreyImage frame(const viz::Look& look, const model::MicroDrivers& d, int index = 0) const {
    const viz::ClipSetup clip = viz::make_clip(viz::device_preset("sdf"), viz::Artifacts{}, net.sublingual[0], states(d), 0.0, 4, look);
    viz::Renderer r(clip);
    viz::GreyImage img;
    r.render(viz::build_frame(clip, index), img);
    return img;
  }
};
double mean_grey(const viz::GreyImage& g) {
  double s = 0.0;
  for (auto p : g.pixels) s += p;
  return s / static_cast<double>(g.pixels.size());
}
}  // namespace

TEST_CASE("Looks: clean is the default, realistic is deterministic and differs, bad names throw") {
  const LookFixture f;
  model::MicroDrivers septic;
  septic.inflammation = 0.7;
  CHECK(f.frame(viz::Look{}, septic).pixels == f.frame(viz::look_preset("clean"), septic).pixels);
  const viz::Look real = viz::look_preset("realistic");
  CHECK(real.realistic);
  const auto a = f.frame(real, septic, 3), b = f.frame(real, septic, 3);
  CHECK(a.pixels == b.pixels);
  CHECK(a.pixels != f.frame(viz::Look{}, septic, 3).pixels);
  CHECK_THROWS_AS(viz::look_preset("glossy"), std::invalid_argument);
  CHECK(viz::look_names() == std::vector<std::string>{"clean", "realistic"});
}

TEST_CASE("Looks: depths are seeded per vessel, oedema deepens them, the clean look's cells are unchanged") {
  const LookFixture f;
  const model::MicroDrivers healthy;
  const auto states = f.states(healthy);
  const auto& site = f.net.sublingual[0];
  viz::Look real = viz::look_preset("realistic");
  const auto c0 = viz::make_clip(viz::device_preset("sdf"), viz::Artifacts{}, site, states, 0.0, 4);
  const auto r0 = viz::make_clip(viz::device_preset("sdf"), viz::Artifacts{}, site, states, 0.0, 4, real);
  real.oedema = 1.0;
  const auto r1 = viz::make_clip(viz::device_preset("sdf"), viz::Artifacts{}, site, states, 0.0, 4, real);
  REQUIRE(r0.depth_um.size() == site.vessels.size());
  for (std::size_t i = 0; i < site.vessels.size(); ++i) {
    const bool venule = site.vessels[i].diameter_um >= 20.0;
    CHECK(r0.depth_um[i] >= (venule ? 25.0 : 5.0));
    CHECK(r0.depth_um[i] <= (venule ? 60.0 : 40.0));
    CHECK(r1.depth_um[i] == Approx(r0.depth_um[i] + 25.0));
  }
  // Flowing vessels keep their cells; the clean clip is the one without a look.
  CHECK(c0.cell_arc0_um == viz::make_clip(viz::device_preset("sdf"), viz::Artifacts{}, site, states, 0.0, 4, viz::Look{}).cell_arc0_um);
}

TEST_CASE("Looks: stasis packs a stopped vessel's cells into clumps that stay on the vessel") {
  const model::Site site = straight_site(6.0);  // 700 um x 6 um
  model::VesselState st;
  st.velocity_moving_um_per_s = 0.0;
  st.duty = 0.0;
  st.rbc_per_um = 0.1;
  const auto dev = viz::device_preset("sdf");
  const auto clean = viz::make_clip(dev, viz::Artifacts{}, site, {st}, 0.0, 9);
  const auto real = viz::make_clip(dev, viz::Artifacts{}, site, {st}, 0.0, 9, viz::look_preset("realistic"));
  auto cells = real.cell_arc0_um[0];
  REQUIRE(cells.size() == clean.cell_arc0_um[0].size());
  REQUIRE(cells.size() >= 8);
  std::sort(cells.begin(), cells.end());
  for (double a : cells) {
    CHECK(a >= 0.0);
    CHECK(a < site.vessels[0].length_um);
  }
  // Within a clump neighbours are 4 um apart; the number of distinct gaps > 4.5 um is about a
  // quarter of the cells (one per clump of four).
  int wide_gaps = 0;
  for (std::size_t k = 1; k < cells.size(); ++k) wide_gaps += cells[k] - cells[k - 1] > 4.5 ? 1 : 0;
  CHECK(wide_gaps <= static_cast<int>(cells.size() / 4) + 1);
}

TEST_CASE("Looks: oedema and haemodilution change a still frame") {
  const LookFixture f;
  const viz::Look real = viz::look_preset("realistic");
  model::MicroDrivers d;
  viz::Look oedema = real;
  oedema.oedema = 1.0;
  // Oedematous tissue is paler (10%) and its vessels lie deeper (fainter).
  CHECK(mean_grey(f.frame(oedema, d)) > mean_grey(f.frame(real, d)) + 6.0);
  // Haemodilution: fewer red cells, a brighter frame.
  model::MicroDrivers diluted = d;
  diluted.haematocrit = 0.25;
  CHECK(mean_grey(f.frame(real, diluted)) > mean_grey(f.frame(real, d)) + 0.5);
  CHECK(viz::oedema_index(model::MicroDrivers{}) == 0.0);
  model::MicroDrivers severe;
  severe.inflammation = 1.0;
  severe.injury = 1.5;
  CHECK(viz::oedema_index(severe) == Approx(0.8));
}

namespace {

// Decodes an 8-bit greyscale PNG with libpng's simplified API (independent of the encoder).
std::vector<std::uint8_t> decode_with_libpng(const std::filesystem::path& file, int& w, int& h) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  REQUIRE(png_image_begin_read_from_file(&image, file.string().c_str()) != 0);
  image.format = PNG_FORMAT_GRAY;
  std::vector<std::uint8_t> pixels(PNG_IMAGE_SIZE(image));
  REQUIRE(png_image_finish_read(&image, nullptr, pixels.data(), 0, nullptr) != 0);
  w = static_cast<int>(image.width);
  h = static_cast<int>(image.height);
  return pixels;
}

}  // namespace

TEST_CASE("write_png: libpng decodes exactly the pixels written, for noise, flat, skewed and tiny images") {
  const auto dir = std::filesystem::temp_directory_path() / "coherence_test_png";
  std::filesystem::create_directories(dir);
  model::Rng rng = model::Rng::stream(5, 0, 1);
  auto image = [](int w, int h) { return viz::GreyImage{w, h, std::vector<std::uint8_t>(static_cast<std::size_t>(w) * h)}; };
  std::vector<std::pair<std::string, viz::GreyImage>> cases;
  cases.emplace_back("noise", image(640, 480));
  for (auto& p : cases.back().second.pixels) p = static_cast<std::uint8_t>(rng.uniform() * 256.0);
  cases.emplace_back("flat", image(37, 5));
  for (auto& p : cases.back().second.pixels) p = 200;
  // A geometric distribution of row differences: a Huffman tree deeper than deflate's 15 bits,
  // so the length limit is exercised.
  cases.emplace_back("skewed", image(301, 211));
  std::uint8_t level = 0;
  for (auto& p : cases.back().second.pixels) {
    int step = 0;
    while (rng.uniform() < 0.5 && step < 60) ++step;
    level = static_cast<std::uint8_t>(level + step);
    p = level;
  }
  cases.emplace_back("one_pixel", image(1, 1));
  cases.back().second.pixels[0] = 17;
  cases.emplace_back("gradient", image(256, 3));
  for (int i = 0; i < 256 * 3; ++i) cases.back().second.pixels[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i % 256);
  for (const auto& [name, img] : cases) {
    INFO(name);
    const auto file = dir / (name + ".png");
    viz::write_png(file, img);
    int w = 0, h = 0;
    const auto decoded = decode_with_libpng(file, w, h);
    CHECK(w == img.width);
    CHECK(h == img.height);
    CHECK(decoded == img.pixels);
    CHECK_FALSE(std::filesystem::exists(dir / (name + ".png.partial")));
  }
  // The same image gives the same bytes.
  viz::write_png(dir / "again.png", cases.front().second);
  auto bytes = [](const std::filesystem::path& f) {
    std::ifstream in(f, std::ios::binary);
    return std::vector<char>(std::istreambuf_iterator<char>(in), {});
  };
  CHECK(bytes(dir / "again.png") == bytes(dir / "noise.png"));
  std::filesystem::remove_all(dir);
}
