// Benchmark: an in-silico trial, DESIGN.md's goal being 1000 patients x 2 protocols x 72 h in
// <= 60 s on 2 cores. Runs the trial machinery (cohort draw, runs, outcomes, journal, sorted
// patients.csv) into a temporary folder and reports the wall time and the time per run.
// Usage: bench_trial [patients=1000] [threads=2] [trial file=scenarios/trial_macro_vs_micro.toml]
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "trial/trial.hpp"

int main(int argc, char** argv) {
  using namespace coherence;
  const int patients = argc > 1 ? std::atoi(argv[1]) : 1000;
  const unsigned threads = argc > 2 ? static_cast<unsigned>(std::atoi(argv[2])) : 2u;
  const std::filesystem::path file =
      argc > 3 ? std::filesystem::path(argv[3])
               : std::filesystem::path(COHERENCE_SOURCE_DIR) / "scenarios" / "trial_macro_vs_micro.toml";
  const trial::TrialSpec spec =
      trial::load_trial(file, {scenario::Override{"trial.patients", std::to_string(patients), ""}});
  const auto dir = std::filesystem::temp_directory_path() / "coherence_bench_trial";
  std::filesystem::remove_all(dir);
  trial::TrialOptions o;
  o.out_dir = dir;
  o.threads = threads;
  const auto t0 = std::chrono::steady_clock::now();
  const trial::TrialRun r = trial::run_trial(spec, o);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::filesystem::remove_all(dir);
  const double runs = static_cast<double>(patients) * static_cast<double>(spec.protocols.size());
  fmt::print("{}: {} patients x {} protocols x {:g} h, {} thread(s): {:.1f} s ({:.0f} ms per run, {} failed rows); "
             "1000 x 2 would take {:.0f} s (goal <= 60 s on 2 cores)\n",
             file.filename().string(), patients, spec.protocols.size(), 72.0, threads, s, 1000.0 * s * threads / runs,
             r.failed_rows, s / runs * 2000.0);
}
