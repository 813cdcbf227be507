// Every model parameter by name: the table is generated at build time from model/params.hpp
// (tools/gen_parameter_table.py), so a parameter declared there has a key here and a row in
// docs/model/parameters.md, with its default and its source label, without a second list.
#pragma once

#include <span>
#include <string_view>

#include "model/params.hpp"

namespace coherence::model {

struct ParameterInfo {
  std::string_view key;        // "<group>.<member>", e.g. "micro.ne_emax"; the name carries the unit
  std::string_view label;      // V read in the source, D derived, C public model code, R recalled/assumed
  std::string_view note;       // the source and note of params.hpp's comment
  double default_value;        // the reference adult's value (before weight scaling)
  std::string_view named_key;  // the scenario key that sets it, when it has one (e.g. patient.weight_kg)
  double& (*number)(ModelParams&);  // the member, for a double parameter (else null)
  int& (*integer)(ModelParams&);    // the member, for an integer parameter (else null)
};

// All parameters, in params.hpp's order.
std::span<const ParameterInfo> parameter_table();

// The parameter with this key, or null.
const ParameterInfo* find_parameter(std::string_view key);

}  // namespace coherence::model
