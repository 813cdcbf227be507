// The model's total-body-water invariant, shared by the conservation tests:
// (blood - red cells) + interstitium - intake + losses stays constant.
#pragma once

#include "model/model.hpp"
#include "model/simulator.hpp"

namespace coherence::model::test {

inline double body_water_invariant_mL(const Simulator& sim) {
  const auto y = sim.state();
  const double blood = y[kArterialVolume] + y[kVenousVolume] + y[kCentralVolume] + y[kPulmonaryVolume];
  return blood - y[kRedCellVolume] + y[kInterstitialVolume] - y[kFluidIn] + y[kFluidOut];
}

}  // namespace coherence::model::test
