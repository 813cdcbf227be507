// crt_guided and lactate_guided: ANDROMEDA-SHOCK's two arms (Hernandez 2019), a stepwise
// perfusion-targeted resuscitation for the first hours after the initial fluids.
#pragma once

#include "protocol/macro_first.hpp"

namespace coherence::protocol {

struct PerfusionGuidedSettings {
  MacroFirstSettings macro;
  double window_h = 8.0;                      // ANDROMEDA-SHOCK: the 8 h intervention period
  double crt_target_s = 3.0;                  // crt_guided: normal CRT
  double lactate_normal_mmol_per_L = 2.0;     // lactate_guided: normal, or ...
  double lactate_fall_pct = 20.0;             // ... falling >= 20% per 2 h
  double hypertensive_usual_map_mmHg = 100.0; // vasopressor test only in chronic hypertension
  double vasopressor_test_map_mmHg = 80.0;    // raise MAP to 80-85 for 1 h
  double test_duration_min = 60.0;            // vasopressor and inodilator tests last 1 h
  double dobutamine_ug_per_kg_min = 5.0;      // inodilator test
};

// After macro_first's initial fluids, at every new perfusion reading (CRT every 30 min, or a
// lactate result every 2 h) during the window: if perfusion is not at target, the next step of
// ANDROMEDA-SHOCK's sequence: (1) fluid challenges while fluid-responsive (cardiac output judges
// them); (2) in a chronic hypertensive, a vasopressor test: MAP target 80 for 1 h, kept only if
// perfusion normalises; (3) an inodilator test: dobutamine 5 ug/kg/min for 1 h, kept only if
// perfusion improves. Underneath, macro_first's NE titration holds MAP >= its target.
class PerfusionGuidedProtocol final : public MacroFirstProtocol {
 public:
  enum class Signal { kCrt, kLactate };
  PerfusionGuidedProtocol(Signal signal, const PerfusionGuidedSettings& s)
      : MacroFirstProtocol(s.macro), signal_(signal), p_(s), base_target_(s.macro.ne.map_target_mmHg) {}
  std::string name() const override { return signal_ == Signal::kCrt ? "crt_guided" : "lactate_guided"; }
  std::unique_ptr<Protocol> clone() const override { return std::make_unique<PerfusionGuidedProtocol>(*this); }
  std::vector<Action> decide(const Observations& obs) override;
  void set_map_target_mmHg(double target) override;

 private:
  enum class Test { kNone, kVasopressor, kDobutamine };
  // Is perfusion at target on this reading? Sets `what` to the reading in words.
  bool at_target(const Observations& obs, std::string& what);
  Signal signal_;
  PerfusionGuidedSettings p_;
  double base_target_;
  std::optional<double> last_reading_min_;
  std::optional<double> previous_lactate_;
  Test test_ = Test::kNone;
  double test_started_min_ = 0.0;
  bool vasopressor_test_done_ = false, dobutamine_test_done_ = false, steps_exhausted_ = false;
};

// The CRT- and the lactate-guided arm.
std::vector<ProtocolEntry> perfusion_guided_entries();

}  // namespace coherence::protocol
