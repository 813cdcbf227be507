#include "validation/interventions.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <numeric>
#include <string>
#include <thread>

#include "model/kidney.hpp"
#include "model/microcirculation.hpp"
#include "model/simulator.hpp"
#include "stats/tests.hpp"
#include "trial/cohort.hpp"

namespace coherence::validation {

using model::Inputs;
using model::ModelParams;
using model::Simulator;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kBlockMin = 30.0;  // the titration interval of usual care
// A dose is kept when MAP at the end of its block is within this of the target (a bedside
// titration aims at a few mmHg; 1 mmHg keeps the arms' MAPs apart from the targets by far less than
// the studies' steps of 10-20 mmHg).
constexpr double kTitrationToleranceMmHg = 1.0;

// ---------------------------------------------------------------------------------------------
// The cohort

// A normal (centre = mean, spread = SD) or lognormal (centre = median, spread = SD of the log)
// variable truncated to [lo, hi].
trial::CohortVariable truncated(const char* key, trial::Distribution d, double centre, double spread, double lo,
                                double hi) {
  trial::CohortVariable v;
  v.key = key;
  v.distribution = d;
  (d == trial::Distribution::kNormal ? v.mean : v.median) = centre;
  (d == trial::Distribution::kNormal ? v.sd : v.sd_log) = spread;
  v.min = lo;
  v.max = hi;
  return v;
}

trial::CohortVariable normal(const char* key, double mean, double sd, double lo, double hi) {
  return truncated(key, trial::Distribution::kNormal, mean, sd, lo, hi);
}

trial::CohortVariable lognormal(const char* key, double median, double sd_log, double lo, double hi) {
  return truncated(key, trial::Distribution::kLognormal, median, sd_log, lo, hi);
}

trial::CohortVariable uniform(const char* key, double lo, double hi) {
  trial::CohortVariable v;
  v.key = key;
  v.distribution = trial::Distribution::kUniform;
  v.min = lo;
  v.max = hi;
  return v;
}

// ---------------------------------------------------------------------------------------------
// Usual care and the measurements

struct Reading {
  double map = 0, hr = 0, co_L = 0, ci = 0, vo2 = 0, do2 = 0, lactate = 0, urine_mL_h = 0, ne = 0;
  double mfi = 0, ppv = 0, pvd = 0, tvd = 0, crt = 0, mottling = 0;
  double creatinine = 0, aki_stage = 0;
  double inflammation = 0, perfusion_ratio = 0, skin_flow = 0;
};

// Body surface area from weight alone (Livingston & Lee 2001: 0.1173 W^0.6466 m2), for the
// cardiac index the studies report.
double bsa_m2(double weight_kg) { return 0.1173 * std::pow(weight_kg, 0.6466); }

struct Course {
  const CohortPatient* patient = nullptr;
  std::shared_ptr<const model::Network> net;
  std::unique_ptr<Simulator> sim;
  Inputs in;  // what runs now (NE is the titrated part)

  Course branch() const { return Course{patient, net, sim->branch(), in}; }

  Reading read() const {
    const auto o = sim->observe();
    const auto m = model::evaluate_network(patient->params.micro, *net, o.micro_drivers, sim->time_min() * 60.0);
    Reading r;
    r.map = o.circulation.arterial_mmHg;
    r.hr = o.tone.heart_rate_bpm;
    r.co_L = o.circulation.lv_output_mL_per_min / 1000.0;
    r.ci = r.co_L / bsa_m2(patient->params.patient.weight_kg);
    r.vo2 = o.oxygen.consumption_mL_per_min;
    r.do2 = o.oxygen.delivery_mL_per_min;
    r.lactate = sim->state()[model::kLactate];
    r.urine_mL_h = o.fluids.urine_mL_per_min * 60.0;
    r.ne = in.ne_dose_ug_per_kg_min;
    r.mfi = m.mean.mfi;
    r.ppv = m.mean.ppv_pct;
    r.pvd = m.mean.pvd_mm_per_mm2;
    r.tvd = m.mean.tvd_mm_per_mm2;
    r.crt = m.crt_s;
    r.mottling = m.mottling_score;
    r.creatinine = sim->state()[model::kCreatinine];
    r.aki_stage = model::kdigo_creatinine_stage(r.creatinine, model::healthy_creatinine_umol_per_L(patient->params));
    r.inflammation = o.micro_drivers.inflammation;
    r.perfusion_ratio = o.micro_drivers.perfusion_ratio;
    r.skin_flow = m.skin_flow_index;
    return r;
  }

  // Run `minutes` with the current inputs.
  void hold(double minutes) {
    const double t = sim->time_min() + minutes;
    sim->set_inputs(in, t);
    sim->advance_to(t);
  }

  // One block of usual care: the NE dose (held for the block) that brings MAP to `target` at
  // its end, found on branches by the secant method (none if MAP is above target without NE).
  void titrate(double target, double minutes = kBlockMin) {
    auto map_with = [&](double dose) {
      Course trial = branch();
      trial.in.ne_dose_ug_per_kg_min = dose;
      trial.hold(minutes);
      return trial.sim->observe_circulation().circulation.arterial_mmHg - target;
    };
    double d0 = in.ne_dose_ug_per_kg_min;
    double f0 = map_with(d0);
    if (std::abs(f0) > kTitrationToleranceMmHg) {
      double d1 = f0 < 0 ? d0 * 1.3 + 0.02 : d0 * 0.7;
      double f1 = map_with(d1);
      for (int i = 0; i < 12 && std::abs(f1) > kTitrationToleranceMmHg; ++i) {
        double d2 = (f1 != f0) ? d1 - f1 * (d1 - d0) / (f1 - f0) : d1 * 1.1 + 0.01;
        d2 = std::clamp(d2, 0.0, 5.0);
        if (d2 == 0.0 && f1 > 0 && d1 == 0.0) break;  // above target without NE
        d0 = d1;
        f0 = f1;
        d1 = d2;
        f1 = map_with(d1);
      }
      d0 = d1;
    }
    in.ne_dose_ug_per_kg_min = d0;
    hold(minutes);
  }

