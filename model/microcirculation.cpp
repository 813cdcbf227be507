#include "model/microcirculation.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>
#include <numbers>

#include "model/random.hpp"
#include "model/smooth.hpp"

namespace coherence::model {

namespace {

constexpr double kSmallVesselDiameter_um = 20.0;
constexpr double kSluggishVelocity_um_per_s = 300.0;
constexpr double kVisibleOccupancy = 0.2;
constexpr double kIntermittentLow = 0.2;
constexpr double kIntermittentHigh = 0.8;
constexpr std::uint64_t kPurposeGeometry = 1;

double polyline_length(const std::vector<PointUm>& p) {
  double l = 0.0;
  for (std::size_t i = 1; i < p.size(); ++i) l += std::hypot(p[i].x_um - p[i - 1].x_um, p[i].y_um - p[i - 1].y_um);
  return l;
}

// A tortuous curve by a persistent random walk, stopped at the field's edge.
std::vector<PointUm> walk(Rng& rng, double width, double height, PointUm start, double heading, double target_um,
                          double step_um, double curvature_sd) {
  std::vector<PointUm> p{start};
  double length = 0.0;
  while (length < target_um) {
    heading += curvature_sd * rng.normal();
    const PointUm next{p.back().x_um + step_um * std::cos(heading), p.back().y_um + step_um * std::sin(heading)};
    if (next.x_um < 0.0 || next.x_um > width || next.y_um < 0.0 || next.y_um > height) break;
    p.push_back(next);
    length += step_um;
  }
  return p;
}

void draw_vessel_properties(const MicrocirculationParams& m, Rng& rng, Vessel& v) {
  const double sd = m.velocity_log_sd;
  v.reference_velocity_um_per_s = m.capillary_velocity_um_per_s * std::exp(sd * rng.normal() - 0.5 * sd * sd);
  v.threshold_z = rng.normal();
  v.threshold_factor = std::exp(m.threshold_log_sd * v.threshold_z);
  v.threshold_factor_log_sd = m.threshold_log_sd;
  v.skimming_z = rng.normal();
  v.stop_go_period_s = rng.uniform(m.stop_go_period_min_s, m.stop_go_period_max_s);
  v.stop_go_phase = rng.uniform();
}

Site generate_site(const MicrocirculationParams& m, Rng& rng, std::string name) {
  Site s;
  s.name = std::move(name);
  s.width_um = m.field_width_um;
  s.height_um = m.field_height_um;
  s.units_x = static_cast<int>(std::ceil(s.width_um / m.unit_size_um));
  const int units_y = static_cast<int>(std::ceil(s.height_um / m.unit_size_um));
  for (int i = 0; i < s.units_x * units_y; ++i) s.unit_z.push_back(rng.normal());
  s.site_z = rng.normal();

  // Capillaries and small (11-20 um) vessels up to the target density.
  const double area_mm2 = s.width_um * s.height_um * 1e-6;
  const double target_um = m.small_vessel_density_mm_per_mm2 * area_mm2 * 1000.0;
  double total_um = 0.0;
  while (total_um < target_um) {
    Vessel v;
    v.diameter_um = rng.uniform() < m.medium_vessel_fraction ? rng.uniform(11.0, 19.0)
                                                              : rng.uniform(m.capillary_diameter_min_um,
                                                                            m.capillary_diameter_max_um);
    const double length = m.capillary_length_mean_um * rng.uniform(0.5, 1.5);
    const PointUm start{rng.uniform(0.0, s.width_um), rng.uniform(0.0, s.height_um)};
    v.polyline = walk(rng, s.width_um, s.height_um, start, rng.uniform(0.0, 2.0 * std::numbers::pi), length, 4.0, 0.3);
    draw_vessel_properties(m, rng, v);
    v.length_um = polyline_length(v.polyline);
    if (v.length_um < 25.0) continue;
    const PointUm mid = v.polyline[v.polyline.size() / 2];
    const int ux = std::min(s.units_x - 1, static_cast<int>(mid.x_um / m.unit_size_um));
    const int uy = std::min(units_y - 1, static_cast<int>(mid.y_um / m.unit_size_um));
    v.unit = uy * s.units_x + ux;
    total_um += v.length_um;
    s.vessels.push_back(std::move(v));
  }
  // Venules: wide, gently curved, crossing the field from the left edge.
  for (int k = 0; k < m.venules_per_site; ++k) {
    Vessel v;
    v.diameter_um = rng.uniform(m.venule_diameter_min_um, m.venule_diameter_max_um);
    const PointUm start{0.0, rng.uniform(0.1, 0.9) * s.height_um};
    v.polyline = walk(rng, s.width_um, s.height_um, start, rng.uniform(-0.35, 0.35), 1e9, 6.0, 0.06);
    draw_vessel_properties(m, rng, v);
    v.length_um = polyline_length(v.polyline);
    v.unit = static_cast<int>(rng.uniform() * static_cast<double>(s.unit_z.size())) % static_cast<int>(s.unit_z.size());
    s.vessels.push_back(std::move(v));
  }
  return s;
}

// Moving time of a square wave (period T, phase, duty) between t0 and t0 + w, as a fraction of w.
double square_wave_fraction(double t0, double w, double period, double phase, double duty) {
  if (duty <= 0.0) return 0.0;
  if (duty >= 1.0) return 1.0;
  auto cumulative = [&](double t) {
    const double x = t / period + phase;
    const double whole = std::floor(x);
    return period * (whole * duty + std::min(x - whole, duty));
  };
  return (cumulative(t0 + w) - cumulative(t0)) / w;
}

double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::numbers::sqrt2); }

