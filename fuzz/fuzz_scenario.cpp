// Fuzz target: the scenario loader. Any byte string as a scenario file must either load or be
// refused with scenario::InputError (exit 2 in the CLI); anything else is a defect.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "scenario/scenario.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("coherence_fuzz_scenario_" + std::to_string(getpid()) + ".toml");
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  try {
    (void)coherence::scenario::load_scenario(file);
  } catch (const coherence::scenario::InputError&) {
  }
  return 0;
}
