// Fuzz target: numeric command-line options through CLI11 and the one validation layer
// (src/cli/numeric_options.hpp). The input is split at NUL bytes into option values for a
// floating-point option with a Range (as `--seconds` has), an integer option with a Range (as
// `--threads`), an int64 seed and a list of floats. A parse either fails with a CLI11 error or
// gives finite values inside their ranges: NaN, infinities and saturated integers never pass.
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "cli/numeric_options.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> values(1);
  for (std::size_t k = 0; k < size; ++k) {
    if (data[k] == 0) {
      values.emplace_back();
    } else {
      values.back() += static_cast<char>(data[k]);
    }
  }
  if (values.size() > 8) values.resize(8);
  CLI::App app{"fuzz"};
  CLI::App* sub = app.add_subcommand("x", "");
  double seconds = 4.0;
  int threads = 1;
  std::int64_t seed = 1;
  std::vector<double> times;
  sub->add_option("--seconds", seconds)->check(CLI::Range(0.5, 20.0));
  sub->add_option("--threads", threads)->check(CLI::Range(1, 256));
  sub->add_option("--seed", seed)->check(CLI::Range(std::int64_t{0}, std::numeric_limits<std::int64_t>::max()));
  sub->add_option("--at", times)->delimiter(',');
  coherence::cli::check_numeric_options(app);
  static const char* kNames[] = {"--seconds", "--threads", "--seed", "--at"};
  std::vector<std::string> args = {"fuzz", "x"};
  for (std::size_t k = 0; k < values.size(); ++k) {
    args.emplace_back(kNames[k % 4]);
    args.push_back(values[k]);
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::Error&) {
    return 0;
  }
  if (!(std::isfinite(seconds) && seconds >= 0.5 && seconds <= 20.0)) std::abort();
  if (threads < 1 || threads > 256 || seed < 0) std::abort();
  for (double t : times) {
    if (!std::isfinite(t)) std::abort();
  }
  return 0;
}