struct Spreads {
  double site, unit, threshold_scale;
};

Spreads spreads(const MicrocirculationParams& m, const MicroDrivers& d) {
  const double sepsis = d.inflammation * d.injury;
  Spreads s;
  s.site = m.site_log_sd_healthy + m.site_log_sd_sepsis * sepsis;
  s.unit = m.unit_log_sd_healthy + m.unit_log_sd_sepsis * sepsis;
  s.threshold_scale = (1.0 + m.sepsis_threshold_gain * sepsis);
  return s;
}

// Smooth positive part that is exactly 0 at x = 0 (the healthy reference) and C-infinity.
double smooth_rise(double x, double width) { return soft_positive(x, width) - width * std::log(2.0); }

double tissue_compression(const MicrocirculationParams& m, const MicroDrivers& d) {
  // Capillaries are compressed as tissue pressure rises (oedema): thresholds rise with it.
  return 1.0 + m.tissue_compression_per_mmHg * smooth_rise(d.tissue_pressure_rise_mmHg, 0.5);
}

double skimming_sd(const MicrocirculationParams& m, const MicroDrivers& d) {
  return m.skimming_log_sd * std::pow(d.reference_haematocrit / d.haematocrit, m.skimming_dilution_exponent);
}

}  // namespace

Site with_field(const Site& site, double width_um, double height_um) {
  Site out = site;
  out.width_um = width_um;
  out.height_um = height_um;
  for (Vessel& v : out.vessels) v.geometry = measure_vessel(v.polyline, width_um, height_um);
  return out;
}

Network generate_network(const MicrocirculationParams& m, std::uint64_t seed, std::uint64_t patient) {
  Rng rng = Rng::stream(seed, patient, kPurposeGeometry);
  Network net;
  for (int k = 1; k <= 5; ++k) net.sublingual.push_back(generate_site(m, rng, "sublingual_" + std::to_string(k)));
  net.skin = generate_site(m, rng, "skin");
  for (Site* site : {&net.sublingual[0], &net.sublingual[1], &net.sublingual[2], &net.sublingual[3],
                     &net.sublingual[4], &net.skin}) {
    for (Vessel& v : site->vessels) v.geometry = measure_vessel(v.polyline, site->width_um, site->height_um);
  }
  return net;
}

double lactic_acidosis_ph(const MicrocirculationParams& m, double lactate_mmol_per_L) {
  const double excess = std::max(0.0, lactate_mmol_per_L - m.acidosis_reference_lactate_mmol_per_L);
  // Bicarbonate kept above 1 mmol/L: the logarithm stays finite (pH ~6.0 there, below Ives' range).
  const double bicarbonate = std::max(1.0, m.acidosis_reference_bicarbonate_mmol_per_L - excess);
  return 6.1 + std::log10(bicarbonate / (0.03 * m.acidosis_paco2_mmHg));
}

