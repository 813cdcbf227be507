// Scenario loading: good files, --set overrides, and the bad-input corpus.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "model/parameter_table.hpp"
#include "scenario/scenario.hpp"
#include "trial/trial.hpp"

using namespace coherence::scenario;
namespace fs = std::filesystem;

namespace {
const fs::path kSource = COHERENCE_SOURCE_DIR;

std::string first_line(const fs::path& f) {
  std::ifstream in(f);
  std::string line;
  std::getline(in, line);
  return line;
}
}  // namespace

TEST_CASE("Every shipped scenario loads") {
  int count = 0;
  for (const auto& entry : fs::directory_iterator(kSource / "scenarios")) {
    if (entry.path().extension() != ".toml") continue;
    INFO(entry.path());
    if (entry.path().filename().string().rfind("trial_", 0) == 0) {
      CHECK_NOTHROW(coherence::trial::load_trial(entry.path()));  // trial files (docs/trials.md)
    } else {
      CHECK_NOTHROW(load_scenario(entry.path()));
    }
    ++count;
  }
  CHECK(count >= 3);
}

TEST_CASE("The septic shock scenario reads its keys and events") {
  const Scenario s = load_scenario(kSource / "scenarios/septic_shock_ne.toml");
  CHECK(s.duration_min == 72 * 60);
  CHECK(s.sepsis_onset_min == -360);
  CHECK(s.sepsis_severity == Approx(0.7));
  CHECK(s.params.patient.saps2 == 50);
  REQUIRE(s.events.size() == 7);
  CHECK(s.events[0].action == EventAction::kBolus);
  CHECK(s.events[0].volume_mL == 2100);
  CHECK(s.events[3].dose_ug_per_kg_min == Approx(0.2));
}

TEST_CASE("Overrides by --set reach scalars and event fields, and reject unknown keys") {
  const fs::path f = kSource / "scenarios/septic_shock_ne.toml";
  const Scenario s = load_scenario(f, {parse_override("patient.weight_kg=82.5"), parse_override("sepsis.severity=1"),
                                       parse_override("events.3.dose_ug_per_kg_min=0.35"),
                                       parse_override("scenario.name=renamed")});
  CHECK(s.params.patient.weight_kg == 82.5);
  CHECK(s.sepsis_severity == 1.0);
  CHECK(s.events[3].dose_ug_per_kg_min == Approx(0.35));
  CHECK(s.name == "renamed");
  // A key absent from the file but declared takes the override.
  CHECK(load_scenario(f, {parse_override("patient.ne_sensitivity=2")}).params.patient.ne_sensitivity == 2.0);

  CHECK_THROWS_WITH(parse_override("patient.wieght_kg=80"), Catch::Contains("unknown key 'patient.wieght_kg'"));
  CHECK_THROWS_WITH(parse_override("weight"), Catch::Contains("expected KEY=VALUE"));
  CHECK_THROWS_WITH(load_scenario(f, {parse_override("patient.weight_kg=heavy")}),
                    Catch::Contains("--set patient.weight_kg=heavy: must be a number"));
  CHECK_THROWS_WITH(load_scenario(f, {parse_override("patient.weight_kg=900")}),
                    Catch::Contains("--set patient.weight_kg=900: = 900: out of range [30, 250] kg"));
  CHECK_THROWS_WITH(load_scenario(f, {parse_override("events.9.at_min=5")}), Catch::Contains("there is no event 9"));
}

TEST_CASE("Every model parameter has a key: defaults read from params.hpp, set by [model.GROUP] and --set") {
  namespace model = coherence::model;
  // The generated table holds every member with the struct's own default (the generator read
  // params.hpp's text; ModelParams{} is what the compiler made of it).
  model::ModelParams defaults;
  const auto table = model::parameter_table();
  CHECK(table.size() >= 200);
  std::size_t labelled = 0;
  for (const auto& p : table) {
    INFO(p.key);
    if (p.number) CHECK(p.number(defaults) == p.default_value);
    if (p.integer) CHECK(p.integer(defaults) == static_cast<int>(p.default_value));
    CHECK((p.number != nullptr) != (p.integer != nullptr));
    if (!p.label.empty()) ++labelled;
  }
  CHECK(labelled == table.size());
  // Two members of one struct resolve to two different places (no accessor mix-up).
  CHECK(&model::find_parameter("micro.ne_emax")->number(defaults) == &defaults.micro.ne_emax);
  CHECK(&model::find_parameter("kidney.autoregulation_strength")->number(defaults) ==
        &defaults.kidney.autoregulation_strength);

  const fs::path f = kSource / "scenarios/septic_shock_ne.toml";
  const Scenario s = load_scenario(f, {parse_override("model.micro.ne_emax=0"),
                                       parse_override("model.kidney.autoregulation_strength=0.5"),
                                       parse_override("model.micro.venules_per_site=3")});
  CHECK(s.params.micro.ne_emax == 0.0);
  CHECK(s.params.kidney.autoregulation_strength == 0.5);
  CHECK(s.params.micro.venules_per_site == 3);
  // patient.arteriolar_ne_response still multiplies the value set under [model.micro].
  const Scenario half = load_scenario(f, {parse_override("model.micro.ne_emax=0.4"),
                                          parse_override("patient.arteriolar_ne_response=0.5")});
  CHECK(half.params.micro.ne_emax == Approx(0.2));
  CHECK_THROWS_WITH(parse_override("model.patient.weight_kg=60"),
                    Catch::Contains("this parameter is set by 'patient.weight_kg'"));
  CHECK_THROWS_WITH(load_scenario(f, {parse_override("model.micro.ne_emax=-1")}),
                    Catch::Contains("--set model.micro.ne_emax=-1: = -1: must be >= 0"));
  CHECK_THROWS_WITH(load_scenario(f, {parse_override("model.hemodynamics.arterial_compliance_mL_per_mmHg=x")}),
                    Catch::Contains("must be a number"));
}

