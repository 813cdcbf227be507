#include "protocol/protocol.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace coherence::protocol {

std::vector<Action> MapTargetProtocol::decide(const Observations& obs) {
  const double error = s_.map_target_mmHg - obs.map_mmHg;  // > 0: MAP too low
  const double previous = previous_error_.value_or(0.0);
  previous_error_ = error;
  if (std::abs(error) <= s_.deadband_mmHg) return {};
  const double step = s_.proportional_ug_per_kg_min_per_mmHg * (error - previous) +
                      s_.integral_ug_per_kg_min_per_mmHg_min * error * s_.decision_interval_min;
  const double dose = std::clamp(obs.ne_dose_ug_per_kg_min + step, 0.0, s_.ne_max_ug_per_kg_min);
  const double rounded = std::round(dose * 1000.0) / 1000.0;  // pump resolution
  if (rounded == obs.ne_dose_ug_per_kg_min) return {};
  Action a;
  a.ne_dose_ug_per_kg_min = rounded;
  const double change = obs.map_mmHg - (s_.map_target_mmHg - previous);  // MAP change since the last epoch
  if (rounded > obs.ne_dose_ug_per_kg_min) {
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

VarvelMetrics varvel(const std::vector<double>& map_mmHg, double target_mmHg) {
  VarvelMetrics v;
  v.samples = static_cast<int>(map_mmHg.size());
  if (map_mmHg.empty()) return v;
  auto median = [](std::vector<double> x) {
    const std::size_t n = x.size();
    std::sort(x.begin(), x.end());
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
  };
  std::vector<double> pe, ape;
  int within = 0;
  for (double m : map_mmHg) {
    const double e = 100.0 * (m - target_mmHg) / target_mmHg;
    pe.push_back(e);
    ape.push_back(std::abs(e));
    if (std::abs(m - target_mmHg) <= 5.0) ++within;
  }
  v.mdpe_pct = median(pe);
  v.mdape_pct = median(ape);
  std::vector<double> wob;
  for (double e : pe) wob.push_back(std::abs(e - v.mdpe_pct));
  v.wobble_pct = median(wob);
  v.within_5_mmHg_pct = 100.0 * within / static_cast<double>(map_mmHg.size());
  return v;
}

}  // namespace coherence::protocol
