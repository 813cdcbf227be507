#include "viewer/window.hpp"

#include <fmt/format.h>

#include <SFML/Graphics.hpp>
#include <nlohmann/json.hpp>
#include <cstdlib>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <functional>
#include <memory>
#include <stdexcept>

namespace coherence::viewer {

// display.cpp (Xlib's macros None, Status... clash with SFML's names, so it lives apart).
void* open_display(const char* name);
void close_display(void* display);

namespace {

constexpr unsigned kWidth = 1280, kHeight = 720;
constexpr double kPanelRefresh_s = 0.1;  // trends, indicator and log: 10 times a second
const sf::Color kBackground(18, 20, 24);
const sf::Color kPanel(32, 36, 42);
const sf::Color kText(225, 228, 232);
const sf::Color kDim(140, 146, 155);
const sf::Color kGood(70, 190, 110);
const sf::Color kBad(230, 70, 60);
const sf::Color kWarn(235, 170, 50);
const sf::Color kTrace(120, 200, 255);

// The video's place: the device's 640x480 frame at 1:1.
const sf::FloatRect kVideo(10.f, 46.f, 640.f, 480.f);

// One trend strip: a column of the trend points, its range and reference marks.
struct Strip {
  std::string label, unit;
  double lo, hi;
  std::function<double(const TrendPoint&)> value;
  int digits;
};

// A clickable button under the video, bound to a command.
struct Button {
  sf::FloatRect box;
  std::string text;
  Command command;
};

std::vector<Button> buttons() {
  const std::vector<std::pair<std::string, Command>> items = {
      {"NE +", Command::kNeUp},          {"NE -", Command::kNeDown},        {"Bolus", Command::kFluidBolus},
      {"Dobu +", Command::kDobutamineUp}, {"Dobu -", Command::kDobutamineDown}, {"NTG", Command::kNitroglycerin},
      {"VP", Command::kVasopressin},     {"Sepsis +", Command::kSeverityUp}, {"Sepsis -", Command::kSeverityDown},
      {"Pause", Command::kPause},        {"Faster", Command::kFaster},      {"Slower", Command::kSlower},
      {"Autopilot", Command::kAutopilot}, {"Help", Command::kHelp}};
  std::vector<Button> out;
  const float w = 640.f / 7.f;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::size_t column = i % 7, row = i / 7;  // two rows of seven
    const float x = kVideo.left + w * static_cast<float>(column);
    const float y = kVideo.top + kVideo.height + 6.f + 26.f * static_cast<float>(row);
    out.push_back({{x + 1.f, y, w - 2.f, 23.f}, items[i].first, items[i].second});
  }
  return out;
}

std::optional<Command> key_command(const sf::Event::KeyEvent& k) {
  switch (k.code) {
    case sf::Keyboard::Up: return Command::kNeUp;
    case sf::Keyboard::Down: return Command::kNeDown;
    case sf::Keyboard::F: return Command::kFluidBolus;
    case sf::Keyboard::D: return k.shift ? Command::kDobutamineDown : Command::kDobutamineUp;
    case sf::Keyboard::G: return Command::kNitroglycerin;
    case sf::Keyboard::V: return Command::kVasopressin;
    case sf::Keyboard::S: return k.shift ? Command::kSeverityDown : Command::kSeverityUp;
    case sf::Keyboard::Right: return Command::kNextSite;
    case sf::Keyboard::Left: return Command::kPreviousSite;
    case sf::Keyboard::Space: return Command::kPause;
    case sf::Keyboard::Add:
    case sf::Keyboard::Equal: return Command::kFaster;
    case sf::Keyboard::Subtract:
    case sf::Keyboard::Hyphen: return Command::kSlower;
    case sf::Keyboard::A: return Command::kAutopilot;
    case sf::Keyboard::H:
    case sf::Keyboard::F1: return Command::kHelp;
    default: return std::nullopt;
  }
}

// What a frame drew, for tests of the layout (`coherence view --layout FILE`).
struct Layout {
  nlohmann::json texts = nlohmann::json::array();
  nlohmann::json strips = nlohmann::json::array();
};

class Painter {
 public:
  Painter(sf::RenderTarget& target, const sf::Font& font) : target_(target), font_(font) {}

