// Literature calibration targets (CALIBRATION.md), each with its accepted band.
#include <catch2/catch.hpp>
#include <algorithm>
#include <string>
#include <vector>

#include "validation/experiments.hpp"

using coherence::validation::run_experiment;

namespace {
void check_all(const std::string& id) {
  for (const auto& r : run_experiment(id)) {
    if (!r.acceptance) continue;
    INFO(r.id << ": " << r.quantity << " = " << r.measured << " " << r.unit << ", accepted [" << r.low << ", "
              << r.high << "] (" << r.source << ")");
    CHECK(r.pass());
  }
}
}  // namespace

TEST_CASE("Healthy baseline lies in normal ranges") { check_all("healthy_baseline"); }
TEST_CASE("Untreated septic shock falls below MAP 65") { check_all("untreated_septic_shock"); }
TEST_CASE("Septic NE sensitivity: +10-16 mmHg per 0.1 ug/kg/min (Jhanji 2009)") { check_all("septic_ne_sensitivity"); }
TEST_CASE("Non-septic patient is several times more NE-sensitive (Maas 2013)") { check_all("nonseptic_ne_sensitivity"); }
TEST_CASE("NE 0.24 -> 0.48 raises CI by 5-20% (Monnet 2011)") { check_all("monnet_cardiac_output"); }
TEST_CASE("500 mL bolus gain decays with t1/2 15-35 min (Nunes 2014)") { check_all("nunes_bolus"); }
TEST_CASE("Lactate steady states with normal vs impaired clearance (Levraut 1998)") { check_all("levraut_lactate"); }
TEST_CASE("NE half-life vs SAPS II (Beloeil 2005)") { check_all("beloeil_pk"); }

TEST_CASE("NE 0.30 -> 0.19 lowers Pmsf by 5-9 mmHg (Persichini 2012)") { check_all("persichini_venous"); }
TEST_CASE("Healthy volunteers on NE 0.2: MAP and plasma NE (Ensinger 1992)") { check_all("healthy_volunteer_ne"); }

TEST_CASE("Maximal NE response vs organ failure (Oualha 2014): reported, a known deviation") {
  // Informative rows (docs/model/norepinephrine.md, Limitations): the model's maximal NE-induced
  // MAP rise is far above Oualha's. What must hold is the direction: less in the sicker patient.
  const auto r = run_experiment("oualha_max_response");
  REQUIRE(r.size() == 2);
  CHECK(r[1].measured < r[0].measured);
}

TEST_CASE("Healthy microcirculation (Edul 2012)") { check_all("healthy_microcirculation"); }
TEST_CASE("Septic shock at MAP 65: MFI, PPV, density (Edul 2012, De Backer 2013)") {
  check_all("septic_microcirculation");
}
TEST_CASE("The NE cliff: breakpoints 0.6-0.9 ug/kg/min, steeper above, real falls (Dai 2026)") { check_all("ne_cliff"); }
TEST_CASE("MAP 65 -> 85 helps a poor microcirculation, not a near-normal one") { check_all("baseline_dependence"); }
TEST_CASE("Vasopressin 0.04 U/min on NE raises SVR and MAP (Landry 1997)") { check_all("landry_vasopressin"); }
TEST_CASE("Dobutamine 5: CI up, MAP unchanged, poor capillary perfusion improves (Enrico 2012, De Backer 2006)") {
  check_all("dobutamine_response");
}
TEST_CASE("Epinephrine: NE-equivalent MAP, lactate rises (Myburgh 2008, Levy 1997)") { check_all("epinephrine_response"); }
TEST_CASE("Nitroglycerin shortens a long CRT and lowers MAP (Lima 2014, Boerma 2010)") {
  check_all("nitroglycerin_response");
}

TEST_CASE("Every experiment's accepted checks are covered by a test above") {
  // A new experiment must get a TEST_CASE here; this list is the one the tests assert.
  const std::vector<std::string> tested = {"healthy_baseline",      "untreated_septic_shock", "septic_ne_sensitivity",
                                           "nonseptic_ne_sensitivity", "healthy_volunteer_ne", "oualha_max_response",
                                           "persichini_venous",
                                           "monnet_cardiac_output", "nunes_bolus",            "levraut_lactate",
                                           "beloeil_pk",            "healthy_microcirculation",
                                           "septic_microcirculation", "ne_cliff",           "baseline_dependence",
                                           "landry_vasopressin",    "dobutamine_response",    "epinephrine_response",
                                           "nitroglycerin_response"};
  for (const auto& e : coherence::validation::experiments()) {
    INFO(e.id);
    CHECK(std::find(tested.begin(), tested.end(), e.id) != tested.end());
  }
}
