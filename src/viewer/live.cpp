#include "viewer/live.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "model/microcirculation.hpp"
#include "run/captions.hpp"
#include "run/runner.hpp"

namespace coherence::viewer {

namespace {
// NE steps: finer at the low doses where a nurse titrates by 0.01-0.02.
double ne_step(double dose, bool up) {
  const double edge = 0.1;
  if (up) return dose < edge - 1e-9 ? 0.02 : 0.05;
  return dose <= edge + 1e-9 ? 0.02 : 0.05;
}
constexpr double kNeMax_ug_per_kg_min = 5.0;  // the scenario schema's ceiling
constexpr double kDobutamineStep = 2.5, kDobutamineMax = 20.0;
constexpr double kNitroglycerinOn_ug_per_min = 33.0;  // 2 mg/h
constexpr double kVasopressinOn_U_per_min = 0.03;
constexpr double kBolus_mL = 250.0, kBolusOver_min = 15.0;
constexpr double kSeverityStep = 0.1;
constexpr double kSpeedMin = 0.25, kSpeedMax = 480.0;
constexpr double kTrendStep_min = 1.0;
// At most this much simulated time per tick, so that one slow frame cannot jump far.
constexpr double kMaxTickWall_s = 0.25;
}  // namespace

const std::vector<CommandInfo>& command_table() {
  static const std::vector<CommandInfo> table = {
      {Command::kNeUp, "Up", "norepinephrine +0.05 ug/kg/min (+0.02 below 0.1)"},
      {Command::kNeDown, "Down", "norepinephrine -0.05 ug/kg/min (-0.02 at 0.1 and below)"},
      {Command::kFluidBolus, "F", "fluid bolus: 250 mL crystalloid over 15 min"},
      {Command::kDobutamineUp, "D", "dobutamine +2.5 ug/kg/min (max 20)"},
      {Command::kDobutamineDown, "Shift+D", "dobutamine -2.5 ug/kg/min"},
      {Command::kNitroglycerin, "G", "nitroglycerin 2 mg/h on / off"},
      {Command::kVasopressin, "V", "vasopressin 0.03 U/min on / off"},
      {Command::kSeverityUp, "S", "sepsis severity +0.1"},
      {Command::kSeverityDown, "Shift+S", "sepsis severity -0.1"},
      {Command::kNextSite, "Right / click video", "next sublingual site (1-5)"},
      {Command::kPreviousSite, "Left", "previous sublingual site"},
      {Command::kPause, "Space", "pause / resume"},
      {Command::kFaster, "+", "simulation faster (x2)"},
      {Command::kSlower, "-", "simulation slower (/2)"},
      {Command::kAutopilot, "A", "protocol autopilot on / off"},
      {Command::kHelp, "H / F1", "this help on / off"},
  };
  return table;
}

LiveViewer::LiveViewer(const scenario::Scenario& s, const ViewerOptions& o, run::VideoMicroMeasurer video_measurer)
    : session_(s, {}, std::move(video_measurer)),
      options_(o),
      device_(viz::device_preset(o.device)),
      site_(o.site),
      speed_min_per_s_(o.speed_min_per_s) {
  if (site_ < 1 || site_ > 5) throw std::invalid_argument("site must be 1-5");
  camera_network_ = viz::network_for_camera(s.params.micro, session_.network(), s.seed, device_);
  // Captions that quote the run are filled from one run of the scenario as scripted.
  run::check_captions(s);
  if (run::captions_have_placeholders(s)) {
    for (auto& c : run::evaluate_captions(s, run::run_scenario(s).rows)) caption_texts_.push_back(std::move(c.text));
  } else {
    for (const auto& c : s.captions) caption_texts_.push_back(c.text);
  }
  // The course before the live view runs unseen (e.g. the hours of sepsis before admission).
  // The trend strips show the last kTrendWindow_min before it, from admission (t = 0) on.
  const double start = std::clamp(o.start_min, session_.start_min(), session_.end_min());
  const double history = std::max(std::min(0.0, start), start - kTrendWindow_min);
  session_.advance_to(history);
  next_trend_min_ = session_.time_min();
  while (next_trend_min_ < start - 1e-9 && !arrested_) {
    session_.advance_to(next_trend_min_);
    sample_trend();
  }
  session_.advance_to(start);
  while (next_caption_ < s.captions.size() && s.captions[next_caption_].at_min < start - 1e-9) {
    caption_ = next_caption_++;
  }
  sample_trend();
  refresh_clip();
  render_frame();
  status_ = fmt::format("{}: live from {:.0f} min", s.name, session_.time_min());
}

void LiveViewer::sample_trend() {
  const run::Sample row = session_.sample();
  TrendPoint p;
  p.time_min = row.time_min;
  p.map_mmHg = row.map_mmHg;
  p.hr_bpm = row.hr_bpm;
  p.co_L_per_min = row.co_L_per_min;
  p.ne_ug_per_kg_min = row.ne_dose_ug_per_kg_min;
  p.lactate_mmol_per_L = row.lactate_mmol_per_L;
  p.crt_s = row.crt_s;
  p.mfi = row.mfi;
  p.ppv_pct = row.ppv_pct;
  trends_.push_back(p);
  while (!trends_.empty() && trends_.front().time_min < p.time_min - kTrendWindow_min) trends_.pop_front();
  if (p.map_mmHg < run::kCirculatoryArrestMap_mmHg) arrested_ = true;
  next_trend_min_ = p.time_min + kTrendStep_min;
}

void LiveViewer::refresh_clip() {
  const auto& micro = session_.scenario().params.micro;
  view_site_ = viz::site_in_view(camera_network_, static_cast<std::size_t>(site_ - 1), device_);
  clip_model_min_ = session_.time_min();
  const double t_s = clip_model_min_ * 60.0;
  const model::MicroDrivers drivers = session_.simulator().observe().micro_drivers;
  auto states = model::site_states(micro, view_site_, drivers, t_s);
  site_truth_ = model::site_metrics_from_states(view_site_, states);
  // A new clip each renewal (seeded by the renewal count, so a run of the viewer is repeatable).
  clip_.emplace(viz::make_clip(device_, viz::Artifacts{}, view_site_, std::move(states), t_s,
                               session_.scenario().seed * 1000003ULL + static_cast<std::uint64_t>(clip_count_++)));
  renderer_.emplace(*clip_);
  clip_wall_s_ = 0.0;
}

void LiveViewer::render_frame() {
  const int index = static_cast<int>(std::floor(clip_wall_s_ * device_.fps));
  if (index == rendered_index_ && clip_count_ == rendered_clip_) return;  // the video runs at the device's fps
  renderer_->render(viz::build_frame(*clip_, index), frame_);
  rendered_index_ = index;
  rendered_clip_ = clip_count_;
  ++frame_serial_;
}

bool LiveViewer::tick(double wall_s) {
  wall_s = std::clamp(wall_s, 0.0, kMaxTickWall_s);
  if (!paused_ && !ended()) {
    double target = std::min(session_.time_min() + speed_min_per_s_ * wall_s, session_.end_min());
    // A caption not yet shown stops the clock at its time.
    const auto& captions = session_.scenario().captions;
    if (next_caption_ < captions.size() && captions[next_caption_].at_min <= target) {
      target = std::max(session_.time_min(), captions[next_caption_].at_min);
      caption_ = next_caption_++;
      if (options_.pause_at_captions) paused_ = true;
    }
    try {
      while (next_trend_min_ <= target + 1e-9 && !arrested_) {
        session_.advance_to(next_trend_min_);
        sample_trend();
      }
      if (!arrested_) session_.advance_to(target);
    } catch (const model::SolverError& e) {
      arrested_ = true;
      status_ = fmt::format("the simulation failed: {}", e.what());
    }
    if (arrested_ && status_.rfind("the simulation failed", 0) != 0) {
      status_ = "circulatory arrest (MAP < 20 mmHg): the model is not valid beyond it";
    }
  }
  // The microscope shows real time whatever the simulation speed.
  clip_wall_s_ += wall_s;
  const bool stale = session_.time_min() - clip_model_min_ >= kClipRenewal_min && clip_wall_s_ >= kClipMinimum_s;
  if (clip_wall_s_ >= kClipRenewal_s || stale) refresh_clip();
  render_frame();
  return !ended();
}

void LiveViewer::change_infusions(const std::function<void(protocol::Infusions&)>& edit, const std::string& what) {
  protocol::Infusions inf = session_.timeline().infusions;
  edit(inf);
  session_.set_infusions(inf, "teaching viewer: " + what);
  status_ = what;
  if (session_.autopilot() && session_.has_protocol()) status_ += " (the autopilot may change it at its next decision)";
}

std::string LiveViewer::apply(Command c) {
  const protocol::Infusions& inf = session_.timeline().infusions;
  switch (c) {
    case Command::kNeUp: {
      const double d = std::min(kNeMax_ug_per_kg_min, inf.ne_ug_per_kg_min + ne_step(inf.ne_ug_per_kg_min, true));
      change_infusions([d](protocol::Infusions& i) { i.ne_ug_per_kg_min = d; },
                       fmt::format("norepinephrine {:.2f} ug/kg/min", d));
      break;
    }
    case Command::kNeDown: {
      const double d = std::max(0.0, inf.ne_ug_per_kg_min - ne_step(inf.ne_ug_per_kg_min, false));
      change_infusions([d](protocol::Infusions& i) { i.ne_ug_per_kg_min = d < 1e-9 ? 0.0 : d; },
                       fmt::format("norepinephrine {:.2f} ug/kg/min", d < 1e-9 ? 0.0 : d));
      break;
    }
    case Command::kFluidBolus:
      session_.give_bolus(kBolus_mL, kBolusOver_min, "teaching viewer: fluid bolus");
      status_ = "fluid bolus: 250 mL crystalloid over 15 min";
      break;
    case Command::kDobutamineUp:
    case Command::kDobutamineDown: {
      const double step = c == Command::kDobutamineUp ? kDobutamineStep : -kDobutamineStep;
      const double d = std::clamp(inf.dobutamine_ug_per_kg_min + step, 0.0, kDobutamineMax);
      change_infusions([d](protocol::Infusions& i) { i.dobutamine_ug_per_kg_min = d; },
                       fmt::format("dobutamine {:.1f} ug/kg/min", d));
      break;
    }
    case Command::kNitroglycerin: {
      const double r = inf.nitroglycerin_ug_per_min > 0.0 ? 0.0 : kNitroglycerinOn_ug_per_min;
      change_infusions([r](protocol::Infusions& i) { i.nitroglycerin_ug_per_min = r; },
                       r > 0.0 ? "nitroglycerin 2 mg/h (33 ug/min)" : "nitroglycerin off");
      break;
    }
    case Command::kVasopressin: {
      const double r = inf.vasopressin_U_per_min > 0.0 ? 0.0 : kVasopressinOn_U_per_min;
      change_infusions([r](protocol::Infusions& i) { i.vasopressin_U_per_min = r; },
                       r > 0.0 ? "vasopressin 0.03 U/min" : "vasopressin off");
      break;
    }
    case Command::kSeverityUp:
    case Command::kSeverityDown: {
      const double step = c == Command::kSeverityUp ? kSeverityStep : -kSeverityStep;
      const double v = std::clamp(std::round((session_.timeline().severity + step) * 10.0) / 10.0, 0.0, 1.0);
      session_.set_sepsis_severity(v, "teaching viewer: sepsis severity");
      status_ = fmt::format("sepsis severity {:.1f}", v);
      break;
    }
    case Command::kNextSite:
    case Command::kPreviousSite:
      site_ = c == Command::kNextSite ? site_ % 5 + 1 : (site_ + 3) % 5 + 1;
      refresh_clip();
      render_frame();
      status_ = fmt::format("sublingual site {}", site_);
      break;
    case Command::kPause:
      paused_ = !paused_;
      status_ = paused_ ? "paused" : "running";
      break;
    case Command::kFaster:
    case Command::kSlower:
      speed_min_per_s_ = std::clamp(c == Command::kFaster ? speed_min_per_s_ * 2.0 : speed_min_per_s_ / 2.0, kSpeedMin,
                                    kSpeedMax);
      status_ = fmt::format("speed {:g} simulated min per second", speed_min_per_s_);
      break;
    case Command::kAutopilot:
      if (!session_.has_protocol()) {
        status_ = "this scenario has no protocol (protocol.name = fixed): you decide";
      } else {
        session_.set_autopilot(!session_.autopilot());
        status_ = fmt::format("autopilot ({}) {}", session_.controller()->name(), session_.autopilot() ? "on" : "off");
      }
      break;
    case Command::kHelp:
      help_ = !help_;
      status_ = help_ ? "help: press H to close" : "";
      break;
  }
  return status_;
}

Coherence LiveViewer::coherence() const {
  const TrendPoint& p = now();
  Coherence c;
  c.macro_adequate = p.map_mmHg >= map_target_mmHg() - 1e-9;
  c.micro_adequate = p.mfi >= kMicroAdequateMfi && p.ppv_pct >= kMicroAdequatePpv_pct;
  if (c.macro_adequate && c.micro_adequate) c.verdict = "coherent: pressure and capillaries adequate";
  if (c.macro_adequate && !c.micro_adequate) c.verdict = "LOSS OF COHERENCE: pressure at target, capillaries not";
  if (!c.macro_adequate && c.micro_adequate) c.verdict = "pressure below target, capillaries still flowing";
  if (!c.macro_adequate && !c.micro_adequate) c.verdict = "shock: pressure and capillaries inadequate";
  return c;
}

double LiveViewer::map_target_mmHg() const {
  const protocol::Protocol* p = session_.controller();
  if (p && p->map_target_mmHg()) return *p->map_target_mmHg();
  return kDefaultMapTarget_mmHg;
}

const scenario::Caption* LiveViewer::caption() const {
  return caption_ ? &session_.scenario().captions[*caption_] : nullptr;
}

std::string LiveViewer::caption_text() const { return caption_ ? caption_texts_[*caption_] : std::string(); }

std::vector<run::DecisionRow> LiveViewer::recent_decisions(std::size_t n) const {
  const auto& all = session_.decisions();
  const std::size_t from = all.size() > n ? all.size() - n : 0;
  return {all.begin() + static_cast<std::ptrdiff_t>(from), all.end()};
}

}  // namespace coherence::viewer