TEST_CASE("Bad-input corpus: each file gives one line naming file:line and key") {
  int count = 0;
  for (const auto& entry : fs::directory_iterator(kSource / "tests/bad_input")) {
    if (entry.path().extension() != ".toml") continue;
    ++count;
    const std::string header = first_line(entry.path());
    REQUIRE(header.rfind("# expect: ", 0) == 0);
    const std::string expected = header.substr(10);
    INFO(entry.path().filename().string() << " expects: " << expected);
    try {
      load_scenario(entry.path());
      FAIL("no error");
    } catch (const InputError& e) {
      const std::string msg = e.what();
      INFO("message: " << msg);
      CHECK(msg.find(entry.path().string()) == 0);
      CHECK(msg.find('\n') == std::string::npos);
      CHECK(msg.find(expected) != std::string::npos);
      if (entry.path().filename() != "scenario_missing.toml") {
        CHECK(std::regex_search(msg, std::regex("\\.toml:[1-9][0-9]*: ")));
      }
    }
  }
  CHECK(count >= 15);
}

TEST_CASE("A missing scenario file is an input error") {
  CHECK_THROWS_AS(load_scenario("/nonexistent/scenario.toml"), InputError);
}

TEST_CASE("Every accepted key is documented in docs/scenarios.md") {
  std::ifstream in(kSource / "docs/scenarios.md");
  REQUIRE(in);
  const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const auto& k : scenario_keys()) {
    INFO(k.path);
    CHECK(doc.find("`" + std::string(k.path) + "`") != std::string::npos);
  }
}

namespace {
// The cells of docs/scenarios.md's row for `path` (key, type, unit, range, default, meaning), or
// empty when there is none.
std::vector<std::string> doc_row(const std::string& doc, std::string_view path) {
  const std::string start = "| `" + std::string(path) + "` |";
  const auto at = doc.find(start);
  if (at == std::string::npos) return {};
  const std::string line = doc.substr(at, doc.find('\n', at) - at);
  std::vector<std::string> cells;
  std::size_t p = 1;
  while (p < line.size()) {
    const auto q = line.find('|', p);
    if (q == std::string::npos) break;
    std::string c = line.substr(p, q - p);
    c.erase(0, c.find_first_not_of(' '));
    c.erase(c.find_last_not_of(' ') + 1);
    cells.push_back(c);
    p = q + 1;
  }
  return cells;
}

constexpr double kBigRange = 1e300;

std::string without_spaces(std::string s) {
  s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
  return s;
}
}  // namespace

TEST_CASE("docs/scenarios.md states each key's type, unit, range and default as the loader declares them") {
  std::ifstream in(kSource / "docs/scenarios.md");
  REQUIRE(in);
  const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  int numeric_rows = 0;
  for (const auto& k : scenario_keys()) {
    INFO(k.path);
    const auto cells = doc_row(doc, k.path);
    REQUIRE(cells.size() >= 6);
    const char* type = k.type == KeyType::kNumber    ? "number"
                       : k.type == KeyType::kInteger ? "integer"
                       : k.type == KeyType::kString  ? "string"
                                                     : "array of strings";
    CHECK(cells[1] == type);
    if (k.type != KeyType::kNumber && k.type != KeyType::kInteger) continue;
    if (cells[2] != "the key's unit") CHECK(without_spaces(cells[2]) == without_spaces(std::string(k.unit)));
    // Range: "min - max", optionally followed by a further rule (", <= duration"), or a range per
    // event action ("0 - 5 (`dobutamine` 0 - 20)"), whose widest bound the table declares.
    if (cells[3] != "the key's own range") {
      static const std::regex range(R"((-?[0-9.]+) - (-?[0-9.]+))");
      double lo = kBigRange, hi = -kBigRange;
      for (auto it = std::sregex_iterator(cells[3].begin(), cells[3].end(), range); it != std::sregex_iterator(); ++it) {
        lo = std::min(lo, std::stod((*it)[1].str()));
        hi = std::max(hi, std::stod((*it)[2].str()));
      }
      CHECK(lo == k.min);
      CHECK(hi == k.max);
    }
    if (cells[4].starts_with("required")) {
      CHECK((k.required || cells[4].starts_with("required for")));  // "required for `rrt`": the loader's own rule
    } else if (!cells[4].empty()) {
      CHECK_FALSE(k.required);
      CHECK(std::stod(cells[4]) == Approx(k.default_value).epsilon(1e-12));
    }
    ++numeric_rows;
  }
  CHECK(numeric_rows >= 60);
}
