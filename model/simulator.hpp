// One virtual patient in time: the model's right-hand side integrated by the ODE solver, with
// inputs that change only at discontinuities the caller announces. The infused drugs' levels are
// solved in closed form (infusion_kinetics.hpp), so a change of infusion rates does not restart
// the integrator; any other input change (fluids, sepsis severity) or a parameter change does.
//
//   Simulator sim(params, t_start_min);        // healthy reference state at t_start
//   sim.set_inputs(inputs, next_change_min);   // new inputs from now on
//   sim.advance_to(t_min);                     // any t <= next_change_min
//   sim.observe();                             // MAP, CO, lactate ... at the current time
#pragma once

#include <memory>

#include "model/infusion_kinetics.hpp"
#include "model/model.hpp"
#include "model/ode_solver.hpp"

namespace coherence::model {

// Tolerances suited to the model's state scales (mL, ug/L, mmol/L ...).
SolverOptions default_solver_options();

class Simulator {
 public:
  Simulator(const ModelParams& params, double t_start_min,
            const SolverOptions& options = default_solver_options());

  // Change the inputs at the current time; they hold until `valid_until_min`.
  void set_inputs(const Inputs& inputs, double valid_until_min);
  // Change the patient's parameters at the current time (a scenario `set` event); the state and
  // the healthy reference are kept. Call set_inputs next.
  void set_params(const ModelParams& params);
  // Integrate to t_min (<= the horizon of the current inputs). Throws SolverError.
  void advance_to(double t_min);
  // Onset of an infection: adds `load` to the infection-load state now (a discontinuity, like a
  // bolus given at once) and restarts the integrator. The inputs' infection_course must be set
  // for the load to drive the host response.
  void inoculate(double load);

  double time_min() const;
  const Inputs& inputs() const;
  const ModelParams& params() const;
  StateVector state() const;
  Observables observe() const;
  CirculationObservables observe_circulation() const;  // observe()'s tone and circulation, cheaper
  SolverStatistics statistics() const;
  const std::vector<std::string>& solver_warnings() const;

  // A second run that starts where this one is now: the same parameters, healthy reference,
  // inputs, input horizon and infusion levels, and the same state. Its integrator starts afresh
  // (order 1) from that state, so the branch agrees with this run's own continuation within the
  // solver's tolerance, not bit for bit. Used to try several interventions on one patient at one
  // time without simulating the past again (validation experiments, titration by search).
  std::unique_ptr<Simulator> branch() const;
  // Restarts this run's integrator from its state now exactly as branch() starts the copy's, so
  // that a run and its branch go on bit for bit alike (Session::fork does both).
  void restart_as_branch();

 private:
  struct Core {
    ModelParams params;
    ModelReference reference;
    Inputs inputs;
    InfusionKinetics infusions;
  };
  std::unique_ptr<Core> core_;  // stable address for the solver's right-hand side
  OdeSolver solver_;
  double horizon_min_ = 0.0;
  SolverOptions options_;  // as given to the constructor, for branch()
};

}  // namespace coherence::model
