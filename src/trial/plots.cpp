#include "trial/plots.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "output/files.hpp"
#include "stats/survival.hpp"
#include "trial/trial.hpp"

namespace coherence::trial {

namespace {

// Rows that enter the analyses: neither failed nor excluded by the inclusion criteria.
bool usable(const std::string& status) { return status != "failed" && status != "excluded"; }

const char* kColours[] = {"#c0392b", "#2471a3", "#1e8449", "#d35400", "#6c3483", "#7f8c8d"};

using output::gnuplot_quoted;

// Kaplan-Meier steps with their 95% band (log scale, stats::kaplan_meier) as a gnuplot datablock
// drawn as steps: each change is written twice (before and after it), so `lines` and
// `filledcurves` between the band's limits both follow the steps. Columns: time, S, low, high.
struct KmPoint {
  double time, survival, low, high;
};
std::string km_block(const std::string& name, const std::vector<KmPoint>& steps) {
  std::string b = "$" + name + " << EOD\n0 1 1 1\n";
  KmPoint last{0.0, 1.0, 1.0, 1.0};
  for (const KmPoint& p : steps) {
    if (p.time > 28.0) break;
    b += fmt::format("{:.6g} {:.6g} {:.6g} {:.6g}\n", p.time, last.survival, last.low, last.high);
    b += fmt::format("{:.6g} {:.6g} {:.6g} {:.6g}\n", p.time, p.survival, p.low, p.high);
    last = p;
  }
  b += fmt::format("28 {:.6g} {:.6g} {:.6g}\n", last.survival, last.low, last.high);
  return b + "EOD\n";
}

std::vector<KmPoint> km_points(const std::vector<stats::KaplanMeierStep>& steps) {
  std::vector<KmPoint> out;
  for (const auto& st : steps) out.push_back({st.time, st.survival, st.ci_low, st.ci_high});
  return out;
}

// One group of a Kaplan-Meier panel: its survival times and events.
struct KmGroup {
  std::string label, colour;
  std::vector<double> time;
  std::vector<int> event;
};

// A panel: each group's curve with its 95% band, and the numbers at risk at days 0, 7, 14, 21, 28
// under the axis (a row per group, in its colour), as clinical papers draw them.
std::string km_panel(const std::string& prefix, const std::vector<KmGroup>& groups) {
  std::string gp, plot = "plot ";
  gp += "unset label\n";
  gp += "set label 'at risk' at graph -0.02, graph -0.25 right font ',10' tc rgb '#555555'\n";
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const KmGroup& k = groups[g];
    const std::string name = fmt::format("{}{}", prefix, g);
    gp += km_block(name, km_points(stats::kaplan_meier(k.time, k.event)));
    plot += fmt::format("${} using 1:3:4 with filledcurves fc rgb '{}' fs transparent solid 0.15 noborder notitle, ",
                        name, k.colour);
    plot += fmt::format("${} using 1:2 with lines lw 2 lc rgb '{}' title {}, ", name, k.colour,
                        gnuplot_quoted(fmt::format("{} (n = {})", k.label, k.time.size())));
    for (int day = 0; day <= 28; day += 7) {
      const auto n = std::count_if(k.time.begin(), k.time.end(), [&](double t) { return t >= day; });
      gp += fmt::format("set label '{}' at {}, graph {:.3f} center font ',10' tc rgb '{}'\n", n, day,
                        -0.25 - 0.065 * static_cast<double>(g), k.colour);
    }
  }
  return gp + plot + "\n";
}

std::string plot_km(const TrialSpec& spec, const nlohmann::json& analysis, const Table& t,
                    const std::filesystem::path& png, std::string& reason) {
  std::string gp = "set terminal pngcairo size 1400,620 font 'sans,12'\nset output " +
                   gnuplot_quoted(png.string() + ".partial") + "\nset termoption noenhanced\n";
  // KM per arm from patients.csv (stats::kaplan_meier, the estimator of analysis.json).
  const auto& protocol = t.text("arm");
  const auto& status = t.text("status");
  const auto surv = t.numeric("survival_d"), death = t.numeric("death_28d");
  auto group_of = [&](const std::string& arm, const std::function<bool(std::size_t)>& keep) {
    KmGroup g;
    for (std::size_t i = 0; i < t.rows(); ++i) {
      if (protocol[i] == arm && usable(status[i]) && std::isfinite(surv[i]) && std::isfinite(death[i]) && keep(i)) {
        g.time.push_back(surv[i]);
        g.event.push_back(death[i] > 0.5);
      }
    }
    return g;
  };
  std::vector<KmGroup> arms;
  for (std::size_t k = 0; k < spec.protocols.size(); ++k) {
    KmGroup g = group_of(spec.protocols[k], [](std::size_t) { return true; });
    if (g.time.empty()) continue;
    g.label = spec.protocols[k];
    g.colour = kColours[k % 6];
    arms.push_back(std::move(g));
  }
  const int rows = static_cast<int>(std::max<std::size_t>(2, spec.protocols.size()));
  gp += "set multiplot layout 1,2 title " + gnuplot_quoted(spec.name + " (95% bands)") + "\n";
  gp += fmt::format("set bmargin {}\n", 4 + 2 * rows);
  gp += "set xlabel 'days' offset 0,0.4\nset ylabel '28-day survival'\nset yrange [0:1.02]\nset xrange [0:28]\n"
        "set xtics 0,7\nset grid\nset key bottom left opaque box\nset title 'By arm'\n";
  gp += km_panel("p", arms);
  // By the cliff, in the first arm: two groups only when each has enough patients to draw.
  const auto& obs = analysis["observational"][spec.protocols.front()];
  const std::vector<double> ne = t.has(spec.analysis.exposure) ? t.numeric(spec.analysis.exposure)
                                                               : std::vector<double>(t.rows(), std::nan(""));
  std::vector<KmGroup> cliff;
  for (int side = 0; side < 2; ++side) {
    KmGroup g = group_of(spec.protocols.front(), [&](std::size_t i) {
      return std::isfinite(ne[i]) && ((ne[i] > spec.analysis.cliff_threshold) == (side == 1));
    });
    g.label = fmt::format("NE {} {:g}", side == 0 ? "<=" : ">", spec.analysis.cliff_threshold);
    g.colour = side == 0 ? "#2471a3" : "#c0392b";
    cliff.push_back(std::move(g));
  }
  std::string subtitle = fmt::format("{}: by {} at the cliff", spec.protocols.front(),
                                     spec.analysis.exposure == "day1_ne_dose_ug_per_kg_min" ? "day-1 NE dose"
                                                                                            : spec.analysis.exposure);
  const auto& s = obs.contains("survival_by_cliff") ? obs["survival_by_cliff"] : nlohmann::json::object();
  if (s.contains("log_rank") && s["log_rank"].contains("p") && s["log_rank"]["p"].is_number()) {
    subtitle += fmt::format(" (log-rank p = {:.3g})", s["log_rank"]["p"].get<double>());
  }
  gp += "set title " + gnuplot_quoted(subtitle) + "\n";
  constexpr std::size_t kMinimumGroup = 5;
  if (cliff[0].time.size() >= kMinimumGroup && cliff[1].time.size() >= kMinimumGroup) {
    gp += km_panel("c", cliff);
  } else {
    gp += "unset label\nunset key\n";
    gp += "set label " +
          gnuplot_quoted(fmt::format("no comparison: {} at or below NE {:g}, {} above (< {} in a group)",
                                     cliff[0].time.size(), spec.analysis.cliff_threshold, cliff[1].time.size(),
                                     kMinimumGroup)) +
          " at graph 0.5, graph 0.5 center\nplot NaN notitle\n";
  }
  gp += "unset multiplot\n";
  return output::run_gnuplot(gp, png, reason) ? std::string() : reason;
}

// The forest plot's outcomes, each a panel in its own units (the paired mean difference, arm
// minus the first arm, with its 95% CI).
struct ForestOutcome {
  const char* column;
  const char* label;
  double scale;  // multiplies the difference (100: a fraction shown in percentage points)
};
const ForestOutcome kForest[] = {
    {"predicted_mortality_28d", "predicted 28-day mortality (percentage points)", 100.0},
    {"ne_cumulative_mg", "cumulative NE (mg)", 1.0},
    {"ne_h", "hours on NE (h)", 1.0},
    {"dobutamine_h", "hours on dobutamine (h)", 1.0},
    {"nitroglycerin_h", "hours on nitroglycerin (h)", 1.0},
    {"fluids_in_mL", "fluids given (mL)", 1.0},
    {"hypotension_area_mmHg_h", "area below MAP 65 (mmHg x h)", 1.0},
    {"map_within_5_mmHg_pct", "time within 5 mmHg of the MAP target (percentage points)", 1.0},
    {"lactate_day1_mean_mmol_per_L", "day-1 mean lactate (mmol/L)", 1.0},
    {"mfi_day1_mean", "day-1 mean MFI", 1.0},
};

std::string plot_forest(const TrialSpec& spec, const nlohmann::json& analysis, const std::filesystem::path& png,
                        std::string& reason) {
  if (!analysis.contains("paired_comparisons")) return {};
  // Panels: observed 28-day death risk difference (Newcombe), then the outcomes of kForest, each
  // in natural units; rows are the comparisons. Statistics not computed are left out.
  struct Row {
    std::string label;
    double est, lo, hi;
  };
  struct Panel {
    std::string title;
    std::vector<Row> rows;
  };
  std::vector<Panel> panels;
  auto finite = [](const nlohmann::json& j, const char* k) { return j.contains(k) && j[k].is_number(); };
  {
    Panel p{"28-day death: paired risk difference (percentage points), Newcombe 95% CI", {}};
    for (const auto& c : analysis["paired_comparisons"]) {
      const auto& rd = c["death_28d"]["risk_difference"];
      if (finite(rd, "estimate") && finite(rd, "ci_low") && finite(rd, "ci_high")) {
        p.rows.push_back({c["difference"].get<std::string>(), 100.0 * rd["estimate"].get<double>(),
                          100.0 * rd["ci_low"].get<double>(), 100.0 * rd["ci_high"].get<double>()});
      }
    }
    if (!p.rows.empty()) panels.push_back(p);
  }
  for (const auto& f : kForest) {
    Panel p{std::string(f.label) + ": paired mean difference, 95% CI", {}};
    for (const auto& c : analysis["paired_comparisons"]) {
      if (!c.contains("outcomes") || !c["outcomes"].contains(f.column)) continue;
      const auto& t = c["outcomes"][f.column]["paired_t"];
      if (finite(t, "mean_difference") && finite(t, "ci_low") && finite(t, "ci_high")) {
        p.rows.push_back({c["difference"].get<std::string>(), f.scale * t["mean_difference"].get<double>(),
                          f.scale * t["ci_low"].get<double>(), f.scale * t["ci_high"].get<double>()});
      }
    }
    if (!p.rows.empty()) panels.push_back(p);
  }
  {
    Panel p{"28-day death: hazard ratio, Cox stratified by patient, 95% CI (log scale)", {}};
    for (const auto& c : analysis["paired_comparisons"]) {
      if (!c.contains("survival") || !c["survival"]["cox_stratified"].contains("terms")) continue;
      const auto& term = c["survival"]["cox_stratified"]["terms"][0];
      if (finite(term, "hazard_ratio") && finite(term, "hr_ci_low") && finite(term, "hr_ci_high") &&
          !term.value("possibly_infinite", false)) {
        p.rows.push_back({c["difference"].get<std::string>(), term["hazard_ratio"].get<double>(),
                          term["hr_ci_low"].get<double>(), term["hr_ci_high"].get<double>()});
      }
    }
    if (!p.rows.empty()) panels.push_back(p);
  }
  if (panels.empty()) return {};
  // Heights: a title and axis per panel plus a line per row.
  std::vector<double> units;
  double total = 0.0;
  for (const auto& p : panels) {
    units.push_back(2.6 + static_cast<double>(p.rows.size()));
    total += units.back();
  }
  const int height = static_cast<int>(60 + 34 * total);
  std::string gp = fmt::format("set terminal pngcairo size 1000,{} font 'sans,10'\n", height);
  gp += "set output " + gnuplot_quoted(png.string() + ".partial") + "\nset termoption noenhanced\n";
  for (std::size_t k = 0; k < panels.size(); ++k) {
    gp += fmt::format("$p{} << EOD\n", k);
    for (std::size_t i = 0; i < panels[k].rows.size(); ++i) {
      const auto& r = panels[k].rows[i];
      gp += fmt::format("{} {:.6g} {:.6g} {:.6g}\n", i, r.est, r.lo, r.hi);
    }
    gp += "EOD\n";
  }
  gp += "set multiplot title " + gnuplot_quoted(spec.name + ": paired effects (arm - reference), natural units") + "\n";
  gp += "set lmargin 36\nset grid xtics\nset tmargin 1.5\nset bmargin 2\n";
  double top = 1.0 - 40.0 / height;
  for (std::size_t k = 0; k < panels.size(); ++k) {
    const auto& p = panels[k];
    const double h = (1.0 - 60.0 / height) * units[k] / total;
    top -= h;
    std::string tics;
    for (std::size_t i = 0; i < p.rows.size(); ++i) {
      tics += fmt::format("{}{} {}", tics.empty() ? "" : ", ",
                          gnuplot_quoted(fmt::format("{} ({:+.3g})", p.rows[i].label, p.rows[i].est)), i);
    }
    const bool hr = k + 1 == panels.size() && p.title.find("hazard ratio") != std::string::npos;
    gp += fmt::format("set origin 0,{:.4f}\nset size 1,{:.4f}\n", std::max(0.0, top), h);
    gp += "unset arrow\nset title " + gnuplot_quoted(p.title) + "\nset ytics (" + tics + ")\n";
    gp += fmt::format("set yrange [-0.7:{:.1f}] reverse\n", static_cast<double>(p.rows.size()) - 0.3);
    gp += hr ? "set logscale x\nset arrow from 1, graph 0 to 1, graph 1 nohead dt 2 lc rgb '#555555'\n"
             : "unset logscale x\nset arrow from 0, graph 0 to 0, graph 1 nohead dt 2 lc rgb '#555555'\n";
    // The axis always holds the null value (0, or a hazard ratio of 1) and every interval.
    {
      const double null_value = hr ? 1.0 : 0.0;
      double lo = null_value, hi = null_value;
      for (const auto& r : p.rows) {
        for (double v : {r.lo, r.hi, r.est}) {
          if (std::isfinite(v) && (!hr || v > 0.0)) {
            lo = std::min(lo, v);
            hi = std::max(hi, v);
          }
        }
      }
      if (hr) {
        const double pad = std::pow(hi / lo, 0.05);
        gp += fmt::format("set xrange [{:.6g}:{:.6g}]\n", lo / pad, hi * pad);
      } else {
        const double pad = 0.05 * std::max(hi - lo, 1e-9);
        gp += fmt::format("set xrange [{:.6g}:{:.6g}]\n", lo - pad, hi + pad);
      }
    }
    gp += fmt::format("plot $p{} using 2:1:3:4 with xerrorbars pt 7 lc rgb '{}' notitle\n", k,
                      hr ? "#c0392b" : "#2471a3");
  }
  gp += "unset multiplot\n";
  return output::run_gnuplot(gp, png, reason) ? std::string() : reason;
}

// A human label with its unit for a patients.csv column ("day1_lactate_mmol_per_L" ->
// "day-1 lactate (mmol/L)"); other names are shown as they are.
std::string column_label(const std::string& c) {
  static const std::vector<std::pair<std::string, std::string>> kUnits = {
      {"_ne_dose_ug_per_kg_min", " NE dose (ug/kg/min)"}, {"_lactate_mmol_per_L", " lactate (mmol/L)"},
      {"_hi", " heterogeneity index HI"}, {"_mfi", " MFI (score 0-3)"}, {"_ppv_pct", " PPV (%)"},
      {"_mottling_score", " mottling score (0-5)"}, {"_crt_s", " CRT (s)"}, {"_map_mmHg", " MAP (mmHg)"}};
  const auto us = c.find('_');
  if (us == std::string::npos) return c;
  std::string when = c.substr(0, us);
  if (when.rfind("day", 0) == 0 && when.size() > 3) when = "day-" + when.substr(3);
  for (const auto& [suffix, label] : kUnits) {
    if (c.size() == us + suffix.size() && c.compare(us, suffix.size(), suffix) == 0) return when + label;
  }
  return c;
}

std::string plot_ne_vs_micro(const TrialSpec& spec, const nlohmann::json& analysis, const Table& t,
                             const std::filesystem::path& png, std::string& reason) {
  const std::string& first = spec.protocols.front();
  const auto& obs = analysis["observational"][first];
  if (!obs.contains("piecewise")) return {};
  const auto& protocol = t.text("arm");
  const auto& status = t.text("status");
  const auto x = t.numeric(spec.analysis.exposure);
  std::string gp = "set terminal pngcairo size 1200,900 font 'sans,10'\nset output " +
                   gnuplot_quoted(png.string() + ".partial") + "\nset termoption noenhanced\n";
  const auto& names = spec.analysis.correlates;
  const int panels = std::min<int>(4, static_cast<int>(names.size()));
  gp += fmt::format("set multiplot layout 2,2 title {}\n",
                    gnuplot_quoted(fmt::format("{} ({}): {} against the microcirculation", spec.name, first,
                                               column_label(spec.analysis.exposure))));
  gp += "set grid\nset key top right opaque box samplen 2\n";
  for (int k = 0; k < panels; ++k) {
    const std::string& c = names[static_cast<std::size_t>(k)];
    if (!t.has(c)) continue;
    const auto y = t.numeric(c);
    std::string block = fmt::format("$d{} << EOD\n", k);
    for (std::size_t i = 0; i < t.rows(); ++i) {
      if (protocol[i] == first && usable(status[i]) && std::isfinite(x[i]) && std::isfinite(y[i])) {
        block += fmt::format("{:.6g} {:.6g}\n", x[i], y[i]);
      }
    }
    gp += block + "EOD\n";
    std::string plot = fmt::format("plot $d{} using 1:2 with points pt 7 ps 0.5 lc rgb '#7f8c8d' notitle", k);
    std::string title = column_label(c);
    if (obs["correlations"].contains(c) && obs["correlations"][c]["pearson"].contains("r")) {
      title += fmt::format(": r = {:.2f}", obs["correlations"][c]["pearson"]["r"].get<double>());
    }
    const auto& pw = obs["piecewise"][c];
    // The fitted breakpoint is drawn only where the data support one: its 95% CI must lie inside
    // the search range (a CI reaching the range's edge means no breakpoint was found).
    const bool supported = pw.contains("breakpoint") && pw.contains("ci_at_search_edge") &&
                           pw["ci_at_search_edge"].is_boolean() && !pw["ci_at_search_edge"].get<bool>();
    if (pw.contains("breakpoint") && !supported) title += " (no supported breakpoint)";
    if (supported) {
      const double bp = pw["breakpoint"].get<double>(), b0 = pw["intercept"].get<double>(),
                   s1 = pw["slope_below"].get<double>(), s2 = pw["slope_above"].get<double>();
      gp += fmt::format("set object {} rect from {:.6g}, graph 0 to {:.6g}, graph 1 fc rgb '#f5b7b1' fs solid 0.35 "
                        "noborder behind\n",
                        k + 1, pw["ci_low"].get<double>(), pw["ci_high"].get<double>());
      plot += ", NaN with boxes fc rgb '#f5b7b1' fs solid 0.35 noborder title 'breakpoint 95% CI'";
      plot += fmt::format(", ({:.8g} + {:.8g}*x + ({:.8g})*(x > {:.8g} ? x - {:.8g} : 0)) with lines lw 2 lc rgb "
                          "'#c0392b' title {}",
                          b0, s1, s2 - s1, bp, bp,
                          gnuplot_quoted(fmt::format("piecewise fit, breakpoint {:.2f} [{:.2f}, {:.2f}]", bp,
                                                     pw["ci_low"].get<double>(), pw["ci_high"].get<double>())));
    }
    gp += supported ? "set key\n" : "unset key\n";
    gp += "set title " + gnuplot_quoted(title) + "\nset xlabel " + gnuplot_quoted(column_label(spec.analysis.exposure)) +
          "\nset ylabel " + gnuplot_quoted(column_label(c)) + "\n" + plot + "\n";
    gp += fmt::format("unset object {}\n", k + 1);
  }
  gp += "unset multiplot\n";
  return output::run_gnuplot(gp, png, reason) ? std::string() : reason;
}

}  // namespace

std::vector<std::string> plot_trial(const TrialSpec& spec, const nlohmann::json& analysis, const Table& patients,
                                    const std::filesystem::path& dir) {
  std::vector<std::string> problems;
  std::string reason;
  for (const auto& [file, result] :
       {std::pair<std::string, std::string>{"km.png", plot_km(spec, analysis, patients, dir / "km.png", reason)},
        {"forest.png", plot_forest(spec, analysis, dir / "forest.png", reason)},
        {"ne_vs_micro.png", plot_ne_vs_micro(spec, analysis, patients, dir / "ne_vs_micro.png", reason)}}) {
    if (!result.empty()) problems.push_back(fmt::format("{}: {}", file, result));
  }
  return problems;
}

}  // namespace coherence::trial
