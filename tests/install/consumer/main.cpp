// Septic shock for 6 h, then NE 0.3 ug/kg/min for 2 h, through the installed library: prints
// MAP before and after NE (the test checks that NE raises it by more than 1 mmHg).
#include <cstdio>

#include "model/simulator.hpp"

int main() {
  using namespace coherence::model;
  ModelParams p;
  Simulator sim(p, 0.0);
  Inputs in;
  in.sepsis_severity = 0.6;
  sim.set_inputs(in, 360.0);
  sim.advance_to(360.0);
  const double before = sim.observe().circulation.arterial_mmHg;
  in.ne_dose_ug_per_kg_min = 0.3;
  sim.set_inputs(in, 480.0);
  sim.advance_to(480.0);
  const double after = sim.observe().circulation.arterial_mmHg;
  std::printf("MAP %.1f -> %.1f mmHg\n", before, after);
  return after > before + 1.0 ? 0 : 1;  // NE raises MAP (18 mmHg here: unresuscitated)
}
