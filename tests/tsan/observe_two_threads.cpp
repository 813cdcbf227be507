// Two threads observing one Simulator (tests/tsan.sh builds this with ThreadSanitizer): the const
// readers (observe, observe_circulation, state) must not write shared memory, and both threads
// must see the values a single reader sees. Exit 0 when they do; ThreadSanitizer's report and a
// non-zero exit otherwise.
#include <cstdio>
#include <thread>
#include <vector>

#include "model/simulator.hpp"

using namespace coherence::model;

int main() {
  ModelParams p;
  p.patient.baroreflex_gain = 0.5;
  Simulator sim(p, 0.0);
  Inputs in;
  in.sepsis_severity = 0.8;
  in.crystalloid_mL_per_min = 2.0;
  sim.set_inputs(in, 120.0);
  sim.advance_to(120.0);
  // An infusion started a moment ago: the closed-form drug levels are between two values.
  in.ne_dose_ug_per_kg_min = 0.3;
  in.dobutamine_ug_per_kg_min = 5.0;
  sim.set_inputs(in, 130.0);
  sim.advance_to(125.0);

  // The threads start before any reader has looked at this time, so that a reader which wrote
  // shared memory (a cache behind const) would write it while the other reads.
  struct Seen {
    std::vector<double> map;
    std::vector<StateVector> y;
  };
  auto reader = [&sim](Seen& seen) {
    for (int i = 0; i < 2000; ++i) {
      seen.map.push_back(sim.observe().circulation.arterial_mmHg);
      seen.map.push_back(sim.observe_circulation().circulation.arterial_mmHg);
      seen.y.push_back(sim.state());
    }
  };
  Seen seen_a, seen_b;
  {
    std::thread a(reader, std::ref(seen_a));
    std::thread b(reader, std::ref(seen_b));
    a.join();
    b.join();
  }
  const double map_reference = sim.observe().circulation.arterial_mmHg;
  const StateVector y_reference = sim.state();
  int mismatches = 0;
  for (const Seen* seen : {&seen_a, &seen_b}) {
    for (double m : seen->map) mismatches += m != map_reference;
    for (const auto& y : seen->y) mismatches += y != y_reference;
  }
  std::printf("tsan observe: %d of 12000 readings differed from a single reader's\n", mismatches);
  std::printf("tsan observe: %d passed, %d failed\n", mismatches == 0 ? 1 : 0, mismatches == 0 ? 0 : 1);
  return mismatches == 0 ? 0 : 1;
}
