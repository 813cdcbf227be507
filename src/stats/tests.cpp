#include "stats/tests.hpp"

#include <algorithm>
#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/fisher_f.hpp>
#include <boost/math/distributions/hypergeometric.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace coherence::stats {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double mean(std::span<const double> x) { return std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(x.size()); }

double variance(std::span<const double> x) {
  const double m = mean(x);
  double s = 0.0;
  for (double v : x) s += (v - m) * (v - m);
  return s / static_cast<double>(x.size() - 1);
}

double normal_cdf(double z) { return boost::math::cdf(boost::math::normal(), z); }
double normal_upper(double z) { return boost::math::cdf(boost::math::complement(boost::math::normal(), z)); }

double two_sided_normal_p(double z) { return 2.0 * std::min(normal_cdf(z), normal_upper(z)); }

// Sum over tie groups of (t^3 - t), from sorted values.
double tie_sum(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  double s = 0.0;
  for (std::size_t i = 0; i < v.size();) {
    std::size_t j = i;
    while (j < v.size() && v[j] == v[i]) ++j;
    const double t = static_cast<double>(j - i);
    s += t * t * t - t;
    i = j;
  }
  return s;
}

void require(bool ok, const char* what) {
  if (!ok) throw std::invalid_argument(what);
}

// A polynomial c0 + c1 x + c2 x^2 + ... (coefficients in increasing order).
double polynomial(std::initializer_list<double> c, double x) {
  double acc = 0.0, power = 1.0;
  for (double k : c) {
    acc += k * power;
    power *= x;
  }
  return acc;
}

// t statistic, two-sided p and 95% CI of an estimate with standard error `se` on t.df.
TestResult with_t_inference(TestResult t, double se) {
  t.statistic = t.estimate / se;
  t.p = student_t_two_sided_p(t.statistic, t.df);
  const double q = student_t_quantile(0.975, t.df);
  t.ci_low = t.estimate - q * se;
  t.ci_high = t.estimate + q * se;
  return t;
}

}  // namespace

double student_t_quantile(double p, double df) { return boost::math::quantile(boost::math::students_t(df), p); }
double normal_quantile(double p) { return boost::math::quantile(boost::math::normal(), p); }
double chi_square_upper_tail(double x, double df) {
  if (!std::isfinite(x) || !(df > 0.0)) return std::numeric_limits<double>::quiet_NaN();  // degenerate data
  return x <= 0.0 ? 1.0 : boost::math::cdf(boost::math::complement(boost::math::chi_squared(df), x));
}
double f_upper_tail(double x, double df1, double df2) {
  if (!std::isfinite(x) || !(df1 > 0.0) || !(df2 > 0.0)) return std::numeric_limits<double>::quiet_NaN();
  return x <= 0.0 ? 1.0 : boost::math::cdf(boost::math::complement(boost::math::fisher_f(df1, df2), x));
}
double student_t_two_sided_p(double t, double df) {
  if (!std::isfinite(t)) return std::isnan(t) ? kNaN : 0.0;
  return 2.0 * boost::math::cdf(boost::math::complement(boost::math::students_t(df), std::abs(t)));
}

std::vector<double> ranks(std::span<const double> x) {
  std::vector<std::size_t> order(x.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return x[a] < x[b]; });
  std::vector<double> r(x.size());
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j < order.size() && x[order[j]] == x[order[i]]) ++j;
    const double average = 0.5 * static_cast<double>(i + j + 1);  // positions i+1 .. j
    for (std::size_t k = i; k < j; ++k) r[order[k]] = average;
    i = j;
  }
  return r;
}

Correlation pearson(std::span<const double> x, std::span<const double> y) {
  require(x.size() == y.size() && x.size() >= 3, "pearson: needs two samples of the same size, n >= 3");
  Correlation c;
  c.n = static_cast<int>(x.size());
  const double mx = mean(x), my = mean(y);
  double sxy = 0.0, sxx = 0.0, syy = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  c.r = sxy / std::sqrt(sxx * syy);
  const double df = c.n - 2.0;
  c.statistic = c.r * std::sqrt(df / (1.0 - c.r * c.r));
  c.p = student_t_two_sided_p(c.statistic, df);
  if (c.n > 3) {
    const double z = std::atanh(c.r), se = 1.0 / std::sqrt(c.n - 3.0), q = normal_quantile(0.975);
    c.ci_low = std::tanh(z - q * se);
    c.ci_high = std::tanh(z + q * se);
  } else {
    c.ci_low = c.ci_high = kNaN;
  }
  return c;
}

Correlation spearman(std::span<const double> x, std::span<const double> y) {
  require(x.size() == y.size() && x.size() >= 3, "spearman: needs two samples of the same size, n >= 3");
  const auto rx = ranks(x), ry = ranks(y);
  Correlation c = pearson(rx, ry);
  c.ci_low = c.ci_high = kNaN;
  return c;
}

