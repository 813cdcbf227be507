#include "output/vessel_dump.hpp"

#include <array>

namespace coherence::output {

namespace {

constexpr std::array<const char*, 4> kClassNames = {"none", "intermittent", "sluggish", "continuous"};
constexpr std::array<const char*, 4> kCauseNames = {"perfused", "stopped", "stop_go", "few_red_cells"};

}  // namespace

void put_metrics(nlohmann::json& j, const model::SiteMetrics& s, bool with_quadrants) {
  j["tvd_mm_per_mm2"] = s.tvd_mm_per_mm2;
  j["pvd_mm_per_mm2"] = s.pvd_mm_per_mm2;
  j["ppv_pct"] = s.ppv_pct;
  j["mfi"] = s.mfi;
  j["mfi_vessel"] = s.mfi_vessel;
  j["debacker_per_mm"] = s.debacker_per_mm;
  j["rbc_velocity_um_per_s"] = s.rbc_velocity_um_per_s;
  if (with_quadrants) j["quadrant_mfi"] = s.quadrant_scores;  // -1: no small vessels
}

nlohmann::json site_truth_json(const model::Site& site, const std::vector<model::VesselState>& states,
                               const model::SiteMetrics& metrics) {
  nlohmann::json js;
  js["name"] = site.name;
  js["width_um"] = site.width_um;
  js["height_um"] = site.height_um;
  put_metrics(js, metrics, true);
  js["vessels"] = nlohmann::json::array();
  for (std::size_t i = 0; i < site.vessels.size(); ++i) {
    const model::Vessel& v = site.vessels[i];
    const model::VesselState& s = states[i];
    nlohmann::json jv;
    jv["id"] = i;
    jv["diameter_um"] = v.diameter_um;
    jv["length_um"] = v.length_um;
    jv["small"] = s.small;
    jv["visible"] = s.visible;
    jv["flow_class"] = kClassNames[static_cast<std::size_t>(s.flow_class)];
    jv["flow_score"] = static_cast<int>(s.flow_class);
    jv["cause"] = kCauseNames[static_cast<std::size_t>(s.cause)];
    jv["velocity_moving_um_per_s"] = s.velocity_moving_um_per_s;
    jv["mean_velocity_um_per_s"] = s.mean_velocity_um_per_s;
    jv["moving_fraction"] = s.moving_fraction;
    jv["occupancy"] = s.occupancy;
    jv["rbc_per_um"] = s.rbc_per_um;
    jv["stop_go_duty"] = s.duty;
    jv["stop_go_period_s"] = v.stop_go_period_s;
    jv["stop_go_phase"] = v.stop_go_phase;
    nlohmann::json poly = nlohmann::json::array();
    for (const auto& p : v.polyline) poly.push_back({p.x_um, p.y_um});
    jv["polyline_um"] = std::move(poly);
    js["vessels"].push_back(std::move(jv));
  }
  return js;
}

nlohmann::json clip_truth_json(const model::Site& site, const std::vector<model::VesselState>& states,
                               const model::SiteMetrics& metrics, const std::vector<double>& visible_length_um) {
  nlohmann::json j;
  put_metrics(j, metrics, false);
  j["hi"] = 0.0;
  j["sites"] = nlohmann::json::array({site_truth_json(site, states, metrics)});
  for (std::size_t i = 0; i < site.vessels.size(); ++i) {
    j["sites"][0]["vessels"][i]["visible_length_um"] = visible_length_um[i];
  }
  return j;
}

nlohmann::json network_truth_json(const model::MicrocirculationParams& m, const model::Network& net,
                                  const model::MicroDrivers& drivers, double t_s) {
  const model::MicroMetrics metrics = model::evaluate_network(m, net, drivers, t_s);
  nlohmann::json j;
  j["time_s"] = t_s;
  j["window_s"] = m.window_s;
  put_metrics(j, metrics.mean, false);
  j["hi"] = metrics.hi;
  j["crt_s"] = metrics.crt_s;
  j["mottling_score"] = metrics.mottling_score;
  j["sites"] = nlohmann::json::array();
  for (std::size_t k = 0; k < net.sublingual.size(); ++k) {
    const model::Site& site = net.sublingual[k];
    j["sites"].push_back(site_truth_json(site, model::site_states(m, site, drivers, t_s), metrics.sites[k]));
  }
  return j;
}

}  // namespace coherence::output
