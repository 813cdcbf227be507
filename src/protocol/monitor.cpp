#include "protocol/monitor.hpp"

#include <algorithm>
#include <cmath>

namespace coherence::protocol {

namespace {
constexpr std::uint64_t kPurposeMonitor = 41;

bool on_schedule(double t, double start, double interval) {
  const double k = (t - start) / interval;
  return t >= start && std::abs(k - std::round(k)) < 1e-9;
}
}  // namespace

Monitor::Monitor(const MonitorSettings& s, std::uint64_t seed)
    : s_(s),
      map_rng_(model::Rng::stream(seed, 0, kPurposeMonitor)),
      lactate_rng_(model::Rng::stream(seed, 0, kPurposeMonitor + 1)),
      crt_rng_(model::Rng::stream(seed, 0, kPurposeMonitor + 2)),
      co_rng_(model::Rng::stream(seed, 0, kPurposeMonitor + 3)),
      micro_rng_(model::Rng::stream(seed, 0, kPurposeMonitor + 4)) {}

void Monitor::set_noise(const MonitorSettings& s) {
  s_.map_noise_mmHg = s.map_noise_mmHg;
  s_.lactate_noise_mmol_per_L = s.lactate_noise_mmol_per_L;
  s_.crt_noise_s = s.crt_noise_s;
  s_.co_noise_pct = s.co_noise_pct;
  s_.mfi_noise = s.mfi_noise;
  s_.ppv_noise_pct = s.ppv_noise_pct;
}

bool Monitor::lactate_due(double t, double start) const { return on_schedule(t, start, s_.lactate_interval_min); }
bool Monitor::crt_due(double t, double start) const { return on_schedule(t, start, s_.crt_interval_min); }

void Monitor::draw_lactate(double t, double true_lactate) {
  const double measured = std::max(0.1, true_lactate + s_.lactate_noise_mmol_per_L * lactate_rng_.normal());
  lactate_.push_back({t, t + s_.lactate_delay_min, std::round(measured * 10.0) / 10.0});
}

void Monitor::examine_crt(double t, double true_crt_s, double true_mottling_score) {
  last_crt_ = std::round(std::max(0.5, true_crt_s + s_.crt_noise_s * crt_rng_.normal()) * 2.0) / 2.0;  // 0.5 s steps
  crt_min_ = t;
  mottling_ = std::round(true_mottling_score);  // the score is an integer 0-5 read at the bedside
}

void Monitor::record_micro(double t, double mfi, double ppv) {
  micro_min_ = t;
  mfi_ = std::round(mfi * 100.0) / 100.0;
  ppv_ = std::round(ppv);
}

void Monitor::measure_micro(double t, double true_mfi, double true_ppv) {
  micro_min_ = t;
  mfi_ = std::clamp(std::round((true_mfi + s_.mfi_noise * micro_rng_.normal()) * 100.0) / 100.0, 0.0, 3.0);
  ppv_ = std::clamp(std::round(true_ppv + s_.ppv_noise_pct * micro_rng_.normal()), 0.0, 100.0);
}

Observations Monitor::observe(double t, double true_map, double true_hr, double true_co, const Infusions& running) {
  Observations o;
  o.time_min = t;
  o.map_mmHg = std::round(true_map + s_.map_noise_mmHg * map_rng_.normal());
  o.hr_bpm = std::round(true_hr);
  o.running = running;
  while (!lactate_.empty() && lactate_.front().ready_min <= t + 1e-9) {
    last_lactate_ = lactate_.front();
    lactate_.pop_front();
  }
  if (last_lactate_) {
    o.lactate_mmol_per_L = last_lactate_->value;
    o.lactate_drawn_min = last_lactate_->drawn_min;
  }
  o.crt_s = last_crt_;
  o.crt_examined_min = crt_min_;
  o.mottling_score = mottling_;
  const double co_noise = co_rng_.normal();  // drawn every epoch: the stream does not depend on placement
  if (t >= s_.co_monitor_from_min - 1e-9) {
    o.co_L_per_min = std::round(true_co * (1.0 + s_.co_noise_pct / 100.0 * co_noise) * 10.0) / 10.0;
  }
  o.mfi = mfi_;
  o.ppv_pct = ppv_;
  o.micro_measured_min = micro_min_;
  return o;
}

}  // namespace coherence::protocol