std::vector<double> benjamini_hochberg(std::span<const double> p) {
  const std::size_t n = p.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return p[a] < p[b]; });
  std::vector<double> adjusted(n);
  double running = 1.0;
  for (std::size_t k = n; k-- > 0;) {
    const double v = p[order[k]] * static_cast<double>(n) / static_cast<double>(k + 1);
    running = std::min(running, v);
    adjusted[order[k]] = std::min(1.0, running);
  }
  return adjusted;
}

TestResult shapiro_wilk(std::span<const double> sample) {
  const std::size_t n = sample.size();
  require(n >= 3 && n <= 5000, "shapiro_wilk: needs 3 <= n <= 5000");
  std::vector<double> x(sample.begin(), sample.end());
  std::sort(x.begin(), x.end());
  require(x.back() - x.front() > 0.0, "shapiro_wilk: all values are identical");
  const double nd = static_cast<double>(n);
  // Coefficients a (antisymmetric: a[n-1-i] = -a[i]), Royston (1992): expected normal order
  // statistics m, normalised, with polynomial corrections of the two most extreme.
  std::vector<double> a(n, 0.0);
  if (n == 3) {
    a[0] = -std::sqrt(0.5);
    a[2] = std::sqrt(0.5);
  } else {
    std::vector<double> m(n);
    double mm = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      m[i] = normal_quantile((static_cast<double>(i + 1) - 0.375) / (nd + 0.25));
      mm += m[i] * m[i];
    }
    const double u = 1.0 / std::sqrt(nd);
    const double an = m[n - 1] / std::sqrt(mm) + polynomial({0.0, 0.221157, -0.147981, -2.071190, 4.434685, -2.706056}, u);
    if (n > 5) {
      const double an1 =
          m[n - 2] / std::sqrt(mm) + polynomial({0.0, 0.042981, -0.293762, -1.752461, 5.682633, -3.582633}, u);
      const double eps = (mm - 2.0 * m[n - 1] * m[n - 1] - 2.0 * m[n - 2] * m[n - 2]) / (1.0 - 2.0 * an * an - 2.0 * an1 * an1);
      for (std::size_t i = 2; i + 2 < n; ++i) a[i] = m[i] / std::sqrt(eps);
      a[n - 1] = an;
      a[0] = -an;
      a[n - 2] = an1;
      a[1] = -an1;
    } else {
      const double eps = (mm - 2.0 * m[n - 1] * m[n - 1]) / (1.0 - 2.0 * an * an);
      for (std::size_t i = 1; i + 1 < n; ++i) a[i] = m[i] / std::sqrt(eps);
      a[n - 1] = an;
      a[0] = -an;
    }
  }
  // W: squared correlation of the ordered sample with the coefficients.
  const double xm = mean(x);
  double num = 0.0, ss = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    num += a[i] * x[i];
    ss += (x[i] - xm) * (x[i] - xm);
  }
  double a_ss = 0.0;
  for (double ai : a) a_ss += ai * ai;
  const double w = std::min(1.0, num * num / (ss * a_ss));
  TestResult t;
  t.statistic = w;
  if (n == 3) {
    t.p = std::max(0.0, 6.0 / M_PI * (std::asin(std::sqrt(w)) - std::asin(std::sqrt(0.75))));
    return t;
  }
  // Royston (1995): a normalising transformation of 1 - W.
  double y = std::log(1.0 - w), mu = 0.0, sigma = 1.0;
  if (n <= 11) {
    const double gamma = -2.273 + 0.459 * nd;
    if (y >= gamma) {
      t.p = 0.0;
      return t;
    }
    y = -std::log(gamma - y);
    mu = polynomial({0.5440, -0.39978, 0.025054, -6.714e-4}, nd);
    sigma = std::exp(polynomial({1.3822, -0.77857, 0.062767, -0.0020322}, nd));
  } else {
    const double ln = std::log(nd);
    mu = polynomial({-1.5861, -0.31082, -0.083751, 0.0038915}, ln);
    sigma = std::exp(polynomial({-0.4803, -0.082676, 0.0030302}, ln));
  }
  t.p = normal_upper((y - mu) / sigma);
  return t;
}

