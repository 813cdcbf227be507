// Statistics against reference values computed independently in R 4.2.2 (with its survival
// package) by tests/stats/reference.R on the same fixed data; every value agrees to a relative
// 1e-6 (R printed 12 significant digits).
#include <catch2/catch.hpp>
#include <array>
#include <vector>

#include "stats/piecewise.hpp"
#include "stats/regression.hpp"
#include "stats/survival.hpp"
#include "stats/tests.hpp"

using namespace coherence;

namespace {

const std::vector<double> x = {0.12, 0.35, 0.41, 0.58, 0.66, 0.72, 0.81, 0.95,
                               1.10, 1.32, 1.45, 1.61, 1.80, 2.05, 0.27, 0.50};
const std::vector<double> y = {2.90, 2.80, 2.70, 2.75, 2.50, 2.60, 2.20, 1.90,
                               1.70, 1.50, 1.60, 1.10, 1.00, 0.80, 3.00, 2.65};
const std::vector<double> z = {55, 61, 48, 70, 66, 52, 75, 80, 58, 69, 90, 72, 85, 77, 50, 63};
const std::vector<double> yt = {2.90, 2.80, 2.70, 2.70, 2.50, 2.60, 2.20, 1.90,
                                1.70, 1.50, 1.60, 1.10, 1.00, 0.80, 3.00, 2.60};

Approx R(double v) { return Approx(v).epsilon(1e-6).margin(1e-12); }

std::vector<double> part(const std::vector<double>& v, std::size_t from, std::size_t to) {
  return {v.begin() + static_cast<long>(from), v.begin() + static_cast<long>(to)};
}

}  // namespace

TEST_CASE("Pearson and Spearman correlations match R's cor.test") {
  const auto p = stats::pearson(x, y);
  CHECK(p.r == R(-0.981771383168));
  CHECK(p.statistic == R(-19.3272806211));
  CHECK(p.p == R(1.70905353372e-11));
  CHECK(p.ci_low == R(-0.99381665158));
  CHECK(p.ci_high == R(-0.946886792981));
  const auto s = stats::spearman(x, yt);  // with ties: average ranks
  CHECK(s.r == R(-0.982328016737));
  CHECK(s.p == R(1.37757701137e-11));
}

TEST_CASE("Benjamini-Hochberg matches R's p.adjust(p, 'BH')") {
  const auto a = stats::benjamini_hochberg(std::vector<double>{0.01, 0.04, 0.03, 0.20, 0.001, 0.5, 0.049});
  const std::vector<double> expected = {0.035, 0.0686, 0.0686, 0.233333333333, 0.007, 0.5, 0.0686};
  for (std::size_t k = 0; k < a.size(); ++k) CHECK(a[k] == R(expected[k]));
}

TEST_CASE("Shapiro-Wilk matches R's shapiro.test (n = 8, 16, 19)") {
  auto sw = stats::shapiro_wilk(y);
  CHECK(sw.statistic == R(0.900972611635));
  CHECK(sw.p == R(0.0833043672862));
  sw = stats::shapiro_wilk(part(y, 0, 8));
  CHECK(sw.statistic == R(0.894129854671));
  CHECK(sw.p == R(0.255535432965));
  std::vector<double> z19 = z;
  z19.insert(z19.end(), {120, 130, 41});
  sw = stats::shapiro_wilk(z19);
  CHECK(sw.statistic == R(0.891340823887));
  CHECK(sw.p == R(0.0340097336327));
}

TEST_CASE("t-tests match R's t.test (Welch, Student, paired)") {
  const auto a = part(y, 0, 8), b = part(y, 8, 16);
  auto t = stats::t_test(a, b);
  CHECK(t.statistic == R(2.90177142496));
  CHECK(t.df == R(9.51214763818));
  CHECK(t.p == R(0.0165889579191));
  CHECK(t.ci_low == R(0.198426901876));
  CHECK(t.ci_high == R(1.55157309812));
  t = stats::t_test(a, b, true);
  CHECK(t.df == 14.0);
  CHECK(t.p == R(0.0116013685989));
  CHECK(t.ci_low == R(0.228261137047));
  CHECK(t.ci_high == R(1.52173886295));
  t = stats::paired_t_test(part(x, 0, 8), part(x, 8, 16));
  CHECK(t.statistic == R(-2.63052528617));
  CHECK(t.p == R(0.0338867351456));
  CHECK(t.ci_low == R(-1.30550552974));
  CHECK(t.ci_high == R(-0.0694944702614));
}

