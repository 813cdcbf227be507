// The teaching viewer's state and command layer, without a window: a live Session, the trends it
// has produced, the sublingual video of the selected site, the controls and the lesson captions.
// window.cpp draws it with SFML; tests drive it directly (no display needed).
#pragma once

#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "run/session.hpp"
#include "viz/raster.hpp"
#include "viz/scene.hpp"

namespace coherence::viewer {

// What the user can do (keyboard, mouse, or a test).
enum class Command {
  kNeUp,                // norepinephrine +0.05 ug/kg/min (+0.02 below 0.1)
  kNeDown,              // the same steps down, not below 0
  kFluidBolus,          // 250 mL crystalloid over 15 min
  kDobutamineUp,        // +2.5 ug/kg/min, up to 20
  kDobutamineDown,      // -2.5 ug/kg/min, not below 0
  kNitroglycerin,       // on (33 ug/min = 2 mg/h) / off
  kVasopressin,         // on (0.03 U/min) / off
  kSeverityUp,          // sepsis severity +0.1, up to 1
  kSeverityDown,        // sepsis severity -0.1, not below 0
  kNextSite,            // the next of the 5 sublingual sites
  kPreviousSite,
  kPause,               // pause / resume
  kFaster,              // simulation speed x2, up to 480 simulated min per second
  kSlower,              // simulation speed /2, down to 0.25 simulated min per second
  kAutopilot,           // the scenario's protocol decides (on) or only the user (off)
  kHelp,                // the help overlay on / off
};

struct CommandInfo {
  Command command;
  std::string key;    // keyboard key(s), as the help overlay shows them
  std::string label;  // what it does
};
const std::vector<CommandInfo>& command_table();

// One point of the trend strips.
struct TrendPoint {
  double time_min = 0.0;
  double map_mmHg = 0.0, hr_bpm = 0.0, co_L_per_min = 0.0, ne_ug_per_kg_min = 0.0, lactate_mmol_per_L = 0.0;
  double crt_s = 0.0, mfi = 0.0, ppv_pct = 0.0;
};

// Thresholds of the coherence indicator (docs/teaching.md): the macrocirculation is adequate at
// MAP >= the protocol's target (65 mmHg without one); the microcirculation at MFI >= 2.6
// (MicroDAIMON's day-1 threshold for higher mortality) and PPV >= 80%.
inline constexpr double kDefaultMapTarget_mmHg = 65.0;
inline constexpr double kMicroAdequateMfi = 2.6;
inline constexpr double kMicroAdequatePpv_pct = 80.0;

struct Coherence {
  bool macro_adequate = false;
  bool micro_adequate = false;
  std::string verdict;  // "coherent", "LOSS OF COHERENCE", ...
};

struct ViewerOptions {
  double start_min = 0.0;             // where the live view begins (the course before runs unseen)
  double speed_min_per_s = 2.0;       // simulated minutes per wall-clock second
  int site = 1;                       // 1-5
  std::string device = "sdf";
  bool pause_at_captions = true;
};

class LiveViewer {
 public:
  // `video_measurer`: needed when the scenario's micro-guided monitor measures by render + score.
  LiveViewer(const scenario::Scenario& s, const ViewerOptions& o, run::VideoMicroMeasurer video_measurer = nullptr);
  LiveViewer(const LiveViewer&) = delete;  // the clip points into view_site_
  LiveViewer& operator=(const LiveViewer&) = delete;

  // Advances by `wall_s` of wall-clock time: the simulation by speed x wall_s (unless paused or
  // at the end), the video by wall_s of real time. Returns false once the scenario has ended.
  bool tick(double wall_s);
  // Applies a command; returns the status line it leaves (also kept in status()).
  std::string apply(Command c);

  const run::Session& session() const { return session_; }
  const std::deque<TrendPoint>& trends() const { return trends_; }
  const TrendPoint& now() const { return trends_.back(); }
  Coherence coherence() const;
  double map_target_mmHg() const;
  // The current video frame of the selected site (grey, the device's size).
  const viz::GreyImage& frame() const { return frame_; }
  // Counts the video frames rendered: a new value means frame() changed.
  std::uint64_t frame_serial() const { return frame_serial_; }
  const viz::DevicePreset& device() const { return device_; }
  // Ground truth of the selected site now (the model's measures).
  const model::SiteMetrics& site_truth() const { return site_truth_; }
  int site() const { return site_; }
  bool paused() const { return paused_; }
  bool help() const { return help_; }
  double speed_min_per_s() const { return speed_min_per_s_; }
  const std::string& status() const { return status_; }
  // The caption in force (the latest passed), if any.
  const scenario::Caption* caption() const;
  // Its text with the placeholders filled from the scenario as scripted (run/captions.hpp).
  std::string caption_text() const;
  // The last `n` decisions (protocol and user), newest last.
  std::vector<run::DecisionRow> recent_decisions(std::size_t n) const;
  bool ended() const { return session_.at_end() || arrested_; }
  bool arrested() const { return arrested_; }

 private:
  void sample_trend();
  void refresh_clip();
  void render_frame();
  void change_infusions(const std::function<void(protocol::Infusions&)>& edit, const std::string& what);

  run::Session session_;
  ViewerOptions options_;
  viz::DevicePreset device_;
  model::Network camera_network_;  // the session's network, at the camera's field size
  std::deque<TrendPoint> trends_;
  double next_trend_min_ = 0.0;
  int site_ = 1;
  bool paused_ = false, help_ = false, arrested_ = false;
  double speed_min_per_s_ = 2.0;
  std::string status_;
  std::size_t next_caption_ = 0;
  std::optional<std::size_t> caption_;
  std::vector<std::string> caption_texts_;  // filled, one per caption
  // The video: a clip of the selected site at the model's state, renewed every few seconds.
  std::optional<viz::ClipSetup> clip_;
  std::optional<viz::Renderer> renderer_;
  model::Site view_site_;
  double clip_wall_s_ = 0.0;   // wall time into the current clip
  double clip_model_min_ = 0.0;  // model time the clip shows
  int clip_count_ = 0;
  viz::GreyImage frame_;
  std::uint64_t frame_serial_ = 0;
  int rendered_clip_ = -1, rendered_index_ = -1;  // what frame_ shows
  model::SiteMetrics site_truth_;
};

// Trend strips: the simulated minutes kept and shown.
inline constexpr double kTrendWindow_min = 8.0 * 60.0;
// Seconds of video per clip before it is renewed from the model's current state.
// Seconds of video per clip before it is renewed from the model's current state, or simulated
// minutes, whichever comes first (so that a fast simulation does not show a stale microcirculation).
inline constexpr double kClipRenewal_s = 2.0;
inline constexpr double kClipRenewal_min = 5.0;
inline constexpr double kClipMinimum_s = 0.5;  // but a clip plays at least this long

}  // namespace coherence::viewer
