#include "stats/piecewise.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <limits>
#include <stdexcept>

namespace coherence::stats {

double PiecewiseFit::predict(double x) const {
  return intercept + slope_below * x + (slope_above - slope_below) * std::max(0.0, x - breakpoint);
}

PiecewiseFit piecewise_linear_fit(std::span<const double> x, std::span<const double> y, double step,
                                  double edge_fraction) {
  if (x.size() != y.size() || x.size() < 4) throw std::invalid_argument("piecewise fit needs >= 4 (x, y) pairs");
  const auto [lo_it, hi_it] = std::minmax_element(x.begin(), x.end());
  const double lo = *lo_it, hi = *hi_it;
  const double margin = edge_fraction * (hi - lo);
  const auto n = static_cast<Eigen::Index>(x.size());
  Eigen::VectorXd yv(n);
  for (Eigen::Index i = 0; i < n; ++i) yv(i) = y[static_cast<std::size_t>(i)];
  PiecewiseFit best;
  best.sse = std::numeric_limits<double>::infinity();
  for (double c = lo + margin; c <= hi - margin + 1e-12; c += step) {
    Eigen::MatrixXd a(n, 3);
    for (Eigen::Index i = 0; i < n; ++i) {
      const double xi = x[static_cast<std::size_t>(i)];
      a(i, 0) = 1.0;
      a(i, 1) = xi;
      a(i, 2) = std::max(0.0, xi - c);
    }
    const Eigen::Vector3d b = a.colPivHouseholderQr().solve(yv);
    const double sse = (a * b - yv).squaredNorm();
    if (sse < best.sse) {
      best = {c, b(0), b(1), b(1) + b(2), sse};
    }
  }
  return best;
}

}  // namespace coherence::stats
