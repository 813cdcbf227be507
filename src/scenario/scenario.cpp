#include "scenario/scenario.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <toml++/toml.h>

#include <deque>
#include <mutex>

#include "model/parameter_table.hpp"
#include "protocol/registry.hpp"

namespace coherence::scenario {

namespace {

constexpr double kBig = 1e9;

const std::vector<KeySpec> kKeys = {
    {"scenario.name", KeyType::kString, "", 0, 0, true, 0, "Short title shown in outputs."},
    {"scenario.description", KeyType::kString, "", 0, 0, false, 0, "Free text: what the scenario shows."},
    {"scenario.duration_h", KeyType::kNumber, "h", 0.1, 720, true, 0,
     "Simulated time after admission (t = 0) written to the outputs."},
    {"scenario.output_interval_min", KeyType::kNumber, "min", 0.1, 60, false, 5,
     "Spacing of the rows of timeseries.csv."},
    {"scenario.seed", KeyType::kInteger, "", 0, 2147483647, false, 1,
     "Seed of the capillary networks (geometry and per-vessel draws): same seed, same vessels."},
    {"patient.weight_kg", KeyType::kNumber, "kg", 30, 250, false, 70,
     "Body weight: scales volumes, compliances, resistances, clearances and weight-based doses."},
    {"patient.saps2", KeyType::kNumber, "points", 10, 120, false, 30,
     "SAPS II severity score: sets NE clearance (Beloeil 2005). 30 reproduces healthy clearance."},
    {"patient.ne_sensitivity", KeyType::kNumber, "x population", 0.05, 20, false, 1,
     "Norepinephrine sensitivity: EC50s are divided by it (cohorts span 0.1-10x)."},
    {"patient.hepatic_function", KeyType::kNumber, "fraction", 0.05, 1.5, false, 1,
     "Multiplies hepatic lactate clearance (0.47 = Levraut's impaired-clearance group)."},
    {"patient.baroreflex_gain", KeyType::kNumber, "fraction", 0, 1.5, false, 1,
     "Baroreflex gain: 1 intact, about 0.5 under sedation or anaesthesia."},
    {"patient.baseline_intake_mL_per_h", KeyType::kNumber, "mL/h", 0, 500, false, 0,
     "Oral/enteral water intake (healthy adult about 105 mL/h)."},
    {"patient.blood_volume_mL_per_kg", KeyType::kNumber, "mL/kg", 50, 100, false, 70,
     "The patient's normal blood volume; vessel capacities scale with it (obese adults ~55-60)."},
    {"patient.haematocrit_fraction", KeyType::kNumber, "fraction", 0.15, 0.6, false, 0.42,
     "Haematocrit before sepsis."},
    {"patient.microvascular_injury", KeyType::kNumber, "x typical", 0, 2, false, 1,
     "How hard sepsis hits the capillaries: 0 spares them (near-normal microcirculation), 1 typical, 2 severe."},
    {"patient.arteriolar_ne_response", KeyType::kNumber, "x model", 0, 2, false, 1,
     "Multiplies the maximal NE closure of the precapillary arterioles (the microcirculatory arm, the cliff; "
     "docs/model/microcirculation.md): 0 removes it, a counterfactual (docs/trials.md, is the cliff causal?); the "
     "observational cohort draws it per patient."},
    {"patient.age_years", KeyType::kNumber, "years", 18, 100, false, 50,
     "Age: baroreflex sensitivity falls about 1%/year from 50, healthy capillary refill lengthens (1.2 s at 25, "
     "1.8 s at 75)."},
    {"patient.usual_map_mmHg", KeyType::kNumber, "mmHg", 70, 130, false, 90,
     "The patient's usual MAP: >= 100 is chronic hypertension (remodelled resistance, baroreflex and capillary "
     "autoregulation reset to it)."},
    {"patient.resting_heart_rate_bpm", KeyType::kNumber, "bpm", 40, 120, false, 70,
     "Heart rate at normal autonomic tone before sepsis (adults ~70, SD ~10)."},
    {"patient.cardiac_contractility", KeyType::kNumber, "x normal", 0.2, 2, false, 1,
     "Systolic function (end-systolic elastance); < 1 septic cardiomyopathy."},
    {"patient.ventricular_stiffness", KeyType::kNumber, "x normal", 0.5, 4, false, 1,
     "Diastolic stiffness; > 1 diastolic dysfunction: a flat Frank-Starling curve (fluid-unresponsive)."},
    {"sepsis.onset_min", KeyType::kNumber, "min", -4320, 4320, false, 0,
     "Time the sepsis course starts; negative = before admission (the run starts there)."},
    {"sepsis.severity", KeyType::kNumber, "0-1", 0, 1, false, 0,
     "Target inflammation level from onset (0 none, 0.7 typical septic shock, 1 refractory); with an "
     "infection course (pathogen_load > 0), the level the uncontrolled infection drives it to."},
    {"sepsis.pathogen_load", KeyType::kNumber, "x half-maximal", 0, 20, false, 0,
     "Infection load at onset (1 drives half the maximal host response); 0 = no infection course: the "
     "severity is the inflammation target itself (docs/model/sepsis.md)."},
    {"sepsis.growth_per_h", KeyType::kNumber, "1/h", 0, 2, false, 0.15, "Infection: net pathogen growth rate."},
    {"sepsis.host_clearance_per_h", KeyType::kNumber, "1/h", 0, 2, false, 0.10,
     "Infection: the host's own clearance (above growth: it resolves without treatment)."},
    {"sepsis.antibiotic_kill_per_h", KeyType::kNumber, "1/h", 0, 2, false, 0.07,
     "Infection: removal by antibiotics once started (0 = ineffective therapy, resistant organism)."},
    {"sepsis.antibiotics_min", KeyType::kNumber, "min", -4320, 43200, false, 43200,
     "Time effective antibiotics start (same clock as onset_min); default 43200 = not within any run."},
    {"sepsis.source_control_min", KeyType::kNumber, "min", -4320, 43200, false, 43200,
     "Time of source control (drainage, debridement): growth stops and the load is drained; default never."},
    {"sepsis.tachycardia_bpm", KeyType::kNumber, "bpm", 0, 80, false, 30,
     "Heart-rate rise at full inflammation (fever and inflammatory tachycardia; ~10 bpm per degree C)."},
    {"protocol.name", KeyType::kString, "", 0, 0, false, 0,
     "Who titrates: a protocol of the registry, src/protocol/registry.hpp (docs/protocols.md)."},
    {"protocol.start_min", KeyType::kNumber, "min", 0, 43200, false, 0, "Time from which the protocol acts."},
    {"monitoring.co_monitor_from_min", KeyType::kNumber, "min", -4320, 43200, false, 0,
     "When a cardiac-output monitor is placed; before it no CO is reported (fluid challenges, judged by CO, wait)."},
    {"monitoring.co_noise_pct", KeyType::kNumber, "%", 0, 50, false, 10, "Cardiac-output monitor precision (SD)."},
    {"monitoring.mfi_noise", KeyType::kNumber, "", 0, 1, false, 0.15,
     "Sublingual MFI measurement noise (SD) around the ground truth (render + score replaces it)."},
    {"monitoring.ppv_noise_pct", KeyType::kNumber, "points", 0, 30, false, 5, "Sublingual PPV measurement noise (SD)."},
    {"monitoring.micro_method", KeyType::kString, "", 0, 0, false, 0,
     "How the sublingual microcirculation is measured: truth_noise (default) or render_score (video of 5 sites, scored)."},
    {"monitoring.micro_seconds", KeyType::kNumber, "s", 2, 20, false, 4,
     "render_score: video length per site (the scorer refuses flow measures from clips under 2 s)."},
    {"monitoring.map_noise_mmHg", KeyType::kNumber, "mmHg", 0, 20, false, 2, "Arterial-line measurement noise (SD)."},
    {"monitoring.lactate_interval_min", KeyType::kNumber, "min", 5, 1440, false, 120,
     "Blood gases are drawn every this many minutes from the protocol's start."},
    {"monitoring.lactate_delay_min", KeyType::kNumber, "min", 0, 120, false, 10, "Draw-to-result delay of lactate."},
    {"monitoring.lactate_noise_mmol_per_L", KeyType::kNumber, "mmol/L", 0, 2, false, 0.1, "Lactate analyser noise (SD)."},
    {"monitoring.crt_interval_min", KeyType::kNumber, "min", 5, 1440, false, 30,
     "Capillary refill is examined every this many minutes."},
    {"monitoring.crt_noise_s", KeyType::kNumber, "s", 0, 3, false, 0.5, "Inter-observer CRT variability (SD)."},
    {"events[].at_min", KeyType::kNumber, "min", -4320, 43200, true, 0,
     "Event time; events must be in non-decreasing time order."},
    {"events[].action", KeyType::kString, "", 0, 0, true, 0,
     "One of ne_dose, vasopressin, epinephrine, dobutamine, nitroglycerin, bolus, maintenance, sepsis_severity, rrt, set."},
    {"events[].dose_ug_per_kg_min", KeyType::kNumber, "ug/kg/min", 0, 20, false, 0,
     "ne_dose (<= 5), epinephrine (<= 5), dobutamine (<= 20): infusion rate from this time on."},
    {"events[].rate_U_per_min", KeyType::kNumber, "U/min", 0, 0.1, false, 0,
     "vasopressin: infusion rate from this time on (usual 0.03-0.04)."},
    {"events[].rate_ug_per_min", KeyType::kNumber, "ug/min", 0, 500, false, 0,
     "nitroglycerin: infusion rate from this time on (2 mg/h = 33 ug/min)."},
    {"events[].volume_mL", KeyType::kNumber, "mL", 1, 5000, false, 0, "bolus: volume."},
    {"events[].fluid", KeyType::kString, "", 0, 0, false, 0,
     "bolus: crystalloid (default), albumin_5pct, albumin_20pct or packed_cells."},
    {"events[].duration_min", KeyType::kNumber, "min", 0.5, 1440, false, 0,
     "bolus: infusion time of the bolus."},
    {"events[].rate_mL_per_h", KeyType::kNumber, "mL/h", 0, 1000, false, 0,
     "maintenance: crystalloid maintenance rate from this time on."},
    {"events[].severity", KeyType::kNumber, "0-1", 0, 1, false, 0,
     "sepsis_severity: new target inflammation level from this time on."},
    {"events[].effluent_mL_per_kg_h", KeyType::kNumber, "mL/kg/h", 0, 80, false, 0,
     "rrt: continuous RRT effluent dose from this time on (KDIGO 2012: 20-25; 0 stops RRT); clears creatinine."},
    {"events[].net_ultrafiltration_mL_per_h", KeyType::kNumber, "mL/h", 0, 500, false, 0,
     "rrt: net fluid removal by the circuit from this time on (RENAL/ATN practice 0-250)."},
    {"events[].key", KeyType::kString, "", 0, 0, false, 0,
     "set: dotted path of the key to change (patient.* except weight, blood volume and haematocrit; "
     "protocol.map_target_mmHg; monitoring.*_noise*)."},
    {"events[].value", KeyType::kNumber, "key's unit", -kBig, kBig, false, 0,
     "set: the new value, within the key's own range."},
    {"measurements[].name", KeyType::kString, "", 0, 0, true, 0,
     "A named measurement time (letters, digits, _): summary.json reports every column there."},
    {"measurements[].at_min", KeyType::kNumber, "min", 0, 43200, true, 0,
     "When (within the scenario's duration)."},
    {"captions[].at_min", KeyType::kNumber, "min", -4320, 43200, true, 0,
     "When the teaching viewer shows the caption (and pauses)."},
    {"captions[].text", KeyType::kString, "", 0, 0, true, 0,
     "One or two sentences, at most 240 characters; {column:.1f} quotes the run at the caption's time."},
    {"captions[].claims", KeyType::kStringArray, "", 0, 0, false, 0,
     "What the caption asserts, checked against the run: \"mfi < 2.6\", \"ppv_pct falls\", ..."},
};

const std::map<std::string, EventAction, std::less<>> kActions = {
    {"ne_dose", EventAction::kNeDose},
    {"vasopressin", EventAction::kVasopressin},
    {"epinephrine", EventAction::kEpinephrine},
    {"dobutamine", EventAction::kDobutamine},
    {"nitroglycerin", EventAction::kNitroglycerin},
    {"bolus", EventAction::kBolus},
    {"maintenance", EventAction::kMaintenance},
    {"sepsis_severity", EventAction::kSepsisSeverity},
    {"rrt", EventAction::kRrt},
    {"set", EventAction::kSet},
};

const std::map<std::string, Fluid, std::less<>> kFluids = {
    {"crystalloid", Fluid::kCrystalloid},
    {"albumin_5pct", Fluid::kAlbumin5pct},
    {"albumin_20pct", Fluid::kAlbumin20pct},
    {"packed_cells", Fluid::kPackedCells},
};

// Keys each action needs, and keys it may have (beyond at_min and action).
struct ActionKeys {
  std::vector<std::string> required, optional;
};
const std::map<EventAction, ActionKeys> kActionKeys = {
    {EventAction::kNeDose, {{"dose_ug_per_kg_min"}, {}}},
    {EventAction::kVasopressin, {{"rate_U_per_min"}, {}}},
    {EventAction::kEpinephrine, {{"dose_ug_per_kg_min"}, {}}},
    {EventAction::kDobutamine, {{"dose_ug_per_kg_min"}, {}}},
    {EventAction::kNitroglycerin, {{"rate_ug_per_min"}, {}}},
    {EventAction::kBolus, {{"volume_mL", "duration_min"}, {"fluid"}}},
    {EventAction::kMaintenance, {{"rate_mL_per_h"}, {}}},
    {EventAction::kSepsisSeverity, {{"severity"}, {}}},
    {EventAction::kRrt, {{"effluent_mL_per_kg_h"}, {"net_ultrafiltration_mL_per_h"}}},
    {EventAction::kSet, {{"key", "value"}, {}}},
};

// Per-action dose ceilings where the shared key's range is wider.
double dose_ceiling(EventAction a) { return a == EventAction::kDobutamine ? 20.0 : 5.0; }

// Patient keys fixed at the start (they define the initial state).
const std::set<std::string, std::less<>> kFixedPatientKeys = {"patient.weight_kg", "patient.blood_volume_mL_per_kg",
                                                              "patient.haematocrit_fraction",
                                                              "patient.arteriolar_ne_response"};

// `model.<group>.<member>`: every model parameter without a named key above, from the parameter
// table generated from model/params.hpp (docs/model/parameters.md). Range rule: finite, >= 0
// when the default is >= 0, <= 1 for a fraction.
const std::vector<KeySpec>& model_keys() {
  static const std::vector<KeySpec> keys = [] {
    static std::deque<std::string> paths;
    std::vector<KeySpec> v;
    for (const auto& p : model::parameter_table()) {
      if (!p.named_key.empty()) continue;
      paths.push_back("model." + std::string(p.key));
      const double lo = p.default_value >= 0.0 ? 0.0 : -kBig;
      const double hi = p.key.ends_with("_fraction") ? 1.0 : kBig;
      v.push_back({paths.back(), p.integer ? KeyType::kInteger : KeyType::kNumber, "", lo, hi, false, p.default_value,
                   p.note});
    }
    return v;
  }();
  return keys;
}

// kKeys with each registered protocol's `protocol.*` keys after protocol.start_min, their
// descriptions prefixed by the protocols that read them. Rebuilt when a protocol is registered;
// earlier versions are kept, so a reference handed out stays valid.
const std::vector<KeySpec>& all_keys() {
  static std::mutex mutex;
  static std::deque<std::vector<KeySpec>> versions;
  static std::deque<std::string> text;
  static std::uint64_t built_for = 0;
  const std::lock_guard lock(mutex);
  const std::uint64_t generation = protocol::registry_generation();
  if (versions.empty() || built_for != generation) {
    std::vector<KeySpec> v;
    for (const auto& k : kKeys) {
      v.push_back(k);
      if (k.path != "protocol.start_min") continue;
      for (const auto& rk : protocol::registered_keys()) {
        const auto& p = rk.key;
        std::string users;
        for (const auto& u : rk.used_by) users += (users.empty() ? "" : ", ") + u;
        text.push_back("protocol." + p.key);
        const std::string_view path = text.back();
        text.push_back(p.unit);
        const std::string_view unit = text.back();
        text.push_back(users + ": " + p.description);
        v.push_back({path, p.integer ? KeyType::kInteger : KeyType::kNumber, unit, p.min, p.max, false,
                     p.default_value, text.back()});
      }
    }
    versions.push_back(std::move(v));
    built_for = generation;
  }
  return versions.back();
}

const KeySpec* find_spec(std::string_view path) {
  for (const auto& k : all_keys()) {
    if (k.path == path) return &k;
  }
  if (path.starts_with("model.")) {
    for (const auto& k : model_keys()) {
      if (k.path == path) return &k;
    }
  }
  return nullptr;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t prev = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cur = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1)});
      prev = cur;
    }
  }
  return row[b.size()];
}

