#include "trial/plots.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "output/files.hpp"
#include "stats/survival.hpp"
#include "trial/trial.hpp"

namespace coherence::trial {

namespace {

const char* kColours[] = {"#c0392b", "#2471a3", "#1e8449", "#d35400", "#6c3483", "#7f8c8d"};

using output::gnuplot_quoted;

// Kaplan-Meier steps as a gnuplot datablock (time, survival), from 1 at t = 0 to day 28.
std::string km_block(const std::string& name, const std::vector<std::pair<double, double>>& steps) {
  std::string b = "$" + name + " << EOD\n0 1\n";
  for (const auto& [t, s] : steps) b += fmt::format("{:.6g} {:.6g}\n", t, s);
  if (steps.empty() || steps.back().first < 28.0) {
    b += fmt::format("28 {:.6g}\n", steps.empty() ? 1.0 : steps.back().second);
  }
  return b + "EOD\n";
}

std::vector<std::pair<double, double>> km_steps(const nlohmann::json& steps) {
  std::vector<std::pair<double, double>> out;
  for (const auto& s : steps) out.emplace_back(s["time_d"].get<double>(), s["survival"].get<double>());
  return out;
}

std::string plot_km(const TrialSpec& spec, const nlohmann::json& analysis, const Table& t,
                    const std::filesystem::path& png, std::string& reason) {
  std::string gp = "set terminal pngcairo size 1100,500 font 'sans,10'\nset output " +
                   gnuplot_quoted(png.string() + ".partial") + "\nset termoption noenhanced\n";
  // KM per protocol from patients.csv (stats::kaplan_meier, the estimator of analysis.json).
  const auto& protocol = t.text("protocol");
  const auto& status = t.text("status");
  const auto surv = t.numeric("survival_d"), death = t.numeric("death_28d");
  std::string plot = "plot ";
  for (std::size_t k = 0; k < spec.protocols.size(); ++k) {
    std::vector<double> time;
    std::vector<int> event;
    for (std::size_t i = 0; i < t.rows(); ++i) {
      if (protocol[i] == spec.protocols[k] && status[i] != "failed" && std::isfinite(surv[i]) && std::isfinite(death[i])) {
        time.push_back(surv[i]);
        event.push_back(death[i] > 0.5);
      }
    }
    if (time.empty()) continue;
    std::vector<std::pair<double, double>> steps;
    for (const auto& st : stats::kaplan_meier(time, event)) steps.emplace_back(st.time, st.survival);
    const std::string name = fmt::format("p{}", k);
    gp += km_block(name, steps);
    plot += fmt::format("${} using 1:2 with steps lw 2 lc rgb '{}' title {}, ", name, kColours[k % 6],
                        gnuplot_quoted(fmt::format("{} (n = {})", spec.protocols[k], time.size())));
  }
  gp += "set multiplot layout 1,2 title " + gnuplot_quoted(spec.name) + "\n";
  gp += "set xlabel 'days'\nset ylabel '28-day survival'\nset yrange [0:1.02]\nset xrange [0:28]\nset grid\n"
        "set key bottom left\nset title 'By protocol'\n";
  gp += plot + "\n";
  // By the cliff, in the first protocol.
  const auto& obs = analysis["observational"][spec.protocols.front()];
  if (obs.contains("survival_by_cliff")) {
    const auto& s = obs["survival_by_cliff"];
    std::string p2 = "plot ";
    int k = 0;
    for (const std::string key : {"kaplan_meier_at_or_below", "kaplan_meier_above"}) {
      if (!s.contains(key) || s[key].empty()) continue;
      const std::string name = fmt::format("c{}", k);
      gp += km_block(name, km_steps(s[key]));
      const int n = s[key].front()["at_risk"].get<int>();
      p2 += fmt::format("${} using 1:2 with steps lw 2 lc rgb '{}' title {}, ", name, k == 0 ? "#2471a3" : "#c0392b",
                        gnuplot_quoted(fmt::format("NE {} {:g} (n = {})", k == 0 ? "<=" : ">",
                                                   spec.analysis.cliff_threshold, n)));
      ++k;
    }
    std::string subtitle = fmt::format("{}: by NE at the cliff", spec.protocols.front());
    if (s.contains("log_rank") && s["log_rank"].contains("p") && !s["log_rank"]["p"].is_null()) {
      subtitle += fmt::format(" (log-rank p = {:.3g})", s["log_rank"]["p"].get<double>());
    }
    gp += "set title " + gnuplot_quoted(subtitle) + "\n";
    if (k > 0) gp += p2 + "\n";
  }
  gp += "unset multiplot\n";
  return output::run_gnuplot(gp, png, reason) ? std::string() : reason;
}

std::string plot_forest(const TrialSpec& spec, const nlohmann::json& analysis, const std::filesystem::path& png,
                        std::string& reason) {
  if (!analysis.contains("paired_comparisons")) return {};
  // Rows: standardised paired mean difference (mean / SD of the differences) with its CI.
  std::string data = "$forest << EOD\n", labels;
  std::string hr = "$hr << EOD\n", hr_labels;
  int row = 0, hr_row = 0;
  for (const auto& c : analysis["paired_comparisons"]) {
    const std::string who = c["protocol"].get<std::string>() + " vs " + c["reference"].get<std::string>();
    for (const auto& [name, o] : c["outcomes"].items()) {
      const auto& t = o["paired_t"];
      if (!t.contains("mean_difference") || t["mean_difference"].is_null() || t["t"].is_null()) continue;
      const double md = t["mean_difference"].get<double>(), tstat = t["t"].get<double>();
      const auto n = o["n"].get<double>();
      if (tstat == 0.0 || n < 2.0) continue;
      const double sd = md / tstat * std::sqrt(n);  // SD of the differences
      const double lo = t["ci_low"].get<double>() / sd, hi = t["ci_high"].get<double>() / sd;
      data += fmt::format("{} {:.6g} {:.6g} {:.6g}\n", row, md / sd, lo, hi);
      labels += fmt::format("{}{} {}", labels.empty() ? "" : ", ",
                            gnuplot_quoted(fmt::format("{}: {} ({:+.3g})", who, name, md)), row);
      ++row;
    }
    if (c.contains("survival") && c["survival"]["cox"].contains("terms")) {
      const auto& term = c["survival"]["cox"]["terms"][0];
      if (!term["hazard_ratio"].is_null() && !term["hr_ci_low"].is_null() && !term["hr_ci_high"].is_null()) {
        hr += fmt::format("{} {:.6g} {:.6g} {:.6g}\n", hr_row, term["hazard_ratio"].get<double>(),
                          term["hr_ci_low"].get<double>(), term["hr_ci_high"].get<double>());
        hr_labels += fmt::format("{}{} {}", hr_labels.empty() ? "" : ", ",
                                 gnuplot_quoted(fmt::format("{}: death HR", who)), hr_row);
        ++hr_row;
      }
    }
  }
  if (row == 0) return {};
  data += "EOD\n";
  hr += "EOD\n";
  std::string gp = fmt::format("set terminal pngcairo size 1100,{} font 'sans,10'\n", 260 + 28 * (row + hr_row));
  gp += "set output " + gnuplot_quoted(png.string() + ".partial") + "\nset termoption noenhanced\n" + data + hr;
  gp += "set multiplot title " + gnuplot_quoted(spec.name + ": paired protocol effects") + "\n";
  // Top panel: the paired differences; bottom panel (when there is one): hazard ratios.
  const double bottom = hr_row > 0 ? std::min(0.45, 0.12 + 0.06 * hr_row) : 0.0;
  gp += fmt::format("set origin 0,{:.4f}\nset size 1,{:.4f}\n", bottom + 0.02, 0.95 - bottom - 0.02);
  gp += "set lmargin 62\nset ytics (" + labels + ")\nset yrange [-1:" + std::to_string(row) + "] reverse\n";
  gp += "set xlabel 'standardised paired difference (mean / SD of differences), 95% CI; (mean difference in units)'\n"
        "set grid xtics\nset arrow from 0, graph 0 to 0, graph 1 nohead dt 2 lc rgb '#555555'\n";
  gp += "plot $forest using 2:1:3:4 with xerrorbars pt 7 lc rgb '#2471a3' notitle\n";
  if (hr_row > 0) {
    gp += fmt::format("unset arrow\nset origin 0,0\nset size 1,{:.4f}\n", bottom) + "set ytics (" + hr_labels + ")\nset yrange [-1:" +
          std::to_string(hr_row) + "] reverse\nset logscale x\nset xlabel 'hazard ratio of 28-day death (Cox), 95% CI'\n"
          "set arrow from 1, graph 0 to 1, graph 1 nohead dt 2 lc rgb '#555555'\n"
          "plot $hr using 2:1:3:4 with xerrorbars pt 7 lc rgb '#c0392b' notitle\n";
  }
  gp += "unset multiplot\n";
  return output::run_gnuplot(gp, png, reason) ? std::string() : reason;
}

std::string plot_ne_vs_micro(const TrialSpec& spec, const nlohmann::json& analysis, const Table& t,
                             const std::filesystem::path& png, std::string& reason) {
  const std::string& first = spec.protocols.front();
  const auto& obs = analysis["observational"][first];
  if (!obs.contains("piecewise")) return {};
  const auto& protocol = t.text("protocol");
  const auto& status = t.text("status");
  const auto x = t.numeric(spec.analysis.exposure);
  std::string gp = "set terminal pngcairo size 1200,900 font 'sans,10'\nset output " +
                   gnuplot_quoted(png.string() + ".partial") + "\nset termoption noenhanced\n";
  const auto& names = spec.analysis.correlates;
  const int panels = std::min<int>(4, static_cast<int>(names.size()));
  gp += fmt::format("set multiplot layout 2,2 title {}\n",
                    gnuplot_quoted(fmt::format("{} ({}): {} against the microcirculation", spec.name, first,
                                               spec.analysis.exposure)));
  gp += "set grid\nset key top right\n";
  for (int k = 0; k < panels; ++k) {
    const std::string& c = names[static_cast<std::size_t>(k)];
    if (!t.has(c)) continue;
    const auto y = t.numeric(c);
    std::string block = fmt::format("$d{} << EOD\n", k);
    for (std::size_t i = 0; i < t.rows(); ++i) {
      if (protocol[i] == first && status[i] != "failed" && std::isfinite(x[i]) && std::isfinite(y[i])) {
        block += fmt::format("{:.6g} {:.6g}\n", x[i], y[i]);
      }
    }
    gp += block + "EOD\n";
    std::string plot = fmt::format("plot $d{} using 1:2 with points pt 7 ps 0.5 lc rgb '#7f8c8d' title 'patients'", k);
    std::string title = c;
    if (obs["correlations"].contains(c) && obs["correlations"][c]["pearson"].contains("r")) {
      title += fmt::format(": r = {:.2f}", obs["correlations"][c]["pearson"]["r"].get<double>());
    }
    const auto& pw = obs["piecewise"][c];
    if (pw.contains("breakpoint")) {
      const double bp = pw["breakpoint"].get<double>(), b0 = pw["intercept"].get<double>(),
                   s1 = pw["slope_below"].get<double>(), s2 = pw["slope_above"].get<double>();
      gp += fmt::format("set object {} rect from {:.6g}, graph 0 to {:.6g}, graph 1 fc rgb '#f5b7b1' fs solid 0.35 "
                        "noborder behind\n",
                        k + 1, pw["ci_low"].get<double>(), pw["ci_high"].get<double>());
      plot += fmt::format(", ({:.8g} + {:.8g}*x + ({:.8g})*(x > {:.8g} ? x - {:.8g} : 0)) with lines lw 2 lc rgb "
                          "'#c0392b' title {}",
                          b0, s1, s2 - s1, bp, bp, bp,
                          gnuplot_quoted(fmt::format("piecewise fit, breakpoint {:.2f} [{:.2f}, {:.2f}]", bp,
                                                     pw["ci_low"].get<double>(), pw["ci_high"].get<double>())));
    }
    gp += "set title " + gnuplot_quoted(title) + "\nset xlabel " + gnuplot_quoted(spec.analysis.exposure) +
          "\nset ylabel " + gnuplot_quoted(c) + "\n" + plot + "\n";
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
