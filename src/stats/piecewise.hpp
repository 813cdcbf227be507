// Piecewise (segmented) linear regression with one breakpoint, as used by the source study to
// validate its GAM thresholds: y = b0 + b1 x + b2 (x - c)+, continuous at c. The breakpoint is
// found by exhaustive search over a grid inside the data range (each candidate is an ordinary
// least-squares fit), which is exact up to the grid step. Its 95% confidence interval is the
// profile-likelihood one: every breakpoint c with SSE(c) <= SSE_min (1 + F(0.95; 1, n-4)/(n-4)).
#pragma once

#include <span>

namespace coherence::stats {

struct PiecewiseFit {
  double breakpoint = 0.0;
  double intercept = 0.0;
  double slope_below = 0.0;
  double slope_above = 0.0;
  double sse = 0.0;       // residual sum of squares
  // 95% profile-likelihood interval of the breakpoint (grid points whose SSE is within the F
  // criterion of the best); at_search_edge when it reaches the end of the searched range.
  double ci_low = 0.0, ci_high = 0.0;
  bool ci_at_search_edge = false;
  double predict(double x) const;
};

// Fits the model; the breakpoint is searched on [min_x + margin, max_x - margin] with `step`,
// margin = `edge_fraction` of the range (so that both segments have data). Requires >= 4 points.
PiecewiseFit piecewise_linear_fit(std::span<const double> x, std::span<const double> y, double step = 0.005,
                                  double edge_fraction = 0.1);

}  // namespace coherence::stats