std::string suggestion(std::string_view path) {
  if (path.starts_with("model.")) {
    // A parameter that a named key sets.
    if (const auto* p = model::find_parameter(path.substr(6)); p && !p->named_key.empty()) {
      return fmt::format(" (this parameter is set by '{}')", p->named_key);
    }
  }
  const KeySpec* best = nullptr;
  std::size_t best_d = 4;
  for (const auto* keys : {&all_keys(), &model_keys()}) {
    for (const auto& k : *keys) {
      const std::size_t d = edit_distance(path, k.path);
      if (d < best_d) {
        best_d = d;
        best = &k;
      }
    }
  }
  return best ? fmt::format(" (did you mean '{}'?)", best->path) : std::string();
}

// Maps "events.3.at_min" to "events[].at_min".
std::string spec_path(std::string_view dotted) {
  std::string s(dotted);
  for (const std::string array : {"events", "measurements", "captions"}) {
    if (s.rfind(array + ".", 0) == 0) {
      const auto second = s.find('.', array.size() + 1);
      if (second != std::string::npos) return array + "[]" + s.substr(second);
    }
  }
  return s;
}

// Reads keys from the parsed document, remembering which override set which path.
class Reader {
 public:
  Reader(std::string file, std::map<std::string, std::string> overridden)
      : file_(std::move(file)), overridden_(std::move(overridden)) {}