TEST_CASE("Wilcoxon tests match R's wilcox.test (normal approximation, ties, continuity)") {
  auto w = stats::wilcoxon_rank_sum(part(yt, 0, 8), part(yt, 8, 16));
  CHECK(w.statistic == R(52.5));
  CHECK(w.p == R(0.0354207047832));
  w = stats::wilcoxon_signed_rank(part(yt, 0, 8), part(yt, 8, 16));
  CHECK(w.statistic == R(33.0));
  CHECK(w.p == R(0.0423152749057));
}

TEST_CASE("Chi-square, Fisher and McNemar match R") {
  const std::vector<std::vector<double>> m = {{12, 5}, {7, 16}};
  auto c = stats::chi_square(m);
  CHECK(c.statistic == R(4.81228647065));
  CHECK(c.p == R(0.0282575285264));
  c = stats::chi_square(m, false);
  CHECK(c.statistic == R(6.31989180111));
  CHECK(c.p == R(0.0119390913779));
  c = stats::chi_square({{10, 20, 30}, {25, 15, 12}});
  CHECK(c.statistic == R(14.358974359));
  CHECK(c.df == 2.0);
  CHECK(c.p == R(0.000762058541215));
  CHECK(stats::fisher_exact({{{12, 5}, {7, 16}}}).p == R(0.0238368958502));
  CHECK(stats::fisher_exact({{{3, 1}, {1, 3}}}).p == R(0.485714285714));
  // R: mcnemar.test(matrix(c(20, 9, 3, 18), 2)): discordant cells 3 and 9.
  const auto mc = stats::mcnemar(3, 9);
  CHECK(mc.statistic == R(2.08333333333));
  CHECK(mc.p == R(0.148914673179));
}

TEST_CASE("Linear regression matches R's lm, summary and confint") {
  auto f = stats::linear_regression(y, {x}, {"x"});
  CHECK(f.coefficients[0].estimate == R(3.25122115684));
  CHECK(f.coefficients[1].estimate == R(-1.24622710948));
  CHECK(f.coefficients[0].se == R(0.0694592839663));
  CHECK(f.coefficients[1].se == R(0.0644802098089));
  CHECK(f.coefficients[1].t == R(-19.3272806211));
  CHECK(f.coefficients[0].p == R(8.73861353799e-17));
  CHECK(f.coefficients[1].p == R(1.70905353372e-11));
  CHECK(f.coefficients[0].ci_low == R(3.10224580924));
  CHECK(f.coefficients[1].ci_low == R(-1.38452340512));
  CHECK(f.coefficients[0].ci_high == R(3.40019650444));
  CHECK(f.coefficients[1].ci_high == R(-1.10793081385));
  CHECK(f.r_squared == R(0.963875048809));
  CHECK(f.adj_r_squared == R(0.961294695152));
  CHECK(f.f == R(373.543776206));
  f = stats::linear_regression(y, {x, z}, {"x", "z"});
  CHECK(f.coefficients[1].estimate == R(-1.26398790944));
  CHECK(f.coefficients[2].estimate == R(0.00113562642992));
  CHECK(f.coefficients[2].se == R(0.00444902486142));
  CHECK(f.coefficients[2].p == R(0.802521632993));
  CHECK(f.coefficients[2].ci_low == R(-0.00847590743251));
  CHECK(f.coefficients[2].ci_high == R(0.0107471602924));
  CHECK(f.r_squared == R(0.96405519872));
  CHECK(f.residual_se == R(0.150155659987));
}

