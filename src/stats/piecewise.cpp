#include "stats/piecewise.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <boost/math/distributions/fisher_f.hpp>
#include <cmath>
#include <utility>
#include <vector>
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
  std::vector<std::pair<double, double>> profile;  // (breakpoint, SSE)
  const int steps = static_cast<int>(std::floor((hi - lo - 2.0 * margin) / step + 1e-9));
  for (int k = 0; k <= steps; ++k) {
    const double c = lo + margin + k * step;
    Eigen::MatrixXd a(n, 3);
    for (Eigen::Index i = 0; i < n; ++i) {
      const double xi = x[static_cast<std::size_t>(i)];
      a(i, 0) = 1.0;
      a(i, 1) = xi;
      a(i, 2) = std::max(0.0, xi - c);
    }
    const Eigen::Vector3d b = a.colPivHouseholderQr().solve(yv);
    const double sse = (a * b - yv).squaredNorm();
    profile.emplace_back(c, sse);
    if (sse < best.sse) {
      best.breakpoint = c;
      best.intercept = b(0);
      best.slope_below = b(1);
      best.slope_above = b(1) + b(2);
      best.sse = sse;
    }
  }
  // Profile-likelihood 95% interval: the breakpoints around the best whose fit is not worse than
  // SSE_min (1 + F(0.95; 1, n - 4) / (n - 4)).
  if (n > 4 && !profile.empty()) {
    const double df = static_cast<double>(n - 4);
    const double limit = best.sse * (1.0 + boost::math::quantile(boost::math::fisher_f(1.0, df), 0.95) / df);
    std::size_t at = 0;
    while (profile[at].first != best.breakpoint) ++at;
    std::size_t a = at, b = at;
    while (a > 0 && profile[a - 1].second <= limit) --a;
    while (b + 1 < profile.size() && profile[b + 1].second <= limit) ++b;
    best.ci_low = profile[a].first;
    best.ci_high = profile[b].first;
    best.ci_at_search_edge = a == 0 || b + 1 == profile.size();
  }
  return best;
}

}  // namespace coherence::stats
