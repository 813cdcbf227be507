// map_target: closed-loop NE titration to a MAP target.
#pragma once

#include "protocol/protocol.hpp"
#include "protocol/registry.hpp"

namespace coherence::protocol {

struct MapTargetSettings {
  double map_target_mmHg = 65.0;
  double decision_interval_min = 2.0;
  double proportional_ug_per_kg_min_per_mmHg = 0.003;     // Kp
  double integral_ug_per_kg_min_per_mmHg_min = 0.0015;    // Ki
  double ne_max_ug_per_kg_min = 2.0;
  double deadband_mmHg = 1.0;                              // no change within +-1 mmHg
};

// A velocity-form PI controller on the measured MAP,
//   dose_k = clamp(dose_{k-1} + Kp (e_k - e_{k-1}) + Ki e_k dt, 0, ceiling),  e = target - MAP,
// which needs no anti-windup (the dose itself is clamped), with a deadband and pump resolution
// 0.001 ug/kg/min, as published closed-loop vasopressor controllers do.
class MapTargetProtocol final : public Protocol {
 public:
  explicit MapTargetProtocol(const MapTargetSettings& s) : s_(s) {}
  std::string name() const override { return "map_target"; }
  std::unique_ptr<Protocol> clone() const override { return std::make_unique<MapTargetProtocol>(*this); }
  double decision_interval_min() const override { return s_.decision_interval_min; }
  std::vector<Action> decide(const Observations& obs) override;
  std::optional<double> map_target_mmHg() const override { return s_.map_target_mmHg; }
  void set_map_target_mmHg(double target) override;
  const MapTargetSettings& settings() const { return s_; }

 private:
  MapTargetSettings s_;
  std::optional<double> previous_error_;
};

// Its keys (also read by every protocol built on its NE titration) and its registry entry.
std::vector<Binding<MapTargetSettings>> map_target_bindings();
ProtocolEntry map_target_entry();

}  // namespace coherence::protocol
