#include "stats/regression.hpp"

#include <Eigen/Dense>
#include <cmath>
#include <stdexcept>

#include "stats/tests.hpp"

namespace coherence::stats {

LinearFit linear_regression(std::span<const double> y, const std::vector<std::vector<double>>& x,
                            const std::vector<std::string>& names) {
  const auto n = static_cast<Eigen::Index>(y.size());
  const auto p = static_cast<Eigen::Index>(x.size() + 1);
  if (names.size() != x.size()) throw std::invalid_argument("linear_regression: one name per predictor");
  if (n <= p) throw std::invalid_argument("linear_regression: needs more observations than coefficients");
  Eigen::MatrixXd X(n, p);
  Eigen::VectorXd Y(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    X(i, 0) = 1.0;
    Y[i] = y[static_cast<std::size_t>(i)];
    for (Eigen::Index j = 1; j < p; ++j) {
      const auto& col = x[static_cast<std::size_t>(j - 1)];
      if (col.size() != y.size()) throw std::invalid_argument("linear_regression: predictor of another length");
      X(i, j) = col[static_cast<std::size_t>(i)];
    }
  }
  const Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(X);
  if (qr.rank() < p) throw std::invalid_argument("linear_regression: predictors are collinear (rank-deficient design)");
  const Eigen::VectorXd beta = qr.solve(Y);
  const Eigen::VectorXd resid = Y - X * beta;
  const double sse = resid.squaredNorm();
  const double ybar = Y.mean();
  const double sst = (Y.array() - ybar).square().sum();
  LinearFit fit;
  fit.n = static_cast<int>(n);
  fit.df_residual = static_cast<int>(n - p);
  const double sigma2 = sse / fit.df_residual;
  fit.residual_se = std::sqrt(sigma2);
  const Eigen::MatrixXd cov = sigma2 * (X.transpose() * X).inverse();
  const double q = student_t_quantile(0.975, fit.df_residual);
  for (Eigen::Index j = 0; j < p; ++j) {
    Coefficient c;
    c.name = j == 0 ? "(intercept)" : names[static_cast<std::size_t>(j - 1)];
    c.estimate = beta[j];
    c.se = std::sqrt(cov(j, j));
    c.t = c.estimate / c.se;
    c.p = student_t_two_sided_p(c.t, fit.df_residual);
    c.ci_low = c.estimate - q * c.se;
    c.ci_high = c.estimate + q * c.se;
    fit.coefficients.push_back(c);
  }
  fit.r_squared = 1.0 - sse / sst;
  fit.adj_r_squared = 1.0 - (1.0 - fit.r_squared) * (static_cast<double>(n) - 1.0) / fit.df_residual;
  const double df_model = static_cast<double>(p - 1);
  fit.f = ((sst - sse) / df_model) / sigma2;
  fit.f_p = f_upper_tail(fit.f, df_model, fit.df_residual);
  return fit;
}

}  // namespace coherence::stats