  [[noreturn]] void fail(const std::string& path, const toml::node* node, const std::string& rule) const {
    if (auto it = overridden_.find(path); it != overridden_.end()) {
      throw InputError(fmt::format("--set {}: {}", it->second, rule));
    }
    const int line = node ? static_cast<int>(node->source().begin.line) : 0;
    if (line > 0) throw InputError(fmt::format("{}:{}: {}: {}", file_, line, path, rule));
    throw InputError(fmt::format("{}: {}: {}", file_, path, rule));
  }

  // A number key: present and valid, or its default; the key must be declared.
  // The declared spec of a key and its node; null node when absent (after the required check).
  std::pair<const KeySpec*, const toml::node*> lookup(const toml::table& table, const std::string& path,
                                                      std::string_view key, const toml::node* parent) const {
    const KeySpec* spec = find_spec(spec_path(path));
    if (!spec) throw std::logic_error("scenario loader reads an undeclared key: " + path);
    const toml::node* node = table.get(key);
    if (!node && spec->required) fail(path, parent, "required key is missing");
    return {spec, node};
  }

  double number(const toml::table& table, const std::string& prefix, std::string_view key,
                const toml::node* parent) const {
    const std::string path = prefix + std::string(key);
    const auto [spec, node] = lookup(table, path, key, parent);
    if (!node) return spec->default_value;
    std::optional<double> v;
    if (auto d = node->value_exact<double>()) v = *d;
    if (auto i = node->value_exact<int64_t>()) v = static_cast<double>(*i);
    if (!v) fail(path, node, fmt::format("must be a number in {}, got {}", spec->unit.empty() ? "units" : spec->unit,
                                         describe(*node)));
    if (!std::isfinite(*v)) fail(path, node, fmt::format("= {}: must be a finite number", *v));
    if (*v < spec->min || *v > spec->max) {
      if (spec->max >= kBig) fail(path, node, fmt::format("= {}: must be >= {}", *v, spec->min));
      fail(path, node, fmt::format("= {}: out of range [{}, {}] {}", *v, spec->min, spec->max, spec->unit));
    }
    return *v;
  }