TEST_CASE("Piecewise regression: breakpoint, coefficients and profile interval match a brute-force R search") {
  const auto p = stats::piecewise_linear_fit(x, y);
  CHECK(p.breakpoint == R(0.313));
  CHECK(p.intercept == R(2.92955620257));
  CHECK(p.slope_below == R(-0.0769417257974));
  CHECK(p.slope_above == R(-0.0769417257974 - 1.21291860111));
  CHECK(p.sse == R(0.251812677648));
  CHECK(p.ci_low == R(0.313));
  CHECK(p.ci_high == R(1.853));
  CHECK(p.ci_at_search_edge);  // these data have no clear kink: the interval spans the search
}

namespace {
const std::vector<double> surv_time = {2, 3, 3, 5, 6, 7, 8, 8, 10, 12, 14, 15, 17, 20, 22, 25, 28, 28, 28, 28};
const std::vector<int> event = {1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 0, 1, 0, 0, 0, 0};
const std::vector<int> grp = {1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0};
const std::vector<double> lac = {6.1, 5.0, 2.2, 4.8, 3.9, 2.5, 4.4, 3.0, 3.6, 1.8,
                                 2.9, 3.3, 1.5, 2.4, 2.0, 2.8, 1.2, 1.9, 1.4, 1.1};
}  // namespace

TEST_CASE("Kaplan-Meier matches R's survfit (Greenwood SE, log-scale CI)") {
  const auto km = stats::kaplan_meier(surv_time, event);
  const std::vector<double> t = {2, 3, 5, 6, 7, 8, 10, 12, 14, 15, 17, 20, 22, 25, 28};
  const std::vector<double> s = {0.95, 0.9, 0.847058823529, 0.794117647059, 0.794117647059, 0.680672268908,
                                 0.623949579832, 0.623949579832, 0.561554621849, 0.499159663866, 0.499159663866,
                                 0.427851140456, 0.427851140456, 0.342280912365, 0.342280912365};
  const std::vector<double> se = {0.048733971724, 0.067082039325, 0.0813883199236, 0.0919212797843, 0.0919212797843,
                                  0.108274943931, 0.113138443267, 0.113138443267, 0.117779737871, 0.120088325625,
                                  0.120088325625, 0.122285167364, 0.122285167364, 0.124210124101, 0.124210124101};
  const std::vector<double> lo = {0.859128027736, 0.777674202196, 0.701660783491, 0.632930393222, 0.632930393222,
                                  0.49835282003,  0.437325000092, 0.437325000092, 0.372273479633, 0.311498940937,
                                  0.311498940937, 0.244347964711, 0.244347964711, 0.168070170568, 0.168070170568};
  const std::vector<double> hi = {1, 1, 1, 0.996354171207, 0.996354171207, 0.929692216114, 0.890214550027,
                                  0.890214550027, 0.847075095521, 0.799875496464, 0.799875496464, 0.749163589745,
                                  0.749163589745, 0.697067317616, 0.697067317616};
  REQUIRE(km.size() == t.size());
  for (std::size_t k = 0; k < km.size(); ++k) {
    INFO("t = " << t[k]);
    CHECK(km[k].time == t[k]);
    CHECK(km[k].survival == R(s[k]));
    CHECK(km[k].se == R(se[k]));
    CHECK(km[k].ci_low == R(lo[k]));
    CHECK(km[k].ci_high == R(hi[k]));
  }
  CHECK(km[0].at_risk == 20);
  CHECK(km.back().at_risk == 4);
}

TEST_CASE("Log-rank matches R's survdiff (2 and 3 groups)") {
  const auto lr = stats::log_rank(surv_time, event, grp);
  CHECK(lr.chi_square == R(4.57541248438));
  CHECK(lr.p == R(0.0324339365005));
  CHECK(lr.observed[0] == 4.0);
  CHECK(lr.observed[1] == 7.0);
  CHECK(lr.expected[0] == R(7.28662710698));
  CHECK(lr.expected[1] == R(3.71337289302));
  const std::vector<int> g3 = {0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1};
  const auto lr3 = stats::log_rank(surv_time, event, g3);
  CHECK(lr3.df == 2);
  CHECK(lr3.chi_square == R(0.736800783353));
  CHECK(lr3.p == R(0.691840119201));
}

