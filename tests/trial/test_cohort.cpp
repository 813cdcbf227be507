// Virtual cohorts: the sampled distributions are the declared ones (moments against closed
// forms, within ~4 standard errors), truncation keeps every value in range, correlations come
// through the copula, and a patient is the same whatever the cohort size.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include "trial/cohort.hpp"

using namespace coherence;

namespace {

trial::CohortSpec spec_of(std::vector<trial::CohortVariable> vars, double rho01 = 0.0) {
  trial::CohortSpec s;
  s.variables = std::move(vars);
  const auto n = static_cast<Eigen::Index>(s.variables.size());
  s.correlation = Eigen::MatrixXd::Identity(n, n);
  if (n >= 2) s.correlation(0, 1) = s.correlation(1, 0) = rho01;
  s.cholesky = Eigen::LLT<Eigen::MatrixXd>(s.correlation).matrixL();
  return s;
}

double mean_of(const std::vector<double>& v) {
  double m = 0.0;
  for (double x : v) m += x / static_cast<double>(v.size());
  return m;
}

double sd_of(const std::vector<double>& v) {
  const double m = mean_of(v);
  double s = 0.0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size() - 1));
}

double pearson(const std::vector<double>& a, const std::vector<double>& b) {
  const double ma = mean_of(a), mb = mean_of(b);
  double sab = 0.0, saa = 0.0, sbb = 0.0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    sab += (a[k] - ma) * (b[k] - mb);
    saa += (a[k] - ma) * (a[k] - ma);
    sbb += (b[k] - mb) * (b[k] - mb);
  }
  return sab / std::sqrt(saa * sbb);
}

double npdf(double z) { return std::exp(-0.5 * z * z) / std::sqrt(2.0 * std::numbers::pi); }
double ncdf(double z) { return 0.5 * std::erfc(-z / std::numbers::sqrt2); }

constexpr int kN = 4000;

}  // namespace

TEST_CASE("Truncated normal: mean and bounds as the closed form") {
  trial::CohortVariable age{"patient.age_years", trial::Distribution::kNormal, 64, 14, 0, 0, 40, 80, {}, {}, 0};
  const auto spec = spec_of({age});
  std::vector<double> v;
  for (int id = 1; id <= kN; ++id) v.push_back(trial::sample_patient(spec, 7, id).values[0]);
  // Truncated to [40, 80]: mean = mu + sd (phi(a) - phi(b)) / (Phi(b) - Phi(a)).
  const double a = (40.0 - 64.0) / 14.0, b = (80.0 - 64.0) / 14.0;
  const double expected = 64.0 + 14.0 * (npdf(a) - npdf(b)) / (ncdf(b) - ncdf(a));
  CHECK(mean_of(v) == Approx(expected).margin(4.0 * sd_of(v) / std::sqrt(kN)));
  CHECK(*std::min_element(v.begin(), v.end()) >= 40.0);
  CHECK(*std::max_element(v.begin(), v.end()) <= 80.0);
  // Truncation is a distribution, not a clamp: no pile-up at the bounds.
  CHECK(std::count(v.begin(), v.end(), 40.0) + std::count(v.begin(), v.end(), 80.0) < 3);
}

TEST_CASE("Lognormal: median and log-scale spread, uniform and categorical frequencies") {
  trial::CohortVariable ne{"patient.ne_sensitivity", trial::Distribution::kLognormal, 0, 0, 1.0, 0.7, 0.1, 10, {}, {}, 0};
  trial::CohortVariable sev{"sepsis.severity", trial::Distribution::kUniform, 0, 0, 0, 0, 0.5, 1.0, {}, {}, 0};
  trial::CohortVariable map{"patient.usual_map_mmHg", trial::Distribution::kCategorical, 0, 0, 0, 0, 90, 110,
                            {90, 110}, {0.6, 0.4}, 0};
  const auto spec = spec_of({ne, sev, map});
  std::vector<double> logs, u, cat;
  for (int id = 1; id <= kN; ++id) {
    const auto p = trial::sample_patient(spec, 3, id);
    logs.push_back(std::log(p.values[0]));
    u.push_back(p.values[1]);
    cat.push_back(p.values[2]);
  }
  std::vector<double> sorted = logs;
  std::sort(sorted.begin(), sorted.end());
  CHECK(sorted[kN / 2] == Approx(0.0).margin(0.05));          // median 1 (log 0)
  CHECK(sd_of(logs) == Approx(0.7 * 0.97).epsilon(0.05));      // truncation at 0.1 / 10 trims ~3%
  CHECK(mean_of(u) == Approx(0.75).margin(4.0 * 0.1443 / std::sqrt(kN)));
  CHECK(sd_of(u) == Approx(0.5 / std::sqrt(12.0)).epsilon(0.04));
  const double share110 = static_cast<double>(std::count(cat.begin(), cat.end(), 110.0)) / kN;
  CHECK(share110 == Approx(0.4).margin(4.0 * std::sqrt(0.24 / kN)));
  CHECK(std::count(cat.begin(), cat.end(), 90.0) + std::count(cat.begin(), cat.end(), 110.0) == kN);
}

TEST_CASE("Correlated keys: the copula's correlation comes through") {
  trial::CohortVariable x{"patient.saps2", trial::Distribution::kNormal, 57, 16, 0, 0, -1e6, 1e6, {}, {}, 0};
  trial::CohortVariable y{"patient.age_years", trial::Distribution::kNormal, 64, 14, 0, 0, -1e6, 1e6, {}, {}, 0};
  const auto spec = spec_of({x, y}, 0.5);
  std::vector<double> a, b;
  for (int id = 1; id <= kN; ++id) {
    const auto p = trial::sample_patient(spec, 5, id);
    a.push_back(p.values[0]);
    b.push_back(p.values[1]);
  }
  // Untruncated normals: Pearson r estimates rho with SE (1 - rho^2) / sqrt(n).
  CHECK(pearson(a, b) == Approx(0.5).margin(4.0 * 0.75 / std::sqrt(kN)));
  CHECK(sd_of(a) == Approx(16.0).epsilon(0.05));
}

TEST_CASE("A patient depends on the trial seed and its id only, values are what the CSV says") {
  trial::CohortVariable age{"patient.age_years", trial::Distribution::kNormal, 64, 14, 0, 0, 18, 95, {}, {}, 0};
  const auto spec = spec_of({age});
  const auto p17 = trial::sample_patient(spec, 9, 17);
  CHECK(trial::sample_patient(spec, 9, 17).values == p17.values);
  CHECK(trial::sample_patient(spec, 9, 17).seed == p17.seed);
  CHECK(trial::sample_patient(spec, 10, 17).values != p17.values);
  // The value is rounded to the CSV's digits: parsing the CSV cell gives it back exactly.
  CHECK(std::stod(trial::format_value(p17.values[0])) == p17.values[0]);
  CHECK(trial::format_value(110.0) == "110.0");
  CHECK(trial::format_value(0.000123456789) == "0.000123457");
}
