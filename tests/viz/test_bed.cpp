// The realistic look's connected bed (viz/bed.hpp): geometry joined at its nodes, flow conserved
// at every junction, no stopped venule below a flowing bed, capillary velocities in range.
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "model/microcirculation.hpp"
#include "viz/bed.hpp"
#include "viz/presets.hpp"

using namespace coherence;

namespace {

struct Case {
  viz::Bed bed;
  std::vector<model::VesselState> states;
};

Case flowing_bed(const std::string& preset, std::uint64_t seed, std::size_t site, bool assigned = false) {
  model::MicrocirculationParams micro;
  micro.window_s = 4.0;
  Case c{viz::connected_bed(micro, seed, site, 940.0, 705.0), {}};
  c.states = model::site_states(micro, c.bed.site, viz::preset_drivers(preset), 0.0);
  if (assigned) viz::assign_bed_classes(micro, c.bed, c.states, {0.2, 0.1, 0.2, 0.5}, seed);
  viz::bed_flow(micro, c.bed, c.states, 0.0);
  return c;
}

bool capillary(const viz::Bed& bed, std::size_t i) { return bed.tree[i] >= 0; }

}  // namespace

TEST_CASE("Connected bed: vessels meet at their nodes, every capillary drains into a venule, diameters in range") {
  model::MicrocirculationParams micro;
  for (std::uint64_t seed : {1u, 2u, 101u}) {
    const viz::Bed bed = viz::connected_bed(micro, seed, 0, 940.0, 705.0);
    const auto& vessels = bed.site.vessels;
    REQUIRE(bed.trees >= 5);
    std::vector<int> in(bed.node_position.size(), 0), out(bed.node_position.size(), 0);
    for (std::size_t i = 0; i < vessels.size(); ++i) {
      const auto& p = vessels[i].polyline;
      const auto& a = bed.node_position[static_cast<std::size_t>(bed.from_node[i])];
      const auto& b = bed.node_position[static_cast<std::size_t>(bed.to_node[i])];
      CHECK(std::hypot(p.front().x_um - a.x_um, p.front().y_um - a.y_um) < 1e-9);
      CHECK(std::hypot(p.back().x_um - b.x_um, p.back().y_um - b.y_um) < 1e-9);
      ++out[static_cast<std::size_t>(bed.from_node[i])];
      ++in[static_cast<std::size_t>(bed.to_node[i])];
      if (capillary(bed, i)) {
        CHECK(vessels[i].diameter_um >= micro.capillary_diameter_min_um);
        CHECK(vessels[i].diameter_um < 20.0);
      } else {
        CHECK(vessels[i].diameter_um >= 20.0);
        CHECK(vessels[i].diameter_um <= 100.0);
      }
    }
    for (std::size_t n = 0; n < bed.node_position.size(); ++n) {
      switch (bed.node_kind[n]) {
        case viz::NodeKind::kInlet: CHECK((in[n] == 0 && out[n] == 1)); break;
        case viz::NodeKind::kJunction: CHECK((in[n] >= 1 && out[n] >= 1 && in[n] + out[n] == 3)); break;
        case viz::NodeKind::kDrain: CHECK(out[n] == 1); break;
        case viz::NodeKind::kEdge: CHECK(in[n] + out[n] == 1); break;
      }
    }
    // From every inlet, following the flow reaches a venule.
    for (std::size_t n = 0; n < bed.node_position.size(); ++n) {
      if (bed.node_kind[n] != viz::NodeKind::kInlet) continue;
      int node = static_cast<int>(n), steps = 0;
      while (bed.node_kind[static_cast<std::size_t>(node)] != viz::NodeKind::kDrain && steps++ < 10) {
        for (std::size_t i = 0; i < vessels.size(); ++i) {
          if (bed.from_node[i] == node) {
            node = bed.to_node[i];
            break;
          }
        }
      }
      CHECK(bed.node_kind[static_cast<std::size_t>(node)] == viz::NodeKind::kDrain);
    }
    // Small-vessel density near the model's 18.5 mm/mm^2 (what lies outside the venules).
    double small_um = 0.0;
    for (std::size_t i = 0; i < vessels.size(); ++i) {
      if (capillary(bed, i)) small_um += vessels[i].length_um;
    }
    const double density = small_um * 1e-3 / (0.94 * 0.705);
    CHECK(density > 0.9 * micro.small_vessel_density_mm_per_mm2);
    CHECK(density < 1.5 * micro.small_vessel_density_mm_per_mm2);
  }
}