  // Usual care (NE titrated to `target` every 30 min) until time t_min; antibiotics from the
  // patient's time on (a block ends there).
  void usual_care_until(double t_min, double target = 65.0) {
    while (sim->time_min() < t_min - 1e-9) {
      const double now = sim->time_min();
      in.antibiotics = now >= patient->antibiotics_min - 1e-9 ? 1.0 : 0.0;
      double block = std::min(kBlockMin, t_min - now);
      if (in.antibiotics == 0.0) block = std::min(block, patient->antibiotics_min - now);
      titrate(target, block);
    }
  }
};

// Maintenance 1.5 mL/kg/h (as experiments.cpp's maintenance_inputs).
double maintenance_mL_per_min(const CohortPatient& pt) { return 1.5 * pt.params.patient.weight_kg / 60.0; }

// A bolus of `mL` crystalloid over `minutes` on top of maintenance, NE titrated to 65.
void bolus(Course& c, double mL, double minutes) {
  c.in.crystalloid_mL_per_min = maintenance_mL_per_min(*c.patient) + mL / minutes;
  c.usual_care_until(c.sim->time_min() + minutes);
  c.in.crystalloid_mL_per_min = maintenance_mL_per_min(*c.patient);
}

// Titrated steps: MAP `target` for `minutes` (in 30-min blocks), returning the reading at its end.
Reading step(Course& c, double target, double minutes) {
  c.usual_care_until(c.sim->time_min() + minutes, target);
  return c.read();
}

// ---------------------------------------------------------------------------------------------
// Statistics over patients

double median(std::vector<double> x) {
  x.erase(std::remove_if(x.begin(), x.end(), [](double v) { return std::isnan(v); }), x.end());
  if (x.empty()) return kNaN;
  std::sort(x.begin(), x.end());
  const std::size_t n = x.size();
  return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

double mean(const std::vector<double>& x) {
  double s = 0;
  int n = 0;
  for (double v : x) {
    if (!std::isnan(v)) {
      s += v;
      ++n;
    }
  }
  return n ? s / n : kNaN;
}

// Sample standard deviation (n - 1) of the values present.
double sd(const std::vector<double>& x) {
  const double m = mean(x);
  double ss = 0;
  int n = 0;
  for (double v : x) {
    if (std::isnan(v)) continue;
    ss += (v - m) * (v - m);
    ++n;
  }
  return n > 1 ? std::sqrt(ss / (n - 1)) : kNaN;
}

double pct(double after, double before) { return 100.0 * (after - before) / before; }

// Pairs with both values present.
std::pair<std::vector<double>, std::vector<double>> pairs(const std::vector<double>& x, const std::vector<double>& y) {
  std::pair<std::vector<double>, std::vector<double>> p;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!std::isnan(x[i]) && !std::isnan(y[i])) {
      p.first.push_back(x[i]);
      p.second.push_back(y[i]);
    }
  }
  return p;
}

double spearman_rho(const std::vector<double>& x, const std::vector<double>& y) {
  const auto [a, b] = pairs(x, y);
  return a.size() >= 5 ? stats::spearman(a, b).r : kNaN;
}

double r_squared(const std::vector<double>& x, const std::vector<double>& y) {
  const auto [a, b] = pairs(x, y);
  if (a.size() < 5) return kNaN;
  const double r = stats::pearson(a, b).r;
  return r * r;
}

int count(const std::vector<double>& x) {
  return static_cast<int>(std::count_if(x.begin(), x.end(), [](double v) { return !std::isnan(v); }));
}

// ---------------------------------------------------------------------------------------------
// Per-patient protocols of the studies. Each returns the patient's values (NaN where the patient
// is not in the study's population); the studies then summarise across patients.

struct PatientOutcomes {
  // MAP-1 / MAP-3 / MAP-2: 30-min titrated steps 65 -> 75 -> 85 (-> 65) at 12 h.
  Reading map65, map75, map85, map65_back;
  // KID-1: 2-h steps 65 -> 75 -> 85 at 12 h.
  Reading kid65, kid75, kid85;
  // MAP-4: 4 h at MAP 65 vs 4 h at MAP 85 from 12 h (counterfactual arms).
  Reading bourgoin_low, bourgoin_high;
  // MAP-5: 65 -> the patient's usual MAP (30 min), hypertensives only.
  Reading xu65, xu_usual;
  bool hypertensive = false;
  // FL-1: 1000 mL over 30 min at 12 h and at 60 h; 30 min after the end.
  Reading fl_early_before, fl_early_after, fl_late_before, fl_late_after;
  // FL-3: 500 mL over 30 min at 18 h.
  Reading fl3_before, fl3_after;
  double fl3_sv_before = 0, fl3_sv_after = 0;
  // DOB-3: 2.5 h of dobutamine 5 ug/kg/min vs placebo from 12 h.
  Reading dob_base, dob_drug, dob_placebo;
  // DOB-2 / DOB-1: the same dobutamine branch at 30 min and at 2 h.
  Reading dob_30, dob_120;
  // SKIN-NE: NE titrated to MAP 55, then to 65 (30 min each) at 12 h.
  Reading skin55, skin65;
  // NTG-2: NTG 0.5 mg + 2 mg/h vs placebo for 24 h from 6 h.
  Reading ntg_base, ntg_drug, ntg_placebo;
  // VP-2: MAP 70 at 12 h, then vasopressin 0.04 U/min vs placebo for 6 h (NE titrated to 70).
  Reading vp_base, vp_drug, vp_placebo;
  // UNT-1: untreated, 3 h after onset (at admission).
  Reading untreated;
  // BEH-LAC: at the end of the 2-h fluid load (MAP restored) and 30 min later.
  Reading restored, restored_30;
  // BEH-LAC24: 24 h after the end of the fluid load. BEH-AKI: at 72 h.
  Reading restored_24h, end_72h;
};

