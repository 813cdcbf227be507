// The whole-body model: state layout, piecewise-constant inputs, the pure right-hand side and
// the observables computed from a state.
//
// State vector (units in the names; see docs/model/*.md for each system's equations):
//   circulation   arterial_mL, venous_mL, central_mL, pulmonary_mL
//   baroreflex    cardiac_sympathetic, vascular_sympathetic        (activity 0..1);
//                 baroreflex_reset_mmHg (set-point shift toward the prevailing MAP, slow)
//   norepinephrine ne_exogenous_ug_per_L, ne_endogenous_ug_per_L, ne_effect_site_ug_per_L
//   sepsis        inflammation (0..1), il6_pg_per_mL, infection_load (1 = half-maximal host
//                 response), endothelial_injury (0..1, glycocalyx/endothelium, slow recovery)
//   fluids        interstitial_mL, plasma_protein_g, interstitial_protein_g, red_cell_mL
//   metabolism    lactate_mmol_per_L, glycolytic_drive_mmol_per_kg_h, hepatic_dysfunction
//   kidney        renal_injury (0..1), creatinine_umol_per_L       (docs/model/kidney.md)
//   other drugs   vasopressin_pg_per_mL, epinephrine_ug_per_L, dobutamine_ug_per_L,
//                 nitroglycerin_effect_ug_per_min                    (docs/model/drugs.md)
//   bookkeeping   fluid_in_mL, fluid_out_mL                         (cumulative, for balances)
// Sepsis: dI/dt = (S - I) / tau. Without an infection course S = S_in(t), the scenario's severity
//   (an input); with one, S = S_in B^n / (B^n + 1) and the load B grows and is cleared:
//   dB/dt = B [r (1 - B/B_max)(1 - SC) - c - k_abx A - k_sc SC] / 60   (A antibiotics, SC source
//   control: inputs 0/1 from their events). dIL6/dt = ln2/t1/2 (IL6_0 + g I - IL6).
//   Endothelial injury: dE/dt = (I - E) [1/tau_rec + (1/tau_inj - 1/tau_rec) sigma((I - E)/w)].
// Water balance: d/dt[(V_blood - V_rbc) + V_i] = intake - urine - insensible - RRT ultrafiltration exactly, and the two
// bookkeeping states integrate the right-hand terms, so the sum is an invariant.
#pragma once

#include <array>
#include <span>

#include "model/drugs.hpp"
#include "model/fluids.hpp"
#include "model/hemodynamics.hpp"
#include "model/kidney.hpp"
#include "model/microcirculation.hpp"
#include "model/oxygen.hpp"
#include "model/params.hpp"

