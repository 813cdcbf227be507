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
  std::optional<double> co_L_per_min;         // cardiac-output monitor
  std::optional<double> mfi;                  // latest sublingual measurement (mean of sites)
  std::optional<double> ppv_pct;
  std::optional<double> micro_measured_min;
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
  // True when the protocol wants the sublingual microcirculation measured at this epoch.
  virtual bool wants_micro_measurement() const { return false; }
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

struct MacroFirstSettings {
  MapTargetSettings ne;                       // NE titration to MAP >= target
  double initial_fluid_mL_per_kg = 30.0;      // Surviving Sepsis: 30 mL/kg within 3 h
  double initial_fluid_duration_min = 180.0;
  double challenge_mL = 500.0;                // further fluid while fluid-responsive
  double challenge_duration_min = 15.0;
  double challenge_interval_min = 60.0;
  int max_challenges = 4;
  double responsive_co_rise_pct = 10.0;       // fluid responsiveness: CO rise >= 10%
};

// Surviving Sepsis style: 30 mL/kg crystalloid, further boluses while the patient responds to
// them (cardiac output rise), NE to MAP >= 65; never looks at the microcirculation.
class MacroFirstProtocol : public Protocol {
 public:
  explicit MacroFirstProtocol(const MacroFirstSettings& s) : s_(s), ne_(s.ne) {}
  std::string name() const override { return "macro_first"; }
  double decision_interval_min() const override { return s_.ne.decision_interval_min; }
  std::vector<Action> decide(const Observations& obs) override;
  std::optional<double> map_target_mmHg() const override { return ne_.map_target_mmHg(); }
  void set_weight_kg(double w) { weight_kg_ = w; }

 protected:
  // Fluids and NE as the macro-first algorithm gives them.
  std::vector<Action> macro_decisions(const Observations& obs);
  void set_map_target(double target_mmHg);
  MacroFirstSettings s_;
  MapTargetProtocol ne_;
  double weight_kg_ = 70.0;
  std::optional<double> start_min_;
  int challenges_ = 0;
  bool fluid_unresponsive_ = false;
  std::optional<double> challenge_min_, co_before_;
};

struct MicroGuidedSettings {
  MacroFirstSettings macro;
  double assess_interval_min = 60.0;          // is the patient improving?
  double crt_limit_s = 3.0;                   // CRT > 3 s: not improving
  double lactate_limit_mmol_per_L = 2.0;      // lactate above this: not improving
  double mfi_abnormal = 2.6;                  // Pranskunas 2013
  double map_target_floor_mmHg = 60.0;        // micro steps keep MAP >= 60
  double map_target_step_mmHg = 5.0;
  double ne_considered_high_ug_per_kg_min = 0.3;
  double mfi_change_that_counts = 0.3;        // ~2 SD of the MFI measurement: below is noise
  double retry_after_min = 360.0;             // a step that failed is not retried for 6 h
};

// The editorial's algorithm (BRIEF.md): macro first; if the patient is not improving (lactate
// > 2 mmol/L or CRT > 3 s), measure the microcirculation; if it is abnormal with NE running, lower
// the MAP target (and so NE) step by step while MAP stays >= 60 and the microcirculation
// responds. (Dobutamine and nitroglycerin steps arrive with those drugs.)
class MicroGuidedProtocol final : public MacroFirstProtocol {
 public:
  explicit MicroGuidedProtocol(const MicroGuidedSettings& s) : MacroFirstProtocol(s.macro), m_(s) {}
  std::string name() const override { return "micro_guided"; }
  std::vector<Action> decide(const Observations& obs) override;
  bool wants_micro_measurement() const override { return want_micro_; }

 private:
  MicroGuidedSettings m_;
  std::optional<double> last_assessment_min_;
  std::optional<double> mfi_before_step_;
  double blocked_until_min_ = -1e300;
  bool want_micro_ = false;
  bool micro_pending_ = false;
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
