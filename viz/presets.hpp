// Flow mixes for clips rendered without a scenario: preset drivers (healthy, septic, severe)
// and assigned class fractions. Used by `coherence render` and the scoring accuracy check.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "model/microcirculation.hpp"

namespace coherence::viz {

// Drivers of a preset flow mix; throws std::invalid_argument for an unknown name.
model::MicroDrivers preset_drivers(const std::string& name);

// Assigns flow classes to a site's small visible vessels so that their lengths follow `f`
// (none, intermittent, sluggish, continuous), in a seeded random order; venules flow.
void assign_classes(const model::MicrocirculationParams& micro, model::Site& site, std::vector<model::VesselState>& states,
                    const std::array<double, 4>& f, std::uint64_t seed);

}  // namespace coherence::viz
