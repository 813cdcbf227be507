// A connected sublingual bed for the realistic look (issue 22 Build 1, issue 23 Build 4): the
// blood enters at arteriolar inlets (terminal arterioles surfacing from below the focal plane),
// runs through branching and looping capillaries and drains into venules that join and leave the
// field. Flow is conserved at every junction.
//
// Geometry (deterministic in seed and site index, field W x H):
//   venules: a main venule (35-70 um) crossing the field from the left edge and a tributary
//     (22-35 um) from the top or bottom edge joining it (a confluence); both split into segments
//     at drain nodes every ~80 um along them, so the flow can grow downstream.
//   capillary trees, up to the model's small-vessel density (18.5 mm/mm^2): an inlet, a root
//     segment, a split, then either two branches draining into two venular nodes or a loop (two
//     branches re-joining) and a collecting tail into one node. Branches 5-10 um (the model's
//     capillaries), roots and tails (d1^3 + d2^3)^(1/3) (Murray's law; 6-13 um): every small
//     vessel is below 20 um, every venule 20-70 um (the sublingual mucosa's 20-100 um venules).
//   depth: one per tree and one per venule (a tree lies at one depth, so its image is continuous).
//
// Flow (bed_flow): a tree has one flow regime, the model's state of its leading segment (duty,
//   stop-go period and phase); its volumetric flow Q splits at the split by Murray's shares
//   d_i^3 / (d1^3 + d2^3) and re-joins in a loop, so sum in = sum out at every capillary junction
//   at every instant. Velocity of a segment = Q_segment / (pi d^2 / 4). The velocity the model
//   gives (reference x flow margin) is mapped into the physiological range: flow margins above
//   1 (the healthy reference) saturate towards kMarginCeiling (hyperdynamic capillary flow is
//   absent in septic shock, Edul 2012), and no capillary segment is drawn faster than
//   kCapillaryVelocityCeiling_um_per_s (the whole tree is scaled, so conservation holds).
//   A venule segment carries the time-mean flow of everything upstream of it: the trees drained
//   at its nodes, the segments before it and, entering at the field's edge, the beds out of view
//   (kOutOfViewShare times the in-view bed's flow, shared by the venules' cross-sections: a wider
//   venule drains a larger territory, and both enter the field at one velocity). A venule therefore stops
//   only when every bed draining into it stops.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "model/microcirculation.hpp"

namespace coherence::viz {

// docs/rendering.md, "Flow and velocities": sublingual capillary RBC velocity 1332 +- 187 um/s in
// healthy volunteers and 830 +- 183 um/s in septic shock (Edul 2012, SDF); one capillary of the
// healthy reference at +2.6 SD of the model's vessel-to-vessel spread (log-SD 0.25) runs at
// 2500 um/s. No rendered capillary is faster.
inline constexpr double kCapillaryVelocityCeiling_um_per_s = 2500.0;
inline constexpr double kMarginCeiling = 1.3;     // mapped flow margins stay below this
inline constexpr double kOutOfViewShare = 2.0;    // beds upstream of the field per in-view bed

enum class NodeKind : int { kInlet = 0, kJunction = 1, kDrain = 2, kEdge = 3 };

struct Bed {
  model::Site site;
  std::vector<model::PointUm> node_position;
  std::vector<NodeKind> node_kind;
  std::vector<int> from_node, to_node;  // per vessel, along the flow
  std::vector<int> tree;                // per vessel: capillary tree, -1 for venule segments
  std::vector<int> venule;              // per vessel: venule (0 main, 1 tributary), -1 for capillaries
  std::vector<double> flow_share;       // per capillary segment: share of its tree's flow
  std::vector<std::size_t> venule_order;  // venule segments upstream before downstream
  int trees = 0;
};

// Generates the bed of sublingual site `site_index` for a field of width x height um.
Bed connected_bed(const model::MicrocirculationParams& micro, std::uint64_t seed, std::size_t site_index,
                  double width_um, double height_um);

// Turns per-vessel states of the bed's vessels (model::site_states, or assigned classes) into a
// flow-conserving set as described above; window [t_s, t_s + micro.window_s). Also gives every
// segment of a tree its leader's stop-go period and phase (bed.site is changed).
void bed_flow(const model::MicrocirculationParams& micro, Bed& bed, std::vector<model::VesselState>& states,
              double t_s);

// Class-fraction clips (`render --class-fractions`): flow classes assigned tree by tree so that
// the visible small-vessel lengths follow `f` (none, intermittent, sluggish, continuous): trees in a
// seeded order, each taking the class furthest below its share; bed_flow afterwards as usual.
void assign_bed_classes(const model::MicrocirculationParams& micro, Bed& bed, std::vector<model::VesselState>& states,
                        const std::array<double, 4>& f, std::uint64_t seed);

// Volumetric flow (um^3/s) of vessel i: while moving, and averaged over the window.
double moving_flow_um3_per_s(const Bed& bed, const std::vector<model::VesselState>& states, std::size_t i);
double mean_flow_um3_per_s(const Bed& bed, const std::vector<model::VesselState>& states, std::size_t i);

// One depth per tree and per venule: every vessel takes the depth drawn for the first vessel of
// its group (depth_um as make_clip drew it).
void share_depths(const Bed& bed, std::vector<double>& depth_um);

}  // namespace coherence::viz
