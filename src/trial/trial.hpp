// In-silico trials: every patient of a virtual cohort under each listed protocol (paired), with
// outcomes and named measurement times, run in parallel and resumable.
//
// Execution: workers take patients in id order; a finished patient's rows (one per protocol) are
// appended in one write to DIR/patients.partial.csv and flushed, so a killed trial loses at most
// the patients in progress. --resume reads that journal, keeps every complete patient (a torn last
// line is dropped), runs the rest, and the final patients.csv is written sorted by patient and
// protocol: identical bytes whatever the thread count, the interruptions or the MPI ranks.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "run/sample.hpp"
#include "scenario/scenario.hpp"
#include "trial/analysis.hpp"
#include "trial/cohort.hpp"
#include "trial/outcomes.hpp"

namespace coherence::trial {

// One arm: a protocol with its own settings (scenario keys applied on top of the base scenario,
// the cohort's draws and --set), so that one protocol can appear twice (MAP 65-70 vs 80-85).
// `protocols = [...]` is shorthand for arms named after their protocol with no settings.
struct Arm {
  std::string name;                          // lower-case letters, digits and _ (patients.csv's arm)
  std::string protocol;                      // protocol.name
  std::vector<scenario::Override> settings;  // e.g. protocol.map_target_mmHg = 80
  int line = 0;                              // where it was declared, for messages
};

// One inclusion criterion ([[inclusion]]): a patient is enrolled when every criterion holds. On a
// timeseries column at an enrolment time (at or before every arm's protocol start, so all arms
// agree), or on a key the cohort draws.
struct InclusionCriterion {
  std::string name;      // reported in the CONSORT counts
  std::string column;    // a timeseries column ...
  double at_min = 0.0;   // ... at this time
  run::SampleMember member = nullptr;  // the column's member in a run's rows
  std::string key;       // or a cohort variable's key
  double min = -1e300, max = 1e300;  // inclusive bounds
  int line = 0;
};

struct TrialSpec {
  std::string file;
  std::string name;
  std::string description;
  std::filesystem::path scenario_file;       // the base patient and events
  std::vector<Arm> arms;                     // run for every patient, in this order
  std::vector<std::string> protocols;        // the arms' names, in order (patients.csv's arm column)
  // Paired comparisons (arm, reference): [[comparisons]], or every arm against the first.
  std::vector<std::pair<std::string, std::string>> comparisons;
  int patients = 0;
  std::uint64_t seed = 1;
  double output_interval_min = 15.0;         // sampling of the runs (outcomes integrate over it)
  std::vector<scenario::Measurement> measurements;  // named times: M_<column> columns
  std::vector<const run::SampleColumn*> measurement_columns;  // timeseries columns reported at each time
  CohortSpec cohort;
  std::vector<InclusionCriterion> inclusion;
  OutcomeModel outcome_model;
  AnalysisSpec analysis;
  std::vector<scenario::Override> scenario_overrides;  // --set keys for the base scenario
  std::vector<scenario::Override> trial_overrides;     // --set trial.* and outcome_model.* keys
};

// Loads and validates a trial file; `overrides` are `--set` keys: trial.* keys change the trial,
// others go to the base scenario. Throws scenario::InputError (exit 2).
TrialSpec load_trial(const std::filesystem::path& file, const std::vector<scenario::Override>& overrides = {});

// The scenario of one patient in one arm: the base scenario, then --set, the cohort's draws, the
// patient's seed, the arm's protocol and settings.
scenario::Scenario patient_scenario(const TrialSpec& spec, const Patient& p, const Arm& arm);
// The same as --set texts (what `coherence run BASE --set ...` needs to reproduce the patient).
std::vector<scenario::Override> patient_overrides(const TrialSpec& spec, const Patient& p, const Arm& arm);
// The arm called `name`; throws scenario::InputError naming the arms when there is none.
const Arm& find_arm(const TrialSpec& spec, const std::string& name);

// patients.csv's header and the rows of one patient (one per protocol, in the spec's order). A
// run that fails numerically is a row with status "failed" and its reason; the others go on.
std::vector<std::string> patients_columns(const TrialSpec& spec);
std::string patients_csv_header(const TrialSpec& spec);
struct PatientRows {
  std::vector<std::string> rows;
  int failed = 0;
  std::string excluded_by;  // the first inclusion criterion the patient failed (empty: enrolled)
};
// `decisions_dir`: when not empty, each run's decisions.csv is written there as
// patient_<id>_<arm>.csv (before the rows are returned, so a journalled patient has its logs).
// `only_arm`: when not empty, that arm alone (--replay); `replay`: its run comes back there.
PatientRows run_patient(const TrialSpec& spec, int patient_id, const std::filesystem::path& decisions_dir = {},
                        const std::string& only_arm = {}, run::RunResult* replay = nullptr);

struct TrialOptions {
  std::filesystem::path out_dir;
  unsigned threads = 1;
  bool resume = false;
  bool progress = false;                   // a progress bar with ETA on stderr (a terminal)
  bool progress_log = false;               // a line every few s on stderr (a log): done, rate, ETA
  double progress_interval_s = 5.0;        // between those lines
  int rank = 0, ranks = 1;                 // MPI: this process runs patients with id % ranks == rank
  bool decisions = false;                  // --decisions: DIR/decisions/patient_<id>_<arm>.csv
};

struct TrialRun {
  int patients_run = 0;       // by this call
  int patients_resumed = 0;   // found complete in the journal
  int failed_rows = 0;        // patient x protocol rows with status "failed"
};

// Runs (or resumes) the trial, writing patients.partial.csv as patients finish and, when every
// patient is done, patients.csv (sorted) and cohort.csv; the journal is kept (finish_trial).
// Throws scenario::InputError when --resume meets a journal of another trial or a damaged one
// (a NUL byte, a wrong number of cells), std::runtime_error when the journal cannot be written.
TrialRun run_trial(const TrialSpec& spec, const TrialOptions& options);

// Removes the journal(s) of a trial in `out_dir`: called once every output (patients.csv,
// summary, analysis, plots) is written, so that a trial killed during its final writes resumes.
void finish_trial(const std::filesystem::path& out_dir);

// Whether a file name is a trial journal (patients.partial.csv, patients.rank<R>.partial.csv).
bool is_journal_name(const std::string& name);

// MPI: after every rank has finished its share (patients with (id - 1) % ranks == rank, in
// patients.rank<R>.partial.csv), rank 0 merges the journals into the same sorted patients.csv and
// cohort.csv a single process writes. Throws when a patient is missing.
void merge_rank_journals(const TrialSpec& spec, const std::filesystem::path& out_dir, int ranks);

}  // namespace coherence::trial
