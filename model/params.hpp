// Immutable description of one virtual patient: every physiological parameter of the model.
//
// Internal units, chosen once for the whole model: time in minutes, volume in mL, pressure in
// mmHg, flow in mL/min, NE concentration in ug/L, lactate in mmol/L. Values below are for the
// 70 kg reference adult; `scaled_to_weight()` scales volumes, compliances and resistances.
// Every default carries its source and label (V read in the source, D derived, C from public
// model code, R recalled/assumed); docs/model/*.md tabulates them with the same labels.
#pragma once

namespace coherence::model {

// Systemic and cardiopulmonary circulation (docs/model/hemodynamics.md).
struct HemodynamicParams {
  double blood_volume_mL_per_kg = 70.0;             // V textbook
  double haematocrit_fraction = 0.42;               // V textbook adult
  double arterial_compliance_mL_per_mmHg = 1.5;     // D SV/pulse pressure 70/45
  double arterial_unstressed_mL = 620.0;            // D 15% of BV minus stressed
  double venous_compliance_mL_per_mmHg = 55.0;      // D total ~1.0 mL/mmHg/kg (Maas 2009, ICU)
  double venous_unstressed_mL = 2550.0;             // D BV minus other compartments, Pmsf ~16
  double central_compliance_mL_per_mmHg = 4.0;      // R central veins + right heart
  double central_unstressed_mL = 220.0;             // R
  double pulmonary_compliance_mL_per_mmHg = 9.0;    // R pulmonary + left atrium
  double pulmonary_unstressed_mL = 400.0;           // R pulmonary blood volume ~500 mL
  double systemic_resistance_mmHg_min_per_mL = 0.0140;   // D (MAP-CVP)/CO ~ 1100 dyn s/cm5
  double venous_return_resistance_mmHg_min_per_mL = 0.0021;  // D (Pv - CVP)/CO ~ 11/5300
  double pulmonary_resistance_mmHg_min_per_mL = 0.0016;  // V PVR ~ 130 dyn s/cm5 textbook
  // Ventricles: end-diastolic exponential P-V relation, end-systolic elastance (Ursino 1998,
  // values recalled; the model is mean-value, so they act as effective parameters).
  double lv_end_systolic_elastance_mmHg_per_mL = 2.95;  // R Ursino 1998
  double lv_unstressed_volume_mL = 16.77;                // R Ursino 1998
  double lv_diastolic_p0_mmHg = 1.5;                     // R Ursino 1998
  double lv_diastolic_stiffness_per_mL = 0.014;          // R Ursino 1998
  double rv_end_systolic_elastance_mmHg_per_mL = 1.75;   // R Ursino 1998
  double rv_unstressed_volume_mL = 40.8;                 // R Ursino 1998
  double rv_diastolic_p0_mmHg = 1.5;                     // R Ursino 1998
  double rv_diastolic_stiffness_per_mL = 0.011;          // R Ursino 1998
  double filling_time_constant_s = 0.15;                 // R diastolic filling; limits CO at high HR
  double intrinsic_heart_rate_bpm = 70.0;                // V textbook
};

// Arterial baroreflex on HR, contractility, arterial resistance, venous unstressed volume.
struct BaroreflexParams {
  double map_set_point_mmHg = 90.0;          // R
  double map_slope_mmHg = 9.0;               // R sigmoid width (Ursino 1998 order of magnitude)
  double cardiac_time_constant_min = 0.05;   // R ~3 s vagal/sympathetic cardiac arm
  double vascular_time_constant_min = 0.3;   // R ~20 s vascular arm
  double heart_rate_gain = 1.2;              // R HR = HR0 (1 + g (s - 0.5)): 28..112 bpm
  double contractility_gain = 0.8;           // R elastance +-40%
  double resistance_log_gain = 1.0;          // R R = R0 exp(g (s - 0.5))
  double venous_unstressed_shift_mL = 500.0;  // R +-500 mL capacitance mobilisation
  // Cardiopulmonary (low-pressure) reflex: the vascular arm's target also falls as CVP rises.
  // Nonhypotensive LBNP lowers CVP and raises muscle sympathetic activity and forearm and
  // splanchnic resistance at unchanged MAP and HR (Victor & Leimbach 1987; Hirsch 1989; Floras 2001;
  // Sundlof & Wallin 1978), so the term enters the vascular arm only.
  double cvp_set_point_mmHg = 3.1;            // D the model's healthy supine CVP (healthy_cvp check): s* = 0.5 at rest
  double cvp_slope_mmHg = 2.5;                // C calibrated in 1.2-5 (rows barely differ); LBNP -5..-15: CVP falls, MSNA +61..+149% (Victor & Leimbach 1987)
  double cvp_term_bound = 2.0;                // R |CVP term| <= 2 (receptors saturate; linear over CVP 6 -> -1, Pawelczyk & Raven 1989)
  // Resetting: the arterial set point follows the prevailing MAP partially over hours to days
  // (baroreceptor firing falls back toward control over 1-2 days at a sustained pressure, Guyton &
  // Hall; resetting is rarely complete, Kougias 2010; Chapleau, Hajduczok & Abboud).
  double reset_fraction = 0.3;                // C calibrated on BEH-LAC24, OBS-1 (0.5-0.7: OBS-1 PPV breakpoint out); partial (Kougias 2010)
  double reset_time_constant_h = 12.0;        // R first-order; 1-2 days to settle (Guyton & Hall)
};

// Norepinephrine pharmacokinetics and pharmacodynamics (docs/model/norepinephrine.md).
struct NorepinephrineParams {
  double volume_L = 8.8;                         // D Beloeil 2005: V = t1/2 CL / ln 2
  double clearance_at_saps20_L_per_min = 3.0;    // V Beloeil 2005
  double clearance_saps_exponent = 1.096;        // D log-log line through (20, 3.0) and (60, 0.9)
  double effect_site_half_life_min = 0.3;        // C Joachim 2024 ~25 s lag (ln2 / ke0)
  double endogenous_production_ug_per_min = 0.38;  // D Ensinger 1992 baseline 0.2 ug/L x CL 1.9
  double endogenous_sympathetic_log_gain = 3.5;  // D septic endogenous ~1.5 ug/L (Abboud 2009)
  // Hill curves on effect-site concentration (healthy; sepsis shifts them).
  double resistance_ec50_ug_per_L = 2.6;         // C Joachim 2024 MAP EC50
  double resistance_hill = 1.46;                 // C Joachim 2024
  double resistance_emax_log = 0.52;             // R calibrated (tools/calibrate_ne): R x exp(Emax H)
  double venous_ec50_ug_per_L = 2.04;            // R calibrated
  double venous_hill = 3.45;                     // R calibrated (steep venous arm)
  double venous_unstressed_shift_mL = 1913.0;    // R calibrated; splanchnic reservoir (Gelman 2008)
  double venous_compliance_loss = 0.25;          // R venoconstriction stiffens veins (Rothe 1983)
  double cardiac_ec50_ug_per_L = 6.1;            // C Joachim 2024 CO EC50
  double cardiac_hill = 2.3;                     // C Joachim 2024
  double contractility_emax = 0.10;              // R calibrated
  double heart_rate_emax_bpm = 8.0;              // R modest beta-1 chronotropy
};

// Vasoactive drugs other than NE and the non-crystalloid fluids (docs/model/drugs.md).
// PK: one linear compartment each; PD: Hill curves on plasma concentration (or, for
// nitroglycerin, whose plasma levels are not a useful measure, on an effect compartment that
// follows the infusion rate).
struct DrugParams {
  // Vasopressin (V1 receptors: catecholamine-independent arteriolar constriction).
  double vasopressin_ss_pg_per_mL_per_U_per_min = 3000.0;  // D Landry 1997: 0.01 U/min -> ~30 pg/mL
  double vasopressin_half_life_min = 15.0;                 // R plasma t1/2 10-20 min (label)
  double vasopressin_resistance_emax_log = 0.75;           // R calibrated: 0.04 U/min SVR 644 -> 1187 (Landry 1997)
  double vasopressin_resistance_ec50_pg_per_mL = 40.0;     // R calibrated (Landry 1997 0.01 vs 0.04 U/min)
  double vasopressin_resistance_hill = 1.5;                // R
  double vasopressin_micro_emax = 0.10;                    // R modest precapillary V1 constriction
  // Epinephrine (alpha-1 like NE, stronger beta-1, beta-2 aerobic glycolysis -> lactate).
  double epinephrine_clearance_L_per_h = 127.0;            // V Abboud 2009 at 70 kg, SAPS II 50
  double epinephrine_clearance_weight_exponent = 0.60;     // V Abboud 2009
  double epinephrine_clearance_saps_exponent = -0.67;      // V Abboud 2009
  double epinephrine_half_life_min = 3.5;                  // V Abboud 2009
  double epinephrine_alpha_potency = 2.0;                  // D x NE per ug/L: equal doses equipotent (Myburgh 2008) at CL ratio ~2
  double epinephrine_beta_potency = 5.0;                   // R x NE per ug/L on the cardiac arm
  double epinephrine_lactate_emax_mmol_per_kg_h = 2.0;     // R Levy 1997: lactate +2-3 mmol/L within hours
  double epinephrine_lactate_ec50_ug_per_L = 5.0;          // R
  // Dobutamine (beta-1 inotropy/chronotropy, beta-2 vasodilation, direct microvascular effect).
  double dobutamine_volume_L_per_kg = 0.2;                 // R product label Vd 0.2 L/kg
  double dobutamine_half_life_min = 2.0;                   // V product label t1/2 ~2 min
  double dobutamine_ec50_ug_per_L = 100.0;                 // R 5 ug/kg/min -> ~70 ug/L (Kates 1978 order)
  double dobutamine_hill = 1.5;                            // R
  double dobutamine_contractility_emax = 0.7;              // R calibrated: CI +20-30% at 5 ug/kg/min (Enrico 2012)
  double dobutamine_heart_rate_emax_bpm = 25.0;            // R HR rises (Enrico 2012, Hernandez 2013)
  double dobutamine_resistance_emax_log = 0.35;            // R beta-2: SVR falls, MAP ~unchanged (Enrico 2012)
  double dobutamine_venous_return_emax_log = 0.5;          // R beta-2 lowers venous-return resistance (Green 1977)
  double dobutamine_micro_emax = 0.50;                     // R drive x (1 + E H): perfusion 48 -> 67% (De Backer 2006)
  // Nitroglycerin (NO donor: venodilation, arterial dilation at higher doses, microvascular recruitment).
  double nitroglycerin_half_life_min = 2.5;                // R t1/2 1-4 min (label)
  double nitroglycerin_venous_ec50_ug_per_min = 40.0;      // R venodilation at low doses
  double nitroglycerin_venous_shift_mL = 600.0;            // R unstressed volume gained (Pmsf falls)
  double nitroglycerin_arterial_ec50_ug_per_min = 150.0;   // R arterial dilation at higher doses
  double nitroglycerin_resistance_emax_log = 0.35;         // R
  double nitroglycerin_micro_ec50_ug_per_min = 60.0;       // R Lima 2014: CRT 9.4 -> 4.8 s at 2-16 mg/h
  double nitroglycerin_micro_emax = 0.6;                   // R drive x (1 + E H)
  double nitroglycerin_skin_emax = 2.0;                    // C skin drive x (1 + E H): NTG-1 (Lima 2014)
  double nitroglycerin_hill = 1.5;                         // R
  // Fluids.
  double albumin_5pct_g_per_L = 50.0;                      // V 5% albumin
  double albumin_20pct_g_per_L = 200.0;                    // V 20% albumin
  double packed_cells_haematocrit = 0.60;                  // V packed red cells (SAGM) Hct 0.55-0.65
};

// Sepsis as a process: an inflammation level I (0..1) follows a severity course.
struct SepsisParams {
  double inflammation_time_constant_min = 120.0;  // R hours-scale course
  double vasoplegia_log = 1.1;                    // R R x exp(-k I): SVR ~ 1/3 at I = 1
  double venodilation_mL = 600.0;                 // R unstressed volume gained at I = 1
  double myocardial_depression = 0.35;            // R elastance x (1 - k I)
  double tachycardia_bpm = 30.0;                  // R fever / inflammation
  double baroreflex_impairment = 0.7;             // R gains x (1 - k I); Annane 1999: BRS depressed
  double ne_ec50_shift = 9.03;                    // R calibrated: EC50 x (1 + k I), hyporesponsiveness
  double ne_emax_loss = 0.50;                     // R calibrated: Emax x (1 - k I - k6 I^6)
  double ne_emax_loss_severe = 0.43;              // R k6: refractory shock at the severe end (Oualha 2014)
  double ne_hill_sepsis_gain = 2.96;              // R resistance Hill n = n0 + g I (steeper in sepsis)
  double filtration_gain = 0.37;                  // R calibrated: Kf x (1 + k I), capillary leak
  double reflection_loss = 0.15;                  // R sigma - k I (moderate: day-1 balance +3-5 L)
  double protein_permeability_gain = 1.0;         // R PS x (1 + k I): albumin escape ~2x (Fleck 1985 up to 3x)
  double metabolic_gain = 0.15;                   // R VO2 demand x (1 + k I)
  double il6_baseline_pg_per_mL = 2.0;            // R
  double il6_gain_pg_per_mL = 1500.0;             // R septic shock IL-6 ~ 10^2 - 10^4
  double il6_half_life_min = 120.0;               // R
  // Disease course (docs/model/sepsis.md, "Infection and host response"). The infection load B
  // (1 = the load that drives half the patient's maximal host response) grows and is cleared:
  //   dB/dt = B [r (1 - B/B_max) (1 - source control) - c - k_abx antibiotics - k_sc source control] / 60
  // and the host response drives the inflammation target S = severity B^n / (B^n + 1).
  double infection_growth_per_h = 0.15;           // R net pathogen growth before treatment
  double infection_capacity = 20.0;               // R B_max, load where growth stops (nutrient/space limit)
  double host_clearance_per_h = 0.10;             // R innate clearance; > growth: the infection resolves alone
  double antibiotic_kill_per_h = 0.07;            // D PCT t1/2 22-35 h and IL-6 falls over 48-72 h in survivors (Weidhase 2019)
  double source_control_clearance_per_h = 0.20;   // R drainage removes the nidus (growth stops, load drained)
  double host_response_hill = 2.0;                // R steep: shock persists until the load is mostly cleared
  // Endothelial and glycocalyx injury E (0..1): follows inflammation fast while it rises and
  // recovers slowly (shedding within hours, regeneration over days); drives leak and the
  // microvascular injury in place of I.
  double endothelial_injury_time_constant_min = 1.0;      // R shedding keeps pace with rising inflammation (sheddases act within minutes); keeps the scripted-severity calibration
  double endothelial_recovery_time_constant_min = 2880.0; // R glycocalyx regrowth over days (Potter 2009: 5-7 days)
  double endothelial_switch_width = 0.0005;               // R width of the smooth switch between the two rates
};

// Fluids: Starling filtration, lymph, plasma protein, urine (docs/model/fluids.md).
struct FluidParams {
  double interstitial_volume_mL_per_kg = 170.0;       // V textbook ISF ~ 12 L
  double interstitial_pressure_mmHg = -2.0;           // V Guyton
  double interstitial_compliance_low_mL_per_mmHg = 600.0;    // R tight near normal volume
  double interstitial_compliance_high_mL_per_mmHg = 8000.0;  // R oedema: compliant
  double interstitial_pressure_span_mmHg = 3.0;       // R transition width
  double filtration_coefficient_mL_per_min_mmHg = 1.0;  // R calibrated (bolus t1/2, Nunes 2014)
  double reflection_coefficient = 0.9;                // R
  double plasma_protein_g_per_dL = 7.0;               // V textbook
  double lymph_flow_mL_per_kg_h = 4.7;                // V prenodal lymph ~8 L/day (Renkin)
  double protein_escape_fraction_per_h = 0.05;        // R albumin escape 5 %/h (Fleck 1985)
  double lymph_gain_mL_per_min_mmHg = 2.0;            // R lymph rises steeply with Pi
  double urine_mL_per_kg_h = 1.0;                     // V textbook (healthy urine; the kidney, kidney.hpp, makes it)
  double insensible_mL_per_kg_h = 0.5;                // V textbook
  double venoconstricted_exchange_fraction = 0.3;     // R splanchnic share of the filtering beds (Gelman 2008)
};

// Oxygen delivery, consumption and lactate (docs/model/oxygen.md).
struct OxygenParams {
  double mchc_g_per_dL = 33.3;                 // V Hb = Hct x MCHC
  double arterial_saturation_fraction = 0.97;  // V
  double arterial_po2_mmHg = 90.0;             // V
  double vo2_mL_per_kg_min = 3.0;              // V Lieberman 2000
  double max_extraction_fraction = 0.6;        // V critical O2ER ~0.6 (Ronco 1993): DO2crit = VO2 / 0.6
  double supply_dependence_smoothing = 0.05;   // R smooth min width, fraction of demand
  // Beds whose capillaries are not perfused (1 - extraction capacity) meet only part of their
  // demand by diffusion from perfused neighbours, whatever the global DO2.
  double nonperfused_unmet_fraction = 0.10;    // R fitted: UNT-1, MAP-1/MAP-2 VO2 (calibration)
  double lactate_per_o2_deficit = 1.0;         // R mmol lactate per mmol O2 shortfall
  double lactate_volume_L_per_kg = 0.285;      // V 270-300 mL/kg
  double lactate_clearance_mL_per_kg_h = 1002.0;  // V Levraut 1998 (normal-lactate group)
  double renal_lactate_clearance_fraction = 0.2;  // V/R kidney ~20-30% of lactate removal (Bellomo 2002 review)
  double basal_lactate_mmol_per_kg_h = 0.4;       // D 0.5 mmol/L x clearance (Lieberman 2000) minus the resting adrenergic part
  double septic_lactate_mmol_per_kg_h = 1.1;      // D Levraut 1998: 1.19 total in stable sepsis (I 0.4), with the adrenergic part
  // Aerobic adrenergic glycolysis (beta-2, muscle Na/K-ATPase; Levy 2008): a Hill curve on the
  // epinephrine-equivalent beta-2 concentration (the drugs' epinephrine Emax/EC50).
  double ne_beta2_potency = 0.02;              // R exogenous NE ~1/20 of epinephrine on lactate (Stainsby 1984: NE infusion, no rise)
  double endogenous_beta2_per_ne = 1.5;        // R fitted to UNT-1: sympatho-adrenal epinephrine rises with NE in shock
  // The glycolytic drive follows its target (inflammation + adrenergic) slowly.
  double glycolytic_drive_time_constant_min = 120.0;  // R fitted: plan 4.2 24-h fall (calibration)
  double reference_cardiac_index_mL_per_kg_min = 75.0;  // D CO 5.25 L/min for 70 kg
  double hepatic_flow_half_saturation = 0.35;  // R clearance falls when flow < ~50% of normal
  // Splanchnic (hepatic) flow: a share of CO that sympathetic vasoconstriction lowers.
  double splanchnic_sympathetic_log_gain = 1.0;  // R flow x exp(-g (s - 0.5)): -40% at full activation (Price 1966 order)
  // Slow septic hepatic dysfunction: dysfunction D follows inflammation and hepatic hypoperfusion.
  double hepatic_dysfunction_inflammation = 0.15;   // R clearance -30% at I = 1 once developed (Levraut's impaired group -53%)
  double hepatic_dysfunction_ischaemia = 0.5;      // R ischaemic hepatitis when splanchnic flow < half
  double hepatic_dysfunction_time_constant_min = 720.0;  // R develops over ~12 h
};

// Kidney: renal autoregulation, GFR, septic AKI, creatinine, urine, RRT (docs/model/kidney.md).
struct KidneyParams {
  double gfr_mL_per_min = 110.0;                   // V normal adult GFR ~100-120 mL/min (textbook)
  double autoregulation_lower_limit_mmHg = 64.0;   // D septic lower limit MAP ~72 (plan 4.7, Badin 2011) minus CVP 8; fitted to KID-1
  double autoregulation_strength = 0.9;            // R healthy plateau: flow rises 10% of pressure's rise
  double autoregulation_injury_loss = 0.5;         // R AKI flattens the plateau (pressure-passive, Badin 2011)
  double autoregulation_smoothing = 0.06;          // R corner width of the plateau
  double filtration_flow_threshold = 0.6;          // R GFR stops when renal flow < ~45% of normal
  double volume_diuresis_gain = 2.0;               // R urine x exp(g (V_pl / V_pl0 - 1)) (as before)
  double injury_gfr_loss = 0.75;                   // R GFR x (1 - k J)
  double injury_inflammation_rate_per_h = 0.04;    // R septic AKI develops over a day (Rodrigo 2016: 74-82% in shock)
  double injury_hypoperfusion_rate_per_h = 0.15;   // R renal flow below the plateau injures faster (Maheshwari 2018)
  double injury_recovery_rate_per_h = 0.01;        // R recovery over days to weeks
  double creatinine_generation_mg_per_kg_day = 20.0;  // V textbook 15-25 mg/kg/day (muscle), Cockcroft-Gault basis
  double creatinine_volume_L_per_kg = 0.6;         // V total body water
};
// Capillary networks: 5 sublingual sites and the skin (docs/model/microcirculation.md).
struct MicrocirculationParams {
  bool operator==(const MicrocirculationParams&) const = default;
  // Geometry of one sublingual field (SDF MicroScan-like optics).
  double field_width_um = 940.0;                    // V issue 3 / device field ~0.94 x 0.75 mm
  double field_height_um = 750.0;                   // V
  double small_vessel_density_mm_per_mm2 = 18.5;    // V healthy TVD 16.7 (Edul 2012) - 21 (2009 study)
  double capillary_diameter_min_um = 5.0;           // V capillaries 5-10 um
  double capillary_diameter_max_um = 10.0;          // V
  double medium_vessel_fraction = 0.15;             // D 11-20 um share of small-vessel length (5.2/26.5)
  double capillary_length_mean_um = 170.0;          // R visible capillary segments
  int venules_per_site = 2;                         // R
  double venule_diameter_min_um = 22.0;             // V venules 20-50 um
  double venule_diameter_max_um = 45.0;             // V
  // Flow.
  double capillary_velocity_um_per_s = 1330.0;      // V healthy RBC velocity 1332 (Edul 2012)
  double velocity_log_sd = 0.25;                    // R vessel-to-vessel spread
  double autoregulation_index = 0.8;                // R healthy flow ~ P^(1 - 0.8)
  double autoregulation_loss = 0.9;                 // R fraction lost at I = 1 (septic loss)
  double opening_threshold = 0.22;                  // R drive below which a capillary stops
  double threshold_log_sd = 0.35;                   // R vessel-to-vessel spread of thresholds
  double sepsis_threshold_gain = 1.3;               // R obstruction: threshold x (1 + g I injury)
  double unit_log_sd_healthy = 0.08;                // R arteriolar-unit heterogeneity
  double unit_log_sd_sepsis = 0.45;                 // R added at I = 1 x injury
  double site_log_sd_healthy = 0.03;                // R site-to-site heterogeneity
  double site_log_sd_sepsis = 0.10;                 // R added at I = 1 x injury
  double unit_size_um = 180.0;                      // R arteriolar territory
  double stop_go_width = 0.15;                      // R flow margin over which flow is stop-go
  double stop_go_period_min_s = 2.0;                // R
  double stop_go_period_max_s = 8.0;                // R
  // Norepinephrine on precapillary arterioles (the microcirculatory arm; the cliff).
  double ne_ec50_ug_per_L = 42.5;                   // R calibrated: the cliff at 0.6-0.9 ug/kg/min (Dai 2026)
  double ne_hill = 8.0;                             // R steep high-concentration arm
  double ne_emax = 0.55;                            // R maximal fractional drive loss
  double ne_ec50_sepsis_shift = 1.0;                // R EC50 x (1 + k I) / sensitivity^e
  double ne_sensitivity_exponent = 0.0;             // R e: the arterioles do not follow pressor sensitivity
  // Acidosis blunts alpha-1 constriction (metabolic escape): the arteriolar NE E_max is scaled by
  // the alpha-1 contraction left at the arterial pH (Ives 2013), pH from lactate below.
  double acidosis_escape = 1.0;                     // R share of Ives' loss applied (1 = all, 0 = none)
  double acidosis_paco2_mmHg = 40.0;                // R ventilated patients, PaCO2 kept normal
  double acidosis_reference_bicarbonate_mmol_per_L = 24.0;  // V normal plasma bicarbonate
  double acidosis_reference_lactate_mmol_per_L = 1.0;       // V normal lactate; HCO3 falls 1:1 above it (D)
  // Red cells in capillaries.
  double tube_haematocrit_ratio = 0.5;              // R Fahraeus effect in capillaries
  double skimming_log_sd = 0.5;                     // R plasma skimming at normal haematocrit
  double skimming_dilution_exponent = 2.5;          // R skimming sd x (Hct_ref / Hct)^k (Pries)
  double rbc_volume_um3 = 90.0;                     // V mean corpuscular volume 90 fL
  double reference_haematocrit = 0.42;              // V normal adult: skimming and viscosity reference
  // Tissue pressure and oedema.
  double tissue_pressure_offset_mmHg = 4.0;         // R sublingual tissue pressure above interstitial
  double tissue_compression_per_mmHg = 0.12;        // R thresholds rise as tissue pressure rises
  double mucosal_swelling_mmHg_per_L = 0.8;         // R confined mucosa: tissue pressure per L of oedema
  // Observation.
  double window_s = 4.0;                            // V DESIGN.md flow-class window
  // Skin (capillary refill, mottling).
  double skin_sympathetic_log_gain = 0.6;           // R skin arterioles: strong sympathetic tone
  double skin_autoregulation_index = 0.0;           // C weak skin autoregulation (Jhanji 2009; plan 4.5)
  double skin_ne_ec50_ug_per_L = 42.5;              // R as sublingual: no net skin closure at NE 0.2-0.4 (Jhanji 2009)
  double skin_ne_emax = 0.65;                       // R skin arterioles close more completely
  double skin_sepsis_factor = 0.15;                 // R skin capillaries less obstructed (CRT 2-6 s)
  double skin_ne_hill = 2.5;                        // R gradual skin arm (mottling r = 0.36, Dai)
  double crt_healthy_s = 1.5;                       // V 1.2-1.8 s (Schriger & Baraff 1988), at age 50
  double crt_age_slope_per_year = 0.008;            // D 1.2 s at ~25 y, 1.8 s at ~75 y (Schriger & Baraff 1988)
  double baroreflex_age_slope_per_year = 0.01;      // R gain x (1 - k (age - 50)) (Gribbin 1971)
  double crt_flow_exponent = 0.7;                   // R CRT ~ skin flow^-k
  double crt_min_flow_index = 0.08;                 // R CRT ~ ((F + F0) / (1 + F0))^-k: ~9 s when skin flow stops
  // Coupling to oxygen extraction.
  double extraction_perfusion_exponent = 1.0;       // R capacity ~ perfused fraction^k
  double extraction_heterogeneity_loss = 0.3;       // R shunting by heterogeneous flow
  double extraction_oedema_loss_per_L = 0.05;       // R longer diffusion distance
};

// Patient characteristics that vary between virtual patients.
struct PatientParams {
  // The reference patient; cohorts draw these per patient (docs/trials.md gives each draw's source).
  double weight_kg = 70.0;       // D the 70 kg reference adult of every default in this file
  double saps2 = 30.0;           // D 10..120; 30 reproduces Ensinger's healthy NE CL 1.9 L/min
  double ne_sensitivity = 1.0;   // R EC50 / sensitivity; cohorts span 0.1x - 10x (Joosten)
  double hepatic_function = 1.0; // V multiplies lactate clearance; 0.47 = Levraut impaired group
  double baroreflex_gain = 1.0;  // R 1 intact; sedation/anaesthesia blunt it (~0.5)
  double baseline_intake_mL_per_h = 0.0;  // R oral/enteral water intake (none in the ICU reference)
  double microvascular_injury = 1.0;       // R 0 sepsis spares capillaries, 1 typical, 2 severe
  // Chronic hypertension: remodelled resistance vessels (R x usual/90), baroreflex reset to the
  // usual MAP, and the capillaries' autoregulation reference moved with it (Xu 2015).
  double usual_map_mmHg = 90.0;  // V normotensive adult MAP ~90 (textbook)
  // Age: baroreflex sensitivity falls ~1%/year (Gribbin 1971, R) and healthy capillary refill
  // lengthens (Schriger & Baraff 1988: ~1.2 s young adults, 1.5-1.8 s elderly). 50 = reference.
  double age_years = 50.0;       // R reference age of the defaults (Gribbin 1971; Schriger & Baraff 1988)
  double cardiac_contractility = 1.0;      // R x normal end-systolic elastance (septic cardiomyopathy < 1)
  double ventricular_stiffness = 1.0;      // R x normal diastolic stiffness (diastolic dysfunction > 1)
};

struct ModelParams {
  PatientParams patient;
  HemodynamicParams hemodynamics;
  BaroreflexParams baroreflex;
  NorepinephrineParams norepinephrine;
  DrugParams drugs;
  SepsisParams sepsis;
  FluidParams fluids;
  OxygenParams oxygen;
  KidneyParams kidney;
  MicrocirculationParams micro;
};

// The weight scaling of the reference adult: volumes and compliances x (w/70), resistances and
// elastances x (70/w), clearance x (w/70)^0.75 (allometric, as Oualha 2014).
double weight_scale(const ModelParams& p);

// Scaling of vessel capacities (unstressed volumes): weight x (normal blood volume per kg / 70),
// so that a patient whose normal blood volume is lower per kg has smaller vessels, not a
// permanently empty circulation.
double capacity_scale(const ModelParams& p);

// Norepinephrine clearance in L/min for the patient's SAPS II and weight.
double ne_clearance_L_per_min(const ModelParams& p);

}  // namespace coherence::model