PatientOutcomes run_patient(const CohortPatient& pt) {
  PatientOutcomes out;
  Course c = [&] {
    Course c0;
    c0.patient = &pt;
    c0.net = std::make_shared<model::Network>(model::generate_network(pt.params.micro, pt.network_seed));
    c0.sim = std::make_unique<Simulator>(pt.params, 0.0);
    c0.in.sepsis_severity = pt.severity;
    c0.in.infection_course = true;
    c0.sim->inoculate(pt.pathogen_load);
    c0.hold(kAdmissionMin);
    return c0;
  }();
  out.untreated = c.read();
  c.in.crystalloid_mL_per_min = 30.0 * pt.params.patient.weight_kg / 120.0 + maintenance_mL_per_min(pt);
  c.usual_care_until(kAdmissionMin + 120.0);
  c.in.crystalloid_mL_per_min = maintenance_mL_per_min(pt);
  out.restored = c.read();
  c.usual_care_until(kAdmissionMin + 150.0);
  out.restored_30 = c.read();

  // 6 h: NTG-2.
  c.usual_care_until(360.0);
  {
    Course drug = c.branch();
    Course placebo = c.branch();
    out.ntg_base = c.read();
    drug.in.nitroglycerin_ug_per_min = 500.0;  // 0.5 mg over 1 min
    drug.hold(1.0);
    drug.in.nitroglycerin_ug_per_min = 2000.0 / 60.0;
    drug.usual_care_until(drug.sim->time_min() + 24 * 60.0 - 1.0);
    placebo.usual_care_until(placebo.sim->time_min() + 24 * 60.0);
    out.ntg_drug = drug.read();
    out.ntg_placebo = placebo.read();
  }

  // 12 h: the MAP, kidney, dobutamine, vasopressin and early fluid studies.
  c.usual_care_until(720.0);
  {
    Course s = c.branch();
    out.map65 = step(s, 65, 30);
    out.map75 = step(s, 75, 30);
    out.map85 = step(s, 85, 30);
    out.map65_back = step(s, 65, 30);
  }
  {
    Course s = c.branch();
    out.kid65 = step(s, 65, 120);
    out.kid75 = step(s, 75, 120);
    out.kid85 = step(s, 85, 120);
  }
  {
    Course s = c.branch();
    out.skin55 = step(s, 55, 30);
    out.skin65 = step(s, 65, 30);
  }
  {
    Course low = c.branch();
    Course high = c.branch();
    out.bourgoin_low = step(low, 65, 240);
    out.bourgoin_high = step(high, 85, 240);
  }
  out.hypertensive = pt.params.patient.usual_map_mmHg >= 100.0;
  if (out.hypertensive) {
    Course s = c.branch();
    out.xu65 = step(s, 65, 30);
    out.xu_usual = step(s, pt.params.patient.usual_map_mmHg, 30);
  }
  {
    Course s = c.branch();
    out.fl_early_before = s.read();
    bolus(s, 1000.0, 30.0);
    s.usual_care_until(s.sim->time_min() + 30.0);
    out.fl_early_after = s.read();
  }
  {
    Course base = c.branch();
    Course drug = c.branch();
    out.dob_base = c.read();
    drug.in.dobutamine_ug_per_kg_min = 5.0;
    const double start = drug.sim->time_min();
    drug.usual_care_until(start + 30.0);
    out.dob_30 = drug.read();
    drug.usual_care_until(start + 120.0);
    out.dob_120 = drug.read();
    drug.usual_care_until(start + 150.0);
    base.usual_care_until(base.sim->time_min() + 150.0);
    out.dob_drug = drug.read();
    out.dob_placebo = base.read();
  }
  {
    Course s = c.branch();
    s.usual_care_until(s.sim->time_min() + kBlockMin, 70.0);
    out.vp_base = s.read();
    Course drug = s.branch();
    drug.in.vasopressin_U_per_min = 0.04;
    drug.usual_care_until(drug.sim->time_min() + 360.0, 70.0);
    s.usual_care_until(s.sim->time_min() + 360.0, 70.0);
    out.vp_drug = drug.read();
    out.vp_placebo = s.read();
  }

  // 18 h: FL-3.
  c.usual_care_until(18 * 60.0);
  {
    Course s = c.branch();
    out.fl3_before = s.read();
    out.fl3_sv_before = s.sim->observe().circulation.lv_stroke_volume_mL;
    bolus(s, 500.0, 30.0);
    out.fl3_after = s.read();
    out.fl3_sv_after = s.sim->observe().circulation.lv_stroke_volume_mL;
  }

  // 29 h: 24 h after the fluid load.
  c.usual_care_until(kAdmissionMin + 120.0 + 24 * 60.0);
  out.restored_24h = c.read();

  // 60 h: the late fluid challenge.
  c.usual_care_until(60 * 60.0);
  out.fl_late_before = c.read();
  bolus(c, 1000.0, 30.0);
  c.usual_care_until(c.sim->time_min() + 30.0);
  out.fl_late_after = c.read();
  c.usual_care_until(72 * 60.0);
  out.end_72h = c.read();
  return out;
}

// ---------------------------------------------------------------------------------------------
// The studies' statistics

struct Builder {
  std::vector<ValidationResult> results;
  std::string study, group, source;
  void start(std::string id, std::string label, std::string src) {
    study = std::move(id);
    group = std::move(label);
    source = std::move(src);
  }
  void add(std::string id, std::string quantity, std::string unit, double measured, double low, double high, int n) {
    ValidationResult r;
    r.id = std::move(id);
    r.system = "interventions";
    r.quantity = quantity + " (n = " + std::to_string(n) + ")";
    r.source = source;
    r.unit = std::move(unit);
    r.measured = measured;
    r.low = low;
    r.high = high;
    r.acceptance = group == "calibration";
    r.study = study;
    r.group = group;
    results.push_back(std::move(r));
  }
};

template <class F>
std::vector<double> each(const std::vector<PatientOutcomes>& all, F f) {
  std::vector<double> v;
  v.reserve(all.size());
  for (const auto& o : all) v.push_back(f(o));
  return v;
}

}  // namespace

