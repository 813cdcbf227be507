// The microcirculation: explicit capillary networks at 5 sublingual sites and the skin, their
// per-vessel perfusion, the consensus measures computed exactly from them (ground truth), and a
// smooth mean-field of the same distributions that couples back into the whole-body model.
//
// Geometry (per patient and site, from a seed): tortuous capillary polylines (5-10 um, some
// 11-20 um) to a target small-vessel density, plus venules (20-50 um); each capillary belongs to
// an arteriolar unit (a square territory) and carries its own random draws.
//
// Drive of vessel i at site k in unit u (1 = healthy reference):
//   D_i = F(r_P) * G_NE * V_visc * G_drug * exp(sd_site z_k + sd_unit z_u)   (skin: also x S_skin)
//   r_P    = (MAP - P_out) / (MAP - P_out)_ref,  P_out = softmax(P_v, P_i + offset)   (Starling
//            resistor: venous congestion and tissue pressure both reduce perfusion pressure; the
//            reference is the patient's own healthy state, at the usual MAP of a hypertensive)
//   F      = exp(x - a [sp(x - x_L) - sp(-x_L)]),  x = ln r_P,  sp = soft_positive (width w)
//            autoregulation: a plateau (flow ~ r_P^(1 - a)) above the lower limit x_L, pressure-
//            passive flow below it; with sepsis s = I J the gain falls and the limit rises:
//            a = a0 / (1 + loss s) (skin: a0_skin),  x_L = ln(r_L0 (1 + k_L s))
//   G_NE   = (1 - E_t A H(C_e; EC50_t, 1)) (1 - E_m A H(C_e; EC50_m, n)),
//            EC50_m = EC50_m0 (1 + k I) / sensitivity^e,  A = alpha-1 capacity left at the pH
//            a gentle tonic alpha-1 arm and the steep high-concentration closure (the "cliff")
//   V_visc = exp(k_mu (Hct_ref - Hct))         thinner blood flows faster
//   G_drug = drug drive factor                 vasopressin constricts; dobutamine, nitroglycerin dilate
//   S_skin = exp(-g (s_v - 0.5))               the skin's sympathetic constriction
//   sd_*   = sd_healthy + sd_sepsis I J        heterogeneity grows with sepsis
// Skin: CRT = CRT_healthy(age) ((F_skin + F0) / (1 + F0))^-k from the skin's flow index F_skin
// (no hard ceiling); mottling = round(5 (0.95 - skin perfused fraction) / 0.7), 0-5.
// Opening threshold theta_i = theta0 exp(sd_theta z_i) (1 + g I J) (1 + c dP_tissue) (obstruction,
// plugging, compression by tissue pressure). Flow margin f_i = (D_i - theta_i) / (1 - theta0):
//   f_i >= w: flows throughout at v0_i f_i;  f_i <= -w: stopped;
//   otherwise stop-go: moving a fraction (f_i + w) / 2w of a period T_i at v0_i w.
// Red cells: lineal density lambda_i = Hct * F * s_i * A_i / V_rbc, s_i lognormal (plasma
//   skimming; spread grows as Hct falls). Occupancy o_i = 1 - exp(-lambda_i L_i).
// Observed over a window W (DESIGN.md): moving fraction m_i = (moving time in W / W) * o_i;
//   invisible if o_i < 0.2 (no red cells to see); none m < 0.2; intermittent 0.2 <= m <= 0.8;
//   otherwise sluggish (< 300 um/s) or continuous.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "model/params.hpp"

