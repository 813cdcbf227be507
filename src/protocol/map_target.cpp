#include "protocol/map_target.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace coherence::protocol {

std::vector<Binding<MapTargetSettings>> map_target_bindings() {
  using S = MapTargetSettings;
  return {
      bind({"map_target_mmHg", false, "mmHg", 40, 120, "the MAP target."}, &S::map_target_mmHg),
      bind({"decision_interval_min", false, "min", 0.5, 60, "time between titration decisions."},
           &S::decision_interval_min),
      bind({"ne_max_ug_per_kg_min", false, "ug/kg/min", 0, 5, "NE dose ceiling."}, &S::ne_max_ug_per_kg_min),
      bind({"kp_ug_per_kg_min_per_mmHg", false, "ug/kg/min per mmHg", 0, 0.1,
            "proportional gain of the PI controller."},
           &S::proportional_ug_per_kg_min_per_mmHg),
      bind({"ki_ug_per_kg_min_per_mmHg_min", false, "ug/kg/min per mmHg min", 0, 0.1,
            "integral gain of the PI controller."},
           &S::integral_ug_per_kg_min_per_mmHg_min),
      bind({"deadband_mmHg", false, "mmHg", 0, 10, "no change within this error."}, &S::deadband_mmHg),
  };
}

ProtocolEntry map_target_entry() {
  return make_entry<MapTargetSettings>("map_target", "Closed-loop NE titration to a MAP target.",
                                       map_target_bindings(), [](const MapTargetSettings& s) {
                                         return std::make_unique<MapTargetProtocol>(s);
                                       });
}

void MapTargetProtocol::set_map_target_mmHg(double target) {
  s_.map_target_mmHg = target;
  previous_error_.reset();  // no derivative kick from the step in the target
}

std::vector<Action> MapTargetProtocol::decide(const Observations& obs) {
  const double error = s_.map_target_mmHg - obs.map_mmHg;  // > 0: MAP too low
  const double previous = previous_error_.value_or(0.0);
  previous_error_ = error;
  if (std::abs(error) <= s_.deadband_mmHg) return {};
  const double running = obs.running.ne_ug_per_kg_min;
  const double step = s_.proportional_ug_per_kg_min_per_mmHg * (error - previous) +
                      s_.integral_ug_per_kg_min_per_mmHg_min * error * s_.decision_interval_min;
  const double dose = std::clamp(running + step, 0.0, s_.ne_max_ug_per_kg_min);
  const double rounded = std::round(dose * 1000.0) / 1000.0;  // pump resolution
  if (rounded == running) return {};
  Action a;
  a.ne_dose_ug_per_kg_min = rounded;
  const double change = obs.map_mmHg - (s_.map_target_mmHg - previous);  // MAP change since the last epoch
  if (rounded > running) {
    a.what = "increase NE";
    if (error > 0.0) {
      a.reason = fmt::format("MAP {:.0f} below target {:.0f} mmHg", obs.map_mmHg, s_.map_target_mmHg);
    } else {
      a.reason = fmt::format("MAP {:.0f} above target {:.0f} mmHg but falling fast ({:+.0f} mmHg): raising NE to "
                             "avoid undershoot", obs.map_mmHg, s_.map_target_mmHg, change);
    }
    if (rounded >= s_.ne_max_ug_per_kg_min) a.reason += "; NE at its ceiling";
  } else {
    a.what = "decrease NE";
    if (error < 0.0) {
      a.reason = fmt::format("MAP {:.0f} above target {:.0f} mmHg", obs.map_mmHg, s_.map_target_mmHg);
    } else {
      a.reason = fmt::format("MAP {:.0f} below target {:.0f} mmHg but rising fast ({:+.0f} mmHg): easing NE to "
                             "avoid overshoot", obs.map_mmHg, s_.map_target_mmHg, change);
    }
  }
  return {a};
}

}  // namespace coherence::protocol