TestResult t_test(std::span<const double> x, std::span<const double> y, bool equal_variances) {
  require(x.size() >= 2 && y.size() >= 2, "t_test: each sample needs n >= 2");
  const double nx = static_cast<double>(x.size()), ny = static_cast<double>(y.size());
  const double vx = variance(x), vy = variance(y);
  TestResult t;
  t.estimate = mean(x) - mean(y);
  double se = 0.0;
  if (equal_variances) {
    t.df = nx + ny - 2.0;
    const double pooled = ((nx - 1.0) * vx + (ny - 1.0) * vy) / t.df;
    se = std::sqrt(pooled * (1.0 / nx + 1.0 / ny));
  } else {
    const double a = vx / nx, b = vy / ny;
    se = std::sqrt(a + b);
    t.df = (a + b) * (a + b) / (a * a / (nx - 1.0) + b * b / (ny - 1.0));
  }
  return with_t_inference(t, se);
}

TestResult paired_t_test(std::span<const double> x, std::span<const double> y) {
  require(x.size() == y.size() && x.size() >= 2, "paired_t_test: needs pairs, n >= 2");
  std::vector<double> d(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) d[i] = x[i] - y[i];
  const double n = static_cast<double>(d.size());
  TestResult t;
  t.estimate = mean(d);
  t.df = n - 1.0;
  return with_t_inference(t, std::sqrt(variance(d) / n));
}

TestResult wilcoxon_rank_sum(std::span<const double> x, std::span<const double> y) {
  require(!x.empty() && !y.empty(), "wilcoxon_rank_sum: empty sample");
  std::vector<double> all(x.begin(), x.end());
  all.insert(all.end(), y.begin(), y.end());
  const auto r = ranks(all);
  const double nx = static_cast<double>(x.size()), ny = static_cast<double>(y.size()), n = nx + ny;
  double rx = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) rx += r[i];
  TestResult t;
  t.statistic = rx - nx * (nx + 1.0) / 2.0;
  const double z = t.statistic - nx * ny / 2.0;
  const double sigma = std::sqrt(nx * ny / 12.0 * ((n + 1.0) - tie_sum(all) / (n * (n - 1.0))));
  const double corrected = (z - (z > 0.0 ? 0.5 : (z < 0.0 ? -0.5 : 0.0))) / sigma;
  t.p = two_sided_normal_p(corrected);
  t.estimate = kNaN;
  return t;
}

TestResult wilcoxon_signed_rank(std::span<const double> x, std::span<const double> y) {
  require(x.size() == y.size(), "wilcoxon_signed_rank: needs pairs");
  std::vector<double> d, ad;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double v = x[i] - y[i];
    if (v != 0.0) {
      d.push_back(v);
      ad.push_back(std::abs(v));
    }
  }
  require(!d.empty(), "wilcoxon_signed_rank: all differences are zero");
  const auto r = ranks(ad);
  const double n = static_cast<double>(d.size());
  TestResult t;
  for (std::size_t i = 0; i < d.size(); ++i) t.statistic += d[i] > 0.0 ? r[i] : 0.0;
  const double z = t.statistic - n * (n + 1.0) / 4.0;
  const double sigma = std::sqrt(n * (n + 1.0) * (2.0 * n + 1.0) / 24.0 - tie_sum(ad) / 48.0);
  const double corrected = (z - (z > 0.0 ? 0.5 : (z < 0.0 ? -0.5 : 0.0))) / sigma;
  t.p = two_sided_normal_p(corrected);
  t.estimate = kNaN;
  return t;
}

TestResult hodges_lehmann_paired(std::span<const double> x, std::span<const double> y) {
  require(x.size() == y.size(), "hodges_lehmann_paired: needs pairs");
  const std::size_t n = x.size();
  std::vector<double> d(n);
  for (std::size_t i = 0; i < n; ++i) d[i] = x[i] - y[i];
  const double nn = static_cast<double>(n);
  const double z = normal_quantile(0.975);
  const double c = std::round(nn * (nn + 1.0) / 4.0 - z * std::sqrt(nn * (nn + 1.0) * (2.0 * nn + 1.0) / 24.0));
  require(c >= 1.0, "hodges_lehmann_paired: too few pairs for a 95% interval (needs 6)");
  std::vector<double> walsh;
  walsh.reserve(n * (n + 1) / 2);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i; j < n; ++j) walsh.push_back(0.5 * (d[i] + d[j]));
  }
  std::sort(walsh.begin(), walsh.end());
  const std::size_t m = walsh.size();
  TestResult t;
  t.statistic = nn;
  t.estimate = m % 2 == 1 ? walsh[m / 2] : 0.5 * (walsh[m / 2 - 1] + walsh[m / 2]);
  const auto k = static_cast<std::size_t>(c);
  t.ci_low = walsh[k - 1];
  t.ci_high = walsh[m - k];
  t.p = kNaN;
  return t;
}

