// The protocol registry: a protocol that exists only in this file is declared through the public
// registry and run in a scenario, with its own key checked by the scenario loader like any other
// (docs/extending.md walks through this example).
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "protocol/registry.hpp"
#include "run/runner.hpp"
#include "trial/trial.hpp"
#include "scenario/scenario.hpp"

using namespace coherence;

namespace {

// "step_dose": from its start, NE at a fixed dose, set once and never changed.
struct StepDoseSettings {
  double dose_ug_per_kg_min = 0.1;
  double decision_interval_min = 2.0;  // as map_target declares the key: one key, one default
};

class StepDoseProtocol final : public protocol::Protocol {
 public:
  explicit StepDoseProtocol(const StepDoseSettings& s) : s_(s) {}
  std::string name() const override { return "step_dose"; }
  std::unique_ptr<protocol::Protocol> clone() const override { return std::make_unique<StepDoseProtocol>(*this); }
  double decision_interval_min() const override { return s_.decision_interval_min; }
  std::vector<protocol::Action> decide(const protocol::Observations& obs) override {
    if (obs.running.ne_ug_per_kg_min == s_.dose_ug_per_kg_min) return {};
    protocol::Action a;
    a.ne_dose_ug_per_kg_min = s_.dose_ug_per_kg_min;
    a.what = "set NE";
    a.reason = "the step-dose protocol's fixed dose";
    return {a};
  }

