// macro_first: Surviving Sepsis style resuscitation that never looks at the microcirculation.
#pragma once

#include "protocol/map_target.hpp"

namespace coherence::protocol {

struct MacroFirstSettings {
  MapTargetSettings ne;                       // NE titration to MAP >= target
  double initial_fluid_mL_per_kg = 30.0;      // Surviving Sepsis: 30 mL/kg within 3 h
  double initial_fluid_duration_min = 180.0;
  double challenge_mL = 500.0;                // further fluid while fluid-responsive
  double challenge_duration_min = 15.0;
  double challenge_interval_min = 60.0;
  int max_challenges = 4;
  double responsive_co_rise_pct = 10.0;       // fluid responsiveness: CO rise >= 10%
  double lactate_limit_mmol_per_L = 2.0;      // hypoperfusion: lactate above this
  double vasopressin_at_ne_ug_per_kg_min = 0.25;  // SSC 2021: add vasopressin at NE 0.25-0.5
  double vasopressin_U_per_min = 0.03;
  double vasopressin_stop_below_ne_ug_per_kg_min = 0.02;  // wean NE first, then vasopressin ...
  double vasopressin_stop_map_margin_mmHg = 10.0;         // ... once MAP has room without NE
  double vasopressin_min_duration_min = 120.0;            // no on/off chatter
};

// 30 mL/kg crystalloid over 3 h, further boluses while the patient responds to them (cardiac
// output rise >= 10% after the last one) and is hypoperfused (MAP below target or lactate > 2),
// NE to MAP >= target, vasopressin 0.03 U/min added once NE reaches 0.25 ug/kg/min (stopped, after
// at least 2 h, once NE is off and MAP is 10 mmHg above target on vasopressin alone). Lactate is rechecked by the monitoring schedule.
class MacroFirstProtocol : public Protocol {
 public:
  explicit MacroFirstProtocol(const MacroFirstSettings& s) : s_(s), ne_(s.ne) {}
  std::string name() const override { return "macro_first"; }
  std::unique_ptr<Protocol> clone() const override { return std::make_unique<MacroFirstProtocol>(*this); }
  double decision_interval_min() const override { return s_.ne.decision_interval_min; }
  std::vector<Action> decide(const Observations& obs) override;
  std::optional<double> map_target_mmHg() const override { return ne_.map_target_mmHg(); }
  void set_map_target_mmHg(double target) override;

 protected:
  // Fluids, NE and vasopressin as the macro-first algorithm gives them.
  std::vector<Action> macro_decisions(const Observations& obs);
  bool fluid_unresponsive() const { return fluid_unresponsive_; }
  // The MAP target in force (the NE controller holds it; s_.ne is only the starting setting).
  double target_mmHg() const { return ne_.settings().map_target_mmHg; }
  bool challenge_in_progress() const { return challenge_min_.has_value(); }
  // A fluid challenge judged by cardiac output at the next hourly check.
  Action fluid_challenge(const Observations& obs, const std::string& reason);
  MacroFirstSettings s_;
  MapTargetProtocol ne_;
  std::optional<double> start_min_;
  int challenges_ = 0;

 private:
  bool fluid_unresponsive_ = false;
  std::optional<double> challenge_min_, co_before_;
  double vasopressin_started_min_ = -1e300;
};

// Its keys (with map_target's, for its NE arm; also read by the protocols built on it) and its
// registry entry.
std::vector<Binding<MacroFirstSettings>> macro_first_bindings();
ProtocolEntry macro_first_entry();

}  // namespace coherence::protocol
