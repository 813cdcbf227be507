#include "protocol/micro_guided.hpp"

#include <fmt/format.h>

namespace coherence::protocol {

SettingKey dobutamine_step_key() {
  return {"dobutamine_ug_per_kg_min", false, "ug/kg/min", 0, 20, "dobutamine dose of their inotrope step."};
}

ProtocolEntry micro_guided_entry() {
  using S = MicroGuidedSettings;
  auto v = nest(macro_first_bindings(), &S::macro);
  v.push_back(bind({"map_target_floor_mmHg", false, "mmHg", 40, 90, "lowest MAP target its micro-targeted steps may set."},
                   &S::map_target_floor_mmHg));
  v.push_back(bind(dobutamine_step_key(), &S::dobutamine_ug_per_kg_min));
  v.push_back(bind({"nitroglycerin_ug_per_min", false, "ug/min", 0, 400,
                    "nitroglycerin dose of its vasodilator step (33 ug/min = 2 mg/h)."},
                   &S::nitroglycerin_ug_per_min));
  v.push_back(bind({"micro_trial_min", false, "min", 10, 240,
                    "a micro-targeted step is judged by a new measurement after this time."},
                   &S::trial_min));
  return make_entry<S>("micro_guided",
                       "The editorial's algorithm (BRIEF.md): macro first, micro when coherence is lost.", std::move(v),
                       [](const S& s) { return std::make_unique<MicroGuidedProtocol>(s); });
}

namespace {
const char* step_name(int s) {
  static const char* kNames[] = {"lower MAP target", "fluid challenge", "dobutamine", "nitroglycerin"};
  return kNames[s];
}
}  // namespace

bool MicroGuidedProtocol::blocked(Step s, double t) const { return t < blocked_until_min_[static_cast<int>(s)]; }

void MicroGuidedProtocol::request_micro(std::vector<Action>& out, const std::string& why) {
  want_micro_ = true;
  micro_pending_ = true;
  Action a;
  a.what = "measure microcirculation";
  a.reason = why;
  out.push_back(a);
}

void MicroGuidedProtocol::judge_trial(const Observations& obs, std::vector<Action>& out) {
  const Trial tr = *trial_;
  trial_.reset();
  const double mfi = *obs.mfi, ppv = obs.ppv_pct.value_or(tr.ppv_before);
  const bool improved = mfi >= tr.mfi_before + m_.mfi_change_that_counts ||
                        ppv >= tr.ppv_before + m_.ppv_change_that_counts_pct;
  const bool macro_ok = obs.map_mmHg >= m_.map_target_floor_mmHg;
  const int k = static_cast<int>(tr.step);
  const std::string change = fmt::format("MFI {:.2f} -> {:.2f}, PPV {:.0f} -> {:.0f}%", tr.mfi_before, mfi,
                                         tr.ppv_before, ppv);
  Action a;
  if (improved && macro_ok) {
    a.what = fmt::format("keep {}", step_name(k));
    a.reason = fmt::format("microcirculation responded ({}) with MAP {:.0f} >= {:.0f}", change, obs.map_mmHg,
                           m_.map_target_floor_mmHg);
    out.push_back(a);
    return;
  }
  const std::string why = !macro_ok ? fmt::format("MAP {:.0f} fell below {:.0f}", obs.map_mmHg, m_.map_target_floor_mmHg)
                                    : fmt::format("no microcirculatory response ({})", change);
  blocked_until_min_[k] = obs.time_min + m_.retry_after_min;
  switch (tr.step) {
    case Step::kLowerTarget: {
      const double target = target_mmHg() + m_.map_target_step_mmHg;
      a.what = "restore MAP target";
      a.reason = fmt::format("{} after lowering the target: back to {:.0f} mmHg; not retried for {:g} h", why, target,
                             m_.retry_after_min / 60.0);
      set_map_target_mmHg(target);
      break;
    }
    case Step::kFluid:
      micro_fluid_unresponsive_ = true;
      a.what = "no more fluid for the microcirculation";
      a.reason = fmt::format("{} after {:.0f} mL: the microcirculation is not fluid-responsive", why, s_.challenge_mL);
      break;
    case Step::kDobutamine:
      a.dobutamine_ug_per_kg_min = 0.0;
      a.what = "stop dobutamine";
      a.reason = fmt::format("{} on dobutamine {:g} ug/kg/min", why, m_.dobutamine_ug_per_kg_min);
      break;
    case Step::kNitroglycerin:
      a.nitroglycerin_ug_per_min = 0.0;
      a.what = "stop nitroglycerin";
      a.reason = fmt::format("{} on nitroglycerin {:g} ug/min", why, m_.nitroglycerin_ug_per_min);
      break;
  }
  out.push_back(a);
}

void MicroGuidedProtocol::next_step(const Observations& obs, std::vector<Action>& out) {
  const double t = obs.time_min, mfi = *obs.mfi, ppv = obs.ppv_pct.value_or(0.0);
  const double ne = obs.running.ne_ug_per_kg_min;
  const double target = target_mmHg();
  const std::string finding = fmt::format("loss of coherence: MFI {:.2f} (< {:.1f}), PPV {:.0f}% with MAP {:.0f} on NE "
                                          "{:.2f}",
                                          mfi, m_.mfi_abnormal, ppv, obs.map_mmHg, ne);
  Action a;
  Step step;
  if (ne >= m_.ne_considered_high_ug_per_kg_min && target - m_.map_target_step_mmHg >= m_.map_target_floor_mmHg - 1e-9 &&
      !blocked(Step::kLowerTarget, t)) {
    step = Step::kLowerTarget;
    a.what = "lower MAP target";
    a.reason = fmt::format("{}: lowering the MAP target {:.0f} -> {:.0f} mmHg to reduce NE", finding, target,
                           target - m_.map_target_step_mmHg);
    set_map_target_mmHg(target - m_.map_target_step_mmHg);
  } else if (!fluid_unresponsive() && !micro_fluid_unresponsive_ && !challenge_in_progress() &&
             challenges_ < s_.max_challenges && !blocked(Step::kFluid, t)) {
    step = Step::kFluid;
    a = fluid_challenge(obs, fmt::format("{}: fluid challenge {:.0f} mL, judged by the microcirculation", finding,
                                         s_.challenge_mL));
  } else if (obs.running.dobutamine_ug_per_kg_min == 0.0 && !blocked(Step::kDobutamine, t)) {
    step = Step::kDobutamine;
    a.dobutamine_ug_per_kg_min = m_.dobutamine_ug_per_kg_min;
    a.what = "start dobutamine";
    a.reason = fmt::format("{}: dobutamine {:g} ug/kg/min{}", finding, m_.dobutamine_ug_per_kg_min,
                           obs.co_L_per_min ? fmt::format(" (CO {:.1f} L/min)", *obs.co_L_per_min) : "");
  } else if (obs.running.nitroglycerin_ug_per_min == 0.0 && !blocked(Step::kNitroglycerin, t) &&
             obs.map_mmHg >= m_.map_target_floor_mmHg + 5.0) {
    step = Step::kNitroglycerin;
    a.nitroglycerin_ug_per_min = m_.nitroglycerin_ug_per_min;
    a.what = "start nitroglycerin";
    a.reason = fmt::format("{}: nitroglycerin {:g} ug/min to recruit capillaries, MAP has room above {:.0f}", finding,
                           m_.nitroglycerin_ug_per_min, m_.map_target_floor_mmHg);
  } else {
    if (!said_nothing_left_) {
      a.what = "no micro-targeted step left";
      a.reason = fmt::format("{}: every step tried or unsafe now; macro targets continue", finding);
      out.push_back(a);
      said_nothing_left_ = true;
    }
    return;
  }
  said_nothing_left_ = false;
  trial_ = Trial{step, t, mfi, ppv};
  out.push_back(a);
}

std::vector<Action> MicroGuidedProtocol::decide(const Observations& obs) {
  std::vector<Action> out = macro_decisions(obs);
  const double t = obs.time_min;
  want_micro_ = false;
  // A measurement requested at an earlier epoch has arrived: judge a trial, then act on it.
  if (micro_pending_ && obs.mfi && obs.micro_measured_min && *obs.micro_measured_min >= micro_requested_min_ - 1e-9) {
    micro_pending_ = false;
    if (trial_) judge_trial(obs, out);
    if (*obs.mfi < m_.mfi_abnormal) next_step(obs, out);
  }
  // A running trial is due for judgement.
  if (trial_ && !micro_pending_ && t >= trial_->started_min + m_.trial_min - 1e-9) {
    micro_requested_min_ = t;
    request_micro(out, fmt::format("judge the {} started at {:g} min by the microcirculation",
                                   step_name(static_cast<int>(trial_->step)), trial_->started_min));
    return out;
  }
  // Assess hourly after the initial resuscitation: is the patient improving?
  const double after_initial = *start_min_ + s_.initial_fluid_duration_min;
  if (!trial_ && !micro_pending_ && t >= after_initial &&
      (!last_assessment_min_ || t >= *last_assessment_min_ + m_.assess_interval_min - 1e-9)) {
    last_assessment_min_ = t;
    const bool crt_bad = obs.crt_s && *obs.crt_s > m_.crt_limit_s;
    const bool lactate_bad = obs.lactate_mmol_per_L && *obs.lactate_mmol_per_L > m_.lactate_limit_mmol_per_L;
    if (crt_bad || lactate_bad) {
      micro_requested_min_ = t;
      request_micro(out, fmt::format("not improving ({}{}{}): sublingual microcirculation to look for loss of coherence",
                                     crt_bad ? fmt::format("CRT {:.1f} s", *obs.crt_s) : "",
                                     crt_bad && lactate_bad ? ", " : "",
                                     lactate_bad ? fmt::format("lactate {:.1f} mmol/L", *obs.lactate_mmol_per_L) : ""));
    }
  }
  return out;
}

}  // namespace coherence::protocol