  void text(const std::string& s, float x, float y, unsigned size, sf::Color c = kText) {
    sf::Text t(sf::String::fromUtf8(s.begin(), s.end()), font_, size);
    t.setFillColor(c);
    t.setPosition(std::round(x), std::round(y));
    target_.draw(t);
    if (layout_) {
      const sf::FloatRect b = t.getGlobalBounds();
      layout_->texts.push_back({{"text", s}, {"size", size}, {"box", {b.left, b.top, b.width, b.height}}});
    }
  }
  void record_into(Layout* layout) { layout_ = layout; }
  Layout* layout() { return layout_; }
  float text_width(const std::string& s, unsigned size) {
    sf::Text t(sf::String::fromUtf8(s.begin(), s.end()), font_, size);
    return t.getLocalBounds().width;
  }
  void rect(sf::FloatRect r, sf::Color fill, sf::Color outline = sf::Color::Transparent) {
    sf::RectangleShape shape({r.width, r.height});
    shape.setPosition(r.left, r.top);
    shape.setFillColor(fill);
    if (outline != sf::Color::Transparent) {
      shape.setOutlineColor(outline);
      shape.setOutlineThickness(1.f);
    }
    target_.draw(shape);
  }
  void lamp(float x, float y, bool on, const std::string& label) {
    sf::CircleShape c(8.f);
    c.setPosition(x, y);
    c.setFillColor(on ? kGood : kBad);
    target_.draw(c);
    text(label, x + 22.f, y - 1.f, 14);
  }
  sf::RenderTarget& target() { return target_; }

