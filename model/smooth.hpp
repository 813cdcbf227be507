// Smooth (C1 or better) replacements for max/min so that the right-hand side stays
// differentiable for CVODE's Newton iteration.
#pragma once

#include <cmath>

namespace coherence::model {

// Softplus: a smooth max(x, 0) whose corner is rounded over a width w (> 0).
inline double soft_positive(double x, double w) {
  const double z = x / w;
  if (z > 30.0) return x;
  return w * std::log1p(std::exp(z));
}

// Smooth min(a, b) with a hyperbolic corner of half-width eps (> 0).
inline double soft_min(double a, double b, double eps) {
  return 0.5 * (a + b - std::sqrt((a - b) * (a - b) + eps * eps));
}

// Hill fraction c^n / (ec50^n + c^n) for c >= 0; 0 for c <= 0.
inline double hill(double c, double ec50, double n) {
  if (c <= 0.0) return 0.0;
  const double r = std::pow(c / ec50, n);
  return r / (1.0 + r);
}

}  // namespace coherence::model