// scenarios/trial_macro_vs_micro.toml's cohort (tests/validation/test_interventions.cpp checks that
// the two stay the same).
trial::CohortSpec early_cohort_spec() {
  trial::CohortSpec spec;
  spec.variables = {
      normal("patient.age_years", 64, 14, 18, 95),
      lognormal("patient.weight_kg", 75, 0.2, 40, 160),
      normal("patient.saps2", 57, 16, 20, 110),
      uniform("sepsis.severity", 0.5, 1.0),
      uniform("sepsis.onset_min", -720, -120),
      lognormal("patient.ne_sensitivity", 1.0, 0.7, 0.1, 10),
      lognormal("patient.microvascular_injury", 1.0, 0.4, 0.2, 2.0),
      {},
      lognormal("patient.cardiac_contractility", 0.85, 0.25, 0.3, 1.5),
      lognormal("patient.ventricular_stiffness", 1.2, 0.35, 0.6, 3.5),
      lognormal("patient.hepatic_function", 0.8, 0.3, 0.2, 1.5),
      lognormal("sepsis.pathogen_load", 2.0, 0.5, 0.5, 10.0),
      lognormal("sepsis.growth_per_h", 0.15, 0.4, 0.03, 0.6),
      lognormal("sepsis.host_clearance_per_h", 0.10, 0.5, 0.01, 0.5),
      lognormal("sepsis.antibiotic_kill_per_h", 0.07, 0.6, 0.01, 0.8),
      lognormal("sepsis.antibiotics_min", 90.0, 0.8, 10.0, 1440.0),
      normal("patient.resting_heart_rate_bpm", 72, 10, 50, 100),
      lognormal("sepsis.tachycardia_bpm", 30.0, 0.5, 5.0, 80.0),
  };
  trial::CohortVariable& usual = spec.variables[7];
  usual.key = "patient.usual_map_mmHg";
  usual.distribution = trial::Distribution::kCategorical;
  usual.values = {90, 110};
  usual.weights = {0.6, 0.4};
  const auto n = static_cast<Eigen::Index>(spec.variables.size());
  spec.correlation = Eigen::MatrixXd::Identity(n, n);
  spec.correlation(2, 3) = spec.correlation(3, 2) = 0.5;   // SAPS II ~ severity
  spec.correlation(0, 8) = spec.correlation(8, 0) = -0.2;  // age ~ contractility
  spec.cholesky = Eigen::LLT<Eigen::MatrixXd>(spec.correlation).matrixL();
  return spec;
}

std::vector<CohortPatient> early_cohort(int patients, std::uint64_t seed, const ModelParams& base) {
  const trial::CohortSpec spec = early_cohort_spec();
  std::vector<CohortPatient> cohort;
  for (int id = 1; id <= patients; ++id) {
    const trial::Patient draw = trial::sample_patient(spec, seed, id);
    CohortPatient pt;
    pt.id = id;
    pt.params = septic_icu_adult(base);
    pt.network_seed = draw.seed;
    auto& patient = pt.params.patient;
    const auto& v = draw.values;
    patient.age_years = v[0];
    patient.weight_kg = v[1];
    patient.saps2 = v[2];
    pt.severity = v[3];
    patient.ne_sensitivity = v[5];
    patient.microvascular_injury = v[6];
    patient.usual_map_mmHg = v[7];
    patient.cardiac_contractility = v[8];
    patient.ventricular_stiffness = v[9];
    patient.hepatic_function = v[10];
    pt.pathogen_load = v[11];
    pt.params.sepsis.infection_growth_per_h = v[12];
    pt.params.sepsis.host_clearance_per_h = v[13];
    pt.params.sepsis.antibiotic_kill_per_h = v[14];
    pt.antibiotics_min = kAdmissionMin + v[15];  // the trial's clock starts at admission
    pt.params.hemodynamics.intrinsic_heart_rate_bpm = v[16];
    pt.params.sepsis.tachycardia_bpm = v[17];
    cohort.push_back(pt);
  }
  return cohort;
}

