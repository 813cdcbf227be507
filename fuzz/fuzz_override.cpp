// Fuzz target: the `--set KEY=VALUE` parser and its application to a shipped scenario. Every
// input must be applied or refused with scenario::InputError.
#include <cstdint>
#include <string>

#include "scenario/scenario.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const auto o = coherence::scenario::parse_override(text);
    (void)coherence::scenario::load_scenario(std::string(COHERENCE_SOURCE_DIR) + "/scenarios/septic_shock_ne.toml", {o});
  } catch (const coherence::scenario::InputError&) {
  }
  return 0;
}
