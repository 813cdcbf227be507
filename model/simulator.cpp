#include "model/simulator.hpp"

#include <algorithm>
#include <vector>
#include <stdexcept>

namespace coherence::model {

SolverOptions default_solver_options() {
  SolverOptions o;
  // 1e-4: 24 h of titrated septic shock stays within 0.04 mmHg of MAP and 0.005 mmol/L of
  // lactate of a run at 1e-8 (test_exact.cpp), far below what a monitor resolves; 1e-6 costs 3x
  // the steps (docs/performance.md, "Trials").
  o.relative_tolerance = 1e-4;
  o.absolute_tolerances.assign(kStateCount, 1e-8);
  for (int i : {kArterialVolume, kVenousVolume, kCentralVolume, kPulmonaryVolume, kInterstitialVolume,
                kRedCellVolume, kFluidIn, kFluidOut}) {
    o.absolute_tolerances[i] = 1e-4;  // mL
  }
  o.absolute_tolerances[kIl6] = 1e-5;
  o.absolute_tolerances[kCreatinine] = 1e-4;  // umol/L
  o.absolute_tolerances[kPlasmaProtein] = 1e-6;
  o.absolute_tolerances[kInterstitialProtein] = 1e-6;
  o.max_step = 30.0;  // minutes: keeps output interpolation and event response tight
  return o;
}

namespace {

const std::array<int, kIntegratedStateCount> kIntegrated = integrated_states();

std::array<double, kIntegratedStateCount> integrated_part(const StateVector& y) {
  std::array<double, kIntegratedStateCount> z{};
  for (std::size_t i = 0; i < z.size(); ++i) z[i] = y[kIntegrated[i]];
  return z;
}

// The whole state at t: the solver's integrated states and the infusion levels in closed form.
StateVector whole_state(double t_min, std::span<const double> z, const InfusionKinetics& infusions) {
  StateVector y{};
  for (std::size_t i = 0; i < kIntegrated.size(); ++i) y[kIntegrated[i]] = z[i];
  infusions.fill(t_min, y);
  return y;
}

// The same, for the solver's right-hand side: the levels are remembered for the next evaluation
// at the same time (the only writer of that memory; const readers use the version above).
StateVector whole_state_cached(double t_min, std::span<const double> z, InfusionKinetics& infusions) {
  StateVector y{};
  for (std::size_t i = 0; i < kIntegrated.size(); ++i) y[kIntegrated[i]] = z[i];
  infusions.fill_cached(t_min, y);
  return y;
}

// The options address all states; the solver sees the integrated ones.
SolverOptions integrated_options(SolverOptions options) {
  if (options.absolute_tolerances.size() == kStateCount) {
    std::vector<double> tol(kIntegratedStateCount);
    for (std::size_t i = 0; i < tol.size(); ++i) tol[i] = options.absolute_tolerances[kIntegrated[i]];
    options.absolute_tolerances = std::move(tol);
  } else if (!options.absolute_tolerances.empty()) {
    throw std::invalid_argument("absolute tolerances: one per model state expected");
  }
  return options;
}

// The healthy reference state: the reference and the infusion levels go to the core, the
// integrated states to the solver.
std::array<double, kIntegratedStateCount> start_state(const ModelParams& p, double t_start_min,
                                                      ModelReference& reference, InfusionKinetics& infusions) {
  const InitialCondition ic = reference_state(p);
  reference = ic.reference;
  infusions = InfusionKinetics(p, t_start_min, ic.state, Inputs{});
  return integrated_part(ic.state);
}

}  // namespace

Simulator::Simulator(const ModelParams& params, double t_start_min, const SolverOptions& options)
    : core_(std::make_unique<Core>(Core{params, {}, {}, {}})),
      solver_(
          [core = core_.get()](double t, std::span<const double> z, std::span<double> dzdt) {
            const StateVector y = whole_state_cached(t, z, core->infusions);
            StateVector dydt{};
            const int flag = derivatives(core->params, core->reference, core->inputs, y, dydt);
            for (std::size_t i = 0; i < kIntegrated.size(); ++i) dzdt[i] = dydt[kIntegrated[i]];
            return flag;
          },
          t_start_min, start_state(core_->params, t_start_min, core_->reference, core_->infusions),
          integrated_options(options)),
      horizon_min_(t_start_min),
      options_(options) {}

std::unique_ptr<Simulator> Simulator::branch() const {
  auto copy = std::make_unique<Simulator>(core_->params, solver_.time(), options_);
  copy->core_->reference = core_->reference;
  copy->core_->inputs = core_->inputs;
  copy->core_->infusions = core_->infusions;
  copy->solver_.reset_state(solver_.state());
  copy->horizon_min_ = horizon_min_;
  copy->solver_.set_stop_time(horizon_min_);
  return copy;
}

const std::vector<std::string>& Simulator::solver_warnings() const { return solver_.warning_messages(); }

void Simulator::restart_as_branch() {
  const std::vector<double> now(solver_.state().begin(), solver_.state().end());
  solver_.reset_state(now);
  solver_.set_stop_time(horizon_min_);
}

void Simulator::set_inputs(const Inputs& inputs, double valid_until_min) {
  const double now = solver_.time();
  if (valid_until_min < now) throw std::logic_error("input horizon lies in the past");
  if (!(inputs == core_->inputs)) {
    // Infusion levels are exact functions of time: a new segment starts now. The integrated
    // states see a continuous input, so CVODE goes on, unless it has already stepped beyond now
    // (output interpolated back) or another input changed: then it restarts at order 1 (a
    // restart costs ~30 steps).
    const bool restart = !differ_only_in_infusions(inputs, core_->inputs) || solver_.internal_time() > now;
    core_->infusions.restart(core_->params, now, inputs);
    core_->inputs = inputs;
    if (restart) solver_.reinitialize();
  }
  horizon_min_ = valid_until_min;
  solver_.set_stop_time(valid_until_min);
}

void Simulator::set_params(const ModelParams& params) {
  core_->params = params;
  core_->infusions.restart(core_->params, solver_.time(), core_->inputs);
  solver_.reinitialize();
}

void Simulator::advance_to(double t_min) {
  if (t_min > horizon_min_ + 1e-9) throw std::logic_error("advance_to beyond the input horizon");
  solver_.advance_to(std::min(t_min, horizon_min_));
}

void Simulator::inoculate(double load) {
  std::vector<double> z(solver_.state().begin(), solver_.state().end());
  for (std::size_t i = 0; i < kIntegrated.size(); ++i) {
    if (kIntegrated[i] == kInfectionLoad) z[i] += load;
  }
  solver_.reset_state(z);
}

double Simulator::time_min() const { return solver_.time(); }
const Inputs& Simulator::inputs() const { return core_->inputs; }
const ModelParams& Simulator::params() const { return core_->params; }

StateVector Simulator::state() const {
  return whole_state(solver_.time(), solver_.state(), core_->infusions);
}

Observables Simulator::observe() const {
  const StateVector y = state();
  return coherence::model::observe(core_->params, core_->reference, core_->inputs, y);
}

CirculationObservables Simulator::observe_circulation() const {
  const StateVector y = state();
  return coherence::model::observe_circulation(core_->params, y);
}

SolverStatistics Simulator::statistics() const { return solver_.statistics(); }

}  // namespace coherence::model
