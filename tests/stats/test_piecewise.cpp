// Segmented regression recovers known breakpoints and slopes.
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "stats/piecewise.hpp"

using coherence::stats::piecewise_linear_fit;

TEST_CASE("Piecewise fit recovers an exact hinge") {
  // y = 2 + 0.5 x for x < 0.72, slope -4 above: breakpoint 0.72 exactly on the grid.
  std::vector<double> x, y;
  for (int i = 0; i <= 60; ++i) {
    const double xi = 0.02 * i;
    x.push_back(xi);
    y.push_back(2.0 + 0.5 * xi - 4.5 * std::max(0.0, xi - 0.72));
  }
  const auto fit = piecewise_linear_fit(x, y, 0.001);
  CHECK(fit.breakpoint == Approx(0.72).margin(1e-9));
  CHECK(fit.intercept == Approx(2.0).margin(1e-9));
  CHECK(fit.slope_below == Approx(0.5).margin(1e-9));
  CHECK(fit.slope_above == Approx(-4.0).margin(1e-9));
  CHECK(fit.sse < 1e-18);
  CHECK(fit.predict(1.0) == Approx(2.0 + 0.72 * 0.5 - 4.0 * 0.28).margin(1e-9));
}

TEST_CASE("Piecewise fit finds the breakpoint under deterministic noise") {
  std::vector<double> x, y;
  for (int i = 0; i <= 100; ++i) {
    const double xi = 0.012 * i;
    const double noise = 0.02 * std::sin(37.0 * i);  // bounded, zero-mean-ish
    x.push_back(xi);
    y.push_back(2.8 - 0.1 * xi - 3.0 * std::max(0.0, xi - 0.8) + noise);
  }
  const auto fit = piecewise_linear_fit(x, y);
  CHECK(fit.breakpoint == Approx(0.8).margin(0.03));
  CHECK(fit.slope_above == Approx(-3.1).margin(0.2));
}

TEST_CASE("Piecewise fit rejects too few points") {
  const std::vector<double> x = {0, 1, 2}, y = {0, 1, 2};
  CHECK_THROWS_AS(piecewise_linear_fit(x, y), std::invalid_argument);
}