namespace coherence::model {

enum StateIndex : int {
  kArterialVolume = 0,
  kVenousVolume,
  kCentralVolume,
  kPulmonaryVolume,
  kCardiacSympathetic,
  kVascularSympathetic,
  kNeExogenous,
  kNeEndogenous,
  kNeEffectSite,
  kInflammation,
  kIl6,
  kInfectionLoad,
  kEndothelialInjury,
  kInterstitialVolume,
  kPlasmaProtein,
  kInterstitialProtein,
  kRedCellVolume,
  kLactate,
  kGlycolyticDrive,
  kHepaticDysfunction,
  kRenalInjury,
  kCreatinine,
  kVasopressin,
  kEpinephrine,
  kDobutamine,
  kNitroglycerinEffect,
  kBaroreflexReset,
  kFluidIn,
  kFluidOut,
  kStateCount
};

inline constexpr std::array<const char*, kStateCount> kStateNames = {
    "arterial_volume_mL",     "venous_volume_mL",       "central_volume_mL",
    "pulmonary_volume_mL",    "cardiac_sympathetic",    "vascular_sympathetic",
    "ne_exogenous_ug_per_L",  "ne_endogenous_ug_per_L", "ne_effect_site_ug_per_L",
    "inflammation",           "il6_pg_per_mL",          "infection_load",
    "endothelial_injury",     "interstitial_volume_mL",
    "plasma_protein_g",       "interstitial_protein_g", "red_cell_volume_mL",
    "lactate_mmol_per_L",     "glycolytic_drive_mmol_per_kg_h", "hepatic_dysfunction",
    "renal_injury",           "creatinine_umol_per_L",  "vasopressin_pg_per_mL",  "epinephrine_ug_per_L",
    "dobutamine_ug_per_L",    "nitroglycerin_effect_ug_per_min", "baroreflex_reset_mmHg",
    "fluid_in_mL",            "fluid_out_mL"};

// Inputs held constant between two discontinuities (events, protocol decisions).
struct Inputs {
  double ne_dose_ug_per_kg_min = 0.0;
  double vasopressin_U_per_min = 0.0;
  double epinephrine_ug_per_kg_min = 0.0;
  double dobutamine_ug_per_kg_min = 0.0;
  double nitroglycerin_ug_per_min = 0.0;
  double crystalloid_mL_per_min = 0.0;        // boluses + maintenance, into plasma
  double albumin_solution_mL_per_min = 0.0;   // its water, into plasma
  double albumin_g_per_min = 0.0;             // its protein, into plasma
  double packed_cells_mL_per_min = 0.0;       // red-cell transfusion (cells + plasma water)
  double sepsis_severity = 0.0;               // target of the inflammation level, 0..1
  double rrt_effluent_mL_per_kg_h = 0.0;      // renal replacement therapy dose (0 = off)
  double rrt_net_ultrafiltration_mL_per_h = 0.0;  // fluid removed by RRT
  // Infection course: when true the severity is the maximal host response and the infection load
  // state sets the fraction of it reached; when false (default) the severity is the target itself.
  bool infection_course = false;
  double antibiotics = 0.0;                   // 1 once effective antibiotics run
  double source_control = 0.0;                // 1 once the source is controlled
  bool operator==(const Inputs&) const = default;
};

// Everything a monitor, an output column or a test may want at one instant.
struct Observables {
  CirculationState circulation;
  CirculationTone tone;
  FluidExchange fluids;
  OxygenBalance oxygen;
  KidneyState kidney;
  DrugEffects drugs;
  double blood_volume_mL = 0.0;
  double plasma_volume_mL = 0.0;
  double haematocrit = 0.0;
  double svr_dyn_s_per_cm5 = 0.0;
  double ne_plasma_ug_per_L = 0.0;
  double ne_clearance_L_per_min = 0.0;
  MicroDrivers micro_drivers;
  MicroMeanField micro;
  double sympathetic_target = 0.5;           // cardiac arm: arterial baroreflex
  double vascular_sympathetic_target = 0.5;  // vascular arm: arterial + cardiopulmonary
};

// Values fixed at model construction (derived once from the parameters).
struct ModelReference {
  FluidReference fluids;
  double micro_perfusion_pressure_mmHg = 75.0;  // MAP - outflow pressure, healthy
  double tissue_pressure_mmHg = 2.0;            // interstitial + offset, healthy
  double interstitial_volume_mL = 11900.0;
  double micro_healthy_perfused_fraction = 1.0;  // mean-field normaliser of extraction capacity
  double baroreflex_reference_map_mmHg = 90.0;   // MAP the arterial receptors sense at rest (no resetting)
};

using StateVector = std::array<double, kStateCount>;

// Healthy reference state (all compartments at nominal pressures) and the derived reference.
struct InitialCondition {
  StateVector state{};
  ModelReference reference;
};
InitialCondition reference_state(const ModelParams& p);

// Algebraic variables of the model at state y.
Observables observe(const ModelParams& p, const ModelReference& ref, const Inputs& in,
                    std::span<const double, kStateCount> y);

// The circulation alone, as a bedside monitor shows it (MAP, heart rate, cardiac output): the
// first part of observe(), without the fluid, oxygen and microcirculation parts.
struct CirculationObservables {
  DrugEffects drugs;
  CirculationTone tone;
  CirculationState circulation;
};
CirculationObservables observe_circulation(const ModelParams& p, std::span<const double, kStateCount> y);

// The right-hand side dy/dt = f(y; inputs). Pure: writes only dydt. Returns 0 on success,
// > 0 when y is outside the physical domain (CVODE retries with a smaller step).
// kIntegratedOnly leaves the derivatives of the infused-drug states (solved in closed form,
// infusion_kinetics.hpp) at 0: what the simulator's integrator needs, without their cost.
enum class DerivativeSet { kAll, kIntegratedOnly };
int derivatives(const ModelParams& p, const ModelReference& ref, const Inputs& in,
                std::span<const double, kStateCount> y, std::span<double, kStateCount> dydt,
                DerivativeSet which = DerivativeSet::kAll);

// Venous pressure seen by the filtering capillary beds: NE's venoconstriction raises the pressure of
// the veins it constricts (mostly splanchnic capacitance veins), so only the share
// fluids.venoconstricted_exchange_fraction of the exchange beds sees its part of venous_mmHg; the
// rest drain into veins at the pressure they would have without it. Equals venous_mmHg without NE.
double exchange_venous_pressure_mmHg(const ModelParams& p, const CirculationTone& tone, double venous_volume_mL,
                                     double venous_mmHg);

// Outflow pressure of the capillary beds: venous pressure, or tissue pressure where it is higher
// (Starling resistor), smoothly.
double capillary_outflow_pressure_mmHg(const ModelParams& p, double venous_mmHg, double interstitial_mmHg);

}  // namespace coherence::model
