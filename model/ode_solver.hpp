// A stiff ODE integrator: SUNDIALS CVODE (BDF, Newton, a dense direct linear solver on Eigen's
// partial-pivoting LU, CVODE's difference-quotient Jacobian). This is the only part of Coherence
// that sees SUNDIALS types; every handle is owned by a unique_ptr with its destroy function.
//
// Discontinuities (dose changes, boluses, protocol decisions) are handled by the caller through
// `set_stop_time` and `reinitialize`, as in the SUNDIALS example cvDisc: the solver never steps
// across a stop time, and a reinitialized solver restarts at order 1 from the current state.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace coherence::model {

// f(t, y, dydt) -> 0 success, > 0 recoverable (y outside the domain), < 0 unrecoverable.
using RightHandSide = std::function<int(double, std::span<const double>, std::span<double>)>;

struct SolverOptions {
  double relative_tolerance = 1e-6;
  std::vector<double> absolute_tolerances;  // one per state; empty = 1e-8 for all
  double max_step = 0.0;                    // 0 = unlimited
  long max_steps_per_call = 500000;
};

struct SolverStatistics {
  long steps = 0;
  long rhs_evaluations = 0;
  long jacobian_evaluations = 0;
  long error_test_failures = 0;
  long nonlinear_convergence_failures = 0;
  long reinitializations = 0;
  // CVODE's warnings (it goes on after them: e.g. "t + h = t", a step too small for the time's
  // precision); their first messages are OdeSolver::warning_messages().
  long warnings = 0;
};

// Thrown when CVODE cannot continue; `what()` is one line with the time and CVODE's message.
class SolverError : public std::runtime_error {
 public:
  SolverError(const std::string& message, double time) : std::runtime_error(message), time_(time) {}
  double time() const { return time_; }

 private:
  double time_;
};

class OdeSolver {
 public:
  OdeSolver(RightHandSide rhs, double t0, std::span<const double> y0, const SolverOptions& options);
  ~OdeSolver();
  OdeSolver(const OdeSolver&) = delete;
  OdeSolver& operator=(const OdeSolver&) = delete;
  OdeSolver(OdeSolver&&) noexcept;
  OdeSolver& operator=(OdeSolver&&) noexcept;

  // Integrate to t_out (interpolated; never beyond the stop time). Throws SolverError.
  void advance_to(double t_out);
  // The integrator will not step past t_stop until the next call.
  void set_stop_time(double t_stop);
  // Restart from the current state (after an input changed discontinuously); a stop time that
  // has been reached is lifted.
  void reinitialize();
  // Replace the current state (e.g. an instantaneous bolus) and restart.
  void reset_state(std::span<const double> y);

  double time() const;
  // How far CVODE has stepped internally (>= time(): output may be interpolated back).
  double internal_time() const;
  std::span<const double> state() const;
  SolverStatistics statistics() const;
  // The first kMaxWarningMessages warnings, one line each ("module::function: message").
  static constexpr std::size_t kMaxWarningMessages = 10;
  const std::vector<std::string>& warning_messages() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace coherence::model
