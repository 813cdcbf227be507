#include "model/simulator.hpp"

#include <algorithm>
#include <stdexcept>

namespace coherence::model {

SolverOptions default_solver_options() {
  SolverOptions o;
  o.relative_tolerance = 1e-6;
  o.absolute_tolerances.assign(kStateCount, 1e-8);
  for (int i : {kArterialVolume, kVenousVolume, kCentralVolume, kPulmonaryVolume, kInterstitialVolume,
                kRedCellVolume, kFluidIn, kFluidOut}) {
    o.absolute_tolerances[i] = 1e-4;  // mL
  }
  o.absolute_tolerances[kIl6] = 1e-5;
  o.absolute_tolerances[kPlasmaProtein] = 1e-6;
  o.absolute_tolerances[kInterstitialProtein] = 1e-6;
  o.max_step = 30.0;  // minutes: keeps output interpolation and event response tight
  return o;
}

namespace {

StateVector initial_state(const ModelParams& p, ModelReference& reference) {
  InitialCondition ic = reference_state(p);
  reference = ic.reference;
  return ic.state;
}

}  // namespace

Simulator::Simulator(const ModelParams& params, double t_start_min, const SolverOptions& options)
    : core_(std::make_unique<Core>(Core{params, {}, {}})),
      solver_(
          [core = core_.get()](double, std::span<const double> y, std::span<double> dydt) {
            return derivatives(core->params, core->reference, core->inputs,
                               std::span<const double, kStateCount>(y.data(), kStateCount),
                               std::span<double, kStateCount>(dydt.data(), kStateCount));
          },
          t_start_min, initial_state(core_->params, core_->reference), options),
      horizon_min_(t_start_min) {}

void Simulator::set_inputs(const Inputs& inputs, double valid_until_min) {
  if (valid_until_min < solver_.time()) throw std::logic_error("input horizon lies in the past");
  // The solver restarts only where the right-hand side changes (a restart costs ~20 steps at
  // order 1); unchanged inputs just move the stop time on.
  if (!(inputs == core_->inputs)) {
    core_->inputs = inputs;
    solver_.reinitialize();
  }
  horizon_min_ = valid_until_min;
  solver_.set_stop_time(valid_until_min);
}

void Simulator::set_params(const ModelParams& params) {
  core_->params = params;
  solver_.reinitialize();
}

void Simulator::advance_to(double t_min) {
  if (t_min > horizon_min_ + 1e-9) throw std::logic_error("advance_to beyond the input horizon");
  solver_.advance_to(std::min(t_min, horizon_min_));
}

double Simulator::time_min() const { return solver_.time(); }
const Inputs& Simulator::inputs() const { return core_->inputs; }
const ModelParams& Simulator::params() const { return core_->params; }

StateVector Simulator::state() const {
  StateVector y{};
  const auto s = solver_.state();
  std::copy(s.begin(), s.end(), y.begin());
  return y;
}

Observables Simulator::observe() const {
  const StateVector y = state();
  return coherence::model::observe(core_->params, core_->reference, core_->inputs, y);
}

SolverStatistics Simulator::statistics() const { return solver_.statistics(); }

}  // namespace coherence::model