double alpha1_capacity_at_ph(double ph) {
  static constexpr std::array<double, 4> kPh = {6.5, 6.8, 7.1, 7.4};
  static constexpr std::array<double, 4> kContractionPct = {16.0, 34.0, 57.0, 85.0};
  if (ph >= kPh.back()) return 1.0;
  if (ph <= kPh.front()) return kContractionPct.front() / kContractionPct.back();
  std::size_t i = 0;
  while (ph > kPh[i + 1]) ++i;
  const double w = (ph - kPh[i]) / (kPh[i + 1] - kPh[i]);
  return (kContractionPct[i] + w * (kContractionPct[i + 1] - kContractionPct[i])) / kContractionPct.back();
}

double ne_precapillary_factor(const MicrocirculationParams& m, const MicroDrivers& d, bool skin) {
  // The arterioles follow the patient's pressor NE sensitivity to the power ne_sensitivity_exponent.
  const double sensitivity = std::pow(d.ne_sensitivity, m.ne_sensitivity_exponent);
  const double ec50 = (skin ? m.skin_ne_ec50_ug_per_L : m.ne_ec50_ug_per_L) *
                      (1.0 + m.ne_ec50_sepsis_shift * d.inflammation) / sensitivity;
  const double ce = std::max(0.0, d.alpha_ne_equivalent_ug_per_L);
  // Metabolic escape: lactic acidosis takes away part of the alpha-1 constriction NE can produce.
  const double capacity =
      1.0 - m.acidosis_escape * (1.0 - alpha1_capacity_at_ph(lactic_acidosis_ph(m, d.lactate_mmol_per_L)));
  // Two arms: a gentle tonic constriction from clinical doses on, and the steep closure (the cliff).
  const double tonic =
      skin ? 1.0 : 1.0 - m.ne_tonic_emax * capacity * hill(ce, m.ne_tonic_ec50_ug_per_L / sensitivity, 1.0);
  const double cliff =
      1.0 - (skin ? m.skin_ne_emax : m.ne_emax) * capacity * hill(ce, ec50, skin ? m.skin_ne_hill : m.ne_hill);
  return tonic * cliff;
}

double autoregulated_pressure_factor(const MicrocirculationParams& m, double perfusion_ratio, double sepsis,
                                     bool skin) {
  // Local flow vs perfusion pressure: above the lower limit the arterioles take up a share `a` of
  // every change in ln r_P (a plateau); below it they are maximally dilated and flow follows
  // pressure. Sepsis lowers the gain and raises the lower limit. Exactly 1 at r_P = 1.
  const double gain =
      (skin ? m.skin_autoregulation_index : m.autoregulation_index) / (1.0 + m.autoregulation_loss * sepsis);
  const double lower = std::log(m.autoregulation_lower_limit * (1.0 + m.autoregulation_lower_limit_sepsis * sepsis));
  const double w = m.autoregulation_corner_width;
  const double x = std::log(std::max(perfusion_ratio, 1e-3));
  return std::exp(x - gain * (soft_positive(x - lower, w) - soft_positive(-lower, w)));
}

double mean_drive(const MicrocirculationParams& m, const MicroDrivers& d, bool skin) {
  const double sepsis = d.inflammation * d.injury;
  const double pressure = autoregulated_pressure_factor(m, d.perfusion_ratio, sepsis, skin);
  const double ne = ne_precapillary_factor(m, d, skin);
  const double viscosity = std::exp(1.5 * (d.reference_haematocrit - d.haematocrit));
  double drive = pressure * ne * viscosity * (skin ? d.skin_drug_drive_factor : d.drug_drive_factor);
  if (skin) drive *= std::exp(-m.skin_sympathetic_log_gain * (d.sympathetic_activity - 0.5));
  return drive;
}

double vessel_velocity_um_per_s(const Vessel& v, const VesselState& s, double t_s) {
  if (s.duty >= 1.0) return s.velocity_moving_um_per_s;
  if (s.duty <= 0.0) return 0.0;
  const double x = t_s / v.stop_go_period_s + v.stop_go_phase;
  return (x - std::floor(x)) < s.duty ? s.velocity_moving_um_per_s : 0.0;
}