 private:
  sf::RenderTarget& target_;
  const sf::Font& font_;
  Layout* layout_ = nullptr;
};

// A shaded range of a strip (a target band, the NE cliff zone).
struct Band {
  double lo, hi;
  sf::Color colour;
};

// Tic values of a strip's scale: its ends and middle, on the strip's own digits.
std::vector<double> strip_ticks(const Strip& s) { return {s.lo, 0.5 * (s.lo + s.hi), s.hi}; }

std::string tick_text(double v) { return fmt::format("{:g}", std::round(v * 100.0) / 100.0); }

// A strip: scale (tick labels in a column of their own, left), the trace area (nothing written
// over it), and the label and current value in a column of their own (right).
constexpr float kTickColumn = 38.f, kValueColumn = 124.f;

void draw_strip(Painter& p, const Strip& s, const std::deque<TrendPoint>& trends, sf::FloatRect box, double t_now,
                const std::vector<Band>& bands, const std::vector<double>& marks) {
  p.rect(box, kPanel);
  const sf::FloatRect plot(box.left + kTickColumn, box.top + 3.f, box.width - kTickColumn - kValueColumn,
                           box.height - 6.f);
  p.rect(plot, sf::Color(26, 29, 34));
  const double t0 = t_now - kTrendWindow_min;
  auto x_of = [&](double t) { return plot.left + static_cast<float>((t - t0) / kTrendWindow_min) * plot.width; };
  auto y_of = [&](double v) {
    const double f = std::clamp((v - s.lo) / (s.hi - s.lo), 0.0, 1.0);
    return plot.top + plot.height - static_cast<float>(f) * plot.height;
  };
  for (const Band& b : bands) {
    const float ya = y_of(b.lo), yb = y_of(b.hi);
    p.rect({plot.left, std::min(ya, yb), plot.width, std::abs(ya - yb)}, b.colour);
  }
  // Scale: grid lines and tick labels at the ends and the middle; time grid every 2 h.
  const sf::Color grid(52, 57, 66);
  nlohmann::json ticks = nlohmann::json::array();
  for (double v : strip_ticks(s)) {
    const float y = y_of(v);
    sf::Vertex line[] = {sf::Vertex({plot.left - 4.f, y}, kDim), sf::Vertex({plot.left + plot.width, y}, grid)};
    p.target().draw(line, 2, sf::Lines);
    const std::string t = tick_text(v);
    const float ty = std::clamp(y - 7.f, box.top, box.top + box.height - 13.f);
    p.text(t, plot.left - 6.f - p.text_width(t, 11), ty, 11, kDim);
    ticks.push_back(t);
  }
  for (double h = 2.0; h < kTrendWindow_min / 60.0; h += 2.0) {
    const float x = plot.left + static_cast<float>(h * 60.0 / kTrendWindow_min) * plot.width;
    sf::Vertex line[] = {sf::Vertex({x, plot.top}, grid), sf::Vertex({x, plot.top + plot.height}, grid)};
    p.target().draw(line, 2, sf::Lines);
  }
  for (double m : marks) {
    sf::Vertex line[] = {sf::Vertex({plot.left, y_of(m)}, kDim), sf::Vertex({plot.left + plot.width, y_of(m)}, kDim)};
    p.target().draw(line, 2, sf::Lines);
  }
  sf::VertexArray trace(sf::LineStrip);
  for (const auto& pt : trends) {
    if (pt.time_min < t0) continue;
    const double v = s.value(pt);
    if (!std::isfinite(v)) continue;
    trace.append(sf::Vertex({x_of(pt.time_min), y_of(v)}, kTrace));
  }
  p.target().draw(trace);
  const float vx = plot.left + plot.width + 8.f;
  p.text(s.label, vx, box.top + 2.f, 12, kDim);
  const double now = trends.empty() ? NAN : s.value(trends.back());
  const std::string value = std::isfinite(now) ? fmt::format("{:.{}f} {}", now, s.digits, s.unit) : "-";
  p.text(value, vx, box.top + 21.f, 15);
  if (p.layout()) {
    p.layout()->strips.push_back({{"label", s.label},
                                  {"plot", {plot.left, plot.top, plot.width, plot.height}},
                                  {"box", {box.left, box.top, box.width, box.height}},
                                  {"ticks", ticks}});
  }
}

// Lines of at most `width` pixels at `size`, broken at spaces (a word longer than a line is cut).
std::vector<std::string> wrap(Painter& p, const std::string& text, float width, unsigned size) {
  std::vector<std::string> lines;
  std::string line;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t j = text.find(' ', i);
    if (j == std::string::npos) j = text.size();
    const std::string word = text.substr(i, j - i);
    const std::string candidate = line.empty() ? word : line + " " + word;
    if (!line.empty() && p.text_width(candidate, size) > width) {
      lines.push_back(line);
      line = word;
    } else {
      line = candidate;
    }
    i = j + 1;
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

std::string clock_text(double t_min) {
  const double a = std::abs(t_min);
  const int h = static_cast<int>(a / 60.0);
  const int m = static_cast<int>(a - 60.0 * h);
  return fmt::format("{}{}h{:02d}", t_min < 0 ? "-" : "", h, m);
}

// Everything but the video: redrawn into a texture at most kPanelRefresh_s apart (and after
// every command), because text and trend drawing cost more than a frame under software GL.
void draw_panels(Painter& p, const LiveViewer& v) {
  p.target().clear(kBackground);
  const TrendPoint& now = v.now();
  const auto& session = v.session();
  // Title bar.
  std::string top = fmt::format("Coherence  |  {}  |  t = {}  |  {:g} sim-min/s", session.scenario().name,
                                clock_text(now.time_min), v.speed_min_per_s());
  if (session.has_protocol()) {
    top += fmt::format("  |  autopilot {} ({})", session.autopilot() ? "ON" : "off", session.controller()->name());
  } else {
    top += "  |  no protocol: you decide";
  }
  if (v.paused()) top += "  |  PAUSED";
  if (v.ended()) top += v.arrested() ? "  |  CIRCULATORY ARREST" : "  |  END OF SCENARIO";
  p.text(top, 10.f, 12.f, 17);

  // Buttons.
  for (const Button& b : buttons()) {
    p.rect(b.box, sf::Color(50, 56, 66), sf::Color(80, 88, 100));
    p.text(b.text, b.box.left + (b.box.width - p.text_width(b.text, 14)) / 2.f, b.box.top + 3.f, 14);
  }

  // Coherence indicator.
  const Coherence c = v.coherence();
  const sf::FloatRect ind(kVideo.left, 588.f, 640.f, 58.f);
  const sf::Color verdict_colour = c.macro_adequate && !c.micro_adequate ? kBad
                                   : (c.macro_adequate && c.micro_adequate ? kGood : kWarn);
  p.rect(ind, kPanel, verdict_colour);
  p.lamp(ind.left + 10.f, ind.top + 9.f, c.macro_adequate,
         fmt::format("macro: MAP {:.0f} (target {:.0f})", now.map_mmHg, v.map_target_mmHg()));
  p.lamp(ind.left + 300.f, ind.top + 9.f, c.micro_adequate,
         fmt::format("micro, mean of 5 sites: MFI {:.2f}, PPV {:.0f}%", now.mfi, now.ppv_pct));
  p.text(c.verdict, ind.left + 10.f, ind.top + 32.f, 16, verdict_colour);

  // Caption and status.
  const sf::FloatRect cap(kVideo.left, 652.f, 640.f, 44.f);
  if (v.caption()) {
    p.rect(cap, sf::Color(40, 46, 70), sf::Color(110, 130, 200));
    // Two lines at most: the first that fits, the rest on the second.
    const std::vector<std::string> lines = wrap(p, v.caption_text(), cap.width - 16.f, 14);
    std::string second;
    for (std::size_t k = 1; k < lines.size(); ++k) second += (k > 1 ? " " : "") + lines[k];
    if (!lines.empty()) p.text(lines.front(), cap.left + 8.f, cap.top + 3.f, 14);
    if (!second.empty()) p.text(second, cap.left + 8.f, cap.top + 22.f, 14);
  }
  p.text(v.status(), kVideo.left, 700.f, 13, kDim);

  // Trend strips.
  const float sx = 665.f, sw = 605.f, sh = 52.f, gap = 5.f;
  const double target = v.map_target_mmHg();
  struct Row {
    Strip strip;
    std::vector<Band> bands;
    std::vector<double> marks;
  };
  const std::vector<Row> rows = {
      {{"MAP (band: target)", "mmHg", 20, 140, [](const TrendPoint& q) { return q.map_mmHg; }, 0},
       {{target, target + 15.0, sf::Color(40, 90, 60)}},
       {}},
      {{"HR", "/min", 40, 180, [](const TrendPoint& q) { return q.hr_bpm; }, 0}, {}, {}},
      {{"CO", "L/min", 0, 12, [](const TrendPoint& q) { return q.co_L_per_min; }, 1}, {}, {}},
      {{"NE (band: cliff)", "ug/kg/min", 0, 1.5, [](const TrendPoint& q) { return q.ne_ug_per_kg_min; }, 2},
       {{0.71, 0.80, sf::Color(78, 84, 104)}},
       {}},
      {{"Lactate", "mmol/L", 0, 12, [](const TrendPoint& q) { return q.lactate_mmol_per_L; }, 1}, {}, {2.0}},
      {{"CRT", "s", 0, 10, [](const TrendPoint& q) { return q.crt_s; }, 1}, {}, {3.0}},
      {{"MFI", "", 0, 3, [](const TrendPoint& q) { return q.mfi; }, 2}, {}, {kMicroAdequateMfi}},
      {{"PPV", "%", 0, 100, [](const TrendPoint& q) { return q.ppv_pct; }, 0}, {}, {kMicroAdequatePpv_pct}},
  };
  float y = 46.f;
  for (const Row& r : rows) {
    draw_strip(p, r.strip, v.trends(), {sx, y, sw, sh}, now.time_min, r.bands, r.marks);
    y += sh + gap;
  }
  // Time scale under the strips: hours before now.
  {
    const float plot_left = sx + kTickColumn, plot_width = sw - kTickColumn - kValueColumn;
    for (double h = 0.0; h <= kTrendWindow_min / 60.0 + 1e-9; h += 2.0) {
      const std::string t = h == kTrendWindow_min / 60.0 ? "now" : fmt::format("-{:g} h", kTrendWindow_min / 60.0 - h);
      const float x = plot_left + static_cast<float>(h * 60.0 / kTrendWindow_min) * plot_width;
      p.text(t, x - p.text_width(t, 11) / 2.f, y - 3.f, 11, kDim);
    }
  }

  // Decision log.
  const sf::FloatRect log(sx, 520.f, sw, 190.f);
  p.rect(log, kPanel);
  p.text("Decisions (protocol and user)", log.left + 6.f, log.top + 3.f, 14, kDim);
  // Whole decisions, wrapped; the newest that fit, oldest at the top.
  const float line_h = 16.f, first_y = log.top + 24.f;
  const int capacity = static_cast<int>((log.top + log.height - 4.f - first_y) / line_h);
  std::vector<std::vector<std::string>> entries;
  int used = 0;
  const auto recent = v.recent_decisions(12);
  for (auto it = recent.rbegin(); it != recent.rend(); ++it) {
    const auto& d = *it;
    std::string line = fmt::format("{}  {}: {}", clock_text(d.time_min), d.protocol == "user" ? "you" : d.protocol,
                                   d.action);
    if (!d.reason.empty() && d.protocol != "user") line += " - " + d.reason;
    auto lines = wrap(p, line, log.width - 20.f, 13);
    if (used + static_cast<int>(lines.size()) > capacity) break;
    used += static_cast<int>(lines.size());
    entries.push_back(std::move(lines));
  }
  float ly = first_y;
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    for (std::size_t k = 0; k < it->size(); ++k) {
      p.text((*it)[k], log.left + (k == 0 ? 6.f : 18.f), ly, 13, k == 0 ? kText : kDim);
      ly += line_h;
    }
  }

  if (v.help()) {
    p.rect({140.f, 80.f, 1000.f, 560.f}, sf::Color(10, 12, 16, 235), sf::Color(120, 130, 150));
    p.text("Controls (keyboard, or the buttons under the video; click the video for the next site)", 160.f, 92.f, 17);
    float hy = 130.f;
    for (const CommandInfo& ci : command_table()) {
      p.text(ci.key, 170.f, hy, 15, kWarn);
      p.text(ci.label, 400.f, hy, 15);
      hy += 28.f;
    }
    p.text("Captions pause the lesson: Space continues.  Esc closes the viewer.", 160.f, hy + 8.f, 15, kDim);
  }
}

// The video and its overlays, every frame (grey -> RGBA when the video frame changed).
void draw_video(Painter& p, const LiveViewer& v, sf::Texture& video_texture, std::vector<std::uint8_t>& rgba,
                bool frame_changed) {
  const viz::GreyImage& f = v.frame();
  if (video_texture.getSize().x != static_cast<unsigned>(f.width)) {
    video_texture.create(static_cast<unsigned>(f.width), static_cast<unsigned>(f.height));
    frame_changed = true;
  }
  if (frame_changed) {
    rgba.resize(static_cast<std::size_t>(f.width) * static_cast<std::size_t>(f.height) * 4);
    for (std::size_t i = 0; i < f.pixels.size(); ++i) {
      rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = f.pixels[i];
      rgba[4 * i + 3] = 255;
    }
    video_texture.update(rgba.data());
  }
  sf::Sprite sprite(video_texture);
  sprite.setPosition(kVideo.left, kVideo.top);
  sprite.setScale(kVideo.width / static_cast<float>(f.width), kVideo.height / static_cast<float>(f.height));
  p.target().draw(sprite);
  const auto& truth = v.site_truth();
  p.rect({kVideo.left, kVideo.top, 640.f, 24.f}, sf::Color(0, 0, 0, 150));
  const viz::DevicePreset& d = v.device();
  p.text(fmt::format("Site {} of 5 ({}, {:.0f} x {:.0f} um)   this site's truth: MFI {:.1f}  PPV {:.0f}%  TVD {:.1f}",
                     v.site(), d.name, d.field_width_um, d.field_height_um, truth.mfi, truth.ppv_pct,
                     truth.tvd_mm_per_mm2),
         kVideo.left + 6.f, kVideo.top + 3.f, 14);
  // 100 um scale bar.
  const float bar = static_cast<float>(100.0 / d.field_width_um) * kVideo.width;
  p.rect({kVideo.left + kVideo.width - bar - 14.f, kVideo.top + kVideo.height - 16.f, bar, 4.f}, sf::Color::White);
  p.text("100 um", kVideo.left + kVideo.width - bar - 14.f, kVideo.top + kVideo.height - 36.f, 13, sf::Color::White);
}

}  // namespace

