#include "trial/trial.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>
#include <toml++/toml.h>

#include "output/files.hpp"
#include "protocol/registry.hpp"
#include "run/runner.hpp"

namespace coherence::trial {

using scenario::InputError;

namespace {

const std::set<std::string, std::less<>> kOutcomeModelKeys = {
    "intercept", "saps_weight", "lactate_log_odds", "mfi_log_odds", "hypotension_log_odds", "dysoxia_log_odds",
    "hazard_shape"};

// Reads keys of one TOML table with clear one-line errors (file:line: key: rule).
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const toml::node* n, const std::string& key, const std::string& rule) const {
    if (n && n->source().begin.line > 0) {
      throw InputError(fmt::format("{}:{}: {}: {}", file_, n->source().begin.line, key, rule));
    }
    throw InputError(fmt::format("{}: {}: {}", file_, key, rule));
  }

  void check_known(const toml::table& t, const std::string& prefix, const std::set<std::string, std::less<>>& known) const {
    for (const auto& [k, v] : t) {
      if (!known.contains(k.str())) fail(&v, prefix + std::string(k.str()), "unknown key");
    }
  }

  double number(const toml::table& t, const std::string& prefix, std::string_view key, double lo, double hi,
                std::optional<double> fallback) const {
    const toml::node* n = t.get(key);
    const std::string path = prefix + std::string(key);
    if (!n) {
      if (fallback) return *fallback;
      fail(&t, path, "required key missing");
    }
    double v = 0.0;
    if (auto d = n->value_exact<double>()) {
      v = *d;
    } else if (auto i = n->value_exact<int64_t>()) {
      v = static_cast<double>(*i);
    } else {
      fail(n, path, "must be a number");
    }
    if (!std::isfinite(v)) fail(n, path, fmt::format("value {} must be finite", v));
    if (v < lo || v > hi) fail(n, path, fmt::format("value {:g} outside [{:g}, {:g}]", v, lo, hi));
    return v;
  }

  std::int64_t integer(const toml::table& t, const std::string& prefix, std::string_view key, std::int64_t lo,
                       std::int64_t hi, std::optional<std::int64_t> fallback) const {
    const toml::node* n = t.get(key);
    const std::string path = prefix + std::string(key);
    if (!n) {
      if (fallback) return *fallback;
      fail(&t, path, "required key missing");
    }
    const auto i = n->value_exact<int64_t>();
    if (!i) fail(n, path, "must be an integer");
    if (*i < lo || *i > hi) fail(n, path, fmt::format("value {} outside [{}, {}]", *i, lo, hi));
    return *i;
  }

  std::string string(const toml::table& t, const std::string& prefix, std::string_view key,
                     std::optional<std::string> fallback) const {
    const toml::node* n = t.get(key);
    const std::string path = prefix + std::string(key);
    if (!n) {
      if (fallback) return *fallback;
      fail(&t, path, "required key missing");
    }
    const auto s = n->value_exact<std::string>();
    if (!s) fail(n, path, "must be a string");
    return *s;
  }

