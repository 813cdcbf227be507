#include "trial/cohort.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <cstdlib>

#include "model/random.hpp"

namespace coherence::trial {

namespace {

constexpr std::uint64_t kPurposeCohort = 21;
constexpr std::uint64_t kPurposeNetworkSeed = 22;

double phi(double z) { return boost::math::cdf(boost::math::normal(), z); }
double phi_inv(double u) { return boost::math::quantile(boost::math::normal(), u); }

// Rounds to the 6 significant digits of format_value (what the CSV and the scenario see).
double rounded(double v) { return std::strtod(format_value(v).c_str(), nullptr); }

// The variable's value at copula uniform u in (0, 1): its inverse CDF, truncated to [min, max]
// by mapping u into the CDF's range there (a truncated distribution, not a clamp).
double inverse_cdf(const CohortVariable& v, double u) {
  switch (v.distribution) {
    case Distribution::kNormal: {
      const double lo = phi((v.min - v.mean) / v.sd), hi = phi((v.max - v.mean) / v.sd);
      return v.mean + v.sd * phi_inv(lo + u * (hi - lo));
    }
    case Distribution::kLognormal: {
      const double m = std::log(v.median);
      const double lo = phi((std::log(v.min) - m) / v.sd_log), hi = phi((std::log(v.max) - m) / v.sd_log);
      return std::exp(m + v.sd_log * phi_inv(lo + u * (hi - lo)));
    }
    case Distribution::kUniform:
      return v.min + u * (v.max - v.min);
    case Distribution::kCategorical: {
      double total = 0.0;
      for (double w : v.weights) total += w;
      double acc = 0.0;
      for (std::size_t k = 0; k < v.values.size(); ++k) {
        acc += v.weights[k] / total;
        if (u < acc) return v.values[k];
      }
      return v.values.back();
    }
  }
  return 0.0;
}

}  // namespace

std::string format_value(double v) {
  std::string s = fmt::format("{:.6g}", v);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

Patient sample_patient(const CohortSpec& spec, std::uint64_t trial_seed, int id) {
  Patient p;
  p.id = id;
  model::Rng seeds = model::Rng::stream(trial_seed, static_cast<std::uint64_t>(id), kPurposeNetworkSeed);
  p.seed = seeds.next() % 2147483647ULL;  // scenario.seed's range
  model::Rng rng = model::Rng::stream(trial_seed, static_cast<std::uint64_t>(id), kPurposeCohort);
  const auto n = static_cast<Eigen::Index>(spec.variables.size());
  Eigen::VectorXd z(n);
  for (Eigen::Index k = 0; k < n; ++k) z[k] = rng.normal();
  const Eigen::VectorXd correlated = spec.cholesky.rows() == n ? Eigen::VectorXd(spec.cholesky * z) : z;
  for (Eigen::Index k = 0; k < n; ++k) {
    // Uniform of the copula, kept strictly inside (0, 1).
    const double u = std::clamp(phi(correlated[k]), 1e-12, 1.0 - 1e-12);
    p.values.push_back(rounded(inverse_cdf(spec.variables[static_cast<std::size_t>(k)], u)));
  }
  return p;
}

std::string cohort_csv_header(const CohortSpec& spec) {
  std::string h = "patient_id,seed";
  for (const auto& v : spec.variables) h += "," + v.key;
  return h + "\n";
}

std::string cohort_csv_row(const Patient& p) {
  std::string r = fmt::format("{},{}", p.id, p.seed);
  for (double v : p.values) {
    r += ',';
    r += format_value(v);
  }
  return r + "\n";
}

}  // namespace coherence::trial
