// Resuscitation protocols: controllers that act like clinicians on what a clinician can observe.
// A protocol never reads the model's state; it sees Observations from the Monitor (noisy,
// scheduled, delayed) and returns Actions, each with the reason a clinician would give.
//
// One class per file; each declares itself in the registry (registry.hpp), which builds one by name.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace coherence::protocol {

// Infusions running (what the pumps deliver).
struct Infusions {
  double ne_ug_per_kg_min = 0.0;
  double vasopressin_U_per_min = 0.0;
  double epinephrine_ug_per_kg_min = 0.0;
  double dobutamine_ug_per_kg_min = 0.0;
  double nitroglycerin_ug_per_min = 0.0;
};

// What the bedside monitors report at a decision epoch (absent values are empty).
struct Observations {
  double time_min = 0.0;
  double map_mmHg = 0.0;                      // arterial line, continuous
  double hr_bpm = 0.0;
  std::optional<double> lactate_mmol_per_L;   // latest blood gas result available now
  std::optional<double> lactate_drawn_min;    // when that sample was drawn
  std::optional<double> crt_s;                // latest examination
  std::optional<double> crt_examined_min;
  std::optional<double> mottling_score;       // examined with the CRT
  std::optional<double> co_L_per_min;         // cardiac-output monitor
  std::optional<double> mfi;                  // latest sublingual measurement (mean of sites)
  std::optional<double> ppv_pct;
  std::optional<double> micro_measured_min;
  Infusions running;
};

// What the clinician knows of the patient before any measurement (history, weight).
struct PatientHistory {
  double weight_kg = 70.0;
  double usual_map_mmHg = 90.0;  // chronic hypertension: >= 100
  double fluids_before_takeover_mL = 0.0;  // given before this protocol took over mid-course (Session::fork)
};

struct Action {
  std::optional<double> ne_dose_ug_per_kg_min;
  std::optional<double> vasopressin_U_per_min;
  std::optional<double> dobutamine_ug_per_kg_min;
  std::optional<double> nitroglycerin_ug_per_min;
  std::optional<double> bolus_mL;
  double bolus_duration_min = 15.0;
  std::string what;    // short name, e.g. "increase NE"
  std::string reason;  // in words a clinician recognises
};

class Protocol {
 public:
  virtual ~Protocol() = default;
  virtual std::string name() const = 0;
  // A copy with all its memory (what it has tried, its targets, its timers), for a run that
  // branches (Session::fork). Every final class implements it: a copy made by a base would lose
  // the derived state (Session::fork checks the copy's name).
  virtual std::unique_ptr<Protocol> clone() const = 0;
  virtual double decision_interval_min() const = 0;
  virtual std::vector<Action> decide(const Observations& obs) = 0;
  // The MAP target in force (for reporting and performance metrics); empty if none.
  virtual std::optional<double> map_target_mmHg() const { return std::nullopt; }
  // Changes the MAP target mid-run (a scenario `set` event); ignored by protocols without one.
  virtual void set_map_target_mmHg(double) {}
  // True when the protocol wants the sublingual microcirculation measured at this epoch.
  virtual bool wants_micro_measurement() const { return false; }
  virtual void set_history(const PatientHistory& h) { history_ = h; }

 protected:
  PatientHistory history_;
};

// Scripted doses only: never acts.
class FixedProtocol final : public Protocol {
 public:
  std::string name() const override { return "fixed"; }
  std::unique_ptr<Protocol> clone() const override { return std::make_unique<FixedProtocol>(*this); }
  double decision_interval_min() const override { return 60.0; }
  std::vector<Action> decide(const Observations&) override { return {}; }
};

// Varvel et al. 1992 performance of a controller over MAP samples (after a settling time):
// PE = 100 (measured - target) / target; MDPE = median PE (bias), MDAPE = median |PE|
// (inaccuracy), wobble = median |PE - MDPE|; plus the share of samples within +-5 mmHg.
// `target_mmHg` is per sample (the target may change during a run).
struct VarvelMetrics {
  double mdpe_pct = 0.0;
  double mdape_pct = 0.0;
  double wobble_pct = 0.0;
  double within_5_mmHg_pct = 0.0;
  int samples = 0;
};
VarvelMetrics varvel(const std::vector<double>& map_mmHg, const std::vector<double>& target_mmHg);
VarvelMetrics varvel(const std::vector<double>& map_mmHg, double target_mmHg);

}  // namespace coherence::protocol
