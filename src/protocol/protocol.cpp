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

void MacroFirstProtocol::set_map_target(double target_mmHg) {
  MapTargetSettings ne = s_.ne;
  ne.map_target_mmHg = target_mmHg;
  ne_ = MapTargetProtocol(ne);
  s_.ne.map_target_mmHg = target_mmHg;
}

std::vector<Action> MacroFirstProtocol::macro_decisions(const Observations& obs) {
  std::vector<Action> out;
  const double t = obs.time_min;
  if (!start_min_) {
    start_min_ = t;
    if (s_.initial_fluid_mL_per_kg > 0.0) {
      Action a;
      a.bolus_mL = s_.initial_fluid_mL_per_kg * weight_kg_;
      a.bolus_duration_min = s_.initial_fluid_duration_min;
      a.what = "crystalloid 30 mL/kg";
      a.reason = fmt::format("septic shock (MAP {:.0f} mmHg): {:.0f} mL/kg crystalloid over {:.0f} h", obs.map_mmHg,
                             s_.initial_fluid_mL_per_kg, s_.initial_fluid_duration_min / 60.0);
      out.push_back(a);
    }
  }
  // Fluid challenges after the initial volume, while the patient responds to them.
  const double after_initial = *start_min_ + s_.initial_fluid_duration_min;
  if (challenge_min_ && co_before_ && obs.co_L_per_min && t >= *challenge_min_ + s_.challenge_interval_min - 1e-9) {
    const double rise = 100.0 * (*obs.co_L_per_min / *co_before_ - 1.0);
    if (rise < s_.responsive_co_rise_pct) {
      fluid_unresponsive_ = true;
      Action a;
      a.what = "stop fluid challenges";
      a.reason = fmt::format("cardiac output rose {:.0f}% after the last {:.0f} mL (< {:.0f}%): not fluid-responsive",
                             rise, s_.challenge_mL, s_.responsive_co_rise_pct);
      out.push_back(a);
    }
    challenge_min_.reset();
  }
  const bool hypoperfused = obs.map_mmHg < s_.ne.map_target_mmHg ||
                            (obs.lactate_mmol_per_L && *obs.lactate_mmol_per_L > 2.0);
  if (t >= after_initial && !challenge_min_ && !fluid_unresponsive_ && challenges_ < s_.max_challenges &&
      hypoperfused && obs.co_L_per_min) {
    Action a;
    a.bolus_mL = s_.challenge_mL;
    a.bolus_duration_min = s_.challenge_duration_min;
    a.what = "fluid challenge";
    a.reason = obs.lactate_mmol_per_L && *obs.lactate_mmol_per_L > 2.0
                   ? fmt::format("lactate {:.1f} mmol/L: fluid challenge {:.0f} mL, judged by cardiac output",
                                 *obs.lactate_mmol_per_L, s_.challenge_mL)
                   : fmt::format("MAP {:.0f} below {:.0f} mmHg: fluid challenge {:.0f} mL, judged by cardiac output",
                                 obs.map_mmHg, s_.ne.map_target_mmHg, s_.challenge_mL);
    ++challenges_;
    challenge_min_ = t;
    co_before_ = obs.co_L_per_min;
    out.push_back(a);
  }
  for (auto& a : ne_.decide(obs)) out.push_back(std::move(a));
  return out;
}

std::vector<Action> MacroFirstProtocol::decide(const Observations& obs) { return macro_decisions(obs); }

std::vector<Action> MicroGuidedProtocol::decide(const Observations& obs) {
  std::vector<Action> out = macro_decisions(obs);
  const double t = obs.time_min;
  want_micro_ = false;
  // A micro measurement requested at the last epoch has arrived: act on it.
  if (micro_pending_ && obs.mfi && obs.micro_measured_min && *obs.micro_measured_min >= t - 1e-9 - 5.0) {
    micro_pending_ = false;
    const double mfi = *obs.mfi;
    const double target = s_.ne.map_target_mmHg;
    if (mfi < m_.mfi_abnormal && t >= blocked_until_min_ && obs.ne_dose_ug_per_kg_min >= m_.ne_considered_high_ug_per_kg_min &&
        target - m_.map_target_step_mmHg >= m_.map_target_floor_mmHg - 1e-9 &&
        (!mfi_before_step_ || mfi > *mfi_before_step_ - m_.mfi_change_that_counts)) {
      Action a;
      a.what = "lower MAP target";
      a.reason = fmt::format("loss of coherence: MFI {:.2f} (< {:.1f}) with MAP {:.0f} on NE {:.2f}; lowering the MAP "
                             "target {:.0f} -> {:.0f} mmHg to reduce NE",
                             mfi, m_.mfi_abnormal, obs.map_mmHg, obs.ne_dose_ug_per_kg_min, target,
                             target - m_.map_target_step_mmHg);
      set_map_target(target - m_.map_target_step_mmHg);
      mfi_before_step_ = mfi;
      out.push_back(a);
    } else if (mfi < m_.mfi_abnormal && mfi_before_step_ && mfi <= *mfi_before_step_ - m_.mfi_change_that_counts) {
      Action a;
      a.what = "restore MAP target";
      a.reason = fmt::format("MFI {:.2f} fell after lowering the target (was {:.2f}): back to {:.0f} mmHg; not "
                             "retried for {:.0f} h",
                             mfi, *mfi_before_step_, target + m_.map_target_step_mmHg, m_.retry_after_min / 60.0);
      blocked_until_min_ = t + m_.retry_after_min;
      set_map_target(target + m_.map_target_step_mmHg);
      mfi_before_step_.reset();
      out.push_back(a);
    }
  }
  // Assess hourly after the initial resuscitation: is the patient improving?
  const double after_initial = *start_min_ + s_.initial_fluid_duration_min;
  if (t >= after_initial && (!last_assessment_min_ || t >= *last_assessment_min_ + m_.assess_interval_min - 1e-9)) {
    last_assessment_min_ = t;
    const bool crt_bad = obs.crt_s && *obs.crt_s > m_.crt_limit_s;
    const bool lactate_bad = obs.lactate_mmol_per_L && *obs.lactate_mmol_per_L > m_.lactate_limit_mmol_per_L;
    if (crt_bad || lactate_bad) {
      want_micro_ = true;
      micro_pending_ = true;
      Action a;
      a.what = "measure microcirculation";
      a.reason = fmt::format("not improving ({}{}{}): sublingual microcirculation to look for loss of coherence",
                             crt_bad ? fmt::format("CRT {:.1f} s", *obs.crt_s) : "", crt_bad && lactate_bad ? ", " : "",
                             lactate_bad ? fmt::format("lactate {:.1f} mmol/L", *obs.lactate_mmol_per_L) : "");
      out.push_back(a);
    }
  }
  return out;
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
