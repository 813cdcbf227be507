// The infused drugs' kinetics solved in closed form between two input changes.
//
// Every infused drug's compartment is linear with constant coefficients (docs/model/drugs.md,
// docs/model/norepinephrine.md), so for a constant infusion rate its level is an exact
// exponential. Solving these six states in closed form instead of with CVODE keeps infusion
// changes out of the integrated system: at a dose change the plasma level stays continuous and
// only its slope changes, the effect site (NE) stays continuous with its slope, and the states
// CVODE integrates see a smooth input. The integrator then goes on across a titration without a
// restart at order 1 (docs/performance.md).
//
//   first order   dC/dt = k (C_ss - C)          C(t) = C_ss + (C0 - C_ss) e^{-k t}
//   NE chain      dCp/dt = a (Cp_ss - Cp),  dCe/dt = k_e (Cp - Ce)
//                 Ce(t) = Cp_ss + (Ce0 - Cp_ss) e^{-k_e t} + k_e (Cp0 - Cp_ss) t e^{-a t} phi((k_e - a) t)
//                 with phi(x) = (1 - e^{-x}) / x (phi(0) = 1): exact also when a = k_e.
#pragma once

#include <array>
#include <limits>

#include "model/model.hpp"

namespace coherence::model {

// The states solved in closed form; every other state is integrated.
inline constexpr std::array<int, 6> kExactStates = {kNeExogenous, kNeEffectSite,  kVasopressin,
                                                    kEpinephrine, kDobutamine,    kNitroglycerinEffect};
inline constexpr int kIntegratedStateCount = kStateCount - static_cast<int>(kExactStates.size());

// Indices of the integrated states, in state order.
std::array<int, kIntegratedStateCount> integrated_states();

// True when the two inputs differ only in the infusion rates of the drugs solved in closed form.
bool differ_only_in_infusions(const Inputs& a, const Inputs& b);

class InfusionKinetics {
 public:
  InfusionKinetics() = default;
  // Rate constants of the patient `p`; the levels of `y` at time t0 start a segment at `inputs`.
  InfusionKinetics(const ModelParams& p, double t0_min, const StateVector& y, const Inputs& inputs);

  // Write the exact levels at t_min (>= the segment's start) into y's closed-form entries.
  void fill(double t_min, StateVector& y) const;
  // The same numbers, remembered for the next call at the same time: CVODE evaluates the
  // right-hand side several times at one time (Newton iterations, difference-quotient Jacobians).
  // Not const, so that const readers (Simulator::observe from several threads) never write it.
  void fill_cached(double t_min, StateVector& y);
  // Start a new segment at t_min with new inputs or parameters: the levels are carried over.
  void restart(const ModelParams& p, double t_min, const Inputs& inputs);

 private:
  void set_rates(const ModelParams& p, const Inputs& inputs);
  std::array<double, kExactStates.size()> levels(double t_min) const;

  double t0_min_ = 0.0;
  std::array<double, kExactStates.size()> level0_{};   // levels at t0, order of kExactStates
  std::array<double, kExactStates.size()> target_{};   // steady states of the current segment
  std::array<double, kExactStates.size()> rate_{};     // rate constants, 1/min
  // The levels fill_cached last computed and their time.
  double filled_t_min_ = std::numeric_limits<double>::quiet_NaN();
  std::array<double, kExactStates.size()> filled_{};
};

}  // namespace coherence::model