namespace coherence::model {

struct PointUm {
  double x_um = 0.0;
  double y_um = 0.0;
};

enum class FlowClass : int { kNone = 0, kIntermittent = 1, kSluggish = 2, kContinuous = 3 };

// Why a visible small vessel is not perfused (for coherence-loss diagnostics).
enum class NoFlowCause : int { kPerfused = 0, kStopped, kStopGo, kFewRedCells };

// What the consensus measures need of a vessel's geometry in its field (fixed in time).
struct VesselGeometry {
  std::array<double, 4> quadrant_length_um{};  // length inside each quadrant (TL, TR, BL, BR)
  int grid_crossings = 0;                      // crossings of the De Backer grid lines
};

// Clips a polyline to the field [0, width] x [0, height], splits it exactly at the field's
// midlines and counts the quarter-line crossings.
VesselGeometry measure_vessel(std::span<const PointUm> polyline, double width_um, double height_um);

struct Vessel {
  std::vector<PointUm> polyline;
  VesselGeometry geometry;  // measured once, at generation
  double diameter_um = 0.0;
  double length_um = 0.0;
  int unit = 0;
  double reference_velocity_um_per_s = 0.0;
  double threshold_z = 0.0;   // standard normal draw: opening threshold
  // exp(threshold_log_sd * threshold_z) for the threshold_log_sd the network was generated with
  // (a cache for site_states; NaN: not cached, computed there).
  double threshold_factor = 1.0;
  double threshold_factor_log_sd = std::numeric_limits<double>::quiet_NaN();
  double skimming_z = 0.0;    // standard normal draw: tube haematocrit share
  double stop_go_period_s = 4.0;
  double stop_go_phase = 0.0;  // 0..1
};

struct Site {
  std::string name;
  double width_um = 0.0;
  double height_um = 0.0;
  std::vector<Vessel> vessels;
  std::vector<double> unit_z;  // one standard normal draw per arteriolar unit
  int units_x = 1;
  double site_z = 0.0;
};

struct Network {
  std::vector<Site> sublingual;  // 5 sites
  Site skin;
};

// The same site seen through a field [0, width] x [0, height] (a camera's image): geometry
// re-measured so that metrics count only what lies in that field.
Site with_field(const Site& site, double width_um, double height_um);

// Generates the networks of one patient (deterministic in seed and patient index).
Network generate_network(const MicrocirculationParams& m, std::uint64_t seed, std::uint64_t patient = 0);

// Site-independent conditions at one instant, from the whole-body model.
struct MicroDrivers {
  double perfusion_ratio = 1.0;         // r_P
  double alpha_ne_equivalent_ug_per_L = 0.0;  // NE effect site + epinephrine's alpha share
  double drug_drive_factor = 1.0;             // vasopressin, dobutamine, nitroglycerin (drugs.hpp)
  double skin_drug_drive_factor = 1.0;        // the same for the skin
  double inflammation = 0.0;
  double haematocrit = 0.42;
  double tissue_pressure_rise_mmHg = 0.0;  // above the healthy reference
  double sympathetic_activity = 0.5;       // vascular arm (skin)
  double ne_sensitivity = 1.0;
  double injury = 1.0;                     // patient's microvascular injury (0..2)
  double reference_haematocrit = 0.42;
  double age_years = 50.0;                 // healthy CRT lengthens with age
  double lactate_mmol_per_L = 1.0;         // arterial lactate: the metabolic acidosis that blunts NE
};

// State of one vessel over an observation window.
struct VesselState {
  bool small = true;                 // diameter < 20 um
  bool visible = true;               // red cells present
  double drive = 1.0;
  double flow_margin = 1.0;
  double velocity_moving_um_per_s = 0.0;  // while moving
  double duty = 1.0;                 // fraction of the stop-go period moving
  double occupancy = 1.0;            // fraction of time with red cells in view
  double rbc_per_um = 0.0;           // lineal red-cell density
  double moving_fraction = 1.0;      // observed in the window
  double mean_velocity_um_per_s = 0.0;  // time-averaged over the window
  FlowClass flow_class = FlowClass::kContinuous;
  NoFlowCause cause = NoFlowCause::kPerfused;
};

// RBC velocity (um/s) of a vessel at time t (s): the renderer's view of the same state.
double vessel_velocity_um_per_s(const Vessel& v, const VesselState& s, double t_s);

// Sets a state's observed moving fraction, mean velocity, class and cause from its flow regime
// (duty, velocity_moving, occupancy) over the window [t_s, t_s + window_s).
void classify(const MicrocirculationParams& m, const Vessel& v, double t_s, VesselState& s);

// Vessel states at a site over the window [t_s, t_s + window_s).
std::vector<VesselState> site_states(const MicrocirculationParams& m, const Site& site, const MicroDrivers& d,
                                     double t_s, bool skin = false);

// What the consensus measures need to know about one vessel.
struct ObservedVessel {
  std::span<const PointUm> polyline;
  double diameter_um = 0.0;
  bool visible = true;
  FlowClass flow_class = FlowClass::kContinuous;
  double velocity_um_per_s = 0.0;  // mean while moving
  const VesselGeometry* geometry = nullptr;  // precomputed; measured from the polyline if null
};

struct SiteMetrics {
  double tvd_mm_per_mm2 = 0.0;
  double pvd_mm_per_mm2 = 0.0;
  double ppv_pct = 0.0;
  double mfi = 0.0;                 // quadrant method
  double mfi_vessel = 0.0;          // vessel-by-vessel
  double debacker_per_mm = 0.0;
  double rbc_velocity_um_per_s = 0.0;
  std::array<double, 4> quadrant_scores{};  // -1 for a quadrant without small vessels
};

// Consensus measures of one field from observed vessels (exact; the ground truth).
SiteMetrics site_metrics(double width_um, double height_um, std::span<const ObservedVessel> vessels);

// Metrics of a site whose vessel states are given (e.g. assigned rather than computed).
SiteMetrics site_metrics_from_states(const Site& site, const std::vector<VesselState>& states);

// Means over sites of every measure (quadrant scores are not averaged).
SiteMetrics mean_of_sites(std::span<const SiteMetrics> sites);

// (max - min) / mean of the site MFIs.
double heterogeneity_index(std::span<const double> site_mfi);

struct MicroMetrics {
  std::vector<SiteMetrics> sites;
  SiteMetrics mean;  // means over the sublingual sites
  double hi = 0.0;
  double skin_perfused_fraction = 1.0;
  double skin_flow_index = 1.0;   // skin flow relative to healthy
  double crt_s = 0.0;
  double mottling_score = 0.0;    // 0-5 (integer)
  // Share (%) of visible small-vessel length that is not perfused, by cause (means over sites).
  double nonperfused_stopped_pct = 0.0;
  double nonperfused_stop_go_pct = 0.0;
  double nonperfused_few_rbc_pct = 0.0;
  double ne_precapillary_factor = 1.0;  // G_NE of the sublingual beds
};

// The skin alone: what a capillary refill examination needs.
struct SkinMetrics {
  double perfused_fraction = 1.0;
  double flow_index = 1.0;      // skin flow relative to healthy
  double crt_s = 0.0;
  double mottling_score = 0.0;  // 0-5 (integer)
};
SkinMetrics evaluate_skin(const MicrocirculationParams& m, const Network& net, const MicroDrivers& d, double t_s);

// Evaluates every site and the skin at time t_s.
MicroMetrics evaluate_network(const MicrocirculationParams& m, const Network& net, const MicroDrivers& d,
                              double t_s);

// Mean-field of the sublingual distributions (smooth in the drivers, for the right-hand side).
struct MicroMeanField {
  double perfused_fraction = 1.0;
  double heterogeneity_sd = 0.0;
  double extraction_capacity = 1.0;  // relative to healthy
};
// `healthy_perfused_fraction` = micro_healthy_perfused_fraction(m), computed once per patient.
MicroMeanField micro_mean_field(const MicrocirculationParams& m, const MicroDrivers& d, double interstitial_excess_L,
                                double healthy_perfused_fraction);

// Mean-field perfused fraction of a healthy adult at rest (normal haematocrit, no drugs).
double micro_healthy_perfused_fraction(const MicrocirculationParams& m);

// Mean drive of a site before unit/site heterogeneity (exposed for tests and docs).
double mean_drive(const MicrocirculationParams& m, const MicroDrivers& d, bool skin);

// The autoregulated pressure factor F(r_P) of the drive (1 at r_P = 1); `sepsis` = I J.
double autoregulated_pressure_factor(const MicrocirculationParams& m, double perfusion_ratio, double sepsis,
                                     bool skin = false);

// The NE precapillary factor G_NE (1 = no closure).
double ne_precapillary_factor(const MicrocirculationParams& m, const MicroDrivers& d, bool skin);

// Arterial pH of a lactic acidosis: bicarbonate falls 1:1 as lactate rises above its reference,
// PaCO2 held (Henderson-Hasselbalch, pK 6.1, CO2 solubility 0.03 mmol/L/mmHg).
double lactic_acidosis_ph(const MicrocirculationParams& m, double lactate_mmol_per_L);

// Alpha-1 contraction left at pH `ph`, relative to pH 7.4: human feed arteries, phenylephrine
// maximum 85, 57, 34, 16% of KCl maximum at pH 7.4, 7.1, 6.8, 6.5 (Ives 2013), linear between.
double alpha1_capacity_at_ph(double ph);

}  // namespace coherence::model