TEST_CASE("Cox proportional hazards matches R's coxph (Efron ties)") {
  std::vector<double> g(grp.begin(), grp.end());
  const auto cx = stats::cox_ph(surv_time, event, {g, lac}, {"group", "lactate"});
  REQUIRE(cx.converged);
  CHECK(cx.terms[0].beta == R(0.175595866717));
  CHECK(cx.terms[1].beta == R(2.54249778722));
  CHECK(cx.terms[0].se == R(0.891227433509));
  CHECK(cx.terms[1].se == R(0.69819078359));
  CHECK(cx.terms[0].p == R(0.843806409679));
  CHECK(cx.terms[1].p == R(0.000270999759147));
  CHECK(cx.terms[0].hr_ci_low == R(0.207800289948));
  CHECK(cx.terms[1].hr_ci_low == R(3.23512962613));
  CHECK(cx.terms[0].hr_ci_high == R(6.8371401565));
  CHECK(cx.terms[1].hr_ci_high == R(49.9452086414));
  CHECK(cx.log_likelihood_null == R(-27.2900443877));
  CHECK(cx.log_likelihood == R(-10.748346598));
  CHECK(cx.lr_chi_square == R(33.0833955794));
  CHECK_FALSE(cx.terms[0].possibly_infinite);
  CHECK_FALSE(cx.terms[1].possibly_infinite);
}

TEST_CASE("Cox flags a coefficient that diverges (monotone likelihood), as R's coxph warns") {
  // No event among the exposed: the exposure's log-hazard ratio goes to -infinity. R 4.2's
  // coxph(Surv(t, e) ~ x) stops at beta -21.2 with "Ran out of iterations and did not converge".
  const std::vector<double> t = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  const std::vector<int> e = {1, 0, 1, 0, 1, 0, 1, 0, 1, 0};
  const std::vector<double> exposed = {0, 1, 0, 1, 0, 1, 0, 1, 0, 1};
  const auto cx = stats::cox_ph(t, e, {exposed}, {"exposed"});
  CHECK(cx.terms[0].possibly_infinite);
  CHECK(cx.terms[0].beta < -5.0);
  // One death among the exposed early on (time 2, with others at risk): finite, not flagged.
  std::vector<int> e2 = e;
  e2[1] = 1;
  const auto finite = stats::cox_ph(t, e2, {exposed}, {"exposed"});
  CHECK_FALSE(finite.terms[0].possibly_infinite);
  CHECK(finite.terms[0].beta == R(-1.64895898792));  // R 4.2 coxph, Efron ties
  CHECK(finite.terms[0].se == R(1.09602417093));
}

TEST_CASE("Statistics refuse what they cannot compute") {
  CHECK_THROWS(stats::pearson(std::vector<double>{1, 2}, std::vector<double>{1, 2}));
  CHECK_THROWS(stats::shapiro_wilk(std::vector<double>{3, 3, 3, 3}));
  CHECK_THROWS(stats::linear_regression(y, {x, x}, {"x", "x again"}));  // collinear
  CHECK_THROWS(stats::kaplan_meier(std::vector<double>{1, -2}, std::vector<int>{1, 0}));
  CHECK_THROWS(stats::cox_ph(surv_time, event, {std::vector<double>(surv_time.size(), 0.0)}, {"constant"}));
}