std::vector<ValidationResult> intervention_studies(const ModelParams& base, int threads, int patients) {
  const std::vector<CohortPatient> cohort = early_cohort(patients, kInterventionCohortSeed, base);
  std::vector<PatientOutcomes> all(cohort.size());
  const int n_threads = std::max(1, threads > 0 ? threads : static_cast<int>(std::thread::hardware_concurrency()));
  {
    std::vector<std::jthread> pool;
    std::atomic<std::size_t> next{0};
    std::exception_ptr error;
    std::mutex error_mutex;
    for (int t = 0; t < n_threads; ++t) {
      pool.emplace_back([&] {
        for (std::size_t i = next++; i < cohort.size(); i = next++) {
          try {
            all[i] = run_patient(cohort[i]);
          } catch (...) {
            const std::lock_guard lock(error_mutex);
            if (!error) error = std::current_exception();
          }
        }
      });
    }
    pool.clear();  // joins
    if (error) std::rethrow_exception(error);
  }
  const int n = static_cast<int>(all.size());
  Builder b;

  // Untreated septic shock must meet the definition's lactate (plan section 4.1).
  b.start("UNT-1", "calibration", "Sepsis-3 (lactate > 2 in septic shock); plan 4.1: 2.5-6.0");
  {
    const auto lac = each(all, [](const PatientOutcomes& o) { return o.untreated.map < 65 ? o.untreated.lactate : kNaN; });
    b.add("unt1_lactate", "Untreated septic shock, 3 h, MAP < 65: median lactate", "mmol/L", median(lac), 2.5, 6.0,
          count(lac));
  }

  // Skin in untreated shock (plan section 4.5).
  b.start("SKIN-UNT", "calibration", "Plan 4.5 (untreated shock at MAP 45-55: CRT 4-9 s, mottling 2-4)");
  {
    auto in = [](const PatientOutcomes& o) { return o.untreated.map >= 45 && o.untreated.map <= 55; };
    const auto crt = each(all, [&](const PatientOutcomes& o) { return in(o) ? o.untreated.crt : kNaN; });
    const auto mot = each(all, [&](const PatientOutcomes& o) { return in(o) ? o.untreated.mottling : kNaN; });
    b.add("skin_unt_crt", "Untreated, 3 h, MAP 45-55: median CRT", "s", median(crt), 4, 9, count(crt));
    b.add("skin_unt_mottling", "Untreated, 3 h, MAP 45-55: median mottling score", "", median(mot), 2, 4, count(mot));
  }
  b.start("SKIN-NE", "calibration", "Plan 4.5 (CRT falls, not rises, as NE restores MAP 55 -> 65)");
  {
    const auto d = each(all, [](const PatientOutcomes& o) { return o.skin65.crt - o.skin55.crt; });
    b.add("skin_ne_dcrt", "At 12 h, NE MAP 55 -> 65: mean CRT change", "s", mean(d), -kInf, -1e-6, n);
  }

  // MAP-1 Dubin 2009.
  b.start("MAP-1", "calibration", "Dubin 2009 (NE MAP 65 -> 85: MFI 2.1 -> 2.0, PPV 72 -> 67%, lactate, VO2, HR unchanged)");
  {
    // Dubin's patients all reached the targets: those whose MAP cannot be brought to 85 are left out.
    auto in = [](const PatientOutcomes& o) { return o.map85.map >= 84.0; };
    auto of = [&](auto f) { return each(all, [&](const PatientOutcomes& o) { return in(o) ? f(o) : kNaN; }); };
    const auto dmfi = of([](const PatientOutcomes& o) { return o.map85.mfi - o.map65.mfi; });
    const auto dppv = of([](const PatientOutcomes& o) { return o.map85.ppv - o.map65.ppv; });
    const auto dpvd = of([](const PatientOutcomes& o) { return o.map85.pvd - o.map65.pvd; });
    const auto pvd0 = of([](const PatientOutcomes& o) { return o.map65.pvd; });
    const auto dlac = of([](const PatientOutcomes& o) { return o.map85.lactate - o.map65.lactate; });
    const auto dvo2 = of([](const PatientOutcomes& o) { return pct(o.map85.vo2, o.map65.vo2); });
    const auto dhr = of([](const PatientOutcomes& o) { return o.map85.hr - o.map65.hr; });
    const int m = count(dmfi);
    b.add("map1_dmfi", "MAP 65 -> 85 reached: mean MFI change", "", mean(dmfi), -0.30, 0.10, m);
    b.add("map1_dppv", "MAP 65 -> 85 reached: mean PPV change", "points", mean(dppv), -12, 3, m);
    b.add("map1_pvd_baseline_rho", "MAP 65 -> 85 reached: Spearman(PVD change, baseline PVD)", "",
          spearman_rho(dpvd, pvd0), -1, -0.5, m);
    b.add("map1_dlactate", "MAP 65 -> 85 reached: mean lactate change", "mmol/L", mean(dlac), -0.3, 0.3, m);
    b.add("map1_dvo2", "MAP 65 -> 85 reached: mean VO2 change", "%", mean(dvo2), -5, 7, m);
    b.add("map1_dhr", "MAP 65 -> 85 reached: mean heart-rate change", "bpm", mean(dhr), -5, 5, m);
  }

  // MAP-2 Thooft 2011: the SDF subgroup's baseline (MFI 2.2-2.6 at MAP 65).
  b.start("MAP-2", "calibration", "Thooft 2011 (MAP 65 -> 85 reached, MFI 2.4: MFI +0.5, PVD 11.0 -> 13.2, CO +10%, VO2 stable)");
  {
    auto in = [](const PatientOutcomes& o) { return o.map65.mfi >= 2.2 && o.map65.mfi <= 2.6 && o.map85.map >= 84.0; };
    const auto dmfi = each(all, [&](const PatientOutcomes& o) { return in(o) ? o.map85.mfi - o.map65.mfi : kNaN; });
    const auto dpvd = each(all, [&](const PatientOutcomes& o) { return in(o) ? o.map85.pvd - o.map65.pvd : kNaN; });
    const auto dco = each(all, [&](const PatientOutcomes& o) { return in(o) ? pct(o.map85.co_L, o.map65.co_L) : kNaN; });
    const auto dvo2 = each(all, [&](const PatientOutcomes& o) { return in(o) ? pct(o.map85.vo2, o.map65.vo2) : kNaN; });
    const auto back = each(all, [&](const PatientOutcomes& o) { return in(o) ? o.map65_back.mfi - o.map65.mfi : kNaN; });
    const int m = count(dmfi);
    b.add("map2_dmfi", "Baseline MFI 2.2-2.6, MAP 65 -> 85: mean MFI change", "", mean(dmfi), 0.1, 0.8, m);
    b.add("map2_dpvd", "Baseline MFI 2.2-2.6, MAP 65 -> 85: mean PVD change", "mm/mm2", mean(dpvd), 0.3, 4, m);
    b.add("map2_dco", "Baseline MFI 2.2-2.6, MAP 65 -> 85: mean CO change", "%", mean(dco), 3, 18, m);
    b.add("map2_dvo2", "Baseline MFI 2.2-2.6, MAP 65 -> 85: mean VO2 change", "%", mean(dvo2), -7, 7, m);
    b.add("map2_reversible", "Back to MAP 65: mean MFI minus first baseline", "", mean(back), -0.15, 0.15, m);
  }

  // MAP-3 LeDoux 2000.
  b.start("MAP-3", "validation", "LeDoux 2000 (MAP 65 -> 85: lactate 3.1 -> 3.0, UO 49 -> 43 mL/h, skin unchanged, CI +17%)");
  {
    const auto dlac = each(all, [](const PatientOutcomes& o) { return o.map85.lactate - o.map65.lactate; });
    const auto duo = each(all, [](const PatientOutcomes& o) { return o.map85.urine_mL_h - o.map65.urine_mL_h; });
    const auto dcrt = each(all, [](const PatientOutcomes& o) { return o.map85.crt - o.map65.crt; });
    const auto dci = each(all, [](const PatientOutcomes& o) { return pct(o.map85.ci, o.map65.ci); });
    const auto lac = each(all, [](const PatientOutcomes& o) { return o.map65.lactate; });
    b.add("map3_dlactate", "MAP 65 -> 85: mean lactate change", "mmol/L", mean(dlac), -0.45, 0.25, n);
    b.add("map3_duo", "MAP 65 -> 85: mean urine-output change", "mL/h", mean(duo), -20, 8, n);
    b.add("map3_dcrt", "MAP 65 -> 85: mean CRT change", "s", mean(dcrt), -0.5, 0.5, n);
    b.add("map3_dci", "MAP 65 -> 85: mean cardiac-index change", "%", mean(dci), 5, 30, n);
    b.add("map3_lactate65", "At MAP 65 on NE: mean lactate", "mmol/L", mean(lac), 2.2, 4.0, n);
  }

  // MAP-4 Bourgoin 2005.
  b.start("MAP-4", "validation", "Bourgoin 2005 (4 h at MAP 85 vs 65: lactate, VO2, UO, creatinine unchanged; CI +21%)");
  {
    const auto dlac = each(all, [](const PatientOutcomes& o) { return o.bourgoin_high.lactate - o.bourgoin_low.lactate; });
    const auto dvo2 = each(all, [](const PatientOutcomes& o) { return pct(o.bourgoin_high.vo2, o.bourgoin_low.vo2); });
    const auto duo = each(all, [](const PatientOutcomes& o) { return o.bourgoin_high.urine_mL_h - o.bourgoin_low.urine_mL_h; });
    const auto dci = each(all, [](const PatientOutcomes& o) { return pct(o.bourgoin_high.ci, o.map65.ci); });
    b.add("map4_dlactate", "MAP 85 minus 65 arm at 4 h: mean lactate", "mmol/L", mean(dlac), -0.5, 0.5, n);
    b.add("map4_dvo2", "MAP 85 minus 65 arm at 4 h: mean VO2", "%", mean(dvo2), -7, 7, n);
    b.add("map4_duo", "MAP 85 minus 65 arm at 4 h: mean urine output", "mL/h", mean(duo), -20, 20, n);
    b.add("map4_dci", "MAP 85 arm: cardiac index at 4 h vs baseline", "%", mean(dci), 5, 35, n);
    const auto dcr = each(all, [](const PatientOutcomes& o) { return o.bourgoin_high.creatinine - o.bourgoin_low.creatinine; });
    b.add("map4_creatinine", "MAP 85 minus 65 arm at 4 h: mean creatinine", "umol/L", mean(dcr), -15, 15, n);
  }

  // MAP-5 Xu 2015.
  b.start("MAP-5", "validation", "Xu 2015 (hypertensives, MAP 65 -> usual: MFI 2.45 -> 2.80, PPV 85 -> 92%, PVD +9%, CO +19%)");
  {
    auto in = [](const PatientOutcomes& o) { return o.hypertensive; };
    const auto dmfi = each(all, [&](const PatientOutcomes& o) { return in(o) ? o.xu_usual.mfi - o.xu65.mfi : kNaN; });
    const auto dppv = each(all, [&](const PatientOutcomes& o) { return in(o) ? o.xu_usual.ppv - o.xu65.ppv : kNaN; });
    const auto dpvd = each(all, [&](const PatientOutcomes& o) { return in(o) ? pct(o.xu_usual.pvd, o.xu65.pvd) : kNaN; });
    const auto dco = each(all, [&](const PatientOutcomes& o) { return in(o) ? pct(o.xu_usual.co_L, o.xu65.co_L) : kNaN; });
    const int m = count(dmfi);
    b.add("map5_dmfi", "Usual MAP >= 100, MAP 65 -> usual: mean MFI change", "", mean(dmfi), 0.10, 0.60, m);
    b.add("map5_dppv", "Usual MAP >= 100, MAP 65 -> usual: mean PPV change", "points", mean(dppv), 2.9, 11.1, m);
    b.add("map5_dpvd", "Usual MAP >= 100, MAP 65 -> usual: mean PVD change", "%", mean(dpvd), 3, 16, m);
    b.add("map5_dco", "Usual MAP >= 100, MAP 65 -> usual: mean CO change", "%", mean(dco), 5, 30, m);
  }

  // KID-1 Deruddre 2007.
  b.start("KID-1", "calibration", "Deruddre 2007 (2-h steps: UO 76 -> 93 mL/h from MAP 65 to 75, no change 75 -> 85)");
  {
    const auto d1 = each(all, [](const PatientOutcomes& o) { return o.kid75.urine_mL_h - o.kid65.urine_mL_h; });
    const auto d2 = each(all, [](const PatientOutcomes& o) { return o.kid85.urine_mL_h - o.kid75.urine_mL_h; });
    b.add("kid1_duo_65_75", "MAP 65 -> 75: mean urine-output change", "mL/h", mean(d1), 5, 35, n);
    b.add("kid1_duo_75_85", "MAP 75 -> 85: mean urine-output change", "mL/h", mean(d2), -10, 10, n);
  }

  // FL-1 Ospina-Tascon 2010.
  b.start("FL-1", "calibration", "Ospina-Tascon 2010 (1000 mL: PPV +15 points early, none late; R2 with CI 0.05)");
  {
    const auto early = each(all, [](const PatientOutcomes& o) { return o.fl_early_after.ppv - o.fl_early_before.ppv; });
    const auto late = each(all, [](const PatientOutcomes& o) { return o.fl_late_after.ppv - o.fl_late_before.ppv; });
    const auto dci = each(all, [](const PatientOutcomes& o) { return o.fl_early_after.ci - o.fl_early_before.ci; });
    b.add("fl1_early_dppv", "Fluid at 12 h: median PPV change", "points", median(early), 8, 20, n);
    b.add("fl1_late_dppv", "Fluid at 60 h: median PPV change", "points", median(late), -5, 4, n);
    b.add("fl1_r2_ci", "Fluid at 12 h: R2 of PPV change with CI change", "", r_squared(early, dci), 0, 0.25, n);
    b.add("fl1_early_minus_late", "Median PPV change, early minus late", "points", median(early) - median(late), 5, kInf,
          n);
  }

  // FL-3 Pranskunas 2013.
  b.start("FL-3", "validation", "Pranskunas 2013 (500 mL: MFI 2.3 -> 2.5 if MFI < 2.6; none if >= 2.6; also in SV non-responders)");
  {
    const auto low = each(all, [](const PatientOutcomes& o) {
      return o.fl3_before.mfi < 2.6 ? o.fl3_after.mfi - o.fl3_before.mfi : kNaN;
    });
    const auto high = each(all, [](const PatientOutcomes& o) {
      return o.fl3_before.mfi >= 2.6 ? o.fl3_after.mfi - o.fl3_before.mfi : kNaN;
    });
    const auto nonresp = each(all, [](const PatientOutcomes& o) {
      return o.fl3_before.mfi < 2.6 && pct(o.fl3_sv_after, o.fl3_sv_before) < 10 ? o.fl3_after.mfi - o.fl3_before.mfi
                                                                                 : kNaN;
    });
    b.add("fl3_low_dmfi", "Fluid at 18 h, MFI < 2.6: median MFI change", "", median(low), 0.05, 0.40, count(low));
    b.add("fl3_high_dmfi", "Fluid at 18 h, MFI >= 2.6: median MFI change", "", median(high), -0.10, 0.10, count(high));
    b.add("fl3_nonresponder_dmfi", "Fluid at 18 h, MFI < 2.6 and SV +< 10%: median MFI change", "", median(nonresp),
          1e-6, kInf, count(nonresp));
  }

  // DOB-1 De Backer 2006 (cohort): poor-baseline patients, 2 h of dobutamine 5.
  b.start("DOB-1", "calibration", "De Backer 2006 (dobutamine 5, 2 h: perfused capillaries 48 -> 67%, unrelated to CI change)");
  {
    auto in = [](const PatientOutcomes& o) { return o.dob_base.ppv < 65.0; };
    const auto dppv = each(all, [&](const PatientOutcomes& o) { return in(o) ? o.dob_120.ppv - o.dob_base.ppv : kNaN; });
    const auto dci = each(all, [&](const PatientOutcomes& o) { return in(o) ? o.dob_120.ci - o.dob_base.ci : kNaN; });
    const auto dlac = each(all, [&](const PatientOutcomes& o) {
      return in(o) ? o.dob_120.lactate - o.dob_base.lactate : kNaN;
    });
    const int m = count(dppv);
    auto pearson_r = [](const std::vector<double>& x, const std::vector<double>& y) {
      const auto [a, c] = pairs(x, y);
      return a.size() >= 5 ? stats::pearson(a, c).r : kNaN;
    };
    b.add("dob1_dppv", "PPV < 65%, dobutamine 2 h: mean PPV change", "points", mean(dppv), 4, 30, m);
    b.add("dob1_abs_r_ci", "PPV < 65%, dobutamine 2 h: |Pearson r(PPV change, CI change)|", "",
          std::abs(pearson_r(dppv, dci)), 0, 0.4, m);
    b.add("dob1_r_lactate", "PPV < 65%, dobutamine 2 h: Pearson r(lactate change, PPV change)", "",
          pearson_r(dlac, dppv), -1, -1e-6, m);
  }
  // DOB-2 Enrico 2012 (cohort): 30 min of dobutamine 5.
  b.start("DOB-2", "calibration", "Enrico 2012 (dobutamine 5: PCD 14.0 -> 14.8 overall; 9.1 -> 12.5 if baseline <= 12)");
  {
    const auto d = each(all, [](const PatientOutcomes& o) { return o.dob_30.pvd - o.dob_base.pvd; });
    const auto low = each(all, [](const PatientOutcomes& o) {
      return o.dob_base.pvd <= 12.0 ? o.dob_30.pvd - o.dob_base.pvd : kNaN;
    });
    b.add("dob2_dpvd", "Dobutamine 30 min: mean PVD change", "mm/mm2", mean(d), -1, 2.5, n);
    b.add("dob2_dpvd_low", "Baseline PVD <= 12, dobutamine 30 min: mean PVD change", "mm/mm2", mean(low), 1, 6,
          count(low));
  }

  // DOB-3 Hernandez 2013.
  b.start("DOB-3", "validation", "Hernandez 2013 (dobutamine 5 vs placebo, CI >= 2.5 and lactate > 2: MFI, PVD, lactate, CRT unchanged)");
  {
    auto in = [](const PatientOutcomes& o) { return o.dob_base.ci >= 2.5 && o.dob_base.lactate > 2.0; };
    auto diff = [&](auto f) {
      return each(all, [&](const PatientOutcomes& o) { return in(o) ? f(o) : kNaN; });
    };
    const auto dmfi = diff([](const PatientOutcomes& o) { return o.dob_drug.mfi - o.dob_placebo.mfi; });
    const auto dpvd = diff([](const PatientOutcomes& o) { return pct(o.dob_drug.pvd, o.dob_placebo.pvd); });
    const auto dlac = diff([](const PatientOutcomes& o) { return o.dob_drug.lactate - o.dob_placebo.lactate; });
    const auto dcrt = diff([](const PatientOutcomes& o) { return o.dob_drug.crt - o.dob_placebo.crt; });
    const auto dci = diff([](const PatientOutcomes& o) { return o.dob_drug.ci - o.dob_placebo.ci; });
    const int m = count(dmfi);
    b.add("dob3_dmfi", "Dobutamine minus placebo at 2.5 h: median MFI", "", median(dmfi), -0.15, 0.15, m);
    b.add("dob3_dpvd", "Dobutamine minus placebo at 2.5 h: median PVD", "%", median(dpvd), -9, 9, m);
    b.add("dob3_dlactate", "Dobutamine minus placebo at 2.5 h: median lactate", "mmol/L", median(dlac), -0.4, 0.4, m);
    b.add("dob3_dcrt", "Dobutamine minus placebo at 2.5 h: median CRT", "s", median(dcrt), -0.5, 0.5, m);
    b.add("dob3_dci", "Dobutamine minus placebo at 2.5 h: median CI", "L/min/m2", median(dci), 1e-6, kInf, m);
  }

  // NTG-2 Boerma 2010.
  b.start("NTG-2", "validation", "Boerma 2010 (NTG vs placebo after resuscitation: MFI 2.71 vs 2.71; both arms improve over 24 h)");
  {
    const auto d = each(all, [](const PatientOutcomes& o) { return o.ntg_drug.mfi - o.ntg_placebo.mfi; });
    const auto course_ntg = each(all, [](const PatientOutcomes& o) { return o.ntg_drug.mfi - o.ntg_base.mfi; });
    const auto course_placebo = each(all, [](const PatientOutcomes& o) { return o.ntg_placebo.mfi - o.ntg_base.mfi; });
    b.add("ntg2_dmfi", "NTG minus placebo at 24 h: median MFI", "", median(d), -0.20, 0.20, n);
    b.add("ntg2_course_ntg", "NTG arm: median MFI change over 24 h", "", median(course_ntg), 1e-6, kInf, n);
    b.add("ntg2_course_placebo", "Placebo arm: median MFI change over 24 h", "", median(course_placebo), 1e-6, kInf, n);
  }

  // VP-2 Morelli 2011.
  b.start("VP-2", "validation", "Morelli 2011 (vasopressin 0.04 U/min vs placebo 6 h: NE 0.40 -> 0.23, micro unchanged)");
  {
    auto in = [](const PatientOutcomes& o) { return o.vp_base.ne > 0.01; };
    const auto red = each(all, [&](const PatientOutcomes& o) {
      return in(o) ? -pct(o.vp_drug.ne, o.vp_base.ne) : kNaN;
    });
    const auto dmfi = each(all, [&](const PatientOutcomes& o) { return in(o) ? o.vp_drug.mfi - o.vp_placebo.mfi : kNaN; });
    const auto dppv = each(all, [&](const PatientOutcomes& o) { return in(o) ? o.vp_drug.ppv - o.vp_placebo.ppv : kNaN; });
    const auto dlac = each(all, [&](const PatientOutcomes& o) {
      return in(o) ? o.vp_drug.lactate - o.vp_placebo.lactate : kNaN;
    });
    const auto placebo = each(all, [&](const PatientOutcomes& o) { return in(o) ? o.vp_placebo.ppv - o.vp_base.ppv : kNaN; });
    const int m = count(red);
    b.add("vp2_ne_reduction", "Vasopressin arm: median NE reduction at 6 h", "%", median(red), 25, 75, m);
    b.add("vp2_dmfi", "Vasopressin minus placebo at 6 h: median MFI", "", median(dmfi), -0.2, 0.2, m);
    b.add("vp2_dppv", "Vasopressin minus placebo at 6 h: median PPV", "points", median(dppv), -8, 8, m);
    b.add("vp2_dlactate", "Vasopressin minus placebo at 6 h: median lactate", "mmol/L", median(dlac), -0.5, 0.5, m);
    b.add("vp2_placebo_course", "Placebo arm: median PPV change over 6 h", "points", median(placebo), 0, kInf, m);
  }
  // Behaviours of issue 20 (plan section 4), labels assigned before the first run of these rows.
  b.start("BEH-HR", "calibration", "Source study Table 1 (HR 88 +- 19 vs 114 +- 15 bpm by dose group); plan 4.4");
  {
    const auto hr = each(all, [](const PatientOutcomes& o) { return o.fl_early_before.hr; });
    b.add("beh_hr_sd", "Usual care at 12 h: SD of heart rate across patients", "bpm", sd(hr), 15, kInf, n);
  }
  b.start("BEH-HR-NE", "validation", "Source study Table 1 (HR higher in the NE > 0.5 group); plan 4.4 (Spearman >= +0.3)");
  {
    const auto hr = each(all, [](const PatientOutcomes& o) { return o.fl_early_before.hr; });
    const auto ne = each(all, [](const PatientOutcomes& o) { return o.fl_early_before.ne; });
    b.add("beh_hr_ne_spearman", "Usual care at 12 h: Spearman of heart rate with NE dose", "", spearman_rho(hr, ne), 0.3,
          1.0, n);
  }
  b.start("BEH-SKIN", "calibration", "Source study Table 1 (NE <= 0.5: CRT 2 [2-4] s, mottling 0 [0-0]); plan 4.5");
  {
    auto low_ne = [](const PatientOutcomes& o) { return o.fl_early_before.ne <= 0.1; };
    const auto crt = each(all, [&](const PatientOutcomes& o) { return low_ne(o) ? o.fl_early_before.crt : kNaN; });
    const auto mot = each(all, [&](const PatientOutcomes& o) { return low_ne(o) ? o.fl_early_before.mottling : kNaN; });
    b.add("beh_crt_low_ne", "Usual care at 12 h, NE <= 0.1: median CRT", "s", median(crt), 0, 3, count(crt));
    b.add("beh_mottling_low_ne", "Usual care at 12 h, NE <= 0.1: median mottling score", "", median(mot), 0, 1,
          count(mot));
  }
  b.start("BEH-LAC", "validation", "Marty 2013; Puskarich 2013 (lactate falls over hours); plan 4.2: <= 25% in 30 min");
  {
    const auto fall = each(all, [](const PatientOutcomes& o) {
      return o.restored.map >= 64.0 ? -pct(o.restored_30.lactate, o.restored.lactate) : kNaN;
    });
    b.add("beh_lactate_fall_30min", "MAP restored after the fluid load: median lactate fall in 30 min", "%",
          median(fall), -kInf, 25, count(fall));
  }
  b.start("BEH-LAC24", "calibration", "Marty 2013 survivors -42% at 24 h; plan 4.2: 30-60% at 24 h");
  {
    const auto fall = each(all, [](const PatientOutcomes& o) {
      return o.restored.map >= 64.0 ? -pct(o.restored_24h.lactate, o.restored.lactate) : kNaN;
    });
    b.add("beh_lactate_fall_24h", "MAP restored after the fluid load: median lactate fall in 24 h", "%", median(fall),
          30, 60, count(fall));
  }
  b.start("BEH-AKI", "validation", "Rodrigo 2016 (AKI in 74-82% of septic shock); plan 4.6: 50-85% by 72 h");
  {
    const auto aki = each(all, [](const PatientOutcomes& o) { return o.end_72h.aki_stage >= 1 ? 100.0 : 0.0; });
    b.add("beh_aki_72h", "Usual care: KDIGO creatinine AKI (stage >= 1) at 72 h", "%", mean(aki), 50, 85, n);
  }
  b.start("BEH-CREAT", "validation", "Plan 4.6 (creatinine is a slow state: rise <= 30 umol/L in 4 h)");
  {
    const auto rise = each(all, [](const PatientOutcomes& o) { return o.bourgoin_high.creatinine - o.dob_base.creatinine; });
    b.add("beh_creatinine_4h_rise", "MAP 85 arm: largest creatinine rise over its 4 h", "umol/L",
          *std::max_element(rise.begin(), rise.end()), -kInf, 30, n);
  }
  b.start("BEH-COURSE", "validation", "Plan 4.3 (day-3 NE differs from day 1 by course; issue 20 measured SD 0.06)");
  {
    const auto dne = each(all, [](const PatientOutcomes& o) { return o.fl_late_before.ne - o.fl_early_before.ne; });
    b.add("beh_ne_course_sd", "Usual care: SD across patients of NE at 60 h minus NE at 12 h", "ug/kg/min", sd(dne),
          0.15, kInf, n);
  }
  return b.results;
}

}  // namespace coherence::validation
