#include "model/parameter_table.hpp"


namespace coherence::model {

namespace {
const ParameterInfo kParameters[] = {
#include "parameter_table.inc"
};
}  // namespace

std::span<const ParameterInfo> parameter_table() { return kParameters; }

const ParameterInfo* find_parameter(std::string_view key) {
  for (const auto& p : kParameters) {
    if (p.key == key) return &p;
  }
  return nullptr;
}

}  // namespace coherence::model