 private:
  StepDoseSettings s_;
};

protocol::ProtocolEntry step_dose_entry() {
  using S = StepDoseSettings;
  return protocol::make_entry<S>(
      "step_dose", "NE at one fixed dose from the protocol's start.",
      {protocol::bind({"step_dose_ug_per_kg_min", false, "ug/kg/min", 0, 1, "the NE dose it sets."},
                      &S::dose_ug_per_kg_min),
       protocol::bind({"decision_interval_min", false, "min", 0.5, 60, "time between titration decisions."},
                      &S::decision_interval_min)},
      [](const S& s) { return std::make_unique<StepDoseProtocol>(s); });
}

// Registered for one test case's scope.
struct Registered {
  Registered() { protocol::register_protocol(step_dose_entry()); }
  ~Registered() { protocol::unregister_protocol("step_dose"); }
};

std::filesystem::path write_scenario(const std::string& name, const std::string& protocol_table) {
  const auto path = std::filesystem::temp_directory_path() / ("coherence_registry_" + name + ".toml");
  std::ofstream(path) << "[scenario]\nname = \"registry test\"\nduration_h = 2\noutput_interval_min = 5\n"
                         "[sepsis]\nonset_min = 0\nseverity = 0.7\n"
                      << protocol_table;
  return path;
}

std::size_t count_actions(const run::RunResult& r, const std::string& what) {
  std::size_t n = 0;
  for (const auto& d : r.decisions) n += d.action == what ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("A protocol declared only in a test runs through the registry with its own key") {
  const Registered reg;
  const auto file = write_scenario(
      "run", "[protocol]\nname = \"step_dose\"\nstart_min = 30\nstep_dose_ug_per_kg_min = 0.25\n");
  const auto s = scenario::load_scenario(file);
  CHECK(s.protocol.settings.at("step_dose_ug_per_kg_min") == 0.25);
  const auto r = run::run_scenario(s);
  REQUIRE(r.completed);
  // One decision, at the protocol's start, with its reason; the pump delivers the dose from then on.
  REQUIRE(count_actions(r, "set NE") == 1);
  CHECK(r.decisions.front().time_min == Approx(30.0));
  CHECK(r.decisions.front().reason == "the step-dose protocol's fixed dose");
  for (const auto& row : r.rows) {
    INFO(row.time_min);
    CHECK(row.ne_dose_ug_per_kg_min == (row.time_min < 30.0 ? 0.0 : 0.25));
  }
  // Its key is in the loader's table, range and all, with the protocols that read it named; a key
  // it shares with map_target lists both.
  const auto& keys = scenario::scenario_keys();
  const auto find = [&](std::string_view path) {
    return std::find_if(keys.begin(), keys.end(), [&](const scenario::KeySpec& k) { return k.path == path; });
  };
  const auto own = find("protocol.step_dose_ug_per_kg_min");
  REQUIRE(own != keys.end());
  CHECK(own->max == 1.0);
  CHECK(own->default_value == 0.1);  // the settings struct's default
  CHECK(std::string(own->description) == "step_dose: the NE dose it sets.");
  const auto shared = find("protocol.decision_interval_min");
  REQUIRE(shared != keys.end());
  CHECK(std::string(shared->description).starts_with("map_target, "));
  CHECK(std::string(shared->description).find("step_dose") != std::string::npos);
  std::filesystem::remove(file);
}

TEST_CASE("A registered protocol's key gets the loader's errors and the list of names follows the registry") {
  {
    const Registered reg;
    const auto file = write_scenario("range", "[protocol]\nname = \"step_dose\"\nstep_dose_ug_per_kg_min = 3\n");
    CHECK_THROWS_WITH(scenario::load_scenario(file),
                      Catch::Contains("protocol.step_dose_ug_per_kg_min") && Catch::Contains("out of range"));
    const auto bad = write_scenario("name", "[protocol]\nname = \"step_dos\"\n");
    CHECK_THROWS_WITH(scenario::load_scenario(bad), Catch::Contains("crt_guided, lactate_guided or step_dose"));
    std::filesystem::remove(file);
    std::filesystem::remove(bad);
  }
  // Gone once unregistered: its name and its key are unknown again.
  const auto file = write_scenario("gone", "[protocol]\nname = \"step_dose\"\n");
  CHECK_THROWS_WITH(scenario::load_scenario(file),
                    Catch::Contains("must be fixed, map_target, macro_first, micro_guided, crt_guided or lactate_guided"));
  const auto key = write_scenario("gone_key", "[protocol]\nname = \"fixed\"\nstep_dose_ug_per_kg_min = 0.2\n");
  CHECK_THROWS_WITH(scenario::load_scenario(key), Catch::Contains("unknown key"));
  std::filesystem::remove(file);
  std::filesystem::remove(key);
}

TEST_CASE("The registry refuses a second protocol of one name and a key declared two ways") {
  const Registered reg;
  CHECK_THROWS_AS(protocol::register_protocol(step_dose_entry()), std::logic_error);
  auto clash = step_dose_entry();
  clash.name = "step_dose_2";
  clash.keys[1].max = 120;  // decision_interval_min, as map_target declares it, but another range
  CHECK_THROWS_WITH(protocol::register_protocol(clash), Catch::Contains("declares protocol.decision_interval_min differently"));
  CHECK(protocol::find_protocol("step_dose_2") == nullptr);
  auto reserved = step_dose_entry();
  reserved.name = "step_dose_3";
  reserved.keys[0].key = "start_min";
  CHECK_THROWS_AS(protocol::register_protocol(reserved), std::logic_error);
}

TEST_CASE("Every built-in protocol is in docs/protocols.md's table, and its keys in docs/scenarios.md") {
  std::ifstream in(std::filesystem::path(COHERENCE_SOURCE_DIR) / "docs/protocols.md");
  REQUIRE(in);
  const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(protocol::protocols().size() == 6);
  for (const auto* p : protocol::protocols()) {
    INFO(p->name);
    CHECK(doc.find("| `" + p->name + "` |") != std::string::npos);
    CHECK(doc.find(p->summary) != std::string::npos);
  }
  // docs/scenarios.md's protocol.name row lists exactly the registry's names, in its order.
  std::ifstream sin(std::filesystem::path(COHERENCE_SOURCE_DIR) / "docs/scenarios.md");
  const std::string sdoc((std::istreambuf_iterator<char>(sin)), std::istreambuf_iterator<char>());
  std::string listed;
  for (const auto* p : protocol::protocols()) listed += (listed.empty() ? "`" : ", `") + p->name + "`";
  CHECK(sdoc.find("| `protocol.name` | string | | " + listed + " |") != std::string::npos);
}

namespace {
// A protocol that fails the way its `kind` says at its first decision.
class FailingProtocol final : public protocol::Protocol {
 public:
  explicit FailingProtocol(bool broken_invariant) : broken_(broken_invariant) {}
  std::string name() const override { return broken_ ? "broken_invariant" : "runtime_failure"; }
  std::unique_ptr<protocol::Protocol> clone() const override { return std::make_unique<FailingProtocol>(*this); }
  double decision_interval_min() const override { return 60.0; }
  std::vector<protocol::Action> decide(const protocol::Observations&) override {
    if (broken_) throw std::logic_error("an invariant of the protocol is broken");
    throw std::runtime_error("the protocol's device is unavailable");
  }

 private:
  bool broken_;
};

struct FailingRegistered {
  FailingRegistered() {
    for (bool broken : {true, false}) {
      protocol::register_protocol({broken ? "broken_invariant" : "runtime_failure", "fails on purpose (test)", {},
                                   [broken](const protocol::SettingValues&) {
                                     return std::make_unique<FailingProtocol>(broken);
                                   }});
    }
  }
  ~FailingRegistered() {
    protocol::unregister_protocol("broken_invariant");
    protocol::unregister_protocol("runtime_failure");
  }
};
}  // namespace

TEST_CASE("In a trial a run that fails is a failed patient, a broken invariant stops the trial") {
  const FailingRegistered reg;
  const auto file = std::filesystem::temp_directory_path() / "coherence_registry_trial.toml";
  std::ofstream(file) << "[trial]\nname = \"failing protocols\"\nscenario = \"" << COHERENCE_SOURCE_DIR
                      << "/scenarios/septic_shock_cohort_base.toml\"\npatients = 2\nseed = 7\n"
                         "[[arms]]\nname = \"runtime\"\nprotocol = \"runtime_failure\"\n";
  const auto spec = trial::load_trial(file);
  const trial::PatientRows rows = trial::run_patient(spec, 1);
  CHECK(rows.failed == 1);
  REQUIRE(rows.rows.size() == 1);
  CHECK(rows.rows[0].find(",failed,") != std::string::npos);
  CHECK(rows.rows[0].find("the protocol's device is unavailable") != std::string::npos);

  std::ofstream(file) << "[trial]\nname = \"failing protocols\"\nscenario = \"" << COHERENCE_SOURCE_DIR
                      << "/scenarios/septic_shock_cohort_base.toml\"\npatients = 2\nseed = 7\n"
                         "[[arms]]\nname = \"broken\"\nprotocol = \"broken_invariant\"\n";
  const auto broken = trial::load_trial(file);
  CHECK_THROWS_WITH(trial::run_patient(broken, 1), "an invariant of the protocol is broken");
  std::filesystem::remove(file);
}

TEST_CASE("docs/extending.md's protocol example is this file's code") {
  const auto read = [](const char* rel) {
    std::ifstream in(std::filesystem::path(COHERENCE_SOURCE_DIR) / rel);
    REQUIRE(in);
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    return lines;
  };
  const auto strip = [](std::string s) {
    s.erase(0, s.find_first_not_of(' '));
    s.erase(s.find_last_not_of(' ') + 1);
    return s;
  };
  std::vector<std::string> code;
  for (const auto& l : read("tests/protocol/test_registry.cpp")) code.push_back(strip(l));
  int checked = 0;
  bool in_cpp = false;
  for (const auto& l : read("docs/extending.md")) {
    const std::string t = strip(l);
    if (t == "```cpp") {
      in_cpp = true;
    } else if (t == "```") {
      in_cpp = false;
    } else if (in_cpp && !t.empty()) {
      INFO(t);
      CHECK(std::find(code.begin(), code.end(), t) != code.end());
      ++checked;
    }
  }
  CHECK(checked >= 30);
}