void classify(const MicrocirculationParams& m, const Vessel& v, double t_s, VesselState& s) {
  // What an observer sees over the window.
  s.visible = s.occupancy >= kVisibleOccupancy;
  const double moving_time = square_wave_fraction(t_s, m.window_s, v.stop_go_period_s, v.stop_go_phase, s.duty);
  s.moving_fraction = moving_time * s.occupancy;
  s.mean_velocity_um_per_s = s.velocity_moving_um_per_s * moving_time;
  s.cause = NoFlowCause::kPerfused;
  if (s.moving_fraction < kIntermittentLow) {
    s.flow_class = FlowClass::kNone;
  } else if (s.moving_fraction <= kIntermittentHigh) {
    s.flow_class = FlowClass::kIntermittent;
  } else {
    s.flow_class = s.velocity_moving_um_per_s < kSluggishVelocity_um_per_s ? FlowClass::kSluggish
                                                                            : FlowClass::kContinuous;
  }
  if (s.flow_class == FlowClass::kNone || s.flow_class == FlowClass::kIntermittent) {
    if (moving_time <= 0.0) {
      s.cause = NoFlowCause::kStopped;
    } else if (moving_time > kIntermittentHigh) {
      s.cause = NoFlowCause::kFewRedCells;
    } else {
      s.cause = NoFlowCause::kStopGo;
    }
  }
}

std::vector<VesselState> site_states(const MicrocirculationParams& m, const Site& site, const MicroDrivers& drivers,
                                     double t_s, bool skin) {
  MicroDrivers d = drivers;
  if (skin) d.injury *= m.skin_sepsis_factor;
  const Spreads sp = spreads(m, d);
  const double d_mean = mean_drive(m, d, skin) * std::exp(sp.site * site.site_z);
  // Compliant subcutaneous tissue: the skin's capillaries are not compressed by oedema as the
  // confined mucosa's are.
  const double compression = skin ? 1.0 : tissue_compression(m, d);
  const double w = m.stop_go_width;
  const double theta0 = m.opening_threshold;
  const double sd_skim = skimming_sd(m, d);
  const double tube_hct = d.haematocrit * m.tube_haematocrit_ratio;
  // The drive of each arteriolar unit (a few dozen per site, shared by its vessels).
  std::vector<double> unit_drive(site.unit_z.size());
  for (std::size_t u = 0; u < unit_drive.size(); ++u) unit_drive[u] = d_mean * std::exp(sp.unit * site.unit_z[u]);
  std::vector<VesselState> out;
  out.reserve(site.vessels.size());
  for (const Vessel& v : site.vessels) {
    VesselState s;
    s.small = v.diameter_um < kSmallVesselDiameter_um;
    s.drive = unit_drive[static_cast<std::size_t>(v.unit)];
    const double threshold_factor = v.threshold_factor_log_sd == m.threshold_log_sd
                                        ? v.threshold_factor
                                        : std::exp(m.threshold_log_sd * v.threshold_z);
    const double theta = theta0 * threshold_factor * sp.threshold_scale * compression;
    s.flow_margin = (s.drive - theta) / (1.0 - theta0);
    // Flow regime: continuous, stop-go, or stopped.
    if (s.flow_margin >= w) {
      s.duty = 1.0;
      s.velocity_moving_um_per_s = v.reference_velocity_um_per_s * s.flow_margin;
    } else if (s.flow_margin <= -w) {
      s.duty = 0.0;
      s.velocity_moving_um_per_s = 0.0;
    } else {
      s.duty = (s.flow_margin + w) / (2.0 * w);
      s.velocity_moving_um_per_s = v.reference_velocity_um_per_s * w;
    }
    // Red cells: tube haematocrit with plasma skimming.
    const double share = std::exp(sd_skim * v.skimming_z - 0.5 * sd_skim * sd_skim);
    const double area_um2 = std::numbers::pi * 0.25 * v.diameter_um * v.diameter_um;
    s.rbc_per_um = tube_hct * share * area_um2 / m.rbc_volume_um3;
    s.occupancy = 1.0 - std::exp(-s.rbc_per_um * v.length_um);
    classify(m, v, t_s, s);
    out.push_back(s);
  }
  return out;
}

