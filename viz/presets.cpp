#include "viz/presets.hpp"

#include <algorithm>
#include <stdexcept>

#include "model/random.hpp"

namespace coherence::viz {

// Drivers of a preset flow mix.
model::MicroDrivers preset_drivers(const std::string& name) {
  model::MicroDrivers d;
  if (name == "healthy") return d;
  if (name == "septic") {
    d.inflammation = 0.7;
    d.perfusion_ratio = 0.75;
    return d;
  }
  if (name == "severe") {
    d.inflammation = 1.0;
    d.perfusion_ratio = 0.55;
    d.injury = 1.5;
    return d;
  }
  throw std::invalid_argument("unknown preset '" + name + "' (healthy, septic, severe)");
}

void assign_classes(const model::MicrocirculationParams& micro, model::Site& site, std::vector<model::VesselState>& states,
                    const std::array<double, 4>& f, std::uint64_t seed) {
  std::vector<std::size_t> order;
  double total = 0.0;
  for (std::size_t i = 0; i < site.vessels.size(); ++i) {
    if (states[i].small && states[i].visible) {
      order.push_back(i);
      total += site.vessels[i].length_um;
    }
  }
  model::Rng rng = model::Rng::stream(seed, 0, 31);
  for (std::size_t i = order.size(); i > 1; --i) {
    std::swap(order[i - 1], order[static_cast<std::size_t>(rng.uniform() * static_cast<double>(i))]);
  }
  double done = 0.0;
  for (std::size_t i : order) {
    model::Vessel& v = site.vessels[i];
    model::VesselState& s = states[i];
    const double position = (done + 0.5 * v.length_um) / total;
    done += v.length_um;
    const int cls = position < f[0] ? 0 : position < f[0] + f[1] ? 1 : position < f[0] + f[1] + f[2] ? 2 : 3;
    switch (cls) {
      case 0: s.duty = 0.0; s.velocity_moving_um_per_s = 0.0; break;
      case 1:  // stop-go, two periods per window: moving exactly half of it
        s.duty = 0.5;
        s.velocity_moving_um_per_s = std::max(100.0, 0.15 * v.reference_velocity_um_per_s);
        v.stop_go_period_s = 0.5 * micro.window_s;
        break;
      case 2: s.duty = 1.0; s.velocity_moving_um_per_s = rng.uniform(120.0, 280.0); break;
      default: s.duty = 1.0; s.velocity_moving_um_per_s = std::max(400.0, v.reference_velocity_um_per_s); break;
    }
    model::classify(micro, v, 0.0, s);
  }
}

}  // namespace coherence::viz