  std::int64_t integer(const toml::table& table, const std::string& prefix, std::string_view key,
                       const toml::node* parent) const {
    const std::string path = prefix + std::string(key);
    const auto [spec, node] = lookup(table, path, key, parent);
    if (!node) return static_cast<std::int64_t>(spec->default_value);
    auto v = node->value_exact<int64_t>();
    if (!v) fail(path, node, fmt::format("must be an integer, got {}", describe(*node)));
    if (static_cast<double>(*v) < spec->min || static_cast<double>(*v) > spec->max) {
      fail(path, node, fmt::format("= {}: out of range [{}, {}]", *v, spec->min, spec->max));
    }
    return *v;
  }

  std::vector<std::string> strings(const toml::table& table, const std::string& prefix, std::string_view key,
                                   const toml::node* parent) const {
    const std::string path = prefix + std::string(key);
    const auto [spec, node] = lookup(table, path, key, parent);
    std::vector<std::string> out;
    if (!node) return out;
    const toml::array* a = node->as_array();
    if (!a) fail(path, node, fmt::format("must be an array of strings, got {}", describe(*node)));
    for (const toml::node& item : *a) {
      auto v = item.value_exact<std::string>();
      if (!v) fail(path, &item, fmt::format("must be an array of strings, has {}", describe(item)));
      out.push_back(*v);
    }
    return out;
  }

  std::string string(const toml::table& table, const std::string& prefix, std::string_view key,
                     const toml::node* parent) const {
    const std::string path = prefix + std::string(key);
    const auto [spec, node] = lookup(table, path, key, parent);
    if (!node) return {};
    auto s = node->value_exact<std::string>();
    if (!s) fail(path, node, fmt::format("must be a string, got {}", describe(*node)));
    return *s;
  }

  // Every key of the table must be declared.
  void check_known(const toml::table& table, const std::string& prefix, const std::string& spec_prefix) const {
    for (const auto& [key, node] : table) {
      const std::string path = prefix + std::string(key.str());
      const std::string spath = spec_prefix + std::string(key.str());
      if (!find_spec(spath)) fail(path, &node, "unknown key" + suggestion(spath));
    }
  }

  static std::string describe(const toml::node& n) {
    switch (n.type()) {
      case toml::node_type::string: return fmt::format("string \"{}\"", *n.value<std::string>());
      case toml::node_type::boolean: return *n.value<bool>() ? "true" : "false";
      case toml::node_type::table: return "a table";
      case toml::node_type::array: return "an array";
      default: return "a value of another type";
    }
  }

  const std::string& file() const { return file_; }

 private:
  std::string file_;
  std::map<std::string, std::string> overridden_;
};

