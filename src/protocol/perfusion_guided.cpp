#include "protocol/perfusion_guided.hpp"

#include "protocol/micro_guided.hpp"

#include <fmt/format.h>

namespace coherence::protocol {

std::vector<ProtocolEntry> perfusion_guided_entries() {
  using S = PerfusionGuidedSettings;
  auto v = nest(macro_first_bindings(), &S::macro);
  v.push_back(bind(dobutamine_step_key(), &S::dobutamine_ug_per_kg_min));
  v.push_back(bind({"window_h", false, "h", 1, 72,
                    "length of the perfusion-targeted period (ANDROMEDA-SHOCK: 8 h)."},
                   &S::window_h));
  v.push_back(bind({"crt_target_s", false, "s", 1, 6, "CRT at or below this is normal."}, &S::crt_target_s));
  v.push_back(bind({"lactate_fall_pct", false, "%", 5, 50,
                    "a fall of at least this much per reading counts as at target (ANDROMEDA: 20% per 2 h)."},
                   &S::lactate_fall_pct));
  v.push_back(bind({"vasopressor_test_map_mmHg", false, "mmHg", 70, 95,
                    "MAP target of the 1 h vasopressor test in chronic hypertensives."},
                   &S::vasopressor_test_map_mmHg));
  using Signal = PerfusionGuidedProtocol::Signal;
  std::vector<ProtocolEntry> out;
  out.push_back(make_entry<S>("crt_guided", "ANDROMEDA-SHOCK's CRT arm.", v, [](const S& s) {
    return std::make_unique<PerfusionGuidedProtocol>(Signal::kCrt, s);
  }));
  out.push_back(make_entry<S>("lactate_guided", "ANDROMEDA-SHOCK's lactate arm.", std::move(v), [](const S& s) {
    return std::make_unique<PerfusionGuidedProtocol>(Signal::kLactate, s);
  }));
  return out;
}

void PerfusionGuidedProtocol::set_map_target_mmHg(double target) {
  base_target_ = target;
  MacroFirstProtocol::set_map_target_mmHg(target);
}

bool PerfusionGuidedProtocol::at_target(const Observations& obs, std::string& what) {
  if (signal_ == Signal::kCrt) {
    what = fmt::format("CRT {:.1f} s", *obs.crt_s);
    return *obs.crt_s <= p_.crt_target_s;
  }
  const double lactate = *obs.lactate_mmol_per_L;
  bool ok = lactate <= p_.lactate_normal_mmol_per_L;
  if (previous_lactate_) {
    const double fall = 100.0 * (1.0 - lactate / *previous_lactate_);
    what = fmt::format("lactate {:.1f} mmol/L ({:+.0f}% since the last result)", lactate, -fall);
    ok = ok || fall >= p_.lactate_fall_pct - 1e-9;
  } else {
    what = fmt::format("lactate {:.1f} mmol/L", lactate);
  }
  previous_lactate_ = lactate;
  return ok;
}

std::vector<Action> PerfusionGuidedProtocol::decide(const Observations& obs) {
  std::vector<Action> out = macro_decisions(obs);
  const double t = obs.time_min;
  const double window_start = *start_min_ + s_.initial_fluid_duration_min;
  const double window_end = window_start + p_.window_h * 60.0;
  // A new perfusion reading?
  const std::optional<double> reading_min = signal_ == Signal::kCrt ? obs.crt_examined_min : obs.lactate_drawn_min;
  const bool have = signal_ == Signal::kCrt ? obs.crt_s.has_value() : obs.lactate_mmol_per_L.has_value();
  if (!have || !reading_min || (last_reading_min_ && *reading_min <= *last_reading_min_)) return out;
  last_reading_min_ = *reading_min;
  if (t < window_start - 1e-9) {
    if (signal_ == Signal::kLactate) previous_lactate_ = *obs.lactate_mmol_per_L;
    return out;
  }
  std::string reading;
  const bool ok = at_target(obs, reading);
  // End of a test: keep it only if perfusion answered.
  if (test_ != Test::kNone && t >= test_started_min_ + p_.test_duration_min - 1e-9) {
    Action a;
    const bool vasopressor = test_ == Test::kVasopressor;
    if (ok) {
      a.what = vasopressor ? "keep MAP target 80" : "keep dobutamine";
      a.reason = fmt::format("{} at target after the {} test", reading, vasopressor ? "vasopressor" : "inodilator");
    } else if (vasopressor) {
      a.what = "restore MAP target";
      a.reason = fmt::format("{} still abnormal after 1 h at MAP {:.0f}: back to {:.0f} mmHg", reading,
                             p_.vasopressor_test_map_mmHg, base_target_);
      MacroFirstProtocol::set_map_target_mmHg(base_target_);
    } else {
      a.dobutamine_ug_per_kg_min = 0.0;
      a.what = "stop dobutamine";
      a.reason = fmt::format("{} still abnormal after 1 h of dobutamine: inodilator test negative", reading);
    }
    out.push_back(a);
    test_ = Test::kNone;
  }
  if (ok || t > window_end || test_ != Test::kNone) return out;
  // Perfusion not at target: the next step of the sequence.
  Action a;
  if (!fluid_unresponsive() && !challenge_in_progress() && challenges_ < s_.max_challenges && obs.co_L_per_min) {
    out.push_back(fluid_challenge(obs, fmt::format("{} not at target: fluid challenge {:.0f} mL (fluid-responsive so "
                                                   "far)",
                                                   reading, s_.challenge_mL)));
    return out;
  }
  if (challenge_in_progress()) return out;  // wait for the last challenge to be judged
  if (!vasopressor_test_done_ && history_.usual_map_mmHg >= p_.hypertensive_usual_map_mmHg) {
    vasopressor_test_done_ = true;
    test_ = Test::kVasopressor;
    test_started_min_ = t;
    MacroFirstProtocol::set_map_target_mmHg(p_.vasopressor_test_map_mmHg);
    a.what = "vasopressor test";
    a.reason = fmt::format("{} not at target, fluids done, chronic hypertension (usual MAP {:.0f}): MAP target {:.0f} "
                           "for 1 h",
                           reading, history_.usual_map_mmHg, p_.vasopressor_test_map_mmHg);
  } else if (!dobutamine_test_done_) {
    dobutamine_test_done_ = true;
    test_ = Test::kDobutamine;
    test_started_min_ = t;
    a.dobutamine_ug_per_kg_min = p_.dobutamine_ug_per_kg_min;
    a.what = "inodilator test";
    a.reason = fmt::format("{} not at target, fluids done: dobutamine {:g} ug/kg/min for 1 h", reading,
                           p_.dobutamine_ug_per_kg_min);
  } else {
    if (steps_exhausted_) return out;
    steps_exhausted_ = true;
    a.what = "perfusion steps exhausted";
    a.reason = fmt::format("{} not at target after fluids and tests: macro targets continue", reading);
  }
  out.push_back(a);
  return out;
}

}  // namespace coherence::protocol