namespace {

// Splits a segment at the lines x = cx and y = cy; calls f(a, b) for each piece.
template <typename F>
void split_segment(PointUm a, PointUm b, double cx, double cy, F&& f) {
  const double dx = b.x_um - a.x_um;
  const double dy = b.y_um - a.y_um;
  double c1 = 2.0, c2 = 2.0;  // parameters of the (up to two) crossings; 2 = none
  if ((a.x_um < cx) != (b.x_um < cx) && dx != 0.0) c1 = (cx - a.x_um) / dx;
  if ((a.y_um < cy) != (b.y_um < cy) && dy != 0.0) c2 = (cy - a.y_um) / dy;
  if (c2 < c1) std::swap(c1, c2);
  double previous = 0.0;
  for (double cut : {c1, c2, 1.0}) {
    if (cut > 1.0 || cut <= previous) continue;
    f(PointUm{a.x_um + previous * dx, a.y_um + previous * dy}, PointUm{a.x_um + cut * dx, a.y_um + cut * dy});
    previous = cut;
  }
}

// Clips segment [a, b] to the rectangle [0, w] x [0, h] (Liang-Barsky); false if nothing is inside.
bool clip_to_field(PointUm& a, PointUm& b, double w, double h) {
  const double dx = b.x_um - a.x_um, dy = b.y_um - a.y_um;
  double t0 = 0.0, t1 = 1.0;
  const double p[4] = {-dx, dx, -dy, dy};
  const double q[4] = {a.x_um, w - a.x_um, a.y_um, h - a.y_um};
  for (int k = 0; k < 4; ++k) {
    if (p[k] == 0.0) {
      if (q[k] < 0.0) return false;
      continue;
    }
    const double r = q[k] / p[k];
    if (p[k] < 0.0) {
      t0 = std::max(t0, r);
    } else {
      t1 = std::min(t1, r);
    }
  }
  if (t0 > t1) return false;
  const PointUm a0 = a;
  a = {a0.x_um + t0 * dx, a0.y_um + t0 * dy};
  b = {a0.x_um + t1 * dx, a0.y_um + t1 * dy};
  return true;
}

}  // namespace

VesselGeometry measure_vessel(std::span<const PointUm> polyline, double width_um, double height_um) {
  VesselGeometry g;
  const double cx = 0.5 * width_um, cy = 0.5 * height_um;
  for (std::size_t i = 1; i < polyline.size(); ++i) {
    PointUm a = polyline[i - 1], b = polyline[i];
    if (!clip_to_field(a, b, width_um, height_um)) continue;  // only what lies in the field counts
    split_segment(a, b, cx, cy, [&](PointUm p, PointUm q) {
      const int quadrant = (0.5 * (p.x_um + q.x_um) >= cx ? 1 : 0) + (0.5 * (p.y_um + q.y_um) >= cy ? 2 : 0);
      g.quadrant_length_um[static_cast<std::size_t>(quadrant)] += std::hypot(q.x_um - p.x_um, q.y_um - p.y_um);
    });
    // De Backer grid: 3 horizontal and 3 vertical lines at quarters.
    for (int k = 1; k <= 3; ++k) {
      const double gx = width_um * k / 4.0, gy = height_um * k / 4.0;
      if ((a.x_um < gx) != (b.x_um < gx)) ++g.grid_crossings;
      if ((a.y_um < gy) != (b.y_um < gy)) ++g.grid_crossings;
    }
  }
  return g;
}

SiteMetrics site_metrics(double width_um, double height_um, std::span<const ObservedVessel> vessels) {
  SiteMetrics out;
  const double area_mm2 = width_um * height_um * 1e-6;
  // Length of small visible vessels per quadrant and flow class.
  std::array<std::array<double, 4>, 4> quadrant_length{};
  double total_um = 0.0, perfused_um = 0.0, velocity_weighted = 0.0;
  double vessel_score_sum = 0.0;
  int vessel_count = 0;
  int crossings = 0;
  for (const ObservedVessel& v : vessels) {
    if (!v.visible || v.diameter_um >= kSmallVesselDiameter_um) continue;
    const VesselGeometry g = v.geometry ? *v.geometry : measure_vessel(v.polyline, width_um, height_um);
    const int cls = static_cast<int>(v.flow_class);
    const bool perfused = v.flow_class == FlowClass::kSluggish || v.flow_class == FlowClass::kContinuous;
    double length_um = 0.0;
    for (std::size_t q = 0; q < 4; ++q) {
      quadrant_length[q][static_cast<std::size_t>(cls)] += g.quadrant_length_um[q];
      length_um += g.quadrant_length_um[q];
    }
    crossings += g.grid_crossings;
    total_um += length_um;
    if (perfused) {
      perfused_um += length_um;
      velocity_weighted += v.velocity_um_per_s * length_um;
    }
    vessel_score_sum += cls;
    ++vessel_count;
  }
  out.tvd_mm_per_mm2 = total_um * 1e-3 / area_mm2;
  out.pvd_mm_per_mm2 = perfused_um * 1e-3 / area_mm2;
  out.ppv_pct = total_um > 0.0 ? 100.0 * perfused_um / total_um : 0.0;
  out.rbc_velocity_um_per_s = perfused_um > 0.0 ? velocity_weighted / perfused_um : 0.0;
  out.mfi_vessel = vessel_count > 0 ? vessel_score_sum / vessel_count : 0.0;
  // Quadrant MFI: each quadrant scored by its predominant flow (by length; ties to the lower
  // score), averaged over the quadrants that contain small vessels.
  double score_sum = 0.0;
  int scored = 0;
  for (std::size_t q = 0; q < 4; ++q) {
    const auto& lengths = quadrant_length[q];
    const double sum = lengths[0] + lengths[1] + lengths[2] + lengths[3];
    if (sum <= 0.0) {
      out.quadrant_scores[q] = -1.0;
      continue;
    }
    std::size_t best = 0;
    for (std::size_t c = 1; c < 4; ++c) {
      if (lengths[c] > lengths[best]) best = c;
    }
    out.quadrant_scores[q] = static_cast<double>(best);
    score_sum += static_cast<double>(best);
    ++scored;
  }
  out.mfi = scored > 0 ? score_sum / scored : 0.0;
  const double line_length_mm = 3.0 * (width_um + height_um) * 1e-3;
  out.debacker_per_mm = crossings / line_length_mm;
  return out;
}