const toml::table* subtable(const Reader& r, const toml::table& root, std::string_view name) {
  const toml::node* node = root.get(name);
  if (!node) return nullptr;
  if (!node->is_table()) r.fail(std::string(name), node, "must be a table");
  return node->as_table();
}

// Sets a value at a dotted path inside the document (tables created as needed).
void apply_override(toml::table& root, const Override& o, toml::node&& value) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const auto dot = o.key.find('.', start);
    parts.push_back(o.key.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  toml::table* table = &root;
  if (parts.front() == "events") {
    const toml::node* events = root.get("events");
    if (!events || !events->is_array()) throw InputError(fmt::format("--set {}: the file has no events", o.text));
  }
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    toml::node* next = table->get(parts[i]);
    if (next && next->is_array()) {
      // events.N.key: N (plain digits, 0-based) must name an existing element.
      auto* arr = next->as_array();
      const std::string& index = parts[i + 1];
      const std::string element = parts[i] == "events" ? "event" : parts[i] + " element";
      const bool digits = !index.empty() && index.size() <= 9 &&
                          std::all_of(index.begin(), index.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (!digits) {
        throw InputError(fmt::format("--set {}: '{}' is not an index of {} (0 - {})", o.text, index, parts[i],
                                     arr->empty() ? 0 : arr->size() - 1));
      }
      const std::size_t idx = std::stoul(index);
      if (idx >= arr->size() || !(*arr)[idx].is_table()) {
        throw InputError(fmt::format("--set {}: there is no {} {} (the file has {})", o.text, element, idx, arr->size()));
      }
      table = (*arr)[idx].as_table();
      ++i;
      continue;
    }
    // measurements.0.at_min on a file without [[measurements]]: the override's fault, not the file's.
    const std::string& after = parts[i + 1];
    if (!after.empty() && std::all_of(after.begin(), after.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      throw InputError(fmt::format("--set {}: the file has no [[{}]] to index", o.text, parts[i]));
    }
    if (!next) {
      table->insert(parts[i], toml::table{});
      next = table->get(parts[i]);
    }
    if (!next->is_table()) throw InputError(fmt::format("--set {}: '{}' is not a table", o.text, parts[i]));
    table = next->as_table();
  }
  table->insert_or_assign(parts.back(), std::move(value));
}

}  // namespace

const std::vector<KeySpec>& scenario_keys() { return all_keys(); }

std::string_view fluid_name(Fluid f) {
  for (const auto& [name, fl] : kFluids) {
    if (fl == f) return name;
  }
  return "?";
}

bool settable_during_run(std::string_view key) {
  if (key.starts_with("patient.")) return !kFixedPatientKeys.contains(key);
  if (key == "protocol.map_target_mmHg") return true;
  return key.starts_with("monitoring.") && key.find("noise") != std::string_view::npos;
}

std::string_view action_name(EventAction a) {
  for (const auto& [name, act] : kActions) {
    if (act == a) return name;
  }
  return "?";
}

Override parse_override(std::string_view text) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    throw InputError(fmt::format("--set {}: expected KEY=VALUE", text));
  }
  Override o{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)), std::string(text)};
  const std::string spath = spec_path(o.key);
  const KeySpec* spec = find_spec(spath);
  if (!spec) throw InputError(fmt::format("--set {}: unknown key '{}'{}", text, o.key, suggestion(spath)));
  if (o.value.empty()) throw InputError(fmt::format("--set {}: empty value", text));
  return o;
}

