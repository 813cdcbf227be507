// In-silico trials end to end (cohort draw, runs, outcomes, fsynced journal, sorted
// patients.csv), 72 h per run, on 2 threads. DESIGN.md: 1000 patients x 2 protocols x 72 h in
// <= 60 s on 2 cores: measured as such by default, projected from Options::trial_patients
// otherwise.
#include <fmt/format.h>

#include <chrono>
#include <filesystem>

#include "bench/benchmarks.hpp"
#include "trial/trial.hpp"

namespace coherence::bench {

namespace {
struct TrialSpeed {
  double seconds = 0.0;
  double runs = 0.0;
  int failed_rows = 0;
  std::size_t protocols = 0;
};

TrialSpeed measure(const std::string& file_name, int patients, unsigned threads) {
  const std::filesystem::path file = std::filesystem::path(COHERENCE_SOURCE_DIR) / "scenarios" / file_name;
  const trial::TrialSpec spec =
      trial::load_trial(file, {scenario::Override{"trial.patients", std::to_string(patients), ""}});
  const auto dir = std::filesystem::temp_directory_path() / "coherence_bench_trial";
  std::filesystem::remove_all(dir);
  trial::TrialOptions options;
  options.out_dir = dir;
  options.threads = threads;
  const auto t0 = std::chrono::steady_clock::now();
  const trial::TrialRun r = trial::run_trial(spec, options);
  TrialSpeed out;
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::filesystem::remove_all(dir);
  out.protocols = spec.protocols.size();
  out.runs = static_cast<double>(patients) * static_cast<double>(out.protocols);
  out.failed_rows = r.failed_rows;
  return out;
}
}  // namespace

Section bench_trial(const Options& o) {
  Section out{"Trials", "coherence_bench --only trial [--trial-patients N]", {}, {}};
  const int n = o.quick ? 2 : o.trial_patients;
  for (const std::string file : {"trial_macro_vs_micro.toml", "trial_observational_replication.toml"}) {
    const TrialSpeed t = measure(file, n, 2);
    const double projected = t.seconds / t.runs * 2000.0;
    const bool direct = n == 1000 && t.protocols == 2;
    out.figures.push_back(
        {fmt::format("{}: {} patients x {} protocol{} x 72 h, 2 threads ({} failed rows)", file, n, t.protocols,
                     t.protocols == 1 ? "" : "s", t.failed_rows),
         direct ? fmt::format("{:.1f} s ({:.0f} ms CPU per run), measured", t.seconds,
                              1000.0 * t.seconds * 2.0 / t.runs)
                : fmt::format("{:.1f} s ({:.0f} ms CPU per run); 1000 x 2 projected at {:.0f} s", t.seconds,
                              1000.0 * t.seconds * 2.0 / t.runs, projected),
         "1000 x 2 x 72 h in <= 60 s on 2 cores", time_ratio(direct ? t.seconds : projected, 60.0)});
  }
  return out;
}

}  // namespace coherence::bench
