#include "trial/analysis.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <stdexcept>

#include "scenario/scenario.hpp"
#include "stats/piecewise.hpp"
#include "stats/regression.hpp"
#include "stats/survival.hpp"
#include "stats/tests.hpp"
#include "trial/trial.hpp"

namespace coherence::trial {

namespace {

// Rows that enter the analyses: neither failed nor excluded by the inclusion criteria.
bool usable(const std::string& status) { return status != "failed" && status != "excluded"; }

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (std::size_t k = 0; k < line.size(); ++k) {
    const char c = line[k];
    if (quoted) {
      if (c == '"' && k + 1 < line.size() && line[k + 1] == '"') {
        cur += '"';
        ++k;
      } else if (c == '"') {
        quoted = false;
      } else {
        cur += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.push_back(cur);
      cur.clear();
    } else if (c != '\r') {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

// JSON number, or null for NaN / infinity (JSON has neither).
nlohmann::json num(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

// Rows where every given column is a number.
std::vector<std::vector<double>> complete_cases(const std::vector<std::vector<double>>& cols) {
  std::vector<std::vector<double>> out(cols.size());
  if (cols.empty()) return out;
  for (std::size_t i = 0; i < cols[0].size(); ++i) {
    bool ok = true;
    for (const auto& c : cols) ok = ok && std::isfinite(c[i]);
    if (!ok) continue;
    for (std::size_t k = 0; k < cols.size(); ++k) out[k].push_back(cols[k][i]);
  }
  return out;
}

std::vector<double> select(const std::vector<double>& v, const std::vector<char>& keep) {
  std::vector<double> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (keep[i]) out.push_back(v[i]);
  }
  return out;
}

double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double h = (static_cast<double>(v.size()) - 1.0) * q;  // R's type 7
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (h - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

nlohmann::json describe(const std::vector<double>& raw) {
  std::vector<double> v;
  for (double x : raw) {
    if (std::isfinite(x)) v.push_back(x);
  }
  nlohmann::json j;
  j["n"] = v.size();
  if (v.empty()) return j;
  double m = 0.0;
  for (double x : v) m += x / static_cast<double>(v.size());
  double s = 0.0;
  for (double x : v) s += (x - m) * (x - m);
  j["mean"] = m;
  j["sd"] = v.size() > 1 ? num(std::sqrt(s / static_cast<double>(v.size() - 1))) : nlohmann::json(nullptr);
  j["median"] = quantile(v, 0.5);
  j["q1"] = quantile(v, 0.25);
  j["q3"] = quantile(v, 0.75);
  return j;
}

// A test that may not apply (too few values, constant data, a degenerate fit): its error as a
// note instead, so that one statistic never stops the analysis.
template <typename F>
nlohmann::json guarded(F&& f) {
  try {
    nlohmann::json j = f();
    // A statistic that came out non-finite (e.g. a paired t of identical differences) is not
    // reported as null with an interval of [0, 0]: it was not computed, and says why.
    for (const char* key : {"p", "ci_low", "ci_high", "mean_difference", "estimate"}) {
      if (j.is_object() && j.contains(key) && j[key].is_null()) {
        return nlohmann::json{{"not_computed", fmt::format("{} is not finite (constant or identical values: no "
                                                           "variation to test)", key)}};
      }
    }
    return j;
  } catch (const std::invalid_argument& e) {
    return nlohmann::json{{"not_computed", e.what()}};
  } catch (const std::domain_error& e) {  // Boost.Math on degenerate arguments
    return nlohmann::json{{"not_computed", e.what()}};
  } catch (const std::runtime_error& e) {  // Boost.Math evaluation errors, non-convergence
    return nlohmann::json{{"not_computed", e.what()}};
  }
}

nlohmann::json km_json(const std::vector<double>& t, const std::vector<int>& e) {
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& s : stats::kaplan_meier(t, e)) {
    steps.push_back({{"time_d", s.time}, {"at_risk", s.at_risk}, {"events", s.events}, {"censored", s.censored},
                     {"survival", s.survival}, {"se", num(s.se)}, {"ci_low", num(s.ci_low)}, {"ci_high", num(s.ci_high)}});
  }
  return steps;
}

nlohmann::json cox_json(const stats::CoxFit& f) {
  nlohmann::json j;
  j["n"] = f.n;
  j["events"] = f.events;
  j["converged"] = f.converged;
  j["likelihood_ratio_chi_square"] = num(f.lr_chi_square);
  j["likelihood_ratio_p"] = num(f.lr_p);
  for (const auto& t : f.terms) {
    j["terms"].push_back({{"name", t.name}, {"beta", num(t.beta)}, {"se", num(t.se)}, {"p", num(t.p)},
                          {"hazard_ratio", num(t.hazard_ratio)}, {"hr_ci_low", num(t.hr_ci_low)},
                          {"hr_ci_high", num(t.hr_ci_high)}, {"possibly_infinite", t.possibly_infinite}});
  }
  return j;
}

nlohmann::json regression_json(const stats::LinearFit& f) {
  nlohmann::json j;
  j["n"] = f.n;
  j["r_squared"] = num(f.r_squared);
  j["adj_r_squared"] = num(f.adj_r_squared);
  j["f"] = num(f.f);
  j["f_p"] = num(f.f_p);
  for (const auto& c : f.coefficients) {
    j["coefficients"].push_back({{"name", c.name}, {"estimate", num(c.estimate)}, {"se", num(c.se)}, {"t", num(c.t)},
                                 {"p", num(c.p)}, {"ci_low", num(c.ci_low)}, {"ci_high", num(c.ci_high)}});
  }
  return j;
}

// The outcomes compared between arms (paired by patient): outcomes, then what the arms did.
const std::vector<std::string> kPairedOutcomes = {
    "predicted_mortality_28d", "time_map_ge_65_pct",        "hypotension_area_mmHg_h", "ne_cumulative_mg",
    "ne_peak_ug_per_kg_min",   "ne_above_0_8_h",            "ne_h",                    "vasopressin_h",
    "dobutamine_h",            "nitroglycerin_h",           "epinephrine_h",           "map_within_5_mmHg_pct",
    "decisions",               "fluids_in_mL",              "fluid_balance_mL",        "lactate_clearance_6h_pct",
    "lactate_excess_mmol_h_per_L", "mfi_below_2_6_h",       "lactate_day1_mean_mmol_per_L", "mfi_day1_mean",
    "ppv_day1_mean_pct",       "survival_d"};

nlohmann::json paired_comparisons(const TrialSpec& spec, const Table& t) {
  nlohmann::json out = nlohmann::json::array();
  const auto& arm = t.text("arm");
  const auto& status = t.text("status");
  const auto id = t.numeric("patient_id");
  // Row of (patient, arm).
  std::map<std::pair<int, std::string>, std::size_t> row;
  for (std::size_t i = 0; i < t.rows(); ++i) {
    if (usable(status[i])) row[{static_cast<int>(id[i]), arm[i]}] = i;
  }
  for (const auto& comparison : spec.comparisons) {
    // Named copies: lambdas below capture them (clang 14 cannot capture structured bindings).
    const std::string& other = comparison.first;
    const std::string& ref = comparison.second;
    nlohmann::json c;
    c["arm"] = other;
    c["reference"] = ref;
    c["difference"] = other + " - " + ref;
    std::vector<std::size_t> a_rows, b_rows;
    for (int p = 1; p <= spec.patients; ++p) {
      const auto a = row.find({p, other}), b = row.find({p, ref});
      if (a != row.end() && b != row.end()) {
        a_rows.push_back(a->second);
        b_rows.push_back(b->second);
      }
    }
    c["pairs"] = a_rows.size();
    for (const auto& name : kPairedOutcomes) {
      if (!t.has(name)) continue;
      const auto col = t.numeric(name);
      std::vector<double> xa, xb;
      for (std::size_t i = 0; i < a_rows.size(); ++i) {
        if (std::isfinite(col[a_rows[i]]) && std::isfinite(col[b_rows[i]])) {
          xa.push_back(col[a_rows[i]]);
          xb.push_back(col[b_rows[i]]);
        }
      }
      nlohmann::json o;
      o["n"] = xa.size();
      o[other] = describe(xa);
      o[ref] = describe(xb);
      o["paired_t"] = guarded([&] {
        const auto r = stats::paired_t_test(xa, xb);
        return nlohmann::json{{"mean_difference", num(r.estimate)}, {"ci_low", num(r.ci_low)},
                              {"ci_high", num(r.ci_high)}, {"t", num(r.statistic)}, {"p", num(r.p)}};
      });
      o["wilcoxon_signed_rank"] = guarded([&] {
        const auto r = stats::wilcoxon_signed_rank(xa, xb);
        return nlohmann::json{{"v", num(r.statistic)}, {"p", num(r.p)}};
      });
      o["hodges_lehmann"] = guarded([&] {
        const auto r = stats::hodges_lehmann_paired(xa, xb);
        return nlohmann::json{{"estimate", num(r.estimate)}, {"ci_low", num(r.ci_low)}, {"ci_high", num(r.ci_high)}};
      });
      c["outcomes"][name] = o;
    }
    // 28-day death: paired risk difference (Newcombe) and McNemar on the discordant pairs;
    // survival: Kaplan-Meier, log-rank and a Cox model stratified by patient (each pair its own
    // baseline hazard: the pairs are not independent samples).
    const auto death = t.numeric("death_28d"), surv = t.numeric("survival_d");
    long both = 0, yes_no = 0, no_yes = 0, neither = 0, n_pairs = 0;
    std::vector<double> time;
    std::vector<int> event, group, stratum;
    for (std::size_t i = 0; i < a_rows.size(); ++i) {
      const double da = death[a_rows[i]], db = death[b_rows[i]];
      if (!std::isfinite(da) || !std::isfinite(db)) continue;
      ++n_pairs;
      both += (da > 0.5 && db > 0.5);
      yes_no += (da > 0.5 && db < 0.5);
      no_yes += (da < 0.5 && db > 0.5);
      neither += (da < 0.5 && db < 0.5);
      for (int g = 1; g >= 0; --g) {
        time.push_back(surv[g ? a_rows[i] : b_rows[i]]);
        event.push_back((g ? da : db) > 0.5);
        group.push_back(g);
        stratum.push_back(static_cast<int>(id[a_rows[i]]));
      }
    }
    nlohmann::json d;
    d["pairs"] = n_pairs;
    d["deaths_" + other] = both + yes_no;
    d["deaths_" + ref] = both + no_yes;
    if (n_pairs > 0) {
      d["mortality_" + other] = static_cast<double>(both + yes_no) / static_cast<double>(n_pairs);
      d["mortality_" + ref] = static_cast<double>(both + no_yes) / static_cast<double>(n_pairs);
    }
    d["risk_difference"] = guarded([&] {
      const auto r = stats::paired_risk_difference(both, yes_no, no_yes, neither);
      return nlohmann::json{{"estimate", num(r.estimate)}, {"ci_low", num(r.ci_low)}, {"ci_high", num(r.ci_high)},
                            {"both_died", both}, {"neither_died", neither},
                            {"method", "Newcombe 1998 (Stat Med 17:2635) method 10, 95%"}};
    });
    d["mcnemar"] = guarded([&] {
      const auto r = stats::mcnemar(yes_no, no_yes);
      return nlohmann::json{{"discordant_" + other + "_only", yes_no}, {"discordant_" + ref + "_only", no_yes},
                            {"chi_square", num(r.statistic)}, {"p", num(r.p)}};
    });
    c["death_28d"] = d;
    if (!time.empty()) {
      nlohmann::json s;
      s["log_rank"] = guarded([&] {
        const auto r = stats::log_rank(time, event, group);
        nlohmann::json j{{"chi_square", num(r.chi_square)}, {"p", num(r.p)}};
        j["note"] = "treats the arms as independent samples (descriptive); the paired test is cox_stratified";
        return j;
      });
      s["cox_stratified"] = guarded([&] {
        std::vector<double> g(group.begin(), group.end());
        nlohmann::json j = cox_json(stats::cox_ph(time, event, {g}, {other + " vs " + ref}, stratum));
        j["strata"] = "patient (R: coxph(Surv(t, d) ~ arm + strata(patient)))";
        return j;
      });
      c["survival"] = s;
    }
    out.push_back(c);
  }
  return out;
}

nlohmann::json observational(const TrialSpec& spec, const Table& t, const std::string& protocol_name) {
  const AnalysisSpec& a = spec.analysis;
  nlohmann::json out;
  out["arm"] = protocol_name;
  out["exposure"] = a.exposure;
  if (!t.has(a.exposure)) {
    out["not_computed"] = fmt::format("no column {} (measurement times: see [[measurements]])", a.exposure);
    return out;
  }
  const auto& protocol = t.text("arm");
  const auto& status = t.text("status");
  std::vector<char> keep(t.rows());
  for (std::size_t i = 0; i < t.rows(); ++i) keep[i] = protocol[i] == protocol_name && usable(status[i]);
  const auto exposure = select(t.numeric(a.exposure), keep);
  out["n"] = std::count(keep.begin(), keep.end(), 1);
  out["exposure_summary"] = describe(exposure);

  // Normality of each variable (the study chose Pearson or Spearman by it).
  std::vector<std::string> variables = {a.exposure};
  for (const auto& c : a.correlates) {
    if (t.has(c)) variables.push_back(c);
  }
  for (const auto& v : variables) {
    out["shapiro_wilk"][v] = guarded([&] {
      std::vector<double> x;
      for (double e : select(t.numeric(v), keep)) {
        if (std::isfinite(e)) x.push_back(e);
      }
      const auto r = stats::shapiro_wilk(x);
      return nlohmann::json{{"w", num(r.statistic)}, {"p", num(r.p)}, {"n", x.size()}};
    });
  }
  // Correlations, FDR across every (correlate, method) test.
  std::vector<double> pvalues;
  std::vector<std::pair<std::string, std::string>> which;
  for (const auto& c : a.correlates) {
    if (!t.has(c)) continue;
    const auto cc = complete_cases({exposure, select(t.numeric(c), keep)});
    for (const std::string method : {"pearson", "spearman"}) {
      out["correlations"][c][method] = guarded([&] {
        const auto r = method == "pearson" ? stats::pearson(cc[0], cc[1]) : stats::spearman(cc[0], cc[1]);
        pvalues.push_back(r.p);
        which.emplace_back(c, method);
        nlohmann::json j{{"r", num(r.r)}, {"p", num(r.p)}, {"n", r.n}};
        if (method == "pearson") {
          j["ci_low"] = num(r.ci_low);
          j["ci_high"] = num(r.ci_high);
        }
        return j;
      });
    }
    // Regression: univariable and adjusted; piecewise breakpoint.
    out["regression"][c]["univariable"] = guarded([&] { return regression_json(stats::linear_regression(cc[1], {cc[0]}, {a.exposure})); });
    out["regression"][c]["multivariable"] = guarded([&] {
      std::vector<std::vector<double>> cols = {select(t.numeric(c), keep), exposure};
      std::vector<std::string> names = {a.exposure};
      for (const auto& adj : a.adjust) {
        if (!t.has(adj)) continue;
        cols.push_back(select(t.numeric(adj), keep));
        names.push_back(adj);
      }
      const auto m = complete_cases(cols);
      return regression_json(stats::linear_regression(m[0], {m.begin() + 1, m.end()}, names));
    });
    out["piecewise"][c] = guarded([&] {
      const auto f = stats::piecewise_linear_fit(cc[0], cc[1]);
      return nlohmann::json{{"breakpoint", f.breakpoint},       {"ci_low", f.ci_low},
                            {"ci_high", f.ci_high},             {"ci_at_search_edge", f.ci_at_search_edge},
                            {"slope_below", f.slope_below},     {"slope_above", f.slope_above},
                            {"intercept", f.intercept},         {"n", cc[0].size()}};
    });
  }
  const auto adjusted = stats::benjamini_hochberg(pvalues);
  for (std::size_t k = 0; k < which.size(); ++k) {
    out["correlations"][which[k].first][which[k].second]["p_fdr"] = num(adjusted[k]);
  }

  // Table 1 by exposure group.
  {
    std::vector<char> low(exposure.size()), high(exposure.size());
    for (std::size_t i = 0; i < exposure.size(); ++i) {
      low[i] = std::isfinite(exposure[i]) && exposure[i] <= a.group_threshold;
      high[i] = std::isfinite(exposure[i]) && exposure[i] > a.group_threshold;
    }
    nlohmann::json table;
    table["groups"] = {fmt::format("{} <= {:g}", a.exposure, a.group_threshold),
                       fmt::format("{} > {:g}", a.exposure, a.group_threshold)};
    table["n"] = {std::count(low.begin(), low.end(), 1), std::count(high.begin(), high.end(), 1)};
    std::vector<std::string> rows;
    for (const auto& col : t.columns()) {
      if (col.starts_with("patient.") || col.starts_with("sepsis.")) rows.push_back(col);
    }
    for (const auto& c : a.correlates) rows.push_back(c);
    for (const std::string c : {"lactate_day1_mean_mmol_per_L", "mfi_day1_mean", "fluids_in_mL", "ne_peak_ug_per_kg_min"}) rows.push_back(c);
    // The source study's Table 1 rows, where the trial measured them on day 1.
    for (const std::string c : {"day1_hr_bpm", "day1_map_mmHg", "day1_lactate_mmol_per_L", "day1_mfi", "day1_ppv_pct",
                                "day1_pvd_mm_per_mm2", "day1_tvd_mm_per_mm2", "day1_crt_s", "day1_mottling_score",
                                "day1_creatinine_umol_per_L", "day1_hi"}) {
      if (std::find(rows.begin(), rows.end(), c) == rows.end()) rows.push_back(c);
    }
    for (const auto& r : rows) {
      if (!t.has(r)) continue;
      const auto v = select(t.numeric(r), keep);
      std::vector<double> x0, x1;
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (!std::isfinite(v[i])) continue;
        if (low[i]) x0.push_back(v[i]);
        if (high[i]) x1.push_back(v[i]);
      }
      nlohmann::json row{{"low", describe(x0)}, {"high", describe(x1)}};
      row["test"] = guarded([&] {
        const bool normal = stats::shapiro_wilk(x0).p > 0.05 && stats::shapiro_wilk(x1).p > 0.05;
        const auto r2 = normal ? stats::t_test(x0, x1) : stats::wilcoxon_rank_sum(x0, x1);
        return nlohmann::json{{"method", normal ? "welch_t" : "wilcoxon_rank_sum"}, {"p", num(r2.p)}};
      });
      table["rows"][r] = row;
    }
    // 28-day death by group.
    const auto death = select(t.numeric("death_28d"), keep);
    long d0 = 0, a0 = 0, d1 = 0, a1 = 0;
    for (std::size_t i = 0; i < death.size(); ++i) {
      if (!std::isfinite(death[i])) continue;
      if (low[i]) (death[i] > 0.5 ? d0 : a0) += 1;
      if (high[i]) (death[i] > 0.5 ? d1 : a1) += 1;
    }
    nlohmann::json dj{{"deaths", {d0, d1}}, {"survivors", {a0, a1}}};
    dj["test"] = guarded([&] {
      const auto f = stats::fisher_exact({{{d0, a0}, {d1, a1}}});
      return nlohmann::json{{"method", "fisher_exact"}, {"p", num(f.p)}};
    });
    table["rows"]["death_28d"] = dj;
    out["table1"] = table;
  }

  // Survival by the cliff: KM per group, log-rank, Cox univariable and adjusted.
  {
    const auto surv = select(t.numeric("survival_d"), keep), death = select(t.numeric("death_28d"), keep);
    std::vector<std::vector<double>> cols = {surv, death, exposure};
    std::vector<std::string> names = {fmt::format("{} > {:g}", a.exposure, a.cliff_threshold)};
    for (const auto& adj : a.adjust) {
      if (!t.has(adj)) continue;
      cols.push_back(select(t.numeric(adj), keep));
      names.push_back(adj);
    }
    const auto m = complete_cases(cols);
    std::vector<double> time = m[0];
    std::vector<int> event, group;
    std::vector<double> above;
    for (std::size_t i = 0; i < m[0].size(); ++i) {
      event.push_back(m[1][i] > 0.5);
      group.push_back(m[2][i] > a.cliff_threshold);
      above.push_back(m[2][i] > a.cliff_threshold ? 1.0 : 0.0);
    }
    nlohmann::json s;
    s["threshold"] = a.cliff_threshold;
    s["n"] = time.size();
    const double deaths = static_cast<double>(std::count(event.begin(), event.end(), 1));
    s["mortality_28d"] = time.empty() ? nlohmann::json(nullptr) : nlohmann::json(deaths / static_cast<double>(time.size()));
    for (int g = 0; g < 2; ++g) {
      std::vector<double> tg;
      std::vector<int> eg;
      for (std::size_t i = 0; i < time.size(); ++i) {
        if (group[i] == g) {
          tg.push_back(time[i]);
          eg.push_back(event[i]);
        }
      }
      s[g == 0 ? "kaplan_meier_at_or_below" : "kaplan_meier_above"] = tg.empty() ? nlohmann::json::array() : km_json(tg, eg);
    }
    s["log_rank"] = guarded([&] {
      const auto r = stats::log_rank(time, event, group);
      return nlohmann::json{{"chi_square", num(r.chi_square)}, {"p", num(r.p)}};
    });
    s["cox_univariable"] = guarded([&] { return cox_json(stats::cox_ph(time, event, {above}, {names[0]})); });
    s["cox_adjusted"] = guarded([&] {
      std::vector<std::vector<double>> x = {above};
      for (std::size_t k = 3; k < m.size(); ++k) x.push_back(m[k]);
      return cox_json(stats::cox_ph(time, event, x, names));
    });
    out["survival_by_cliff"] = s;
  }
  return out;
}

}  // namespace

Table Table::read_csv(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw scenario::InputError(fmt::format("{}: cannot read", file.string()));
  Table t;
  std::string line;
  if (!std::getline(in, line)) throw scenario::InputError(fmt::format("{}: empty", file.string()));
  t.names_ = split_csv_line(line);
  for (std::size_t k = 0; k < t.names_.size(); ++k) t.index_[t.names_[k]] = k;
  t.cells_.assign(t.names_.size(), {});
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto f = split_csv_line(line);
    if (f.size() != t.names_.size()) {
      throw scenario::InputError(fmt::format("{}:{}: {} cells, the header has {}", file.string(), t.rows_ + 2, f.size(),
                                             t.names_.size()));
    }
    for (std::size_t k = 0; k < f.size(); ++k) t.cells_[k].push_back(std::move(f[k]));
    ++t.rows_;
  }
  return t;
}

const std::vector<std::string>& Table::text(const std::string& column) const {
  const auto it = index_.find(column);
  if (it == index_.end()) throw std::out_of_range("no column " + column);
  return cells_[it->second];
}

std::vector<double> Table::numeric(const std::string& column) const {
  std::vector<double> out;
  for (const auto& s : text(column)) out.push_back(s.empty() ? kNaN : std::strtod(s.c_str(), nullptr));
  return out;
}

nlohmann::json analyse_trial(const TrialSpec& spec, const Table& patients) {
  nlohmann::json j;
  j["trial"] = spec.name;
  j["patients"] = spec.patients;
  j["arms"] = spec.protocols;
  j["method"] = "docs/trials.md: paired comparisons of the arms of [[comparisons]] (default: every arm against the first); the source study's "
                "observational analysis per arm";
  if (!spec.comparisons.empty()) j["paired_comparisons"] = paired_comparisons(spec, patients);
  for (const auto& p : spec.protocols) j["observational"][p] = observational(spec, patients, p);
  return j;
}

}  // namespace coherence::trial