// Every table but the events and measurements: the settings a `set` event may change.
static void parse_settings(const Reader& r, const toml::table& root, Scenario& s) {
  const std::string& file = r.file();
  // [scenario]
  const toml::table* sc = subtable(r, root, "scenario");
  if (!sc) throw InputError(fmt::format("{}: missing required table [scenario]", file));
  r.check_known(*sc, "scenario.", "scenario.");
  s.name = r.string(*sc, "scenario.", "name", sc);
  s.description = r.string(*sc, "scenario.", "description", sc);
  s.duration_min = 60.0 * r.number(*sc, "scenario.", "duration_h", sc);
  s.output_interval_min = r.number(*sc, "scenario.", "output_interval_min", sc);
  s.seed = static_cast<std::uint64_t>(r.integer(*sc, "scenario.", "seed", sc));

  // [model.GROUP]: any model parameter by its params.hpp name (before [patient], whose
  // arteriolar_ne_response multiplies micro.ne_emax).
  if (const toml::table* md = subtable(r, root, "model")) {
    for (const auto& [gkey, gnode] : *md) {
      const std::string group(gkey.str());
      const std::string gpath = "model." + group;
      const bool known = std::any_of(model_keys().begin(), model_keys().end(),
                                     [&](const KeySpec& k) { return k.path.starts_with(gpath + "."); });
      if (!known) {
        r.fail(gpath, &gnode,
               "unknown parameter group (expected [model.hemodynamics], [model.baroreflex], "
               "[model.norepinephrine], [model.drugs], [model.sepsis], [model.fluids], [model.oxygen], "
               "[model.kidney] or [model.micro]; docs/model/parameters.md)");
      }
      if (!gnode.is_table()) r.fail(gpath, &gnode, "must be a table ([" + gpath + "])");
      const toml::table& gt = *gnode.as_table();
      r.check_known(gt, gpath + ".", gpath + ".");
      for (const auto& [k, node] : gt) {
        const std::string name(k.str());
        const model::ParameterInfo* p = model::find_parameter(group + "." + name);
        if (p->number) {
          p->number(s.params) = r.number(gt, gpath + ".", name, md);
        } else {
          p->integer(s.params) = static_cast<int>(r.integer(gt, gpath + ".", name, md));
        }
      }
    }
  }

  // [patient]
  static const toml::table kEmpty;
  const toml::table* pt = subtable(r, root, "patient");
  const toml::table& patient = pt ? *pt : kEmpty;
  r.check_known(patient, "patient.", "patient.");
  auto& pp = s.params.patient;
  pp.weight_kg = r.number(patient, "patient.", "weight_kg", pt);
  pp.saps2 = r.number(patient, "patient.", "saps2", pt);
  pp.ne_sensitivity = r.number(patient, "patient.", "ne_sensitivity", pt);
  pp.hepatic_function = r.number(patient, "patient.", "hepatic_function", pt);
  pp.baroreflex_gain = r.number(patient, "patient.", "baroreflex_gain", pt);
  pp.baseline_intake_mL_per_h = r.number(patient, "patient.", "baseline_intake_mL_per_h", pt);
  s.params.hemodynamics.blood_volume_mL_per_kg = r.number(patient, "patient.", "blood_volume_mL_per_kg", pt);
  s.params.hemodynamics.haematocrit_fraction = r.number(patient, "patient.", "haematocrit_fraction", pt);
  pp.microvascular_injury = r.number(patient, "patient.", "microvascular_injury", pt);
  // A multiplier of the model's own value (declared once, in model/params.hpp).
  s.params.micro.ne_emax *= r.number(patient, "patient.", "arteriolar_ne_response", pt);
  pp.usual_map_mmHg = r.number(patient, "patient.", "usual_map_mmHg", pt);
  pp.age_years = r.number(patient, "patient.", "age_years", pt);
  pp.cardiac_contractility = r.number(patient, "patient.", "cardiac_contractility", pt);
  pp.ventricular_stiffness = r.number(patient, "patient.", "ventricular_stiffness", pt);
  s.params.hemodynamics.intrinsic_heart_rate_bpm = r.number(patient, "patient.", "resting_heart_rate_bpm", pt);

  // [sepsis]
  const toml::table* sp = subtable(r, root, "sepsis");
  const toml::table& sepsis = sp ? *sp : kEmpty;
  r.check_known(sepsis, "sepsis.", "sepsis.");
  s.sepsis_onset_min = r.number(sepsis, "sepsis.", "onset_min", sp);
  s.sepsis_severity = r.number(sepsis, "sepsis.", "severity", sp);
  s.sepsis_pathogen_load = r.number(sepsis, "sepsis.", "pathogen_load", sp);
  s.sepsis_antibiotics_min = r.number(sepsis, "sepsis.", "antibiotics_min", sp);
  s.sepsis_source_control_min = r.number(sepsis, "sepsis.", "source_control_min", sp);
  auto& sep = s.params.sepsis;
  sep.infection_growth_per_h = r.number(sepsis, "sepsis.", "growth_per_h", sp);
  sep.host_clearance_per_h = r.number(sepsis, "sepsis.", "host_clearance_per_h", sp);
  sep.antibiotic_kill_per_h = r.number(sepsis, "sepsis.", "antibiotic_kill_per_h", sp);
  sep.tachycardia_bpm = r.number(sepsis, "sepsis.", "tachycardia_bpm", sp);

  // [protocol]
  const toml::table* pr = subtable(r, root, "protocol");
  const toml::table& prot = pr ? *pr : kEmpty;
  r.check_known(prot, "protocol.", "protocol.");
  const std::string pname = r.string(prot, "protocol.", "name", pr);
  s.protocol.name = pname.empty() ? "fixed" : pname;
  if (!protocol::find_protocol(s.protocol.name)) {
    r.fail("protocol.name", prot.get("name"),
           fmt::format("= \"{}\": must be {}", s.protocol.name, protocol::protocol_names()));
  }
  s.protocol.start_min = r.number(prot, "protocol.", "start_min", pr);
  s.protocol.settings.clear();
  for (const auto& rk : protocol::registered_keys()) {
    const std::string& key = rk.key.key;
    s.protocol.settings[key] =
        rk.key.integer ? static_cast<double>(r.integer(prot, "protocol.", key, pr)) : r.number(prot, "protocol.", key, pr);
  }

  // [monitoring]
  const toml::table* mo = subtable(r, root, "monitoring");
  const toml::table& mon = mo ? *mo : kEmpty;
  r.check_known(mon, "monitoring.", "monitoring.");
  auto& ms = s.monitoring;
  ms.map_noise_mmHg = r.number(mon, "monitoring.", "map_noise_mmHg", mo);
  ms.lactate_interval_min = r.number(mon, "monitoring.", "lactate_interval_min", mo);
  ms.lactate_delay_min = r.number(mon, "monitoring.", "lactate_delay_min", mo);
  ms.lactate_noise_mmol_per_L = r.number(mon, "monitoring.", "lactate_noise_mmol_per_L", mo);
  ms.crt_interval_min = r.number(mon, "monitoring.", "crt_interval_min", mo);
  ms.crt_noise_s = r.number(mon, "monitoring.", "crt_noise_s", mo);
  ms.co_noise_pct = r.number(mon, "monitoring.", "co_noise_pct", mo);
  ms.co_monitor_from_min = r.number(mon, "monitoring.", "co_monitor_from_min", mo);
  ms.mfi_noise = r.number(mon, "monitoring.", "mfi_noise", mo);
  ms.ppv_noise_pct = r.number(mon, "monitoring.", "ppv_noise_pct", mo);
  ms.micro_seconds = r.number(mon, "monitoring.", "micro_seconds", mo);
  if (mon.get("micro_method")) {
    ms.micro_method = r.string(mon, "monitoring.", "micro_method", mo);
    if (ms.micro_method != "truth_noise" && ms.micro_method != "render_score") {
      r.fail("monitoring.micro_method", mon.get("micro_method"),
             fmt::format("= \"{}\": must be truth_noise or render_score", ms.micro_method));
    }
  }

  if (s.protocol.start_min > s.duration_min) {
    r.fail("protocol.start_min", prot.get("start_min"),
           fmt::format("= {}: after the end of the scenario ({} min)", s.protocol.start_min, s.duration_min));
  }
}

