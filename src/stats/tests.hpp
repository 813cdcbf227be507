// The hypothesis tests and correlations of the source study and of paired protocol comparisons.
// Each follows the textbook definition that R's function for the same purpose uses (named at
// each function), so results can be checked against R to 1e-6 (tests/stats/test_stats.cpp says
// where every reference value came from). Distributions come from Boost.Math.
#pragma once

#include <array>
#include <span>
#include <vector>

namespace coherence::stats {

// Average ranks (ties share the mean of their positions), 1-based.
std::vector<double> ranks(std::span<const double> x);

struct Correlation {
  double r = 0.0;          // Pearson r or Spearman rho
  double statistic = 0.0;  // t = r sqrt((n - 2) / (1 - r^2))
  double p = 1.0;          // two-sided
  double ci_low = 0.0, ci_high = 0.0;  // 95%, Fisher z (Pearson); NaN for Spearman
  int n = 0;
};
// R: cor.test(x, y): t-test on n - 2 df and a Fisher-z confidence interval.
Correlation pearson(std::span<const double> x, std::span<const double> y);
// R: cor.test(x, y, method = "spearman", exact = FALSE): Pearson on ranks, t approximation.
Correlation spearman(std::span<const double> x, std::span<const double> y);

// Benjamini-Hochberg adjusted p-values (false discovery rate), in the input order.
// R: p.adjust(p, "BH").
std::vector<double> benjamini_hochberg(std::span<const double> p);

struct TestResult {
  double statistic = 0.0;
  double p = 1.0;
  double df = 0.0;                  // where the test has degrees of freedom
  double estimate = 0.0;            // difference of means, odds ratio, ...
  double ci_low = 0.0, ci_high = 0.0;  // 95% where defined
};

// Shapiro-Wilk normality test, Royston's algorithm AS R94 (1995), 3 <= n <= 5000.
// statistic = W. R: shapiro.test(x).
TestResult shapiro_wilk(std::span<const double> x);

// Two-sample t-test; Welch's unequal variances unless `equal_variances`. estimate = mean(x) -
// mean(y). R: t.test(x, y, var.equal = ...).
TestResult t_test(std::span<const double> x, std::span<const double> y, bool equal_variances = false);
// Paired t-test of x - y. R: t.test(x, y, paired = TRUE).
TestResult paired_t_test(std::span<const double> x, std::span<const double> y);

// Wilcoxon rank-sum (Mann-Whitney) test, normal approximation with tie and continuity
// corrections; statistic = W (rank sum of x minus n_x (n_x + 1) / 2).
// R: wilcox.test(x, y, exact = FALSE, correct = TRUE).
TestResult wilcoxon_rank_sum(std::span<const double> x, std::span<const double> y);
// Wilcoxon signed-rank test of x - y (zero differences dropped), normal approximation with tie
// and continuity corrections; statistic = V. R: wilcox.test(x, y, paired = TRUE, exact = FALSE).
TestResult wilcoxon_signed_rank(std::span<const double> x, std::span<const double> y);

// Pearson chi-square test of independence of an r x c table of counts (Yates' continuity
// correction for 2 x 2 when `yates`). R: chisq.test(m, correct = yates).
TestResult chi_square(const std::vector<std::vector<double>>& table, bool yates = true);
// Fisher's exact test of a 2 x 2 table {{a, b}, {c, d}}, two-sided (tables no more probable than
// the observed one). estimate = the sample odds ratio ad / bc. R: fisher.test(m)$p.value.
TestResult fisher_exact(const std::array<std::array<long, 2>, 2>& table);
// McNemar's test of paired binary outcomes: b = yes/no, c = no/yes discordant pairs, with
// continuity correction. R: mcnemar.test(m).
TestResult mcnemar(long b, long c);

// Hodges-Lehmann estimate of the paired shift (median of the Walsh averages of x - y, zero
// differences kept) with its distribution-free 95% interval: the Walsh averages of order C and
// M + 1 - C, M = n(n+1)/2, C = round(n(n+1)/4 - z sqrt(n(n+1)(2n+1)/24)) (Hollander, Wolfe &
// Chicken 2014, Nonparametric Statistical Methods 3rd ed., section 3.2, large-sample C).
// estimate, ci_low, ci_high; statistic = n. Needs n >= 6 (C >= 1).
TestResult hodges_lehmann_paired(std::span<const double> x, std::span<const double> y);

// Risk difference of paired binary outcomes with Newcombe's hybrid score interval (Newcombe 1998,
// Stat Med 17:2635-2650, method 10: Wilson limits of each margin combined with the phi
// correlation of the paired table, phi's numerator ad - bc reduced by n/2 when above it and set
// to 0 between 0 and n/2). Counts: both = events in both, only_x = in x only, only_y = in y only,
// neither. estimate = (only_x - only_y) / n = p_x - p_y; ci_low, ci_high (95%); statistic = n.
TestResult paired_risk_difference(long both, long only_x, long only_y, long neither);

// Quantiles of the distributions used (for confidence intervals elsewhere).
double student_t_quantile(double p, double df);
double normal_quantile(double p);
double chi_square_upper_tail(double x, double df);
double f_upper_tail(double x, double df1, double df2);
double student_t_two_sided_p(double t, double df);

}  // namespace coherence::stats
