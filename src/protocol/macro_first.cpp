#include "protocol/macro_first.hpp"

#include <fmt/format.h>

namespace coherence::protocol {

std::vector<Binding<MacroFirstSettings>> macro_first_bindings() {
  using S = MacroFirstSettings;
  auto v = nest(map_target_bindings(), &S::ne);
  v.push_back(bind({"initial_fluid_mL_per_kg", false, "mL/kg", 0, 60,
                    "crystalloid given over 3 h when the protocol starts (0: none)."},
                   &S::initial_fluid_mL_per_kg));
  v.push_back(bind({"fluid_challenge_mL", false, "mL", 0, 2000, "further boluses while the patient is fluid-responsive."},
                   &S::challenge_mL));
  v.push_back(bind({"max_fluid_challenges", true, "", 0, 20, "at most this many challenges."}, &S::max_challenges));
  v.push_back(bind({"vasopressin_at_ne_ug_per_kg_min", false, "ug/kg/min", 0, 5,
                    "NE dose at which vasopressin is added (SSC 2021: 0.25-0.5)."},
                   &S::vasopressin_at_ne_ug_per_kg_min));
  v.push_back(bind({"vasopressin_U_per_min", false, "U/min", 0, 0.1, "vasopressin dose when added (0: never)."},
                   &S::vasopressin_U_per_min));
  return v;
}

ProtocolEntry macro_first_entry() {
  return make_entry<MacroFirstSettings>(
      "macro_first",
      "Surviving Sepsis style: fluids while responsive, NE to MAP 65, vasopressin as second vasopressor. Never "
      "looks at the microcirculation.",
      macro_first_bindings(),
      [](const MacroFirstSettings& s) { return std::make_unique<MacroFirstProtocol>(s); });
}

void MacroFirstProtocol::set_map_target_mmHg(double target) {
  ne_.set_map_target_mmHg(target);
}

Action MacroFirstProtocol::fluid_challenge(const Observations& obs, const std::string& reason) {
  Action a;
  a.bolus_mL = s_.challenge_mL;
  a.bolus_duration_min = s_.challenge_duration_min;
  a.what = "fluid challenge";
  a.reason = reason;
  ++challenges_;
  challenge_min_ = obs.time_min;
  co_before_ = obs.co_L_per_min;
  return a;
}

std::vector<Action> MacroFirstProtocol::macro_decisions(const Observations& obs) {
  std::vector<Action> out;
  const double t = obs.time_min;
  if (!start_min_) {
    start_min_ = t;
    const double initial_mL = s_.initial_fluid_mL_per_kg * history_.weight_kg - history_.fluids_before_takeover_mL;
    if (s_.initial_fluid_mL_per_kg > 0.0 && initial_mL > 0.0) {
      Action a;
      a.bolus_mL = initial_mL;
      a.bolus_duration_min = s_.initial_fluid_duration_min;
      a.what = fmt::format("crystalloid {:g} mL/kg", s_.initial_fluid_mL_per_kg);
      a.reason = fmt::format("septic shock (MAP {:.0f} mmHg): {:g} mL/kg crystalloid over {:g} h", obs.map_mmHg,
                             s_.initial_fluid_mL_per_kg, s_.initial_fluid_duration_min / 60.0);
      out.push_back(a);
    }
  }
  // Judge the last fluid challenge by cardiac output.
  const double after_initial = *start_min_ + s_.initial_fluid_duration_min;
  if (challenge_min_ && t >= *challenge_min_ + s_.challenge_interval_min - 1e-9) {
    if (co_before_ && obs.co_L_per_min) {
      const double rise = 100.0 * (*obs.co_L_per_min / *co_before_ - 1.0);
      if (rise < s_.responsive_co_rise_pct) {
        fluid_unresponsive_ = true;
        Action a;
        a.what = "stop fluid challenges";
        a.reason = fmt::format("cardiac output {:.1f} -> {:.1f} L/min ({:+.0f}%) after the last {:.0f} mL (< {:.0f}%): "
                               "not fluid-responsive",
                               *co_before_, *obs.co_L_per_min, rise, s_.challenge_mL, s_.responsive_co_rise_pct);
        out.push_back(a);
      }
    }
    challenge_min_.reset();
  }
  const bool lactate_high = obs.lactate_mmol_per_L && *obs.lactate_mmol_per_L > s_.lactate_limit_mmol_per_L;
  const bool hypoperfused = obs.map_mmHg < target_mmHg() || lactate_high;
  if (t >= after_initial && !challenge_min_ && !fluid_unresponsive_ && challenges_ < s_.max_challenges &&
      hypoperfused && obs.co_L_per_min) {
    out.push_back(fluid_challenge(
        obs, lactate_high ? fmt::format("lactate {:.1f} mmol/L: fluid challenge {:.0f} mL, judged by cardiac output",
                                        *obs.lactate_mmol_per_L, s_.challenge_mL)
                          : fmt::format("MAP {:.0f} below {:.0f} mmHg: fluid challenge {:.0f} mL, judged by cardiac "
                                        "output",
                                        obs.map_mmHg, target_mmHg(), s_.challenge_mL)));
  }
  // Vasopressin as the second vasopressor, stopped once NE has been weaned.
  const double ne = obs.running.ne_ug_per_kg_min;
  if (s_.vasopressin_U_per_min > 0.0 && obs.running.vasopressin_U_per_min == 0.0 &&
      ne >= s_.vasopressin_at_ne_ug_per_kg_min) {
    Action a;
    a.vasopressin_U_per_min = s_.vasopressin_U_per_min;
    a.what = "add vasopressin";
    a.reason = fmt::format("NE {:.2f} ug/kg/min (>= {:.2f}) to hold MAP {:.0f}: vasopressin {:g} U/min to spare NE", ne,
                           s_.vasopressin_at_ne_ug_per_kg_min, target_mmHg(), s_.vasopressin_U_per_min);
    vasopressin_started_min_ = t;
    out.push_back(a);
  } else if (obs.running.vasopressin_U_per_min > 0.0 && ne <= s_.vasopressin_stop_below_ne_ug_per_kg_min &&
             obs.map_mmHg >= target_mmHg() + s_.vasopressin_stop_map_margin_mmHg && t >= vasopressin_started_min_ + s_.vasopressin_min_duration_min) {
    Action a;
    a.vasopressin_U_per_min = 0.0;
    a.what = "stop vasopressin";
    a.reason = fmt::format("NE weaned to {:.2f} ug/kg/min and MAP {:.0f} (>= target + {:.0f}) on vasopressin alone: "
                           "vasopressin no longer needed",
                           ne, obs.map_mmHg, s_.vasopressin_stop_map_margin_mmHg);
    out.push_back(a);
  }
  for (auto& a : ne_.decide(obs)) out.push_back(std::move(a));
  return out;
}

std::vector<Action> MacroFirstProtocol::decide(const Observations& obs) { return macro_decisions(obs); }

}  // namespace coherence::protocol
