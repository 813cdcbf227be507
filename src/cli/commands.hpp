// The `coherence` subcommands: each has an options struct, a setup function that registers it
// with CLI11, and a run function. `main` only registers them and maps errors to exit codes.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

namespace coherence::cli {

struct RunOptions {
  std::string scenario_file;
  std::vector<std::string> overrides;  // KEY=VALUE
  std::string out_dir = "out/run";
  bool no_plot = false;
  std::vector<double> dump_vessels_at_min;  // write vessels_t<T>min.json at these times
};
void setup_run(CLI::App& app, std::shared_ptr<RunOptions> opts);
int run_run(const RunOptions& opts);

struct ValidateOptions {
  std::string docs_dir;  // rewrite the generated tables in these docs
  bool quiet = false;
};
void setup_validate(CLI::App& app, std::shared_ptr<ValidateOptions> opts);
int run_validate(const ValidateOptions& opts);

}  // namespace coherence::cli
