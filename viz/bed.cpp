#include "viz/bed.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "model/random.hpp"

namespace coherence::viz {

namespace {

using model::PointUm;
constexpr std::uint64_t kPurposeBed = 40;  // + site index (the model uses 1, the renderer 11-13 and 31)
constexpr double kPi = std::numbers::pi;
constexpr double kDrainSpacing_um = 80.0;

double area_um2(double d_um) { return 0.25 * kPi * d_um * d_um; }
double distance(PointUm a, PointUm b) { return std::hypot(a.x_um - b.x_um, a.y_um - b.y_um); }
double wrap(double a) { return std::remainder(a, 2.0 * kPi); }
double polyline_length(const std::vector<PointUm>& p) {
  double l = 0.0;
  for (std::size_t i = 1; i < p.size(); ++i) l += distance(p[i - 1], p[i]);
  return l;
}
PointUm clamp_to(PointUm p, double w, double h) { return {std::clamp(p.x_um, 0.0, w), std::clamp(p.y_um, 0.0, h)}; }
double heading_to(PointUm a, PointUm b) { return std::atan2(b.y_um - a.y_um, b.x_um - a.x_um); }

double distance_to(const PointUm& p, const std::vector<PointUm>& poly) {
  double best = 1e300;
  for (std::size_t k = 1; k < poly.size(); ++k) {
    const PointUm& a = poly[k - 1];
    const PointUm& b = poly[k];
    const double dx = b.x_um - a.x_um, dy = b.y_um - a.y_um;
    const double len2 = dx * dx + dy * dy;
    const double t = len2 > 0.0 ? std::clamp(((p.x_um - a.x_um) * dx + (p.y_um - a.y_um) * dy) / len2, 0.0, 1.0) : 0.0;
    best = std::min(best, std::hypot(p.x_um - (a.x_um + t * dx), p.y_um - (a.y_um + t * dy)));
  }
  return best;
}

// A persistent random walk until it leaves the field; its last point lies on the field's edge.
std::vector<PointUm> walk_across(model::Rng& rng, double w, double h, PointUm start, double heading, double step_um,
                                 double curvature_sd) {
  std::vector<PointUm> p{start};
  for (int k = 0; k < 100000; ++k) {
    heading += curvature_sd * rng.normal();
    const PointUm next{p.back().x_um + step_um * std::cos(heading), p.back().y_um + step_um * std::sin(heading)};
    const bool outside = next.x_um < 0.0 || next.x_um > w || next.y_um < 0.0 || next.y_um > h;
    p.push_back(clamp_to(next, w, h));
    if (outside) break;
  }
  return p;
}

// A walk from a towards `target`, its heading pulled towards it; ends at the target exactly (or,
// with max_um > 0, after max_um of length). `arrived(p)`: close enough to go straight to the target
// (a capillary that reaches a venule's wall enters it).
template <typename Arrived>
std::vector<PointUm> walk_towards(model::Rng& rng, double w, double h, PointUm a, PointUm target, double heading,
                                  double step_um, double pull, double curvature_sd, double max_um, Arrived&& arrived) {
  std::vector<PointUm> p{a};
  double length = 0.0;
  const double limit = max_um > 0.0 ? max_um : 3.0 * distance(a, target) + 200.0;
  while (length + step_um <= limit && distance(p.back(), target) > 1.5 * step_um && !arrived(p.back())) {
    heading += pull * wrap(heading_to(p.back(), target) - heading) + curvature_sd * rng.normal();
    p.push_back(clamp_to({p.back().x_um + step_um * std::cos(heading), p.back().y_um + step_um * std::sin(heading)}, w, h));
    length += step_um;
  }
  if (max_um <= 0.0) p.push_back(target);
  return p;
}

std::vector<PointUm> walk_towards(model::Rng& rng, double w, double h, PointUm a, PointUm target, double heading,
                                  double step_um, double pull, double curvature_sd, double max_um = 0.0) {
  return walk_towards(rng, w, h, a, target, heading, step_um, pull, curvature_sd, max_um, [](PointUm) { return false; });
}

std::vector<double> cumulative(const std::vector<PointUm>& p) {
  std::vector<double> c(p.size(), 0.0);
  for (std::size_t k = 1; k < p.size(); ++k) c[k] = c[k - 1] + distance(p[k - 1], p[k]);
  return c;
}

PointUm at_arc(const std::vector<PointUm>& p, const std::vector<double>& cum, double s) {
  if (s <= 0.0) return p.front();
  if (s >= cum.back()) return p.back();
  const auto k = static_cast<std::size_t>(std::upper_bound(cum.begin(), cum.end(), s) - cum.begin());
  const double len = cum[k] - cum[k - 1];
  const double t = len > 0.0 ? (s - cum[k - 1]) / len : 0.0;
  return {p[k - 1].x_um + t * (p[k].x_um - p[k - 1].x_um), p[k - 1].y_um + t * (p[k].y_um - p[k - 1].y_um)};
}

// The part of polyline p between arcs a < b.
std::vector<PointUm> piece(const std::vector<PointUm>& p, const std::vector<double>& cum, double a, double b) {
  std::vector<PointUm> out{at_arc(p, cum, a)};
  for (std::size_t k = 0; k < p.size(); ++k) {
    if (cum[k] > a && cum[k] < b) out.push_back(p[k]);
  }
  out.push_back(at_arc(p, cum, b));
  return out;
}

}  // namespace

Bed connected_bed(const model::MicrocirculationParams& micro, std::uint64_t seed, std::size_t site_index,
                  double width_um, double height_um) {
  model::Rng rng = model::Rng::stream(seed, 0, kPurposeBed + site_index);
  Bed bed;
  model::Site& s = bed.site;
  s.name = "sublingual_" + std::to_string(site_index + 1);
  s.width_um = width_um;
  s.height_um = height_um;
  s.units_x = static_cast<int>(std::ceil(width_um / micro.unit_size_um));
  const int units_y = static_cast<int>(std::ceil(height_um / micro.unit_size_um));
  for (int i = 0; i < s.units_x * units_y; ++i) s.unit_z.push_back(rng.normal());
  s.site_z = rng.normal();
  const double w = width_um, h = height_um;

  auto add_node = [&](PointUm p, NodeKind kind) {
    bed.node_position.push_back(p);
    bed.node_kind.push_back(kind);
    return static_cast<int>(bed.node_position.size()) - 1;
  };
  auto add_vessel = [&](std::vector<PointUm> poly, double diameter, int from, int to, int tree, int venule) {
    model::Vessel v;
    v.polyline = std::move(poly);
    v.diameter_um = diameter;
    v.length_um = polyline_length(v.polyline);
    v.geometry = model::measure_vessel(v.polyline, w, h);
    s.vessels.push_back(std::move(v));
    bed.from_node.push_back(from);
    bed.to_node.push_back(to);
    bed.tree.push_back(tree);
    bed.venule.push_back(venule);
    bed.flow_share.push_back(tree >= 0 ? 1.0 : 0.0);
    return s.vessels.size() - 1;
  };

  // Venules: the main one crosses the field from its left edge; a tributary enters from the top or
  // bottom edge and joins it.
  std::vector<PointUm> main;
  for (int attempt = 0; attempt < 20 && polyline_length(main) < 0.7 * w; ++attempt) {
    main = walk_across(rng, w, h, {0.0, rng.uniform(0.3, 0.7) * h}, rng.uniform(-0.3, 0.3), 6.0, 0.05);
  }
  const double main_d = rng.uniform(35.0, 70.0);
  const auto main_cum = cumulative(main);
  const double confluence_arc = rng.uniform(0.35, 0.75) * main_cum.back();
  const PointUm confluence = at_arc(main, main_cum, confluence_arc);
  const bool from_top = confluence.y_um > 0.5 * h;  // from the farther edge: a longer tributary
  const PointUm trib_start{std::clamp(confluence.x_um + rng.uniform(-0.25, 0.25) * w, 0.05 * w, 0.95 * w),
                           from_top ? 0.0 : h};
  const std::vector<PointUm> trib =
      walk_towards(rng, w, h, trib_start, confluence, from_top ? 0.5 * kPi : -0.5 * kPi, 6.0, 0.08, 0.04);
  const double trib_d = rng.uniform(22.0, 35.0);
  const auto trib_cum = cumulative(trib);

  // Venule segments between nodes; drain nodes every kDrainSpacing_um.
  std::vector<int> drains;
  auto build_venule = [&](const std::vector<PointUm>& p, const std::vector<double>& cum, double d, int index,
                          double join_arc, int join_node, int end_node) {
    std::vector<std::pair<double, int>> nodes{{0.0, add_node(p.front(), NodeKind::kEdge)}};
    for (double a = kDrainSpacing_um; a < cum.back() - 0.5 * kDrainSpacing_um; a += kDrainSpacing_um) {
      if (join_arc >= 0.0 && std::abs(a - join_arc) < 0.5 * kDrainSpacing_um) continue;
      nodes.emplace_back(a, add_node(at_arc(p, cum, a), NodeKind::kDrain));
      drains.push_back(nodes.back().second);
    }
    if (join_arc >= 0.0) nodes.emplace_back(join_arc, join_node);
    std::sort(nodes.begin(), nodes.end());
    nodes.emplace_back(cum.back(), end_node >= 0 ? end_node : add_node(p.back(), NodeKind::kEdge));
    std::vector<std::size_t> segments;
    for (std::size_t k = 1; k < nodes.size(); ++k) {
      segments.push_back(add_vessel(piece(p, cum, nodes[k - 1].first, nodes[k].first), d, nodes[k - 1].second,
                                    nodes[k].second, -1, index));
    }
    return segments;
  };
  const int confluence_node = add_node(confluence, NodeKind::kJunction);
  const auto main_segments = build_venule(main, main_cum, main_d, 0, confluence_arc, confluence_node, -1);
  const auto trib_segments = build_venule(trib, trib_cum, trib_d, 1, -1.0, -1, confluence_node);
  bed.venule_order = trib_segments;  // the tributary reaches the confluence before the main venule leaves it
  bed.venule_order.insert(bed.venule_order.end(), main_segments.begin(), main_segments.end());

  // Capillary trees up to the model's small-vessel density.
  const double target_um = micro.small_vessel_density_mm_per_mm2 * w * h * 1e-3;
  double total_um = 0.0;
  auto near_venule = [&](PointUm p, double margin) {
    return distance_to(p, main) < 0.5 * main_d + margin || distance_to(p, trib) < 0.5 * trib_d + margin;
  };
  // A capillary walking to a drain node has arrived once it enters the venule's image there.
  auto reaches = [&](PointUm target) {
    return [&, target](PointUm p) { return distance(p, target) < 0.5 * main_d + 8.0 && near_venule(p, 0.0); };
  };
  for (int guard = 0; guard < 5000 && total_um < target_um && !drains.empty(); ++guard) {
    const PointUm inlet{rng.uniform(0.02, 0.98) * w, rng.uniform(0.02, 0.98) * h};
    if (near_venule(inlet, 25.0)) continue;
    std::vector<int> by_distance = drains;
    std::sort(by_distance.begin(), by_distance.end(), [&](int a, int b) {
      return distance(inlet, bed.node_position[static_cast<std::size_t>(a)]) <
             distance(inlet, bed.node_position[static_cast<std::size_t>(b)]);
    });
    const std::size_t pick = std::min(by_distance.size() - 1, static_cast<std::size_t>(rng.uniform() * 2.0));
    const int drain = by_distance[pick];
    const PointUm d_pos = bed.node_position[static_cast<std::size_t>(drain)];
    if (distance(inlet, d_pos) < 90.0) continue;
    const double root_len = rng.uniform(30.0, 90.0);
    auto root = walk_towards(rng, w, h, inlet, d_pos, heading_to(inlet, d_pos) + rng.uniform(-1.0, 1.0), 4.0, 0.06,
                             0.25, root_len);
    const PointUm split = root.back();
    if (distance(split, d_pos) < 50.0 || near_venule(split, 10.0)) continue;
    const double d1 = rng.uniform(micro.capillary_diameter_min_um, micro.capillary_diameter_max_um);
    const double d2 = rng.uniform(micro.capillary_diameter_min_um, micro.capillary_diameter_max_um);
    const double c1 = d1 * d1 * d1, c2 = d2 * d2 * d2;
    const double parent_d = std::min(19.0, std::cbrt(c1 + c2));
    const bool loop = rng.uniform() < 0.4;
    struct Segment {
      std::vector<PointUm> poly;
      double d, share;
      int from, to;
    };
    std::vector<Segment> seg;
    const std::size_t nodes_before = bed.node_position.size();
    const int inlet_node = add_node(inlet, NodeKind::kInlet);
    const int split_node = add_node(split, NodeKind::kJunction);
    seg.push_back({std::move(root), parent_d, 1.0, inlet_node, split_node});
    const double toward = heading_to(split, d_pos);
    if (loop) {
      const double f = rng.uniform(0.35, 0.6);
      const PointUm merge{split.x_um + f * (d_pos.x_um - split.x_um), split.y_um + f * (d_pos.y_um - split.y_um)};
      const int merge_node = add_node(merge, NodeKind::kJunction);
      const double bow = rng.uniform(0.6, 1.1);
      seg.push_back({walk_towards(rng, w, h, split, merge, toward + bow, 4.0, 0.1, 0.2), d1, c1 / (c1 + c2), split_node,
                     merge_node});
      seg.push_back({walk_towards(rng, w, h, split, merge, toward - bow, 4.0, 0.1, 0.2), d2, c2 / (c1 + c2), split_node,
                     merge_node});
      seg.push_back({walk_towards(rng, w, h, merge, d_pos, toward + rng.uniform(-0.5, 0.5), 4.0, 0.08, 0.25, 0.0, reaches(d_pos)),
                     parent_d, 1.0, merge_node, drain});
    } else {
      // The second branch drains into the drain node nearest the split other than the first.
      int other = -1;
      double best = 1e300;
      for (int n : drains) {
        const double dn = distance(split, bed.node_position[static_cast<std::size_t>(n)]);
        if (n != drain && dn < best) best = dn, other = n;
      }
      if (other < 0) other = drain;
      const PointUm o_pos = bed.node_position[static_cast<std::size_t>(other)];
      seg.push_back({walk_towards(rng, w, h, split, d_pos, toward + rng.uniform(0.2, 0.7), 4.0, 0.07, 0.25, 0.0, reaches(d_pos)),
                     d1, c1 / (c1 + c2), split_node, drain});
      seg.push_back({walk_towards(rng, w, h, split, o_pos, heading_to(split, o_pos) - rng.uniform(0.2, 0.7), 4.0, 0.07,
                                  0.25, 0.0, reaches(o_pos)),
                     d2, c2 / (c1 + c2), split_node, other});
    }
    // One set of the model's draws per tree (one arteriolar unit, one threshold, one stop-go
    // rhythm); plasma skimming differs between the segments.
    const double sd = micro.velocity_log_sd;
    const double tree_velocity = micro.capillary_velocity_um_per_s * std::exp(sd * rng.normal() - 0.5 * sd * sd);
    const double threshold_z = rng.normal();
    const double period = rng.uniform(micro.stop_go_period_min_s, micro.stop_go_period_max_s);
    const double phase = rng.uniform();
    const int ux = std::min(s.units_x - 1, static_cast<int>(inlet.x_um / micro.unit_size_um));
    const int uy = std::min(units_y - 1, static_cast<int>(inlet.y_um / micro.unit_size_um));
    // Q_ref: the tree's flow at the healthy reference, set so that its length-weighted mean
    // velocity is the tree's reference velocity.
    double weighted = 0.0, length = 0.0, in_view = 0.0;
    for (const Segment& g : seg) {
      const double l = polyline_length(g.poly);
      weighted += l * g.share / area_um2(g.d);
      length += l;
      // The density counts what the image can show: not the ends that lie inside a venule.
      for (std::size_t k = 1; k < g.poly.size(); ++k) {
        if (!near_venule(g.poly[k], 0.0)) in_view += distance(g.poly[k - 1], g.poly[k]);
      }
    }
    if (total_um + in_view > target_um + 250.0) {  // the last tree must not overshoot the density
      bed.node_position.resize(nodes_before);
      bed.node_kind.resize(nodes_before);
      continue;
    }
    const int tree = bed.trees++;
    const double q_ref = tree_velocity * length / weighted;
    for (Segment& g : seg) {
      const std::size_t i = add_vessel(std::move(g.poly), g.d, g.from, g.to, tree, -1);
      model::Vessel& v = s.vessels[i];
      bed.flow_share[i] = g.share;
      v.unit = uy * s.units_x + ux;
      v.reference_velocity_um_per_s = q_ref * g.share / area_um2(g.d);
      v.threshold_z = threshold_z;
      v.threshold_factor = std::exp(micro.threshold_log_sd * threshold_z);
      v.threshold_factor_log_sd = micro.threshold_log_sd;
      v.skimming_z = rng.normal();
      v.stop_go_period_s = period;
      v.stop_go_phase = phase;
    }
    total_um += in_view;
  }
  // Venules: the model's draws are unused (their flow is what drains into them) but set.
  for (std::size_t i = 0; i < s.vessels.size(); ++i) {
    if (bed.venule[i] < 0) continue;
    s.vessels[i].reference_velocity_um_per_s = micro.capillary_velocity_um_per_s;
    s.vessels[i].unit = 0;
  }
  return bed;
}

double moving_flow_um3_per_s(const Bed& bed, const std::vector<model::VesselState>& states, std::size_t i) {
  return area_um2(bed.site.vessels[i].diameter_um) * states[i].velocity_moving_um_per_s;
}

double mean_flow_um3_per_s(const Bed& bed, const std::vector<model::VesselState>& states, std::size_t i) {
  return area_um2(bed.site.vessels[i].diameter_um) * states[i].mean_velocity_um_per_s;
}

void bed_flow(const model::MicrocirculationParams& micro, Bed& bed, std::vector<model::VesselState>& states,
              double t_s) {
  auto& vessels = bed.site.vessels;
  const std::size_t n = vessels.size();
  // Each tree's leader: its longest segment with red cells in view (else its first).
  std::vector<int> leader(static_cast<std::size_t>(bed.trees), -1);
  for (std::size_t i = 0; i < n; ++i) {
    if (bed.tree[i] < 0) continue;
    int& l = leader[static_cast<std::size_t>(bed.tree[i])];
    if (l < 0) {
      l = static_cast<int>(i);
      continue;
    }
    const auto li = static_cast<std::size_t>(l);
    const bool better = states[i].visible && (!states[li].visible || vessels[i].length_um > vessels[li].length_um);
    if (better) l = static_cast<int>(i);
  }
  std::vector<double> gain(static_cast<std::size_t>(bed.trees), 0.0), peak(gain.size(), 0.0);
  for (std::size_t t = 0; t < leader.size(); ++t) {
    const auto li = static_cast<std::size_t>(leader[t]);
    const double ref = vessels[li].reference_velocity_um_per_s;
    const double f = ref > 0.0 ? states[li].velocity_moving_um_per_s / ref : 0.0;
    gain[t] = f <= 1.0 ? f : 1.0 + (kMarginCeiling - 1.0) * std::tanh((f - 1.0) / (kMarginCeiling - 1.0));
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (bed.tree[i] < 0) continue;
    const auto t = static_cast<std::size_t>(bed.tree[i]);
    peak[t] = std::max(peak[t], gain[t] * vessels[i].reference_velocity_um_per_s);
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (bed.tree[i] < 0) continue;
    const auto t = static_cast<std::size_t>(bed.tree[i]);
    const auto li = static_cast<std::size_t>(leader[t]);
    const double scale = peak[t] > kCapillaryVelocityCeiling_um_per_s ? kCapillaryVelocityCeiling_um_per_s / peak[t] : 1.0;
    model::VesselState& s = states[i];
    s.duty = states[li].duty;
    s.velocity_moving_um_per_s =
        std::min(kCapillaryVelocityCeiling_um_per_s, gain[t] * scale * vessels[i].reference_velocity_um_per_s);
    vessels[i].stop_go_period_s = vessels[li].stop_go_period_s;
    vessels[i].stop_go_phase = vessels[li].stop_go_phase;
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (bed.tree[i] >= 0) model::classify(micro, vessels[i], t_s, states[i]);
  }
  // Venules: the time-mean flow of everything upstream.
  std::vector<double> inflow(bed.node_position.size(), 0.0);
  double drained = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    if (bed.tree[i] < 0 || bed.node_kind[static_cast<std::size_t>(bed.to_node[i])] != NodeKind::kDrain) continue;
    const double q = mean_flow_um3_per_s(bed, states, i);
    inflow[static_cast<std::size_t>(bed.to_node[i])] += q;
    drained += q;
  }
  // The beds out of view feed each venule in proportion to its cross-section (a wider venule
  // drains a larger territory): both enter the field at the same velocity.
  std::vector<double> venule_area(2, 0.0);
  for (std::size_t i : bed.venule_order) venule_area[static_cast<std::size_t>(bed.venule[i])] = area_um2(vessels[i].diameter_um);
  const double all_area = venule_area[0] + venule_area[1];
  for (std::size_t i : bed.venule_order) {
    const auto from = static_cast<std::size_t>(bed.from_node[i]);
    if (bed.node_kind[from] == NodeKind::kEdge) {
      inflow[from] += kOutOfViewShare * drained * venule_area[static_cast<std::size_t>(bed.venule[i])] / all_area;
    }
    const double q = inflow[from];
    model::VesselState& s = states[i];
    s.duty = 1.0;
    s.velocity_moving_um_per_s = q / area_um2(vessels[i].diameter_um);
    model::classify(micro, vessels[i], t_s, s);
    inflow[static_cast<std::size_t>(bed.to_node[i])] += q;
  }
}

