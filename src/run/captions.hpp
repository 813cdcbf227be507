// Lesson captions that say what the run does: placeholders filled from the timeseries and claims
// checked against it (scenario::Caption). A caption is true of the scenario as scripted; the
// viewer shows the same filled text.
//
// Placeholders in a caption's text: {COLUMN[@MIN][/DIVISOR][:FORMAT]}, e.g. {ppv_pct:.0f} (at the
// caption's time), {map_mmHg@180:.0f} (at minute 180), {fluids_in_mL/1000:.1f} (litres).
// FORMAT is .Nf or .Ng (default .3g). Values between output rows are interpolated linearly.
//
// Claims: "COLUMN[@MIN] OP NUMBER" with OP one of < <= > >=, and "COLUMN rises|falls|steady
// [since MIN]" comparing the caption's time with the previous caption's (the first: t = 0):
// rises / falls by more than 1% of the larger magnitude, steady within 5%.
#pragma once

#include <string>
#include <vector>

#include "run/sample.hpp"
#include "scenario/scenario.hpp"

namespace coherence::run {

struct ClaimResult {
  std::string claim;
  bool holds = false;
  std::string detail;  // the values it was judged on
};

struct CaptionResult {
  double at_min = 0.0;
  std::string text;  // placeholders filled
  std::vector<ClaimResult> claims;
};

// Every placeholder and claim names a timeseries column and parses; throws scenario::InputError
// (file:line: captions.N.text|claims: what, rule) otherwise.
void check_captions(const scenario::Scenario& s);

// Fills and checks the captions on a run's rows.
std::vector<CaptionResult> evaluate_captions(const scenario::Scenario& s, const std::vector<Sample>& rows);

// Whether any caption has a placeholder (the viewer then runs the scenario once to fill them).
bool captions_have_placeholders(const scenario::Scenario& s);

}  // namespace coherence::run