SiteMetrics mean_of_sites(std::span<const SiteMetrics> sites) {
  SiteMetrics mean;
  const double n = static_cast<double>(sites.size());
  for (const SiteMetrics& s : sites) {
    mean.tvd_mm_per_mm2 += s.tvd_mm_per_mm2 / n;
    mean.pvd_mm_per_mm2 += s.pvd_mm_per_mm2 / n;
    mean.ppv_pct += s.ppv_pct / n;
    mean.mfi += s.mfi / n;
    mean.mfi_vessel += s.mfi_vessel / n;
    mean.debacker_per_mm += s.debacker_per_mm / n;
    mean.rbc_velocity_um_per_s += s.rbc_velocity_um_per_s / n;
  }
  return mean;
}

double heterogeneity_index(std::span<const double> site_mfi) {
  if (site_mfi.empty()) return 0.0;
  const auto [lo, hi] = std::minmax_element(site_mfi.begin(), site_mfi.end());
  double mean = 0.0;
  for (double v : site_mfi) mean += v;
  mean /= static_cast<double>(site_mfi.size());
  return mean > 0.0 ? (*hi - *lo) / mean : 0.0;
}

namespace {

std::vector<ObservedVessel> observed(const Site& site, const std::vector<VesselState>& states) {
  std::vector<ObservedVessel> out;
  out.reserve(site.vessels.size());
  for (std::size_t i = 0; i < site.vessels.size(); ++i) {
    const Vessel& v = site.vessels[i];
    const VesselState& s = states[i];
    out.push_back({v.polyline, v.diameter_um, s.visible, s.flow_class, s.velocity_moving_um_per_s, &v.geometry});
  }
  return out;
}

}  // namespace

SiteMetrics site_metrics_from_states(const Site& site, const std::vector<VesselState>& states) {
  const auto obs = observed(site, states);
  return site_metrics(site.width_um, site.height_um, obs);
}

SkinMetrics evaluate_skin(const MicrocirculationParams& m, const Network& net, const MicroDrivers& d, double t_s) {
  // Perfused fraction and flow index of the skin give capillary refill time and mottling.
  const auto skin = site_states(m, net.skin, d, t_s, true);
  double length = 0.0, perfused = 0.0, flow = 0.0, reference = 0.0;
  for (std::size_t i = 0; i < skin.size(); ++i) {
    const Vessel& v = net.skin.vessels[i];
    if (!skin[i].small) continue;
    length += v.length_um;
    if (skin[i].flow_class >= FlowClass::kSluggish) perfused += v.length_um;
    flow += skin[i].mean_velocity_um_per_s * skin[i].occupancy * v.length_um;
    reference += v.reference_velocity_um_per_s * v.length_um;
  }
  SkinMetrics out;
  out.perfused_fraction = length > 0.0 ? perfused / length : 0.0;
  out.flow_index = reference > 0.0 ? flow / reference : 0.0;
  const double crt_healthy_s = m.crt_healthy_s * std::max(0.5, 1.0 + m.crt_age_slope_per_year * (d.age_years - 50.0));
  // Refill through the skin's flow plus a floor (refill from the surrounding tissue), no hard ceiling.
  const double f0 = m.crt_min_flow_index;
  out.crt_s = crt_healthy_s * std::pow((out.flow_index + f0) / (1.0 + f0), -m.crt_flow_exponent);
  // Mottling: the extent of non-perfused skin, on the 0-5 clinical scale (Ait-Oufella 2011).
  out.mottling_score = std::clamp(std::round(5.0 * (0.95 - out.perfused_fraction) / 0.7), 0.0, 5.0) + 0.0;
  return out;
}

