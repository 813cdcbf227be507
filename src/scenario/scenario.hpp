// Scenario files (TOML): one patient, a sepsis course and a timeline of events.
//
// Every accepted key is declared once in `scenario_keys()` with its type, unit, range and
// meaning; the loader validates against it and docs/scenarios.md documents exactly that list
// (a test checks the two agree). Errors name the file, line, key, value and rule.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/errors.hpp"
#include "model/params.hpp"
#include "protocol/monitor.hpp"
#include "protocol/protocol.hpp"
#include "protocol/registry.hpp"

namespace coherence::scenario {

// Bad user input: reported as one line, exit code 2.
using coherence::InputError;  // core/errors.hpp

enum class KeyType { kNumber, kString, kInteger, kStringArray };

struct KeySpec {
  std::string_view path;  // dotted; array items as "events[].key"
  KeyType type;
  std::string_view unit;
  double min;
  double max;
  bool required;
  double default_value;
  std::string_view description;
};

// Every key the loader accepts.
const std::vector<KeySpec>& scenario_keys();

enum class EventAction {
  kNeDose,
  kVasopressin,
  kEpinephrine,
  kDobutamine,
  kNitroglycerin,
  kBolus,
  kMaintenance,
  kSepsisSeverity,
  kRrt,
  kSet
};

// What a bolus is made of (docs/model/drugs.md).
enum class Fluid { kCrystalloid, kAlbumin5pct, kAlbumin20pct, kPackedCells };

struct ProtocolSpec {
  std::string name = "fixed";       // a protocol of the registry (protocol/registry.hpp)
  double start_min = 0.0;           // the protocol acts from this time
  protocol::SettingValues settings; // every registered protocol.* key, defaults filled in
};

// The settings a `set` event leaves in force (every earlier `set` applied too).
struct SettingsAfterSet {
  model::ModelParams params;
  double map_target_mmHg = 65.0;
  protocol::MonitorSettings monitoring;
};

struct Event {
  double at_min = 0.0;
  EventAction action = EventAction::kNeDose;
  double dose_ug_per_kg_min = 0.0;  // ne_dose, epinephrine, dobutamine
  double rate_U_per_min = 0.0;      // vasopressin
  double rate_ug_per_min = 0.0;     // nitroglycerin
  double volume_mL = 0.0;           // bolus
  double duration_min = 0.0;        // bolus
  Fluid fluid = Fluid::kCrystalloid;  // bolus
  double rate_mL_per_h = 0.0;       // maintenance
  double severity = 0.0;            // sepsis_severity
  double effluent_mL_per_kg_h = 0.0;          // rrt: effluent dose (0 stops RRT)
  double net_ultrafiltration_mL_per_h = 0.0;  // rrt: net fluid removal
  std::string key;                  // set: dotted path
  double value = 0.0;               // set
  std::shared_ptr<const SettingsAfterSet> after_set;  // set
  int line = 0;                     // where it was declared, for messages
};

// A named moment at which every timeseries column is reported (summary.json; M_<column> in trials).
struct Measurement {
  std::string name;
  double at_min = 0.0;
};

// A lesson's caption: shown by the teaching viewer from this time on (and the viewer pauses
// there, so that the educator can talk); ignored by run and trial.
// Its text may quote the run through placeholders, {column} or {column:.1f} (the value at the
// caption's time) and {column@MIN:.1f} (at minute MIN); `claims` are checked against the run
// (run/captions.hpp): "COLUMN OP NUMBER" (OP one of < <= > >=, at the caption's time, or
// COLUMN@MIN), "COLUMN rises|falls|steady" (since the previous caption, or "since MIN").
struct Caption {
  double at_min = 0.0;
  std::string text;
  std::vector<std::string> claims;
  int line = 0;         // of its text, for messages
  int claims_line = 0;  // of its claims
};

struct Scenario {
  std::string file;
  std::string name;
  std::string description;
  double duration_min = 0.0;
  double output_interval_min = 5.0;
  std::uint64_t seed = 1;  // capillary network geometry and per-vessel draws
  double sepsis_onset_min = 0.0;
  double sepsis_severity = 0.0;
  double sepsis_pathogen_load = 0.0;           // 0: no infection course (severity is the target)
  double sepsis_antibiotics_min = 43200.0;     // effective antibiotics from then on
  double sepsis_source_control_min = 43200.0;  // source control from then on
  model::ModelParams params;
  std::vector<Event> events;  // in time order
  std::vector<Measurement> measurements;  // in time order
  std::vector<Caption> captions;  // by time
  ProtocolSpec protocol;
  protocol::MonitorSettings monitoring;
};

// One `--set KEY=VALUE` override.
struct Override {
  std::string key;
  std::string value;
  std::string text;  // as given, for messages
};

// Parses "KEY=VALUE"; throws InputError on a malformed or unknown key.
Override parse_override(std::string_view text);

// Loads, applies overrides, validates. Throws InputError.
Scenario load_scenario(const std::filesystem::path& file, const std::vector<Override>& overrides = {});

// Why `path` cannot be read as an input file ("no such file", "a folder, not a file", "a FIFO,
// not a file", the OS reason for a symbolic link loop...), or an empty string for a regular file.
std::string why_not_a_regular_file(const std::filesystem::path& path);

std::string_view action_name(EventAction a);
std::string_view fluid_name(Fluid f);

// Keys a `set` event may change during a run.
bool settable_during_run(std::string_view key);

}  // namespace coherence::scenario
