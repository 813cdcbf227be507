// The bedside monitors: the only window a protocol has onto the patient. The arterial line
// reports MAP and HR continuously with measurement noise; blood gases are drawn on a schedule and
// their lactate arrives after a delay; capillary refill is examined on a schedule with
// inter-observer noise. All noise is seeded (deterministic).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "model/random.hpp"
#include "protocol/protocol.hpp"

namespace coherence::protocol {

struct MonitorSettings {
  double map_noise_mmHg = 2.0;        // arterial line + zeroing error, SD
  double lactate_interval_min = 120.0;
  double lactate_delay_min = 10.0;    // draw to result
  double lactate_noise_mmol_per_L = 0.1;
  double crt_interval_min = 30.0;     // ANDROMEDA-SHOCK examined every 30 min
  double crt_noise_s = 0.5;           // inter-observer variability, SD
  double co_noise_pct = 10.0;         // cardiac-output monitor precision, SD (%)
  double co_monitor_from_min = 0.0;   // when the cardiac-output monitor is placed
  double mfi_noise = 0.15;            // sublingual MFI measurement, SD (until render + score)
  double ppv_noise_pct = 5.0;         // PPV, SD (points)
  // How the sublingual microcirculation is measured: "truth_noise" (the networks' ground truth
  // plus the noise above) or "render_score" (5 sites rendered as video and scored from pixels).
  std::string micro_method = "truth_noise";
  double micro_seconds = 4.0;         // render_score: clip length per site
};

class Monitor {
 public:
  Monitor(const MonitorSettings& s, std::uint64_t seed);
  const MonitorSettings& settings() const { return s_; }
  // A `set` event changed measurement noise (schedules stay as they were).
  void set_noise(const MonitorSettings& s);
  // Sampling moments the runner must stop at (from t = start).
  bool lactate_due(double t_min, double start_min) const;
  bool crt_due(double t_min, double start_min) const;
  void draw_lactate(double t_min, double true_lactate);
  // CRT and mottling are examined together (same bedside look).
  void examine_crt(double t_min, double true_crt_s, double true_mottling_score);
  void measure_micro(double t_min, double true_mfi, double true_ppv);
  // A measurement that already carries its own error (video scored from pixels): no added noise.
  void record_micro(double t_min, double mfi, double ppv);
  Observations observe(double t_min, double true_map, double true_hr, double true_co_L_per_min,
                       const Infusions& running);

 private:
  struct Pending {
    double drawn_min, ready_min, value;
  };
  MonitorSettings s_;
  // One stream per instrument, so that one protocol's extra examinations do not change the noise
  // another instrument reports (paired protocol comparisons see the same arterial-line noise).
  model::Rng map_rng_, lactate_rng_, crt_rng_, co_rng_, micro_rng_;
  std::deque<Pending> lactate_;
  std::optional<Pending> last_lactate_;
  std::optional<double> last_crt_, crt_min_, mottling_;
  std::optional<double> micro_min_, mfi_, ppv_;
};

}  // namespace coherence::protocol
