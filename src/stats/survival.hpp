// Survival analysis: Kaplan-Meier estimates with Greenwood standard errors, the log-rank test,
// and Cox proportional hazards (Efron's handling of tied death times, Newton-Raphson).
// R: survfit(Surv(time, event) ~ 1) (conf.type = "log"), survdiff(), coxph().
#pragma once

#include <span>
#include <string>
#include <vector>

namespace coherence::stats {

struct KaplanMeierStep {
  double time = 0.0;
  int at_risk = 0, events = 0, censored = 0;
  double survival = 1.0, se = 0.0;         // Greenwood SE of S(t)
  double ci_low = 0.0, ci_high = 0.0;      // 95%, on the log scale (R's default), capped at 1
};
// One step per distinct time (events or censorings), in time order. event = 1 death, 0 censored.
std::vector<KaplanMeierStep> kaplan_meier(std::span<const double> time, std::span<const int> event);

struct LogRank {
  double chi_square = 0.0, p = 1.0;
  int df = 0;
  std::vector<double> observed, expected;  // per group, in group order 0..G-1
};
// Groups are 0..G-1.
LogRank log_rank(std::span<const double> time, std::span<const int> event, std::span<const int> group);

struct CoxTerm {
  std::string name;
  double beta = 0.0, se = 0.0, z = 0.0, p = 1.0;
  double hazard_ratio = 1.0, hr_ci_low = 0.0, hr_ci_high = 0.0;  // 95%, Wald
  // Monotone likelihood: the log-likelihood converged while this coefficient was still heading
  // to +-infinity (e.g. no events in one level of a binary covariate). Its estimate, SE and CI
  // are then meaningless. Detected as R's coxph does: the Newton step left at the end, |I^-1 U|,
  // exceeds 1e-9 and sqrt(1e-9) |beta|.
  bool possibly_infinite = false;
};
struct CoxFit {
  std::vector<CoxTerm> terms;
  double log_likelihood = 0.0, log_likelihood_null = 0.0;
  double lr_chi_square = 0.0, lr_p = 1.0;  // likelihood-ratio test of all terms
  int n = 0, events = 0, iterations = 0;
  bool converged = false;
};
// Covariates as columns (each of length n). `strata` (empty, or one integer per row): a
// stratified model, each stratum with its own baseline hazard, the risk sets within the stratum
// (R: coxph(Surv(time, event) ~ x + strata(s))). With pairs as strata and one binary covariate,
// beta = ln(a / b), a and b the pairs in which the x = 1 or the x = 0 member fails first while the
// other is still at risk, SE = sqrt(1/a + 1/b) (the conditional likelihood of matched pairs).
CoxFit cox_ph(std::span<const double> time, std::span<const int> event, const std::vector<std::vector<double>>& x,
              const std::vector<std::string>& names, std::span<const int> strata = {});

}  // namespace coherence::stats
