// micro_guided: the seed editorial's algorithm (BRIEF.md), macro first and micro when coherence
// is lost.
#pragma once

#include "protocol/macro_first.hpp"

namespace coherence::protocol {

struct MicroGuidedSettings {
  MacroFirstSettings macro;
  double assess_interval_min = 60.0;          // is the patient improving?
  double crt_limit_s = 3.0;                   // CRT > 3 s: not improving
  double lactate_limit_mmol_per_L = 2.0;      // lactate above this: not improving
  double mfi_abnormal = 2.6;                  // Pranskunas 2013
  double map_target_floor_mmHg = 62.0;        // lowest target: with the +-5 mmHg control band MAP stays >= 60 on average
  double map_target_step_mmHg = 3.0;
  double ne_considered_high_ug_per_kg_min = 0.3;
  double mfi_change_that_counts = 0.3;        // ~2 SD of the MFI measurement: below is noise
  double ppv_change_that_counts_pct = 10.0;   // ~2 SD of the PPV measurement
  double trial_min = 30.0;                    // a micro-targeted step is judged after this
  double retry_after_min = 360.0;             // a step that failed is not retried for 6 h
  double dobutamine_ug_per_kg_min = 5.0;      // De Backer 2006
  double nitroglycerin_ug_per_min = 33.0;     // 2 mg/h, Lima 2014's first step
};

// 1. Macro first (macro_first's fluids, NE, vasopressin).
// 2. Hourly after the initial fluids: improving (CRT <= 3 s and lactate <= 2)? Then nothing more.
// 3. Not improving: measure the sublingual microcirculation (5 sites).
// 4. MFI < 2.6: a micro-targeted step, one at a time, each a trial judged by a new measurement
//    after 30 min and kept only if the microcirculation improved (MFI +0.3 or PPV +10 points)
//    while MAP stayed >= the floor; otherwise undone and not retried for 6 h. The steps, in order:
//    lower the MAP target by 5 mmHg (NE >= 0.3, target above the floor) so NE falls below the
//    cliff; a fluid challenge judged by the micro response (unless known fluid-unresponsive);
//    dobutamine 5 ug/kg/min; nitroglycerin 2 mg/h (MAP at least 5 mmHg above the floor).
// 5. Reassess hourly; the MAP target stays where perfusion put it.
class MicroGuidedProtocol final : public MacroFirstProtocol {
 public:
  explicit MicroGuidedProtocol(const MicroGuidedSettings& s) : MacroFirstProtocol(s.macro), m_(s) {}
  std::string name() const override { return "micro_guided"; }
  std::unique_ptr<Protocol> clone() const override { return std::make_unique<MicroGuidedProtocol>(*this); }
  std::vector<Action> decide(const Observations& obs) override;
  bool wants_micro_measurement() const override { return want_micro_; }

 private:
  enum class Step { kLowerTarget, kFluid, kDobutamine, kNitroglycerin };
  struct Trial {
    Step step;
    double started_min, mfi_before, ppv_before;
  };
  void judge_trial(const Observations& obs, std::vector<Action>& out);
  void next_step(const Observations& obs, std::vector<Action>& out);
  void request_micro(std::vector<Action>& out, const std::string& why);
  bool blocked(Step s, double t) const;

  MicroGuidedSettings m_;
  std::optional<double> last_assessment_min_;
  std::optional<Trial> trial_;
  double blocked_until_min_[4] = {-1e300, -1e300, -1e300, -1e300};
  bool micro_fluid_unresponsive_ = false;
  bool want_micro_ = false;
  bool micro_pending_ = false;
  double micro_requested_min_ = 0.0;
  bool said_nothing_left_ = false;
};

// The dose of an inotrope step (micro_guided's; the perfusion-guided protocols' inodilator test).
SettingKey dobutamine_step_key();
ProtocolEntry micro_guided_entry();

}  // namespace coherence::protocol
