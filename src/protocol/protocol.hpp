// Resuscitation protocols: controllers that act like clinicians on what a clinician can observe.
// A protocol never reads the model's state; it sees Observations from the Monitor (noisy,
// scheduled, delayed) and returns Actions, each with the reason a clinician would give.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace coherence::protocol {

// What the bedside monitors report at a decision epoch (NaN-free: absent values are empty).
struct Observations {
  double time_min = 0.0;
  double map_mmHg = 0.0;                      // arterial line, continuous
  double hr_bpm = 0.0;
  std::optional<double> lactate_mmol_per_L;   // latest blood gas result available now
  std::optional<double> lactate_drawn_min;    // when that sample was drawn
  std::optional<double> crt_s;                // latest examination
  double ne_dose_ug_per_kg_min = 0.0;         // what is running
};

struct Action {
  std::optional<double> ne_dose_ug_per_kg_min;
  std::optional<double> bolus_mL;
  double bolus_duration_min = 15.0;
  std::string what;    // short name, e.g. "increase NE"
  std::string reason;  // in words a clinician recognises
};

class Protocol {
 public:
  virtual ~Protocol() = default;
  virtual std::string name() const = 0;
  virtual double decision_interval_min() const = 0;
  virtual std::vector<Action> decide(const Observations& obs) = 0;
  // The MAP target in force (for reporting and performance metrics); empty if none.
  virtual std::optional<double> map_target_mmHg() const { return std::nullopt; }
};

// Scripted doses only: never acts.
class FixedProtocol final : public Protocol {
 public:
  std::string name() const override { return "fixed"; }
  double decision_interval_min() const override { return 60.0; }
  std::vector<Action> decide(const Observations&) override { return {}; }
};

struct MapTargetSettings {
  double map_target_mmHg = 65.0;
  double decision_interval_min = 2.0;
  double proportional_ug_per_kg_min_per_mmHg = 0.003;     // Kp
  double integral_ug_per_kg_min_per_mmHg_min = 0.0015;    // Ki
  double ne_max_ug_per_kg_min = 2.0;
  double deadband_mmHg = 1.0;                              // no change within +-1 mmHg
};

// Closed-loop NE titration to a MAP target: a velocity-form PI controller on the measured MAP,
//   dose_k = clamp(dose_{k-1} + Kp (e_k - e_{k-1}) + Ki e_k dt, 0, ceiling),  e = target - MAP,
// which needs no anti-windup (the dose itself is clamped), with a deadband and pump resolution
// 0.001 ug/kg/min, as published closed-loop vasopressor controllers do.
class MapTargetProtocol final : public Protocol {
 public:
  explicit MapTargetProtocol(const MapTargetSettings& s) : s_(s) {}
  std::string name() const override { return "map_target"; }
  double decision_interval_min() const override { return s_.decision_interval_min; }
  std::vector<Action> decide(const Observations& obs) override;
  std::optional<double> map_target_mmHg() const override { return s_.map_target_mmHg; }

 private:
  MapTargetSettings s_;
  std::optional<double> previous_error_;
};

// Varvel et al. 1992 performance of a controller over MAP samples (after a settling time):
// PE = 100 (measured - target) / target; MDPE = median PE (bias), MDAPE = median |PE|
// (inaccuracy), wobble = median |PE - MDPE|; plus the share of samples within +-5 mmHg.
struct VarvelMetrics {
  double mdpe_pct = 0.0;
  double mdape_pct = 0.0;
  double wobble_pct = 0.0;
  double within_5_mmHg_pct = 0.0;
  int samples = 0;
};
VarvelMetrics varvel(const std::vector<double>& map_mmHg, double target_mmHg);

}  // namespace coherence::protocol
