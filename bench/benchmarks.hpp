// The benchmark suite behind `coherence_bench`: each benchmark measures, then returns its figures
// with DESIGN.md's goal and the ratio to it; report.cpp writes them into docs/performance.md.
#pragma once

#include <string>
#include <vector>

namespace coherence::bench {

// One row of a table in docs/performance.md.
struct Figure {
  std::string what;    // what was measured, with its size
  std::string figure;  // the measurement, with its unit
  std::string goal;    // DESIGN.md's goal, or empty
  std::string ratio;   // measured against the goal ("1.8x faster", "5.6x too slow"), or empty
};

struct Section {
  std::string title;
  std::string command;               // how to repeat just this section
  std::vector<Figure> figures;
  std::vector<std::string> details;  // further measured facts, one line each
};

struct Options {
  bool quick = false;       // small sizes: checks that every benchmark runs (tests), not for figures
  int trial_patients = 1000;  // per trial benchmark; with another number 1000 x 2 is projected
};

Section bench_model(const Options& o);
Section bench_render(const Options& o);
Section bench_score(const Options& o);
Section bench_trial(const Options& o);
Section bench_viewer(const Options& o);

// "1.34x faster" / "5.6x too slow" for a measured time against a limit (smaller is better).
std::string time_ratio(double measured, double limit);
// The same for a rate against a floor (larger is better).
std::string rate_ratio(double measured, double floor);

}  // namespace coherence::bench