FrameTimes run_window(LiveViewer& viewer, const WindowOptions& options) {
  // SFML aborts the process when it cannot reach the X server: ask first, and fail in one line.
  const char* display_name = std::getenv("DISPLAY");
  if (!display_name || !*display_name) {
    throw std::runtime_error("no display (DISPLAY is not set); for a headless screenshot run under xvfb-run");
  }
  const std::unique_ptr<void, void (*)(void*)> held(open_display(display_name), close_display);
  if (!held) {
    throw std::runtime_error(fmt::format("cannot open the display '{}'; for a headless screenshot run under xvfb-run",
                                         display_name));
  }
  sf::Font font;
  if (!font.loadFromFile(kFontFile)) {
    throw std::runtime_error(fmt::format("cannot load the font {} (Debian package fonts-dejavu-core)", kFontFile));
  }
  sf::RenderWindow window(sf::VideoMode(kWidth, kHeight), "Coherence - teaching viewer",
                          sf::Style::Titlebar | sf::Style::Close);
  if (!window.isOpen()) throw std::runtime_error("cannot open a window (no display? try xvfb-run)");
  const bool headless = options.frames > 0;
  if (!headless) window.setFramerateLimit(60);
  sf::Texture video_texture;
  std::vector<std::uint8_t> rgba;
  sf::RenderTexture panel;
  if (!panel.create(kWidth, kHeight)) throw std::runtime_error("cannot create an offscreen texture");
  Painter window_painter(window, font), panel_painter(panel, font);
  double panel_age_s = 1e9;  // since the panels were last drawn
  std::uint64_t shown_frame = 0;
  bool exposed = true;       // the window needs a full redraw (first frame, focus, resize)
  int redrawn = 0;
  using Clock = std::chrono::steady_clock;
  std::vector<double> frame_ms;
  double tick_total = 0.0, draw_total = 0.0;
  auto last = Clock::now();
  int frame = 0;
  while (window.isOpen()) {
    sf::Event e;
    while (window.pollEvent(e)) {
      if (e.type == sf::Event::Closed) window.close();
      if (e.type == sf::Event::GainedFocus || e.type == sf::Event::Resized) exposed = true;
      if (e.type == sf::Event::KeyPressed) {
        if (e.key.code == sf::Keyboard::Escape) window.close();
        if (const auto c = key_command(e.key)) {
          viewer.apply(*c);
          panel_age_s = 1e9;
        }
      }
      if (e.type == sf::Event::MouseButtonPressed && e.mouseButton.button == sf::Mouse::Left) {
        const sf::Vector2f at(static_cast<float>(e.mouseButton.x), static_cast<float>(e.mouseButton.y));
        panel_age_s = 1e9;
        if (viewer.help()) {
          viewer.apply(Command::kHelp);
        } else if (kVideo.contains(at)) {
          viewer.apply(Command::kNextSite);
        } else {
          for (const Button& b : buttons()) {
            if (b.box.contains(at)) viewer.apply(b.command);
          }
        }
      }
    }
    if (!window.isOpen()) break;
    const auto t0 = Clock::now();
    // Headless runs step a fixed 1/60 s per frame, so a capture is repeatable.
    const double dt = headless ? 1.0 / 60.0 : std::chrono::duration<double>(t0 - last).count();
    last = t0;
    viewer.tick(dt);
    const auto t1 = Clock::now();
    panel_age_s += dt;
    bool panels_due = panel_age_s >= kPanelRefresh_s;
    const bool video_changed = viewer.frame_serial() != shown_frame;
    const bool last_frame = headless && frame + 1 >= options.frames;
    if (!panels_due && !video_changed && !exposed && !last_frame) {
      // Nothing on screen changed (the video runs at 30 frames/s, the panels at 10): keep the
      // image shown and wait for the next 1/60 s tick instead of drawing it again.
      ++frame;
      const double idle_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      tick_total += idle_ms;
      frame_ms.push_back(idle_ms);
      if (!headless) sf::sleep(sf::microseconds(static_cast<sf::Int64>(std::max(0.0, 1e6 / 60.0 - 1e3 * idle_ms))));
      continue;
    }
    Layout layout;
    const bool record = last_frame && !options.layout_file.empty();
    if (record) panels_due = true;  // the captured frame's panels are drawn (and recorded) anew
    panel_painter.record_into(record ? &layout : nullptr);
    window_painter.record_into(record ? &layout : nullptr);
    if (panels_due) {
      draw_panels(panel_painter, viewer);
      panel.display();
      panel_age_s = 0.0;
    }
    window.draw(sf::Sprite(panel.getTexture()));  // covers the whole window: no clear needed
    draw_video(window_painter, viewer, video_texture, rgba, video_changed);
    shown_frame = viewer.frame_serial();
    exposed = false;
    ++redrawn;
    // Captured before display(): the back buffer holds this frame until it is swapped.
    if (last_frame && !options.screenshot_file.empty()) {
      sf::Texture shot;
      shot.create(kWidth, kHeight);
      shot.update(window);
      if (!shot.copyToImage().saveToFile(options.screenshot_file)) {
        throw std::runtime_error(fmt::format("{}: cannot write the screenshot", options.screenshot_file));
      }
    }
    if (record) {
      std::ofstream out(options.layout_file);
      out << nlohmann::json{{"texts", layout.texts}, {"strips", layout.strips}}.dump(1) << "\n";
      if (!out) throw std::runtime_error(fmt::format("{}: cannot write the layout", options.layout_file));
    }
    panel_painter.record_into(nullptr);
    window_painter.record_into(nullptr);
    window.display();
    const auto t2 = Clock::now();
    ++frame;
    tick_total += std::chrono::duration<double, std::milli>(t1 - t0).count();
    draw_total += std::chrono::duration<double, std::milli>(t2 - t1).count();
    frame_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t0).count());
    if (last_frame) window.close();
  }
  FrameTimes ft;
  ft.frames = frame;
  ft.redrawn = redrawn;
  if (frame > 0) {
    ft.tick_ms_mean = tick_total / frame;
    ft.draw_ms_mean = draw_total / frame;
    double sum = 0.0;
    for (double m : frame_ms) sum += m;
    ft.frame_ms_mean = sum / frame;
    std::sort(frame_ms.begin(), frame_ms.end());
    ft.frame_ms_p95 = frame_ms[static_cast<std::size_t>(0.95 * static_cast<double>(frame_ms.size() - 1))];
    ft.frame_ms_max = frame_ms.back();
  }
  return ft;
}

}  // namespace coherence::viewer