void assign_bed_classes(const model::MicrocirculationParams& micro, Bed& bed, std::vector<model::VesselState>& states,
                        const std::array<double, 4>& f, std::uint64_t seed) {
  auto& vessels = bed.site.vessels;
  const auto trees = static_cast<std::size_t>(bed.trees);
  std::vector<double> length(trees, 0.0), min_ref(trees, 1e300), max_ref(trees, 0.0);
  for (std::size_t i = 0; i < vessels.size(); ++i) {
    if (bed.tree[i] < 0) continue;
    const auto t = static_cast<std::size_t>(bed.tree[i]);
    if (states[i].visible) length[t] += vessels[i].length_um;
    min_ref[t] = std::min(min_ref[t], vessels[i].reference_velocity_um_per_s);
    max_ref[t] = std::max(max_ref[t], vessels[i].reference_velocity_um_per_s);
  }
  std::vector<std::size_t> order;
  double total = 0.0;
  for (std::size_t t = 0; t < trees; ++t) {
    if (length[t] > 0.0) order.push_back(t), total += length[t];
  }
  model::Rng rng = model::Rng::stream(seed, 0, 31);
  for (std::size_t i = order.size(); i > 1; --i) {
    std::swap(order[i - 1], order[static_cast<std::size_t>(rng.uniform() * static_cast<double>(i))]);
  }
  // Per tree: a duty and a gain on the segments' reference velocities (all segments scale
  // together, so the flow stays conserved); sluggish: every segment under 300 um/s; continuous:
  // every segment at least 400 um/s.
  std::vector<double> duty(trees, 1.0), gain(trees, 1.0), period(trees, -1.0);
  // Trees are whole (a tree has one regime): each, in the shuffled order, takes the class
  // furthest below its share of the length.
  std::array<double, 4> assigned{};
  for (std::size_t t : order) {
    int cls = 0;
    for (int c = 1; c < 4; ++c) {
      const auto uc = static_cast<std::size_t>(c), ub = static_cast<std::size_t>(cls);
      if (f[uc] * total - assigned[uc] > f[ub] * total - assigned[ub]) cls = c;
    }
    assigned[static_cast<std::size_t>(cls)] += length[t];
    switch (cls) {
      case 0: duty[t] = 0.0; gain[t] = 0.0; break;
      case 1: duty[t] = 0.5; gain[t] = std::max(0.15, 100.0 / min_ref[t]); period[t] = 0.5 * micro.window_s; break;
      case 2: gain[t] = rng.uniform(120.0, 280.0) / max_ref[t]; break;
      default: gain[t] = std::max(1.0, 400.0 / min_ref[t]); break;
    }
  }
  for (std::size_t i = 0; i < vessels.size(); ++i) {
    if (bed.tree[i] < 0) continue;
    const auto t = static_cast<std::size_t>(bed.tree[i]);
    states[i].duty = duty[t];
    states[i].velocity_moving_um_per_s = gain[t] * vessels[i].reference_velocity_um_per_s;
    if (period[t] > 0.0) vessels[i].stop_go_period_s = period[t];
  }
}

void share_depths(const Bed& bed, std::vector<double>& depth_um) {
  std::vector<double> tree_depth(static_cast<std::size_t>(bed.trees), -1.0), venule_depth(2, -1.0);
  for (std::size_t i = 0; i < depth_um.size(); ++i) {
    double& group = bed.tree[i] >= 0 ? tree_depth[static_cast<std::size_t>(bed.tree[i])]
                                     : venule_depth[static_cast<std::size_t>(bed.venule[i])];
    if (group < 0.0) group = depth_um[i];
    depth_um[i] = group;
  }
}

}  // namespace coherence::viz
