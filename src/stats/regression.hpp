// Ordinary least-squares linear regression (univariable and multivariable) with the usual
// inference: standard errors, t-tests, 95% confidence intervals, R^2 and the overall F-test.
// R: summary(lm(y ~ x1 + x2 + ...)) and confint().
#pragma once

#include <span>
#include <string>
#include <vector>

namespace coherence::stats {

struct Coefficient {
  std::string name;
  double estimate = 0.0, se = 0.0, t = 0.0, p = 1.0, ci_low = 0.0, ci_high = 0.0;
};

struct LinearFit {
  std::vector<Coefficient> coefficients;  // "(intercept)" first
  double r_squared = 0.0, adj_r_squared = 0.0;
  double residual_se = 0.0;
  double f = 0.0, f_p = 1.0;
  int n = 0, df_residual = 0;
};

// y on the columns `x` (each of length n) with an intercept. Throws std::invalid_argument when the
// design is rank-deficient or has too few rows.
LinearFit linear_regression(std::span<const double> y, const std::vector<std::vector<double>>& x,
                            const std::vector<std::string>& names);

}  // namespace coherence::stats