// Paired statistics of issue 25: references printed by tests/stats/reference.R (R 4.2.2, survival
// 3.5-3: coxph with strata(), Newcombe's method 10 written out in R, Walsh averages with
// their order statistics), to 12 significant digits; tests/stats/reference_paired.py, an independent Python
// route, agrees with R to < 2e-9.
TEST_CASE("Paired risk difference: Newcombe's method 10 matches R") {
  struct Case {
    long a, b, c, d;
    double est, lo, hi;
  };
  const Case cases[] = {{10, 15, 5, 20, 0.2, 0.0258384165493, 0.356936571659},
                        {3, 9, 2, 36, 0.14, 0.00641082152217, 0.274566156445},
                        {0, 4, 1, 45, 0.06, -0.0395564980114, 0.170308779566},
                        {20, 0, 0, 30, 0.0, -0.040380331583, 0.040380331583}};
  for (const auto& k : cases) {
    const auto r = stats::paired_risk_difference(k.a, k.b, k.c, k.d);
    CHECK(r.estimate == R(k.est));
    CHECK(r.ci_low == R(k.lo));
    CHECK(r.ci_high == R(k.hi));
  }
  // No discordant pair: the interval still has width (Wald's would be [0, 0]).
  const auto none = stats::paired_risk_difference(20, 0, 0, 30);
  CHECK(none.ci_high - none.ci_low > 0.08);
  CHECK_THROWS_AS(stats::paired_risk_difference(0, 0, 0, 0), std::invalid_argument);
}

TEST_CASE("Cox stratified by pair: beta = ln(a/b), SE = sqrt(1/a + 1/b), as the matched-pairs likelihood gives") {
  // 8 pairs: the arm-1 member fails first in 4 (a), the arm-0 member in 3 (b), one pair has no
  // event. Exact: beta = ln(4/3) = 0.287682072452, SE = sqrt(1/4 + 1/3) = 0.763762615826.
  const std::vector<double> t = {5, 9, 28, 3, 12, 7, 28, 28, 2, 4, 15, 28, 6, 6.5, 20, 11};
  const std::vector<int> e = {1, 1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 1};
  const std::vector<double> arm = {1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0};
  const std::vector<int> pair = {1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8};
  const auto cx = stats::cox_ph(t, e, {arm}, {"arm"}, pair);
  CHECK(cx.converged);
  CHECK(cx.terms[0].beta == R(std::log(4.0 / 3.0)));
  CHECK(cx.terms[0].se == R(std::sqrt(1.0 / 4.0 + 1.0 / 3.0)));
  CHECK(cx.log_likelihood == R(-4.7803567329));
  CHECK(cx.log_likelihood_null == R(-4.85203026392));
  // Treating the 16 rows as independent gives another answer (the defect the strata remove).
  const auto flat = stats::cox_ph(t, e, {arm}, {"arm"});
  CHECK(std::abs(flat.terms[0].beta - cx.terms[0].beta) > 0.05);
}

TEST_CASE("Cox with strata of 3, a continuous covariate and tied deaths (Efron) matches R's coxph") {
  const std::vector<double> t = {2, 4, 4, 3, 8, 10, 5, 5, 9, 1, 6, 7};
  const std::vector<int> e = {1, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1};
  const std::vector<double> x = {1.2, 0.4, 0.9, 2.0, 0.1, 0.7, 1.5, 0.3, 0.2, 1.8, 1.1, 0.6};
  const std::vector<int> s = {1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4};
  const auto cx = stats::cox_ph(t, e, {x}, {"x"}, s);
  CHECK(cx.terms[0].beta == R(1.67630160737));
  CHECK(cx.terms[0].se == R(0.906043397253));
  CHECK(cx.log_likelihood == R(-4.20434113476));
  CHECK(cx.log_likelihood_null == R(-6.47389069635));
  // No stratum with an informative event: refused with a reason, not a NaN.
  const std::vector<int> e0 = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  CHECK_THROWS_AS(stats::cox_ph(t, e0, {x}, {"x"}, s), std::invalid_argument);
}

TEST_CASE("Hodges-Lehmann paired shift and its distribution-free interval match R") {
  const std::vector<double> a = {0.31, 0.42, 0.18, 0.55, 0.27, 0.39, 0.61, 0.22, 0.35, 0.48};
  const std::vector<double> b = {0.36, 0.40, 0.25, 0.60, 0.33, 0.38, 0.70, 0.21, 0.41, 0.52};
  const auto r = stats::hodges_lehmann_paired(a, b);
  CHECK(r.estimate == R(-0.04));
  CHECK(r.ci_low == R(-0.065));
  CHECK(r.ci_high == R(-0.015));
  CHECK_THROWS_AS(stats::hodges_lehmann_paired(part(a, 0, 5), part(b, 0, 5)), std::invalid_argument);
}