namespace {

// Calls f(table, "NAME.i.", node) for each table of the array [[NAME]] (if present), after checking
// that it is an array of tables and that every key of the table is declared under "NAME[].".
template <typename F>
void for_each_entry(const Reader& r, const toml::table& root, const std::string& name, F&& f) {
  const toml::node* node = root.get(name);
  if (!node) return;
  if (!node->is_array_of_tables()) r.fail(name, node, fmt::format("must be an array of tables ([[{}]])", name));
  const toml::array& arr = *node->as_array();
  for (std::size_t i = 0; i < arr.size(); ++i) {
    const toml::table& t = *arr[i].as_table();
    const std::string prefix = fmt::format("{}.{}.", name, i);
    r.check_known(t, prefix, name + "[].");
    f(t, prefix, arr[i]);
  }
}

// An entry's time must lie within the scenario.
void check_not_after_end(const Reader& r, const toml::table& t, const std::string& prefix, double at_min,
                         double duration_min) {
  if (at_min > duration_min) {
    r.fail(prefix + "at_min", t.get("at_min"),
           fmt::format("= {}: after the end of the scenario ({} min)", at_min, duration_min));
  }
}

}  // namespace

std::string why_not_a_regular_file(const std::filesystem::path& path) {
  std::error_code ec;
  const std::filesystem::file_status st = std::filesystem::status(path, ec);
  switch (st.type()) {
    case std::filesystem::file_type::regular: return {};
    case std::filesystem::file_type::not_found: return "no such file";
    case std::filesystem::file_type::directory: return "a folder, not a file";
    case std::filesystem::file_type::fifo: return "a FIFO, not a file";
    case std::filesystem::file_type::none: return ec ? ec.message() : "unreadable";  // a symbolic link loop
    default: return ec ? ec.message() : "not a regular file";
  }
}