MicroMetrics evaluate_network(const MicrocirculationParams& m, const Network& net, const MicroDrivers& d, double t_s) {
  MicroMetrics out;
  std::vector<double> site_mfi;
  double stopped = 0.0, stop_go = 0.0, few_rbc = 0.0, visible_small = 0.0;
  for (const Site& site : net.sublingual) {
    const auto states = site_states(m, site, d, t_s);
    for (std::size_t i = 0; i < states.size(); ++i) {
      if (!states[i].small || !states[i].visible) continue;
      const double l = site.vessels[i].length_um;
      visible_small += l;
      if (states[i].cause == NoFlowCause::kStopped) stopped += l;
      if (states[i].cause == NoFlowCause::kStopGo) stop_go += l;
      if (states[i].cause == NoFlowCause::kFewRedCells) few_rbc += l;
    }
    const auto obs = observed(site, states);
    out.sites.push_back(site_metrics(site.width_um, site.height_um, obs));
    site_mfi.push_back(out.sites.back().mfi);
  }
  out.mean = mean_of_sites(out.sites);
  out.hi = heterogeneity_index(site_mfi);
  if (visible_small > 0.0) {
    out.nonperfused_stopped_pct = 100.0 * stopped / visible_small;
    out.nonperfused_stop_go_pct = 100.0 * stop_go / visible_small;
    out.nonperfused_few_rbc_pct = 100.0 * few_rbc / visible_small;
  }
  out.ne_precapillary_factor = ne_precapillary_factor(m, d, false);

  const SkinMetrics skin = evaluate_skin(m, net, d, t_s);
  out.skin_perfused_fraction = skin.perfused_fraction;
  out.skin_flow_index = skin.flow_index;
  out.crt_s = skin.crt_s;
  out.mottling_score = skin.mottling_score;
  return out;
}

namespace {

// Mean-field perfused (and red-cell carrying) fraction of the sublingual beds.
double mean_field_perfused(const MicrocirculationParams& m, const MicroDrivers& d) {
  const Spreads sp = spreads(m, d);
  const double theta = m.opening_threshold * sp.threshold_scale * tissue_compression(m, d);
  const double needed = theta + m.stop_go_width * (1.0 - m.opening_threshold);
  const double sd = std::sqrt(sp.site * sp.site + sp.unit * sp.unit + m.threshold_log_sd * m.threshold_log_sd);
  const double occupancy = 1.0 - std::exp(-d.haematocrit * m.tube_haematocrit_ratio * 28.0 / m.rbc_volume_um3 *
                                          m.capillary_length_mean_um);
  return normal_cdf(std::log(mean_drive(m, d, false) / needed) / sd) * occupancy;
}

}  // namespace

double micro_healthy_perfused_fraction(const MicrocirculationParams& m) {
  MicroDrivers healthy;
  healthy.reference_haematocrit = m.reference_haematocrit;
  healthy.haematocrit = m.reference_haematocrit;
  return mean_field_perfused(m, healthy);
}

MicroMeanField micro_mean_field(const MicrocirculationParams& m, const MicroDrivers& d, double interstitial_excess_L,
                                double healthy_perfused_fraction) {
  MicroMeanField out;
  out.perfused_fraction = mean_field_perfused(m, d);
  out.heterogeneity_sd = m.unit_log_sd_sepsis * d.inflammation * d.injury;
  const double relative = out.perfused_fraction / healthy_perfused_fraction;
  out.extraction_capacity = std::pow(std::max(relative, 1e-6), m.extraction_perfusion_exponent) *
                            (1.0 - m.extraction_heterogeneity_loss * std::min(out.heterogeneity_sd, 1.0)) *
                            (1.0 - m.extraction_oedema_loss_per_L * smooth_rise(interstitial_excess_L, 0.2));
  return out;
}

}  // namespace coherence::model
