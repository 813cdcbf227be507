#include "stats/survival.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "stats/tests.hpp"

namespace coherence::stats {

namespace {

std::vector<std::size_t> order_by_time(std::span<const double> time) {
  std::vector<std::size_t> o(time.size());
  std::iota(o.begin(), o.end(), 0);
  std::stable_sort(o.begin(), o.end(), [&](std::size_t a, std::size_t b) { return time[a] < time[b]; });
  return o;
}

void check_inputs(std::span<const double> time, std::span<const int> event) {
  if (time.size() != event.size() || time.empty()) throw std::invalid_argument("survival: time and event differ in length");
  for (std::size_t i = 0; i < time.size(); ++i) {
    if (!(time[i] >= 0.0) || (event[i] != 0 && event[i] != 1)) {
      throw std::invalid_argument("survival: times must be >= 0 and events 0 or 1");
    }
  }
}

}  // namespace

std::vector<KaplanMeierStep> kaplan_meier(std::span<const double> time, std::span<const int> event) {
  check_inputs(time, event);
  const auto o = order_by_time(time);
  std::vector<KaplanMeierStep> out;
  double s = 1.0, greenwood = 0.0;
  const double z = normal_quantile(0.975);
  int at_risk = static_cast<int>(time.size());
  for (std::size_t i = 0; i < o.size();) {
    KaplanMeierStep k;
    k.time = time[o[i]];
    std::size_t j = i;
    while (j < o.size() && time[o[j]] == k.time) {
      (event[o[j]] ? k.events : k.censored) += 1;
      ++j;
    }
    k.at_risk = at_risk;
    if (k.events > 0) {
      s *= 1.0 - static_cast<double>(k.events) / at_risk;
      if (at_risk > k.events) {
        greenwood += static_cast<double>(k.events) / (static_cast<double>(at_risk) * (at_risk - k.events));
      } else {
        greenwood = std::numeric_limits<double>::infinity();
      }
    }
    k.survival = s;
    k.se = s * std::sqrt(greenwood);
    if (s > 0.0 && std::isfinite(greenwood)) {
      k.ci_low = std::exp(std::log(s) - z * std::sqrt(greenwood));
      k.ci_high = std::min(1.0, std::exp(std::log(s) + z * std::sqrt(greenwood)));
    } else {
      k.ci_low = k.ci_high = std::numeric_limits<double>::quiet_NaN();
    }
    out.push_back(k);
    at_risk -= static_cast<int>(j - i);
    i = j;
  }
  return out;
}

LogRank log_rank(std::span<const double> time, std::span<const int> event, std::span<const int> group) {
  check_inputs(time, event);
  if (group.size() != time.size()) throw std::invalid_argument("log_rank: group differs in length");
  const int g = *std::max_element(group.begin(), group.end()) + 1;
  if (g < 2 || *std::min_element(group.begin(), group.end()) < 0) throw std::invalid_argument("log_rank: needs groups 0..G-1, G >= 2");
  LogRank r;
  r.df = g - 1;
  r.observed.assign(static_cast<std::size_t>(g), 0.0);
  r.expected.assign(static_cast<std::size_t>(g), 0.0);
  Eigen::MatrixXd v = Eigen::MatrixXd::Zero(g, g);
  std::vector<double> at_risk(static_cast<std::size_t>(g), 0.0);
  for (int k : group) at_risk[static_cast<std::size_t>(k)] += 1.0;
  const auto o = order_by_time(time);
  for (std::size_t i = 0; i < o.size();) {
    std::size_t j = i;
    std::vector<double> deaths(static_cast<std::size_t>(g), 0.0), leaving(static_cast<std::size_t>(g), 0.0);
    while (j < o.size() && time[o[j]] == time[o[i]]) {
      const auto k = static_cast<std::size_t>(group[o[j]]);
      deaths[k] += event[o[j]];
      leaving[k] += 1.0;
      ++j;
    }
    const double n = std::accumulate(at_risk.begin(), at_risk.end(), 0.0);
    const double d = std::accumulate(deaths.begin(), deaths.end(), 0.0);
    if (d > 0.0) {
      for (int a = 0; a < g; ++a) {
        const auto ua = static_cast<std::size_t>(a);
        r.observed[ua] += deaths[ua];
        r.expected[ua] += d * at_risk[ua] / n;
        if (n > 1.0) {
          for (int b = 0; b < g; ++b) {
            const double share_b = at_risk[static_cast<std::size_t>(b)] / n;
            v(a, b) += d * (n - d) / (n - 1.0) * (at_risk[ua] / n) * ((a == b ? 1.0 : 0.0) - share_b);
          }
        }
      }
    }
    for (int a = 0; a < g; ++a) at_risk[static_cast<std::size_t>(a)] -= leaving[static_cast<std::size_t>(a)];
    i = j;
  }
  Eigen::VectorXd diff(g - 1);
  for (int a = 0; a < g - 1; ++a) diff[a] = r.observed[static_cast<std::size_t>(a)] - r.expected[static_cast<std::size_t>(a)];
  const Eigen::MatrixXd vr = v.topLeftCorner(g - 1, g - 1);
  r.chi_square = diff.dot(vr.ldlt().solve(diff));
  r.p = chi_square_upper_tail(r.chi_square, r.df);
  return r;
}

CoxFit cox_ph(std::span<const double> time, std::span<const int> event, const std::vector<std::vector<double>>& x,
              const std::vector<std::string>& names, std::span<const int> strata) {
  if (!strata.empty() && strata.size() != time.size()) throw std::invalid_argument("cox_ph: one stratum per row");
  auto stratum = [&](std::size_t i) { return strata.empty() ? 0 : strata[i]; };
  check_inputs(time, event);
  const auto p = static_cast<Eigen::Index>(x.size());
  if (p == 0 || names.size() != x.size()) throw std::invalid_argument("cox_ph: needs covariates, one name each");
  const auto n = static_cast<Eigen::Index>(time.size());
  Eigen::MatrixXd X(n, p);
  for (Eigen::Index j = 0; j < p; ++j) {
    if (x[static_cast<std::size_t>(j)].size() != time.size()) throw std::invalid_argument("cox_ph: covariate of another length");
    for (Eigen::Index i = 0; i < n; ++i) X(i, j) = x[static_cast<std::size_t>(j)][static_cast<std::size_t>(i)];
    if (X.col(j).maxCoeff() == X.col(j).minCoeff()) {
      throw std::invalid_argument("cox_ph: covariate '" + names[static_cast<std::size_t>(j)] + "' is constant");
    }
  }
  // By stratum, then descending time: the risk set of each time is everyone of the stratum seen
  // so far plus its own ties.
  std::vector<std::size_t> o(time.size());
  std::iota(o.begin(), o.end(), 0);
  std::stable_sort(o.begin(), o.end(), [&](std::size_t a, std::size_t b) {
    return stratum(a) != stratum(b) ? stratum(a) < stratum(b) : time[a] > time[b];
  });

  // Log partial likelihood (Efron), score and information at beta.
  auto evaluate = [&](const Eigen::VectorXd& beta, Eigen::VectorXd* score, Eigen::MatrixXd* info) {
    double ll = 0.0;
    if (score) score->setZero(p);
    if (info) info->setZero(p, p);
    double s0 = 0.0;
    Eigen::VectorXd s1 = Eigen::VectorXd::Zero(p);
    Eigen::MatrixXd s2 = Eigen::MatrixXd::Zero(p, p);
    for (std::size_t i = 0; i < o.size();) {
      if (i > 0 && stratum(o[i]) != stratum(o[i - 1])) {  // a new stratum: an empty risk set
        s0 = 0.0;
        s1.setZero();
        s2.setZero();
      }
      std::size_t j = i;
      double d0 = 0.0;
      Eigen::VectorXd d1 = Eigen::VectorXd::Zero(p);
      Eigen::MatrixXd d2 = Eigen::MatrixXd::Zero(p, p);
      int deaths = 0;
      while (j < o.size() && time[o[j]] == time[o[i]] && stratum(o[j]) == stratum(o[i])) {
        const auto k = static_cast<Eigen::Index>(o[j]);
        const Eigen::VectorXd xk = X.row(k).transpose();
        const double eta = xk.dot(beta);
        const double w = std::exp(eta);
        s0 += w;
        s1 += w * xk;
        s2 += w * xk * xk.transpose();
        if (event[o[j]]) {
          ++deaths;
          ll += eta;
          d0 += w;
          d1 += w * xk;
          d2 += w * xk * xk.transpose();
          if (score) *score += xk;
        }
        ++j;
      }
      for (int l = 0; l < deaths; ++l) {
        const double f = static_cast<double>(l) / deaths;
        const double den = s0 - f * d0;
        const Eigen::VectorXd num1 = s1 - f * d1;
        ll -= std::log(den);
        if (score) *score -= num1 / den;
        if (info) *info += (s2 - f * d2) / den - num1 * num1.transpose() / (den * den);
      }
      i = j;
    }
    return ll;
  };

  CoxFit fit;
  fit.n = static_cast<int>(n);
  for (int e : event) fit.events += e;
  Eigen::VectorXd beta = Eigen::VectorXd::Zero(p), score(p);
  Eigen::MatrixXd info(p, p);
  double ll = evaluate(beta, &score, &info);
  fit.log_likelihood_null = ll;
  if (!(info.diagonal().minCoeff() > 0.0)) {
    throw std::invalid_argument(strata.empty() ? "cox_ph: no information on a covariate (no event with a varied risk set)"
                                               : "cox_ph: no stratum has an event while a member with another covariate "
                                                 "value is at risk");
  }
  for (int it = 1; it <= 50; ++it) {
    fit.iterations = it;
    Eigen::VectorXd step = info.ldlt().solve(score);
    Eigen::VectorXd next = beta + step;
    double ll_next = evaluate(next, nullptr, nullptr);
    for (int halve = 0; halve < 30 && !(ll_next >= ll - 1e-12); ++halve) {  // step-halving
      step *= 0.5;
      next = beta + step;
      ll_next = evaluate(next, nullptr, nullptr);
    }
    const bool done = std::abs(ll_next - ll) <= 1e-11 * std::max(1.0, std::abs(ll));
    beta = next;
    ll = evaluate(beta, &score, &info);
    if (done) {
      fit.converged = true;
      break;
    }
  }
  fit.log_likelihood = ll;
  const Eigen::MatrixXd cov = info.inverse();
  const Eigen::VectorXd remaining_step = (cov * score).cwiseAbs();
  constexpr double kEps = 1e-9;
  const double z = normal_quantile(0.975);
  for (Eigen::Index j = 0; j < p; ++j) {
    CoxTerm t;
    t.name = names[static_cast<std::size_t>(j)];
    t.beta = beta[j];
    t.possibly_infinite = !std::isfinite(remaining_step[j]) ||
                          (remaining_step[j] > kEps && remaining_step[j] > std::sqrt(kEps) * std::abs(t.beta));
    t.se = std::sqrt(cov(j, j));
    t.z = t.beta / t.se;
    t.p = std::erfc(std::abs(t.z) / std::sqrt(2.0));
    t.hazard_ratio = std::exp(t.beta);
    t.hr_ci_low = std::exp(t.beta - z * t.se);
    t.hr_ci_high = std::exp(t.beta + z * t.se);
    fit.terms.push_back(t);
  }
  fit.lr_chi_square = 2.0 * (fit.log_likelihood - fit.log_likelihood_null);
  fit.lr_p = chi_square_upper_tail(fit.lr_chi_square, static_cast<double>(p));
  return fit;
}

}  // namespace coherence::stats