Scenario load_scenario(const std::filesystem::path& path, const std::vector<Override>& overrides) {
  const std::string file = path.string();
  if (const std::string why = why_not_a_regular_file(path); !why.empty()) {
    throw InputError(fmt::format("{}: cannot read scenario file ({})", file, why));
  }
  toml::table root;
  try {
    root = toml::parse_file(file);
  } catch (const toml::parse_error& e) {
    throw InputError(fmt::format("{}:{}: TOML syntax error: {}", file, e.source().begin.line, e.description()));
  }

  // Overrides: values parse as TOML, otherwise as a bare string.
  std::map<std::string, std::string> overridden;
  for (const auto& o : overrides) {
    toml::node_type type = toml::node_type::string;
    std::optional<toml::table> parsed;
    try {
      parsed = toml::parse("v = " + o.value);
    } catch (const toml::parse_error&) {
    }
    if (parsed && parsed->get("v")) {
      const toml::node* v = parsed->get("v");
      type = v->type();
      toml::node* mutable_v = parsed->get("v");
      if (type == toml::node_type::floating_point) {
        apply_override(root, o, toml::value<double>(*mutable_v->value<double>()));
      } else if (type == toml::node_type::integer) {
        apply_override(root, o, toml::value<int64_t>(*mutable_v->value<int64_t>()));
      } else if (type == toml::node_type::boolean) {
        apply_override(root, o, toml::value<bool>(*mutable_v->value<bool>()));
      } else {
        apply_override(root, o, toml::value<std::string>(o.value));
      }
    } else {
      apply_override(root, o, toml::value<std::string>(o.value));
    }
    overridden[o.key] = o.text;
  }

  const Reader r(file, overridden);
  Scenario s;
  s.file = file;
  for (const auto& [key, node] : root) {
    const std::string k(key.str());
    const bool array = k == "events" || k == "measurements" || k == "captions";
    if (k != "scenario" && k != "patient" && k != "sepsis" && k != "protocol" && k != "monitoring" && k != "model" &&
        !array) {
      r.fail(k, &node,
             "unknown table (expected [scenario], [patient], [sepsis], [protocol], [monitoring], [model.GROUP], "
             "[[events]], [[measurements]] or [[captions]])");
    }
    if (!array && !node.is_table()) r.fail(k, &node, "must be a table");
  }
  parse_settings(r, root, s);

  // [[events]]
  toml::table after_sets = root;  // the document with every `set` so far applied
  double previous = -kBig;
  for_each_entry(r, root, "events", [&](const toml::table& t, const std::string& prefix, const toml::node& entry) {
    Event e;
    e.line = static_cast<int>(t.source().begin.line);
    e.at_min = r.number(t, prefix, "at_min", &entry);
    const std::string action = r.string(t, prefix, "action", &entry);
    const auto it = kActions.find(action);
    if (it == kActions.end()) {
      r.fail(prefix + "action", t.get("action"),
             fmt::format("= \"{}\": must be one of ne_dose, vasopressin, epinephrine, dobutamine, nitroglycerin, "
                         "bolus, maintenance, sepsis_severity, rrt, set",
                         action));
    }
    e.action = it->second;
    const ActionKeys& keys = kActionKeys.at(e.action);
    for (const auto& [key, node] : t) {
      const std::string k(key.str());
      if (k == "at_min" || k == "action") continue;
      if (std::find(keys.required.begin(), keys.required.end(), k) == keys.required.end() &&
          std::find(keys.optional.begin(), keys.optional.end(), k) == keys.optional.end()) {
        r.fail(prefix + k, &node, fmt::format("does not apply to action \"{}\"", action));
      }
    }
    for (const auto& k : keys.required) {
      if (!t.get(k)) r.fail(prefix + k, &entry, fmt::format("required for action \"{}\"", action));
    }
    switch (e.action) {
      case EventAction::kNeDose:
      case EventAction::kEpinephrine:
      case EventAction::kDobutamine:
        e.dose_ug_per_kg_min = r.number(t, prefix, "dose_ug_per_kg_min", &entry);
        if (e.dose_ug_per_kg_min > dose_ceiling(e.action)) {
          r.fail(prefix + "dose_ug_per_kg_min", t.get("dose_ug_per_kg_min"),
                 fmt::format("= {}: out of range [0, {}] ug/kg/min for {}", e.dose_ug_per_kg_min,
                             dose_ceiling(e.action), action));
        }
        break;
      case EventAction::kVasopressin: e.rate_U_per_min = r.number(t, prefix, "rate_U_per_min", &entry); break;
      case EventAction::kNitroglycerin: e.rate_ug_per_min = r.number(t, prefix, "rate_ug_per_min", &entry); break;
      case EventAction::kBolus: {
        e.volume_mL = r.number(t, prefix, "volume_mL", &entry);
        e.duration_min = r.number(t, prefix, "duration_min", &entry);
        if (t.get("fluid")) {
          const std::string fluid = r.string(t, prefix, "fluid", &entry);
          const auto f = kFluids.find(fluid);
          if (f == kFluids.end()) {
            r.fail(prefix + "fluid", t.get("fluid"),
                   fmt::format("= \"{}\": must be crystalloid, albumin_5pct, albumin_20pct or packed_cells", fluid));
          }
          e.fluid = f->second;
        }
        break;
      }
      case EventAction::kMaintenance: e.rate_mL_per_h = r.number(t, prefix, "rate_mL_per_h", &entry); break;
      case EventAction::kSepsisSeverity: e.severity = r.number(t, prefix, "severity", &entry); break;
      case EventAction::kRrt:
        e.effluent_mL_per_kg_h = r.number(t, prefix, "effluent_mL_per_kg_h", &entry);
        if (t.get("net_ultrafiltration_mL_per_h")) {
          e.net_ultrafiltration_mL_per_h = r.number(t, prefix, "net_ultrafiltration_mL_per_h", &entry);
        }
        break;
      case EventAction::kSet: {
        e.key = r.string(t, prefix, "key", &entry);
        const KeySpec* spec = find_spec(e.key);
        if (!spec) r.fail(prefix + "key", t.get("key"), fmt::format("= \"{}\": unknown key{}", e.key, suggestion(e.key)));
        if (!settable_during_run(e.key)) {
          r.fail(prefix + "key", t.get("key"),
                 fmt::format("= \"{}\": cannot change during a run (settable: patient.* except weight, blood volume, "
                             "haematocrit and arteriolar_ne_response; protocol.map_target_mmHg; monitoring noise keys)",
                             e.key));
        }
        e.value = r.number(t, prefix, "value", &entry);
        if (e.value < spec->min || e.value > spec->max) {
          r.fail(prefix + "value", t.get("value"),
                 fmt::format("= {}: out of range [{}, {}] {} for {}", e.value, spec->min, spec->max, spec->unit, e.key));
        }
        apply_override(after_sets, Override{e.key, fmt::format("{}", e.value), e.key}, toml::value<double>(e.value));
        Scenario changed;
        parse_settings(Reader(file, {}), after_sets, changed);
        e.after_set = std::make_shared<const SettingsAfterSet>(
            SettingsAfterSet{changed.params, changed.protocol.settings.at("map_target_mmHg"), changed.monitoring});
        break;
      }
    }
    if (e.at_min < previous) {
      r.fail(prefix + "at_min", t.get("at_min"),
             fmt::format("= {}: events must be in time order (previous event at {} min)", e.at_min, previous));
    }
    if (e.action == EventAction::kSepsisSeverity && e.at_min < s.sepsis_onset_min) {
      r.fail(prefix + "at_min", t.get("at_min"),
             fmt::format("= {}: a sepsis_severity event before sepsis.onset_min ({} min)", e.at_min,
                         s.sepsis_onset_min));
    }
    check_not_after_end(r, t, prefix, e.at_min, s.duration_min);
    previous = e.at_min;
    s.events.push_back(e);
  });

  // [[measurements]]
  std::set<std::string> names;
  for_each_entry(r, root, "measurements", [&](const toml::table& t, const std::string& prefix, const toml::node& entry) {
    Measurement m;
    m.name = r.string(t, prefix, "name", &entry);
    m.at_min = r.number(t, prefix, "at_min", &entry);
    const bool valid_name = !m.name.empty() && std::all_of(m.name.begin(), m.name.end(), [](char ch) {
      return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_';
    });
    if (!valid_name) r.fail(prefix + "name", t.get("name"), fmt::format("= \"{}\": use letters, digits and _", m.name));
    if (!names.insert(m.name).second) {
      r.fail(prefix + "name", t.get("name"), fmt::format("= \"{}\": a measurement of that name exists", m.name));
    }
    check_not_after_end(r, t, prefix, m.at_min, s.duration_min);
    s.measurements.push_back(m);
  });
  std::sort(s.measurements.begin(), s.measurements.end(),
            [](const Measurement& a, const Measurement& b) { return a.at_min < b.at_min; });

  // [[captions]]
  for_each_entry(r, root, "captions", [&](const toml::table& t, const std::string& prefix, const toml::node& entry) {
    Caption c;
    c.at_min = r.number(t, prefix, "at_min", &entry);
    c.text = r.string(t, prefix, "text", &entry);
    c.claims = r.strings(t, prefix, "claims", &entry);
    const auto line_of = [&](const char* key) {
      const toml::node* n = t.get(key);
      return static_cast<int>((n ? n->source() : entry.source()).begin.line);
    };
    c.line = line_of("text");
    c.claims_line = line_of("claims");
    if (c.text.empty() || c.text.size() > 240) {
      r.fail(prefix + "text", t.get("text"), fmt::format("has {} characters: must be 1 to 240", c.text.size()));
    }
    check_not_after_end(r, t, prefix, c.at_min, s.duration_min);
    s.captions.push_back(c);
  });
  std::stable_sort(s.captions.begin(), s.captions.end(),
                   [](const Caption& a, const Caption& b) { return a.at_min < b.at_min; });
  return s;
}

}  // namespace coherence::scenario