TestResult paired_risk_difference(long both, long only_x, long only_y, long neither) {
  require(both >= 0 && only_x >= 0 && only_y >= 0 && neither >= 0, "paired_risk_difference: negative count");
  const double a = static_cast<double>(both), b = static_cast<double>(only_x), c = static_cast<double>(only_y),
               d = static_cast<double>(neither);
  const double n = a + b + c + d;
  require(n > 0.0, "paired_risk_difference: no pairs");
  const double z = normal_quantile(0.975);
  // Wilson score interval of a proportion k / n.
  auto wilson = [&](double k) {
    const double p = k / n, z2 = z * z;
    const double centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    const double half = z * std::sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n)) / (1.0 + z2 / n);
    return std::pair{centre - half, centre + half};
  };
  const double px = (a + b) / n, py = (a + c) / n;
  const auto [lx, ux] = wilson(a + b);
  const auto [ly, uy] = wilson(a + c);
  const double margins = (a + b) * (c + d) * (a + c) * (b + d);
  double phi = 0.0;
  if (margins > 0.0) {
    const double ad_bc = a * d - b * c;
    const double corrected = ad_bc > n / 2.0 ? ad_bc - n / 2.0 : (ad_bc < 0.0 ? ad_bc : 0.0);
    phi = corrected / std::sqrt(margins);
  }
  TestResult t;
  t.statistic = n;
  t.estimate = px - py;
  t.ci_low = t.estimate - std::sqrt(std::max(0.0, (px - lx) * (px - lx) - 2.0 * phi * (px - lx) * (uy - py) +
                                                  (uy - py) * (uy - py)));
  t.ci_high = t.estimate + std::sqrt(std::max(0.0, (py - ly) * (py - ly) - 2.0 * phi * (py - ly) * (ux - px) +
                                                   (ux - px) * (ux - px)));
  t.p = kNaN;
  return t;
}

TestResult chi_square(const std::vector<std::vector<double>>& table, bool yates) {
  const std::size_t r = table.size();
  require(r >= 2 && table[0].size() >= 2, "chi_square: needs at least a 2 x 2 table");
  const std::size_t c = table[0].size();
  std::vector<double> row(r, 0.0), col(c, 0.0);
  double total = 0.0;
  for (std::size_t i = 0; i < r; ++i) {
    require(table[i].size() == c, "chi_square: ragged table");
    for (std::size_t j = 0; j < c; ++j) {
      row[i] += table[i][j];
      col[j] += table[i][j];
      total += table[i][j];
    }
  }
  TestResult t;
  const bool correct = yates && r == 2 && c == 2;
  for (std::size_t i = 0; i < r; ++i) {
    for (std::size_t j = 0; j < c; ++j) {
      const double e = row[i] * col[j] / total;
      const double dev = std::abs(table[i][j] - e);
      const double adj = correct ? std::max(0.0, dev - std::min(0.5, dev)) : dev;
      t.statistic += adj * adj / e;
    }
  }
  t.df = static_cast<double>((r - 1) * (c - 1));
  t.p = chi_square_upper_tail(t.statistic, t.df);
  return t;
}

TestResult fisher_exact(const std::array<std::array<long, 2>, 2>& m) {
  const long a = m[0][0], b = m[0][1], c = m[1][0], d = m[1][1];
  require(a >= 0 && b >= 0 && c >= 0 && d >= 0, "fisher_exact: negative count");
  const long row1 = a + b, col1 = a + c, total = a + b + c + d;
  require(total > 0, "fisher_exact: empty table");
  // Given the margins, a is hypergeometric: draws = row1, successes = col1, population = total.
  const boost::math::hypergeometric_distribution<double> h(static_cast<unsigned>(col1), static_cast<unsigned>(row1),
                                                           static_cast<unsigned>(total));
  const long lo = std::max(0L, row1 + col1 - total), hi = std::min(row1, col1);
  const double observed = boost::math::pdf(h, static_cast<unsigned>(a));
  double p = 0.0;
  for (long k = lo; k <= hi; ++k) {
    const double pk = boost::math::pdf(h, static_cast<unsigned>(k));
    if (pk <= observed * (1.0 + 1e-7)) p += pk;
  }
  TestResult t;
  t.p = std::min(1.0, p);
  t.statistic = static_cast<double>(a);
  t.estimate = (b == 0 || c == 0) ? std::numeric_limits<double>::infinity()
                                  : static_cast<double>(a) * static_cast<double>(d) / (static_cast<double>(b) * static_cast<double>(c));
  return t;
}

TestResult mcnemar(long b, long c) {
  require(b >= 0 && c >= 0 && b + c > 0, "mcnemar: needs discordant pairs");
  TestResult t;
  const double diff = std::abs(static_cast<double>(b - c)) - 1.0;
  t.statistic = diff * diff / static_cast<double>(b + c);
  t.df = 1.0;
  t.p = chi_square_upper_tail(t.statistic, 1.0);
  return t;
}

}  // namespace coherence::stats