  std::vector<double> numbers(const toml::table& t, const std::string& prefix, std::string_view key) const {
    const toml::node* n = t.get(key);
    const std::string path = prefix + std::string(key);
    if (!n) fail(&t, path, "required key missing");
    const toml::array* a = n->as_array();
    if (!a || a->empty()) fail(n, path, "must be a non-empty array of numbers");
    std::vector<double> out;
    for (const auto& e : *a) {
      if (auto d = e.value_exact<double>()) {
        out.push_back(*d);
      } else if (auto i = e.value_exact<int64_t>()) {
        out.push_back(static_cast<double>(*i));
      } else {
        fail(&e, path, "must be a non-empty array of numbers");
      }
      if (!std::isfinite(out.back())) fail(&e, path, "values must be finite");
    }
    return out;
  }

  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

// 64-bit FNV-1a: the fingerprint of a trial's inputs, so that --resume refuses another trial's
// journal.
std::uint64_t fnv1a(std::string_view text, std::uint64_t h = 1469598103934665603ULL) {
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string fingerprint(const TrialSpec& spec) {
  std::uint64_t h = fnv1a(read_text(spec.file));
  h = fnv1a(read_text(spec.scenario_file), h);
  for (const auto& o : spec.scenario_overrides) h = fnv1a(o.text + "\n", h);
  for (const auto& o : spec.trial_overrides) {
    if (o.key.starts_with("outcome_model.")) h = fnv1a(o.text + "\n", h);  // trial.* are hashed below
  }
  h = fnv1a(fmt::format("{} {} {}", spec.seed, spec.patients, spec.output_interval_min), h);
  for (const auto& p : spec.protocols) h = fnv1a(p + ",", h);
  return fmt::format("{:016x}", h);
}

std::string csv_number(double v) { return std::isnan(v) ? std::string() : fmt::format("{:.6g}", v); }

std::string csv_quoted(const std::string& t) {
  std::string q = "\"";
  for (char c : t) q += (c == '"') ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

// Cells of one CSV line (RFC 4180 quoting; the line's newline excluded); -1 for an open quote.
long csv_cells(const std::string& line) {
  long cells = 1;
  bool quoted = false;
  for (char c : line) {
    if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      ++cells;
    }
  }
  return quoted ? -1 : cells;
}

int leading_patient_id(const std::string& line) {
  int id = 0;
  std::size_t k = 0;
  while (k < line.size() && line[k] >= '0' && line[k] <= '9') id = id * 10 + (line[k++] - '0');
  return (k > 0 && k < line.size() && line[k] == ',') ? id : -1;
}

}  // namespace

TrialSpec load_trial(const std::filesystem::path& path, const std::vector<scenario::Override>& overrides) {
  TrialSpec spec;
  spec.file = path.string();
  std::error_code ec;
  if (const std::string why = scenario::why_not_a_regular_file(path); !why.empty()) {
    throw InputError(fmt::format("{}: cannot read trial file ({})", spec.file, why));
  }
  toml::table root;
  try {
    root = toml::parse_file(spec.file);
  } catch (const toml::parse_error& e) {
    throw InputError(fmt::format("{}:{}: TOML syntax error: {}", spec.file, e.source().begin.line, e.description()));
  }
  // --set: trial.* and outcome_model.* keys change the trial file's values; the rest go to the
  // base scenario.
  for (const auto& o : overrides) {
    const bool trial_key = o.key.starts_with("trial."), outcome_key = o.key.starts_with("outcome_model.");
    if (!trial_key && !outcome_key) {
      spec.scenario_overrides.push_back(o);
      continue;
    }
    const std::string key = o.key.substr(trial_key ? 6 : 14);
    if (trial_key && key != "patients" && key != "seed" && key != "output_interval_min") {
      throw InputError(fmt::format("--set {}: trial keys settable from the command line are trial.patients, "
                                   "trial.seed and trial.output_interval_min",
                                   o.text));
    }
    if (outcome_key && !kOutcomeModelKeys.contains(key)) {
      throw InputError(fmt::format("--set {}: unknown outcome_model key '{}' (docs/trials.md, Outcome model)", o.text, key));
    }
    if (outcome_key && !root.get("outcome_model")) root.insert("outcome_model", toml::table{});
    toml::table* t = root[trial_key ? "trial" : "outcome_model"].as_table();
    if (!t) throw InputError(fmt::format("{}: [{}] table missing", spec.file, trial_key ? "trial" : "outcome_model"));
    try {
      const toml::table v = toml::parse("v = " + o.value);
      t->insert_or_assign(key, *v.get("v"));
    } catch (const toml::parse_error&) {
      throw InputError(fmt::format("--set {}: '{}' is not a TOML value", o.text, o.value));
    }
    spec.trial_overrides.push_back(o);
  }
  const Reader r(spec.file);
  r.check_known(root, "", {"trial", "arms", "measurements", "cohort", "outcome_model", "analysis", "inclusion", "comparisons"});
  const toml::table* t = root["trial"].as_table();
  if (!t) r.fail(&root, "trial", "[trial] table missing");
  r.check_known(*t, "trial.", {"name", "description", "scenario", "protocols", "patients", "seed",
                               "output_interval_min", "measurement_columns"});
  spec.name = r.string(*t, "trial.", "name", std::nullopt);
  spec.description = r.string(*t, "trial.", "description", std::string());
  const std::string scen = r.string(*t, "trial.", "scenario", std::nullopt);
  spec.scenario_file = path.parent_path() / scen;
  if (!std::filesystem::is_regular_file(spec.scenario_file, ec)) {
    r.fail(t->get("scenario"), "trial.scenario", fmt::format("'{}' is not a readable file", spec.scenario_file.string()));
  }
  // Arms: [[arms]] (name, protocol, settings) or the shorthand trial.protocols = [...].
  auto valid_name = [](const std::string& n) {
    return !n.empty() && std::all_of(n.begin(), n.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
  };
  const std::string protocol_rule = "each must be one of " + protocol::protocol_names(", ");
  const toml::node* arms_node = root.get("arms");
  if (arms_node && t->get("protocols")) {
    r.fail(t->get("protocols"), "trial.protocols", "give trial.protocols or [[arms]], not both");
  }
  if (arms_node) {
    const toml::array* a = arms_node->as_array();
    if (!a || a->empty() || !a->is_array_of_tables()) r.fail(arms_node, "arms", "must be an array of tables ([[arms]])");
    for (const auto& e : *a) {
      const toml::table& at = *e.as_table();
      r.check_known(at, "arms[].", {"name", "protocol", "settings", "description"});
      Arm arm;
      arm.line = static_cast<int>(at.source().begin.line);
      arm.name = r.string(at, "arms[].", "name", std::nullopt);
      if (!valid_name(arm.name)) r.fail(at.get("name"), "arms[].name", fmt::format("'{}': lower-case letters, digits and _ only", arm.name));
      for (const auto& other : spec.arms) {
        if (other.name == arm.name) r.fail(at.get("name"), "arms[].name", fmt::format("'{}' used twice", arm.name));
      }
      arm.protocol = r.string(at, "arms[].", "protocol", std::nullopt);
      if (!protocol::find_protocol(arm.protocol)) r.fail(at.get("protocol"), "arms[].protocol", fmt::format("'{}': {}", arm.protocol, protocol_rule));
      if (const toml::node* sn = at.get("settings")) {
        const toml::table* st = sn->as_table();
        if (!st) r.fail(sn, "arms[].settings", "must be a table of scenario keys, e.g. settings.protocol.map_target_mmHg = 80");
        // Nested tables flatten into dotted scenario keys.
        std::function<void(const toml::table&, const std::string&)> flatten = [&](const toml::table& tt, const std::string& prefix) {
          for (const auto& [k, v] : tt) {
            const std::string key = prefix + std::string(k.str());
            if (const toml::table* sub = v.as_table()) {
              flatten(*sub, key + ".");
              continue;
            }
            const std::string where = fmt::format("arms[{}].settings.{}", arm.name, key);
            if (key == "protocol.name") r.fail(&v, where, "the arm's protocol is arms[].protocol");
            std::ostringstream text;
            if (auto d = v.value_exact<double>()) {
              std::string t = fmt::format("{}", *d);  // shortest text that reads back exactly
              if (t.find_first_of(".eEn") == std::string::npos) t += ".0";
              text << t;
            } else if (auto i = v.value_exact<int64_t>()) {
              text << *i;
            } else if (auto b = v.value_exact<bool>()) {
              text << (*b ? "true" : "false");
            } else if (auto str = v.value_exact<std::string>()) {
              text << *str;
            } else {
              r.fail(&v, where, "must be a number, a boolean or a string");
            }
            scenario::Override o;
            try {
              o = scenario::parse_override(key + "=" + text.str());
            } catch (const InputError& err) {
              r.fail(&v, where, fmt::format("value {}: not a scenario key (docs/scenarios.md): {}", text.str(), err.what()));
            }
            for (const auto& set : spec.scenario_overrides) {
              if (set.key == key) {
                r.fail(&v, where, fmt::format("value {}: --set {} would be replaced by the arm's setting in this arm only; "
                                              "set it in the arm (or drop the --set)", text.str(), set.text));
              }
            }
            arm.settings.push_back(o);
          }
        };
        flatten(*st, "");
      }
      spec.arms.push_back(arm);
    }
  } else {
    const toml::array* protos = (*t)["protocols"].as_array();
    if (!protos || protos->empty()) r.fail(t->get("protocols") ? t->get("protocols") : t, "trial.protocols",
                                           "required: a non-empty array of protocol names, or [[arms]]");
    for (const auto& e : *protos) {
      const auto name = e.value_exact<std::string>();
      if (!name || !protocol::find_protocol(*name)) r.fail(&e, "trial.protocols", protocol_rule);
      for (const auto& other : spec.arms) {
        if (other.name == *name) {
          r.fail(&e, "trial.protocols", fmt::format("'{}' listed twice (one protocol at two settings: use [[arms]], "
                                                    "docs/trials.md)", *name));
        }
      }
      spec.arms.push_back(Arm{*name, *name, {}, static_cast<int>(e.source().begin.line)});
    }
  }
  for (const auto& arm : spec.arms) spec.protocols.push_back(arm.name);
  // [[comparisons]]: which pairs of arms the paired statistics compare (default: each arm
  // against the first).
  if (const toml::node* cn = root.get("comparisons")) {
    const toml::array* a = cn->as_array();
    if (!a || a->empty() || !a->is_array_of_tables()) r.fail(cn, "comparisons", "must be an array of tables ([[comparisons]])");
    if (spec.arms.size() < 2) r.fail(cn, "comparisons", "needs at least two arms");
    for (const auto& e : *a) {
      const toml::table& ct = *e.as_table();
      r.check_known(ct, "comparisons[].", {"arm", "reference"});
      const std::string arm = r.string(ct, "comparisons[].", "arm", std::nullopt);
      const std::string ref = r.string(ct, "comparisons[].", "reference", std::nullopt);
      for (const auto& [key, name] : {std::pair{"arm", arm}, std::pair{"reference", ref}}) {
        if (std::find(spec.protocols.begin(), spec.protocols.end(), name) == spec.protocols.end()) {
          std::string names;
          for (const auto& n : spec.protocols) names += (names.empty() ? "" : ", ") + n;
          r.fail(ct.get(key), std::string("comparisons[].") + key, fmt::format("'{}' is not an arm (arms: {})", name, names));
        }
      }
      if (arm == ref) r.fail(ct.get("reference"), "comparisons[].reference", fmt::format("'{}' compared with itself", arm));
      for (const auto& [x, y] : spec.comparisons) {
        if ((x == arm && y == ref) || (x == ref && y == arm)) {
          r.fail(&ct, "comparisons[]", fmt::format("'{}' and '{}' compared twice", arm, ref));
        }
      }
      spec.comparisons.emplace_back(arm, ref);
    }
  } else {
    for (std::size_t k = 1; k < spec.protocols.size(); ++k) spec.comparisons.emplace_back(spec.protocols[k], spec.protocols[0]);
  }
  spec.patients = static_cast<int>(r.integer(*t, "trial.", "patients", 1, 1000000, std::nullopt));
  spec.seed = static_cast<std::uint64_t>(r.integer(*t, "trial.", "seed", 0, 2147483647, 1));
  spec.output_interval_min = r.number(*t, "trial.", "output_interval_min", 1.0, 60.0, 15.0);
  if (const toml::node* mc = t->get("measurement_columns")) {
    const toml::array* a = mc->as_array();
    if (!a || a->empty()) r.fail(mc, "trial.measurement_columns", "must be a non-empty array of timeseries columns");
    for (const auto& e : *a) {
      const auto name = e.value_exact<std::string>();
      const run::SampleColumn* c = name ? run::find_column(*name) : nullptr;
      if (!c || c->member == &run::Sample::time_min) {
        r.fail(&e, "trial.measurement_columns", "each must be a column of timeseries.csv (docs/scenarios.md)");
      }
      spec.measurement_columns.push_back(c);
    }
  } else {
    for (const auto& c : run::kSampleColumns) {
      if (c.member != &run::Sample::time_min) spec.measurement_columns.push_back(&c);
    }
  }

  // The base scenario must load (with the --set keys) before any patient is drawn.
  const scenario::Scenario base = scenario::load_scenario(spec.scenario_file, spec.scenario_overrides);
  const double duration_min = base.duration_min;
  if (base.monitoring.micro_method != "truth_noise") {
    r.fail(t->get("scenario"), "trial.scenario",
           "the base scenario measures the microcirculation by render_score, too slow for a cohort: use truth_noise");
  }

  // Every arm's settings must load on the base scenario (the scenario's own range rules).
  for (const auto& arm : spec.arms) {
    auto o = spec.scenario_overrides;
    o.push_back(scenario::parse_override("protocol.name=" + arm.protocol));
    for (const auto& set : arm.settings) o.push_back(set);
    try {
      (void)scenario::load_scenario(spec.scenario_file, o);
    } catch (const InputError& err) {
      throw InputError(fmt::format("{}:{}: arms[{}].settings: the scenario refuses them: {}", spec.file, arm.line,
                                   arm.name, err.what()));
    }
  }

  if (const toml::node* mn = root.get("measurements")) {
    const toml::array* a = mn->as_array();
    if (!a || !a->is_array_of_tables()) r.fail(mn, "measurements", "must be an array of tables ([[measurements]])");
    std::set<std::string> names;
    for (const auto& e : *a) {
      const toml::table& m = *e.as_table();
      r.check_known(m, "measurements[].", {"name", "at_min", "at_h"});
      scenario::Measurement meas;
      meas.name = r.string(m, "measurements[].", "name", std::nullopt);
      const bool valid = !meas.name.empty() && std::all_of(meas.name.begin(), meas.name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
      });
      if (!valid) r.fail(m.get("name"), "measurements[].name", "lower-case letters, digits and _ only");
      if (!names.insert(meas.name).second) r.fail(m.get("name"), "measurements[].name", "duplicate name");
      if (m.get("at_min") && m.get("at_h")) r.fail(&m, "measurements[].at_min", "give at_min or at_h, not both");
      meas.at_min = m.get("at_h") ? 60.0 * r.number(m, "measurements[].", "at_h", 0.0, duration_min / 60.0, std::nullopt)
                                  : r.number(m, "measurements[].", "at_min", 0.0, duration_min, std::nullopt);
      spec.measurements.push_back(meas);
    }
    std::sort(spec.measurements.begin(), spec.measurements.end(),
              [](const auto& x, const auto& y) { return x.at_min < y.at_min; });
  }

  // Cohort: [[cohort.variables]] and [[cohort.correlations]].
  if (const toml::node* cn = root.get("cohort")) {
    const toml::table* c = cn->as_table();
    if (!c) r.fail(cn, "cohort", "must be a table");
    r.check_known(*c, "cohort.", {"variables", "correlations"});
    if (const toml::node* vn = c->get("variables")) {
      const toml::array* a = vn->as_array();
      if (!a || !a->is_array_of_tables()) r.fail(vn, "cohort.variables", "must be an array of tables");
      std::set<std::string> keys;
      for (const auto& e : *a) {
        const toml::table& v = *e.as_table();
        const std::string p = "cohort.variables[].";
        CohortVariable cv;
        cv.line = static_cast<int>(v.source().begin.line);
        cv.key = r.string(v, p, "key", std::nullopt);
        // Any settable scenario key (patient, sepsis, events, protocol settings, monitoring, ...)
        // but those the trial sets itself for every patient.
        if (cv.key.starts_with("scenario.") || cv.key == "protocol.name") {
          r.fail(v.get("key"), p + "key", fmt::format("'{}': the trial sets scenario.* and protocol.name itself; a cohort "
                                                      "draws any other scenario key (docs/scenarios.md)", cv.key));
        }
        try {
          (void)scenario::parse_override(cv.key + "=0.0");
        } catch (const InputError&) {
          r.fail(v.get("key"), p + "key", fmt::format("'{}' is not a scenario key (docs/scenarios.md)", cv.key));
        }
        if (!keys.insert(cv.key).second) r.fail(v.get("key"), p + "key", fmt::format("'{}' drawn twice", cv.key));
        const std::string dist = r.string(v, p, "distribution", std::nullopt);
        if (dist == "normal") {
          r.check_known(v, p, {"key", "distribution", "mean", "sd", "min", "max"});
          cv.distribution = Distribution::kNormal;
          cv.mean = r.number(v, p, "mean", -1e9, 1e9, std::nullopt);
          cv.sd = r.number(v, p, "sd", 1e-12, 1e9, std::nullopt);
          cv.min = r.number(v, p, "min", -1e9, 1e9, std::nullopt);
          cv.max = r.number(v, p, "max", cv.min, 1e9, std::nullopt);
        } else if (dist == "lognormal") {
          r.check_known(v, p, {"key", "distribution", "median", "sd_log", "min", "max"});
          cv.distribution = Distribution::kLognormal;
          cv.median = r.number(v, p, "median", 1e-12, 1e9, std::nullopt);
          cv.sd_log = r.number(v, p, "sd_log", 1e-12, 10, std::nullopt);
          cv.min = r.number(v, p, "min", 1e-12, 1e9, std::nullopt);
          cv.max = r.number(v, p, "max", cv.min, 1e9, std::nullopt);
        } else if (dist == "uniform") {
          r.check_known(v, p, {"key", "distribution", "min", "max"});
          cv.distribution = Distribution::kUniform;
          cv.min = r.number(v, p, "min", -1e9, 1e9, std::nullopt);
          cv.max = r.number(v, p, "max", cv.min, 1e9, std::nullopt);
        } else if (dist == "categorical") {
          r.check_known(v, p, {"key", "distribution", "values", "weights"});
          cv.distribution = Distribution::kCategorical;
          cv.values = r.numbers(v, p, "values");
          cv.weights = r.numbers(v, p, "weights");
          if (cv.weights.size() != cv.values.size()) r.fail(v.get("weights"), p + "weights", "one weight per value");
          for (double w : cv.weights) {
            if (w < 0.0) r.fail(v.get("weights"), p + "weights", "weights must be >= 0");
          }
          double total = 0.0;
          for (double w : cv.weights) total += w;
          if (total <= 0.0) r.fail(v.get("weights"), p + "weights", "weights must not all be 0");
          cv.min = *std::min_element(cv.values.begin(), cv.values.end());
          cv.max = *std::max_element(cv.values.begin(), cv.values.end());
        } else {
          r.fail(v.get("distribution"), p + "distribution",
                 fmt::format("'{}': one of normal, lognormal, uniform, categorical", dist));
        }
        // Every value the distribution can give must be valid for the scenario key: checked by
        // loading the base scenario with the bounds (the scenario's own range rules apply).
        for (double bound : {cv.min, cv.max}) {
          try {
            scenario::load_scenario(spec.scenario_file,
                                    [&] {
                                      auto o = spec.scenario_overrides;
                                      o.push_back(scenario::parse_override(cv.key + "=" + format_value(bound)));
                                      return o;
                                    }());
          } catch (const InputError& err) {
            r.fail(&v, p + "key", fmt::format("'{}' can be drawn as {:g}, which the scenario refuses ({})", cv.key,
                                              bound, err.what()));
          }
        }
        // A --set on a key the cohort draws would be replaced by every patient's draw.
        for (const auto& o : spec.scenario_overrides) {
          if (o.key == cv.key) {
            throw InputError(fmt::format("--set {}: {} is drawn per patient by the cohort ({}: cohort.variables); "
                                         "change its distribution in the trial file instead",
                                         o.text, cv.key, spec.file));
          }
        }
        // An arm's setting on a key the cohort draws: which one wins would be an accident.
        for (const auto& arm : spec.arms) {
          for (const auto& o : arm.settings) {
            if (o.key == cv.key) {
              r.fail(&v, p + "key", fmt::format("'{}' is drawn per patient by the cohort and set by arm '{}' (line {}): "
                                                "keep one", cv.key, arm.name, arm.line));
            }
          }
        }
        spec.cohort.variables.push_back(cv);
      }
    }
    const auto n = static_cast<Eigen::Index>(spec.cohort.variables.size());
    spec.cohort.correlation = Eigen::MatrixXd::Identity(n, n);
    if (const toml::node* rn = c->get("correlations")) {
      const toml::array* a = rn->as_array();
      if (!a || !a->is_array_of_tables()) r.fail(rn, "cohort.correlations", "must be an array of tables");
      for (const auto& e : *a) {
        const toml::table& cc = *e.as_table();
        const std::string p = "cohort.correlations[].";
        r.check_known(cc, p, {"a", "b", "rho"});
        auto index_of = [&](const std::string& which) {
          const std::string key = r.string(cc, p, which, std::nullopt);
          for (Eigen::Index k = 0; k < n; ++k) {
            if (spec.cohort.variables[static_cast<std::size_t>(k)].key == key) return k;
          }
          r.fail(cc.get(which), p + which, fmt::format("'{}' is not a cohort variable", key));
        };
        const Eigen::Index ia = index_of("a"), ib = index_of("b");
        if (ia == ib) r.fail(cc.get("b"), p + "b", "a variable's correlation with itself is 1");
        const double rho = r.number(cc, p, "rho", -0.99, 0.99, std::nullopt);
        spec.cohort.correlation(ia, ib) = spec.cohort.correlation(ib, ia) = rho;
      }
    }
    const Eigen::LLT<Eigen::MatrixXd> llt(spec.cohort.correlation);
    if (llt.info() != Eigen::Success) {
      r.fail(c->get("correlations") ? c->get("correlations") : cn, "cohort.correlations", "the correlations together are impossible (not positive definite)");
    }
    spec.cohort.cholesky = llt.matrixL();
  }

  // [[inclusion]]: criteria at enrolment.
  if (const toml::node* in = root.get("inclusion")) {
    const toml::array* a = in->as_array();
    if (!a || !a->is_array_of_tables()) r.fail(in, "inclusion", "must be an array of tables ([[inclusion]])");
    double earliest_start = 1e300;
    for (const auto& arm : spec.arms) {
      auto o = spec.scenario_overrides;
      o.push_back(scenario::parse_override("protocol.name=" + arm.protocol));
      for (const auto& set : arm.settings) o.push_back(set);
      earliest_start = std::min(earliest_start, scenario::load_scenario(spec.scenario_file, o).protocol.start_min);
    }
    for (const auto& e : *a) {
      const toml::table& it = *e.as_table();
      const std::string p = "inclusion[].";
      r.check_known(it, p, {"name", "column", "at_min", "key", "min", "max"});
      InclusionCriterion c;
      c.line = static_cast<int>(it.source().begin.line);
      if (it.get("column") == nullptr && it.get("key") == nullptr) r.fail(&it, p + "column", "give column (with at_min) or key");
      if (it.get("column") && it.get("key")) r.fail(&it, p + "key", "give column or key, not both");
      if (it.get("column")) {
        c.column = r.string(it, p, "column", std::nullopt);
        const run::SampleColumn* column = run::find_column(c.column);
        if (!column || column->member == &run::Sample::time_min) {
          r.fail(it.get("column"), p + "column", fmt::format("'{}' is not a column of timeseries.csv", c.column));
        }
        c.member = column->member;
        c.at_min = r.number(it, p, "at_min", 0.0, earliest_start, 0.0);
      } else {
        if (it.get("at_min")) r.fail(it.get("at_min"), p + "at_min", "at_min goes with column, not key");
        c.key = r.string(it, p, "key", std::nullopt);
        const bool drawn = std::any_of(spec.cohort.variables.begin(), spec.cohort.variables.end(),
                                       [&](const auto& v) { return v.key == c.key; });
        if (!drawn) r.fail(it.get("key"), p + "key", fmt::format("'{}' is not a cohort variable", c.key));
      }
      if (!it.get("min") && !it.get("max")) r.fail(&it, p + "min", "give min, max or both");
      c.min = r.number(it, p, "min", -1e12, 1e12, -1e300);
      c.max = r.number(it, p, "max", -1e12, 1e12, 1e300);
      if (c.max < c.min) r.fail(it.get("max"), p + "max", fmt::format("value {:g} below min {:g}", c.max, c.min));
      c.name = r.string(it, p, "name", c.column.empty() ? c.key : c.column);
      spec.inclusion.push_back(c);
    }
  }

  if (const toml::node* on = root.get("outcome_model")) {
    const toml::table* o = on->as_table();
    if (!o) r.fail(on, "outcome_model", "must be a table");
    const std::string p = "outcome_model.";
    r.check_known(*o, p, kOutcomeModelKeys);
    OutcomeModel& m = spec.outcome_model;
    m.intercept = r.number(*o, p, "intercept", -20, 20, m.intercept);
    m.saps_weight = r.number(*o, p, "saps_weight", 0, 5, m.saps_weight);
    m.lactate_log_odds = r.number(*o, p, "lactate_log_odds", -5, 5, m.lactate_log_odds);
    m.mfi_log_odds = r.number(*o, p, "mfi_log_odds", -5, 5, m.mfi_log_odds);
    m.hypotension_log_odds = r.number(*o, p, "hypotension_log_odds", -5, 5, m.hypotension_log_odds);
    m.dysoxia_log_odds = r.number(*o, p, "dysoxia_log_odds", -5, 5, m.dysoxia_log_odds);
    m.hazard_shape = r.number(*o, p, "hazard_shape", 0.2, 5, m.hazard_shape);
  }
  // [analysis]: columns must be columns of patients.csv.
  {
    const std::vector<std::string> all = patients_columns(spec);
    const std::set<std::string, std::less<>> columns(all.begin(), all.end());
    AnalysisSpec& a = spec.analysis;
    if (const toml::node* an = root.get("analysis")) {
      const toml::table* at = an->as_table();
      if (!at) r.fail(an, "analysis", "must be a table");
      const std::string p = "analysis.";
      r.check_known(*at, p, {"exposure", "correlates", "adjust", "group_threshold", "cliff_threshold"});
      auto column = [&](const toml::node* n, const std::string& key, const std::string& value) {
        if (!columns.contains(value)) r.fail(n, key, fmt::format("'{}' is not a column of patients.csv", value));
        return value;
      };
      if (at->get("exposure")) a.exposure = column(at->get("exposure"), p + "exposure", r.string(*at, p, "exposure", std::nullopt));
      for (const std::string key : {"correlates", "adjust"}) {
        const toml::node* n = at->get(key);
        if (!n) continue;
        const toml::array* arr = n->as_array();
        if (!arr) r.fail(n, p + key, "must be an array of column names");
        std::vector<std::string> names;
        for (const auto& e : *arr) {
          const auto v = e.value_exact<std::string>();
          if (!v) r.fail(&e, p + key, "must be an array of column names");
          names.push_back(column(&e, p + key, *v));
        }
        (key == "correlates" ? a.correlates : a.adjust) = names;
      }
      a.group_threshold = r.number(*at, p, "group_threshold", 0.0, 10.0, a.group_threshold);
      a.cliff_threshold = r.number(*at, p, "cliff_threshold", 0.0, 10.0, a.cliff_threshold);
    }
  }
  return spec;
}

std::vector<scenario::Override> patient_overrides(const TrialSpec& spec, const Patient& p, const Arm& arm) {
  std::vector<scenario::Override> o = spec.scenario_overrides;
  for (std::size_t k = 0; k < spec.cohort.variables.size(); ++k) {
    o.push_back(scenario::parse_override(spec.cohort.variables[k].key + "=" + format_value(p.values[k])));
  }
  o.push_back(scenario::parse_override(fmt::format("scenario.seed={}", p.seed)));
  o.push_back(scenario::parse_override("protocol.name=" + arm.protocol));
  for (const auto& set : arm.settings) o.push_back(set);
  o.push_back(scenario::parse_override("scenario.output_interval_min=" + format_value(spec.output_interval_min)));
  return o;
}

scenario::Scenario patient_scenario(const TrialSpec& spec, const Patient& p, const Arm& arm) {
  scenario::Scenario s = scenario::load_scenario(spec.scenario_file, patient_overrides(spec, p, arm));
  s.measurements = spec.measurements;
  return s;
}

const Arm& find_arm(const TrialSpec& spec, const std::string& name) {
  std::string names;
  for (const auto& arm : spec.arms) {
    if (arm.name == name) return arm;
    names += (names.empty() ? "" : ", ") + arm.name;
  }
  throw InputError(fmt::format("{}: no arm '{}' (arms: {})", spec.file, name, names));
}

std::vector<std::string> patients_columns(const TrialSpec& spec) {
  std::vector<std::string> c = {"patient_id", "protocol", "arm", "status", "reason", "seed"};
  for (const auto& v : spec.cohort.variables) c.push_back(v.key);
  for (const auto& o : outcome_columns()) c.push_back(o);
  for (const auto& o : exposure_columns()) c.push_back(o);
  for (const auto& m : spec.measurements) {
    for (const auto* t : spec.measurement_columns) c.push_back(m.name + "_" + std::string(t->name));
  }
  return c;
}

std::string patients_csv_header(const TrialSpec& spec) {
  std::string h;
  for (const auto& c : patients_columns(spec)) {
    if (!h.empty()) h += ',';
    h += c;
  }
  return h + "\n";
}

PatientRows run_patient(const TrialSpec& spec, int patient_id, const std::filesystem::path& decisions_dir,
                        const std::string& only_arm, run::RunResult* replay) {
  const Patient p = sample_patient(spec.cohort, spec.seed, patient_id);
  const double death_exp = death_exponential(spec.seed, patient_id);
  PatientRows out;
  std::string characteristics = fmt::format("{}", p.seed);
  for (double v : p.values) {
    characteristics += ',';
    characteristics += format_value(v);
  }
  const std::size_t n_measured = spec.measurements.size() * spec.measurement_columns.size();
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  // The patient's capillary networks depend on the microcirculation parameters and the seed, not
  // on the arm: generated once, handed from one arm's run to the next.
  model::Network network;
  std::optional<std::pair<model::MicrocirculationParams, std::uint64_t>> network_source;
  // Inclusion on cohort keys: known before any run.
  std::string excluded_reason;
  auto check = [&](const InclusionCriterion& c, double v, const std::string& what) {
    if (!out.excluded_by.empty()) return;
    if (!(v >= c.min && v <= c.max)) {
      out.excluded_by = c.name;
      const bool lo = c.min > -1e299, hi = c.max < 1e299;
      const std::string rule = lo && hi ? fmt::format("outside [{:g}, {:g}]", c.min, c.max)
                                        : (lo ? fmt::format("below {:g}", c.min) : fmt::format("above {:g}", c.max));
      excluded_reason = fmt::format("not enrolled ({}): {} = {:g}, {}", c.name, what, v, rule);
    }
  };
  for (const auto& c : spec.inclusion) {
    for (std::size_t k = 0; k < spec.cohort.variables.size(); ++k) {
      if (!c.key.empty() && spec.cohort.variables[k].key == c.key) check(c, p.values[k], c.key);
    }
  }
  bool enrolment_checked = false;
  for (const auto& arm : spec.arms) {
    if (!only_arm.empty() && arm.name != only_arm) continue;
    if (!out.excluded_by.empty()) {
      out.rows.push_back(fmt::format("{},{},{},excluded,{},{}", patient_id, arm.protocol, arm.name,
                                     csv_quoted(excluded_reason), characteristics) +
                         std::string(exposure_columns().size() + outcome_columns().size() + n_measured, ',') + "\n");
      if (!decisions_dir.empty()) {
        output::write_file_atomic(decisions_dir / fmt::format("patient_{}_{}.csv", patient_id, arm.name),
                                  run::format_decisions_csv({}));
      }
      continue;
    }
    std::string status = "complete", reason;
    std::vector<double> outcomes(outcome_columns().size(), kNaN);
    std::vector<double> exposure(exposure_columns().size(), kNaN);
    std::vector<double> measured(n_measured, kNaN);
    std::string decisions_csv;
    try {
      const scenario::Scenario s = patient_scenario(spec, p, arm);
      if (network_source != std::pair{s.params.micro, s.seed}) network = {};  // empty: built by the run
      run::RunResult r = run::run_scenario(s, {}, nullptr, std::move(network));
      network = std::move(r.network);
      network_source = {s.params.micro, s.seed};
      // Inclusion on enrolment values: from the first run (every arm has the same course up to
      // the earliest protocol start, where the criteria's times lie).
      if (!enrolment_checked) {
        enrolment_checked = true;
        for (const auto& c : spec.inclusion) {
          if (c.column.empty()) continue;
          double v = std::numeric_limits<double>::quiet_NaN();
          for (const auto& row : r.rows) {
            if (row.time_min > c.at_min + 1e-9) break;
            v = row.*c.member;
          }
          check(c, v, fmt::format("{} at {:g} min", c.column, c.at_min));
        }
        if (!out.excluded_by.empty()) {
          out.rows.push_back(fmt::format("{},{},{},excluded,{},{}", patient_id, arm.protocol, arm.name,
                                         csv_quoted(excluded_reason), characteristics) +
                             std::string(exposure_columns().size() + outcome_columns().size() + n_measured, ',') +
                             "\n");
          if (!decisions_dir.empty()) {
            output::write_file_atomic(decisions_dir / fmt::format("patient_{}_{}.csv", patient_id, arm.name),
                                      run::format_decisions_csv({}));
          }
          continue;
        }
      }
      if (!decisions_dir.empty()) decisions_csv = run::format_decisions_csv(r.decisions);
      status = std::string(run::termination_name(r.termination));
      if (r.termination == run::Termination::kFailed) {
        reason = r.error.empty() ? "the run did not complete" : r.error;
      } else {
        outcomes = compute_outcomes(s, r, spec.outcome_model, death_exp);
        exposure = compute_exposure(s, r);
        if (r.termination == run::Termination::kCirculatoryArrest) {
          reason = fmt::format("circulatory arrest (MAP < {:g} mmHg) at {:g} min", run::kCirculatoryArrestMap_mmHg,
                               *r.arrest_min);
        }
        std::size_t k = 0;
        for (const auto& m : spec.measurements) {
          const auto it = std::find_if(r.measurements.begin(), r.measurements.end(),
                                       [&](const auto& e) { return e.first == m.name; });
          for (const auto* c : spec.measurement_columns) {
            measured[k++] = it == r.measurements.end() ? kNaN : it->second.*c->member;
          }
        }
      }
      if (replay) *replay = std::move(r);
    } catch (const std::logic_error&) {
      throw;  // a broken invariant is the program's fault, not a patient who failed: the trial stops (exit 1)
    } catch (const std::exception& e) {
      status = "failed";
      reason = e.what();
      network_source.reset();  // the networks may have been handed over: the next run builds them
    }
    if (!decisions_dir.empty()) {
      if (decisions_csv.empty()) decisions_csv = run::format_decisions_csv({});
      output::write_file_atomic(decisions_dir / fmt::format("patient_{}_{}.csv", patient_id, arm.name), decisions_csv);
    }
    std::replace_if(reason.begin(), reason.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');  // one line
    std::string row = fmt::format("{},{},{},{},{},{}", patient_id, arm.protocol, arm.name, status, csv_quoted(reason),
                                  characteristics);
    for (const auto* values : {&outcomes, &exposure, &measured}) {
      for (double v : *values) {
        row += ',';
        row += csv_number(v);
      }
    }
    out.rows.push_back(row + "\n");
    out.failed += status == "failed" ? 1 : 0;
  }
  return out;
}

namespace {

// The journal: "# coherence trial journal <fingerprint>", the header, then whole patients.
struct Journal {
  std::map<int, std::vector<std::string>> done;  // patient id -> its rows, in protocol order
};

Journal read_journal(const std::filesystem::path& file, const std::string& expected_first_line,
                     const std::string& header, std::size_t rows_per_patient) {
  Journal j;
  std::ifstream in(file, std::ios::binary);
  if (!in) return j;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t nl = text.find('\n', start);
    if (nl == std::string::npos) break;  // a torn last line: dropped
    lines.push_back(text.substr(start, nl - start + 1));
    start = nl + 1;
  }
  if (lines.size() < 2 || lines[0] != expected_first_line) {
    throw InputError(fmt::format("{}: --resume: this journal belongs to another trial or other settings (start "
                                 "afresh without --resume, or use another --out)",
                                 file.string()));
  }
  // The same trial under other column names (a journal written by another version of coherence,
  // e.g. one from before patients.csv took summary.json's names): its rows would be read under
  // this header's names and its status words may differ, so it is refused, not merged.
  if (lines[1] != header) {
    throw InputError(fmt::format("{}:2: --resume: the journal's columns are not this version's patients.csv columns "
                                 "(written by another version of coherence?); it is left as it is: start afresh "
                                 "without --resume, or use another --out",
                                 file.string()));
  }
  // Every whole row must be a well-formed patient row: a damaged journal is refused (and kept),
  // never merged into a patients.csv that cannot be read back.
  const long header_cells = csv_cells(header.substr(0, header.size() - 1));
  std::map<int, std::vector<std::string>> rows;
  for (std::size_t k = 2; k < lines.size(); ++k) {
    const std::string& line = lines[k];
    const std::string body = line.substr(0, line.size() - 1);
    std::string problem;
    if (body.find('\0') != std::string::npos) {
      problem = "a NUL byte";
    } else if (const long cells = csv_cells(body); cells != header_cells) {
      problem = cells < 0 ? "an unterminated quote" : fmt::format("{} cells, the header has {}", cells, header_cells);
    } else if (leading_patient_id(line) <= 0) {
      problem = "no patient id";
    }
    if (!problem.empty()) {
      throw InputError(fmt::format("{}:{}: --resume: the journal is damaged ({}); it is left as it is: remove the "
                                   "folder to start afresh",
                                   file.string(), k + 1, problem));
    }
    rows[leading_patient_id(line)].push_back(line);
  }
  for (auto& [id, r] : rows) {
    if (r.size() == rows_per_patient) j.done[id] = std::move(r);
  }
  return j;
}

// patients.csv (sorted by patient, then protocol in the spec's order) and cohort.csv.
void write_final_files(const TrialSpec& spec, const std::filesystem::path& out_dir,
                       const std::map<int, std::vector<std::string>>& done) {
  std::string csv = patients_csv_header(spec);
  for (const auto& [id, rows] : done) {
    for (const auto& row : rows) csv += row;
  }
  output::write_file_atomic(out_dir / "patients.csv", csv);
  std::string cohort = cohort_csv_header(spec.cohort);
  for (int id = 1; id <= spec.patients; ++id) cohort += cohort_csv_row(sample_patient(spec.cohort, spec.seed, id));
  output::write_file_atomic(out_dir / "cohort.csv", cohort);
}

void write_all(int fd, const std::string& text, const std::filesystem::path& file) {
  std::size_t off = 0;
  while (off < text.size()) {
    const ssize_t w = ::write(fd, text.data() + off, text.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) throw std::runtime_error(fmt::format("{}: cannot write: {}", file.string(), std::strerror(errno)));
    off += static_cast<std::size_t>(w);
  }
}

}  // namespace

TrialRun run_trial(const TrialSpec& spec, const TrialOptions& o) {
  TrialRun result;
  std::filesystem::create_directories(o.out_dir);
  const std::string header = patients_csv_header(spec);
  const std::string first_line = fmt::format("# coherence trial journal {}\n", fingerprint(spec));
  const std::filesystem::path journal_file =
      o.out_dir / (o.ranks > 1 ? fmt::format("patients.rank{}.partial.csv", o.rank) : std::string("patients.partial.csv"));
  const std::filesystem::path decisions_dir = o.decisions ? o.out_dir / "decisions" : std::filesystem::path();
  if (o.decisions) std::filesystem::create_directories(decisions_dir);
  Journal journal;
  if (o.resume) journal = read_journal(journal_file, first_line, header, spec.protocols.size());
  // Rewrite the journal with what it validly holds (drops a torn line or an unfinished patient).
  {
    std::string text = first_line + header;
    for (const auto& [id, rows] : journal.done) {
      for (const auto& row : rows) text += row;
    }
    output::write_file_atomic(journal_file, text);
  }
  // --decisions on resume: the journalled patients must have their logs (a trial begun without
  // --decisions has none).
  if (o.decisions) {
    for (const auto& [id, rows] : journal.done) {
      for (const auto& arm : spec.arms) {
        if (!std::filesystem::exists(decisions_dir / fmt::format("patient_{}_{}.csv", id, arm.name))) {
          throw InputError(fmt::format("{}: --resume --decisions: patient {} was run without --decisions (resume "
                                       "without it, or start afresh)", o.out_dir.string(), id));
        }
      }
    }
  }
  result.patients_resumed = static_cast<int>(journal.done.size());
  std::vector<int> todo;
  for (int id = 1; id <= spec.patients; ++id) {
    if ((id - 1) % o.ranks == o.rank && !journal.done.contains(id)) todo.push_back(id);
  }
  const int fd = ::open(journal_file.c_str(), O_WRONLY | O_APPEND);
  if (fd < 0) throw std::runtime_error(fmt::format("{}: cannot open for appending", journal_file.string()));
  std::mutex mu;
  std::atomic<std::size_t> next{0};
  std::atomic<int> failed{0};
  std::size_t finished = 0;
  const auto t0 = std::chrono::steady_clock::now();
  auto last_log = t0;
  std::exception_ptr error;
  auto worker = [&] {
    for (;;) {
      const std::size_t k = next.fetch_add(1);
      if (k >= todo.size()) return;
      PatientRows rows;
      try {
        rows = run_patient(spec, todo[k], decisions_dir);
      } catch (...) {
        std::lock_guard lock(mu);
        if (!error) error = std::current_exception();
        return;
      }
      std::string text;
      for (const auto& row : rows.rows) text += row;
      failed += rows.failed;
      std::lock_guard lock(mu);
      if (error) return;  // another worker failed: stop taking patients
      // A journal that cannot be written (disk full, I/O error) ends the trial with its reason;
      // the patients already journalled stay for --resume.
      try {
        write_all(fd, text, journal_file);
        if (::fsync(fd) != 0) {
          throw std::runtime_error(fmt::format("{}: cannot write: {}", journal_file.string(), std::strerror(errno)));
        }
      } catch (...) {
        error = std::current_exception();
        return;
      }
      ++finished;
      journal.done[todo[k]] = std::move(rows.rows);
      if (o.progress_log) {
        const auto now = std::chrono::steady_clock::now();
        if (std::chrono::duration<double>(now - last_log).count() >= o.progress_interval_s) {
          last_log = now;
          const double elapsed = std::chrono::duration<double>(now - t0).count();
          const double rate = static_cast<double>(finished) / elapsed;
          std::fprintf(stderr, "coherence: trial: %zu/%zu patients done, %.2f patients/s, ETA %.0f s\n", finished,
                       todo.size(), rate, static_cast<double>(todo.size() - finished) / rate);
          std::fflush(stderr);
        }
      }
      if (o.progress) {
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const double eta = elapsed / static_cast<double>(finished) * static_cast<double>(todo.size() - finished);
        const int width = 30;
        const int filled = static_cast<int>(width * finished / todo.size());
        std::fprintf(stderr, "\r[%s%s] %zu/%zu patients, %.0f s elapsed, ETA %.0f s   ",
                     std::string(static_cast<std::size_t>(filled), '#').c_str(),
                     std::string(static_cast<std::size_t>(width - filled), '.').c_str(), finished, todo.size(), elapsed,
                     eta);
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned k = 0; k < std::max(1u, o.threads); ++k) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  ::close(fd);
  if (o.progress && !todo.empty()) std::fprintf(stderr, "\n");
  if (error) std::rethrow_exception(error);
  result.patients_run = static_cast<int>(finished);
  result.failed_rows = failed.load();
  if (o.ranks > 1) return result;  // the ranks' journals are merged by rank 0 (merge_rank_journals)
  write_final_files(spec, o.out_dir, journal.done);
  return result;  // the journal stays until every output is written (finish_trial)
}

void finish_trial(const std::filesystem::path& out_dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(out_dir, ec)) {
    if (is_journal_name(entry.path().filename().string())) std::filesystem::remove(entry.path(), ec);
  }
}

bool is_journal_name(const std::string& name) {
  return name == "patients.partial.csv" || (name.starts_with("patients.rank") && name.ends_with(".partial.csv"));
}

void merge_rank_journals(const TrialSpec& spec, const std::filesystem::path& out_dir, int ranks) {
  const std::string header = patients_csv_header(spec);
  const std::string first_line = fmt::format("# coherence trial journal {}\n", fingerprint(spec));
  std::map<int, std::vector<std::string>> done;
  for (int r = 0; r < ranks; ++r) {
    const auto file = out_dir / fmt::format("patients.rank{}.partial.csv", r);
    for (auto& [id, rows] : read_journal(file, first_line, header, spec.protocols.size()).done) done[id] = std::move(rows);
  }
  if (static_cast<int>(done.size()) != spec.patients) {
    throw std::runtime_error(fmt::format("{}: the ranks' journals hold {} of {} patients", out_dir.string(), done.size(),
                                         spec.patients));
  }
  write_final_files(spec, out_dir, done);  // the rank journals stay until finish_trial
}

}  // namespace coherence::trial
