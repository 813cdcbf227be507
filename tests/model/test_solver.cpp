// The integrator reports failures as SolverError (with the time), never crashes or hangs.
#include <catch2/catch.hpp>
#include <cmath>

#include "model/ode_solver.hpp"

using namespace coherence::model;

TEST_CASE("An unrecoverable right-hand side failure becomes a SolverError at that time") {
  RightHandSide rhs = [](double t, std::span<const double>, std::span<double> d) {
    d[0] = 1.0;
    return t > 2.0 ? -1 : 0;
  };
  const double y0[] = {0.0};
  OdeSolver solver(rhs, 0.0, y0, SolverOptions{});
  solver.set_stop_time(1.0);  // CVODE may evaluate beyond t_out unless a stop time bounds it
  solver.advance_to(1.0);
  CHECK(solver.state()[0] == Approx(1.0));
  solver.reinitialize();
  try {
    solver.advance_to(5.0);
    FAIL("no error");
  } catch (const SolverError& e) {
    CHECK(e.time() >= 1.0);
    CHECK(e.time() <= 2.5);
    CHECK(std::string(e.what()).find("integration failed at t =") != std::string::npos);
  }
}

TEST_CASE("A right-hand side that throws is contained and reported") {
  RightHandSide rhs = [](double t, std::span<const double>, std::span<double> d) -> int {
    if (t > 0.5) throw std::runtime_error("boom");
    d[0] = 0.0;
    return 0;
  };
  const double y0[] = {1.0};
  OdeSolver solver(rhs, 0.0, y0, SolverOptions{});
  CHECK_THROWS_AS(solver.advance_to(2.0), SolverError);
  // The exception's own message reaches the error (issue 19: it used to be dropped).
  OdeSolver again(rhs, 0.0, y0, SolverOptions{});
  try {
    again.advance_to(2.0);
    FAIL("no SolverError");
  } catch (const SolverError& e) {
    CHECK(std::string(e.what()).find("the right-hand side threw: boom") != std::string::npos);
  }
}

TEST_CASE("A persistently out-of-domain state fails after bounded retries") {
  RightHandSide rhs = [](double, std::span<const double> y, std::span<double> d) {
    d[0] = -1.0;
    return y[0] < 0.5 ? 1 : 0;  // recoverable, but the trajectory must cross 0.5
  };
  const double y0[] = {1.0};
  OdeSolver solver(rhs, 0.0, y0, SolverOptions{});
  CHECK_THROWS_AS(solver.advance_to(2.0), SolverError);
}

TEST_CASE("Stop time: the solver does not step past a discontinuity, and restarts cleanly") {
  // dy/dt = r(t) with r switching from 1 to -2 at t = 1: y(3) = 1 - 4 = -3 exactly.
  double rate = 1.0;
  RightHandSide rhs = [&](double, std::span<const double>, std::span<double> d) {
    d[0] = rate;
    return 0;
  };
  const double y0[] = {0.0};
  SolverOptions o;
  o.relative_tolerance = 1e-10;
  o.absolute_tolerances = {1e-12};
  OdeSolver solver(rhs, 0.0, y0, o);
  solver.set_stop_time(1.0);
  solver.advance_to(1.0);
  rate = -2.0;
  solver.reinitialize();
  solver.advance_to(3.0);
  CHECK(solver.state()[0] == Approx(-3.0).margin(1e-8));
  CHECK(solver.statistics().reinitializations == 1);
}