TEST_CASE("Connected bed: flow is conserved at every junction and no flowing bed drains into a stopped venule") {
  for (const std::string preset : {"healthy", "septic", "severe"}) {
    for (std::uint64_t seed : {1u, 2u, 101u, 7u}) {
      for (std::size_t site : {0u, 3u}) {
        for (bool assigned : {false, true}) {
          const Case c = flowing_bed(preset, seed, site, assigned);
          const viz::Bed& bed = c.bed;
          const auto& vessels = bed.site.vessels;
          INFO(preset << " seed " << seed << " site " << site << (assigned ? " assigned classes" : ""));
          const std::size_t nodes = bed.node_position.size();
          std::vector<double> mean_in(nodes, 0.0), mean_out(nodes, 0.0), capillary_in(nodes, 0.0);
          std::vector<bool> only_capillaries(nodes, true);
          for (std::size_t i = 0; i < vessels.size(); ++i) {
            const auto from = static_cast<std::size_t>(bed.from_node[i]), to = static_cast<std::size_t>(bed.to_node[i]);
            const double q = viz::mean_flow_um3_per_s(bed, c.states, i);
            mean_out[from] += q;
            mean_in[to] += q;
            if (capillary(bed, i)) capillary_in[to] += q;
            if (!capillary(bed, i)) only_capillaries[from] = only_capillaries[to] = false;
          }
          for (std::size_t n = 0; n < nodes; ++n) {
            const viz::NodeKind kind = bed.node_kind[n];
            if (kind != viz::NodeKind::kJunction && kind != viz::NodeKind::kDrain) continue;
            CHECK(std::abs(mean_in[n] - mean_out[n]) <= 1e-9 * std::max(1.0, mean_in[n]));
            if (!only_capillaries[n]) continue;
            // Capillary junctions: conserved at every instant, not only on average.
            for (double t : {0.0, 0.7, 1.9, 3.3}) {
              double qin = 0.0, qout = 0.0;
              for (std::size_t i = 0; i < vessels.size(); ++i) {
                const double a = 0.25 * 3.141592653589793 * vessels[i].diameter_um * vessels[i].diameter_um;
                const double q = a * model::vessel_velocity_um_per_s(vessels[i], c.states[i], t);
                if (static_cast<std::size_t>(bed.to_node[i]) == n) qin += q;
                if (static_cast<std::size_t>(bed.from_node[i]) == n) qout += q;
              }
              CHECK(std::abs(qin - qout) <= 1e-9 * std::max(1.0, qin));
            }
          }
          // Below a flowing bed the venule flows, and flows at least as much downstream.
          for (std::size_t i = 0; i < vessels.size(); ++i) {
            if (capillary(bed, i)) continue;
            const auto from = static_cast<std::size_t>(bed.from_node[i]);
            if (capillary_in[from] > 0.0) {
              CHECK(c.states[i].velocity_moving_um_per_s > 0.0);
              CHECK(c.states[i].flow_class != model::FlowClass::kNone);
            }
            CHECK(viz::mean_flow_um3_per_s(bed, c.states, i) >= mean_in[from] * (1.0 - 1e-12));
          }
        }
      }
    }
  }
}

TEST_CASE("Connected bed: capillary velocities stay below the ceiling and sepsis does not speed them up") {
  std::array<double, 3> weighted{}, length{};
  const std::array<std::string, 3> presets = {"healthy", "septic", "severe"};
  double fastest = 0.0;
  for (std::size_t p = 0; p < presets.size(); ++p) {
    for (std::uint64_t seed = 1; seed <= 12; ++seed) {
      const Case c = flowing_bed(presets[p], seed, seed % 5);
      for (std::size_t i = 0; i < c.states.size(); ++i) {
        if (!capillary(c.bed, i)) continue;
        fastest = std::max(fastest, c.states[i].velocity_moving_um_per_s);
        if (c.states[i].visible && c.states[i].flow_class == model::FlowClass::kContinuous) {
          weighted[p] += c.states[i].velocity_moving_um_per_s * c.bed.site.vessels[i].length_um;
          length[p] += c.bed.site.vessels[i].length_um;
        }
      }
    }
  }
  CHECK(fastest <= viz::kCapillaryVelocityCeiling_um_per_s);
  const double healthy = weighted[0] / length[0], septic = weighted[1] / length[1], severe = weighted[2] / length[2];
  INFO("continuous capillaries, length-weighted mean um/s: healthy " << healthy << " septic " << septic << " severe "
                                                                     << severe);
  // Edul 2012: 1332 +- 187 um/s healthy, 830 +- 183 um/s in septic shock (SDF, sublingual).
  CHECK(healthy > 1100.0);
  CHECK(healthy < 1550.0);
  CHECK(septic <= healthy);
  CHECK(severe <= healthy);
}
