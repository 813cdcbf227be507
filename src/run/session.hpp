// A scenario being run: the simulator, the scenario's timeline of events, the protocol and its
// monitors, stepped from break to break. `run_scenario` drives one from start to end; the
// teaching viewer drives one live and changes its inputs as the user asks (Session::Commands).
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "model/microcirculation.hpp"
#include "model/simulator.hpp"
#include "protocol/monitor.hpp"
#include "protocol/protocol.hpp"
#include "run/runner.hpp"
#include "run/sample.hpp"
#include "scenario/scenario.hpp"

namespace coherence::run {

// What the scenario's events, the protocol and the user have set, as piecewise-constant model
// inputs.
struct Timeline {
  protocol::Infusions infusions;
  double maintenance_mL_per_min = 0.0;
  double severity = 0.0;
  double rrt_effluent_mL_per_kg_h = 0.0;        // renal replacement therapy (0 = off)
  double rrt_net_ultrafiltration_mL_per_h = 0.0;
  bool infection_course = false;  // the scenario has an infection load (sepsis.pathogen_load > 0)
  bool antibiotics = false;       // from sepsis.antibiotics_min on
  bool source_control = false;    // from sepsis.source_control_min on
  struct Bolus {
    double end_min;
    double rate_mL_per_min;
    scenario::Fluid fluid;
  };
  std::vector<Bolus> boluses;

  model::Inputs inputs(double t_min, const model::ModelParams& p) const;
};

class Session {
 public:
  // `extra_breaks_min`: further times at which the caller wants the integration to stop exactly
  // (dump and measurement times). A scenario with monitoring.micro_method = "render_score" needs
  // `video_measurer`. `network`: the patient's capillary networks when the caller already has
  // them (generate_network(s.params.micro, s.seed)); empty: generated here.
  Session(const scenario::Scenario& s, const std::vector<double>& extra_breaks_min = {},
          VideoMicroMeasurer video_measurer = nullptr, model::Network network = {});

  double time_min() const { return sim_.time_min(); }
  double start_min() const { return start_min_; }
  double end_min() const { return scenario_.duration_min; }
  bool at_end() const { return time_min() >= end_min() - 1e-9; }

  // At a break (the session starts at one; call this first): applies everything due now (sepsis onset, scenario
  // events, the protocol's observations and decisions) and sets the inputs until the next break,
  // which it returns.
  double apply_due();
  // Integrates to t (not beyond the next break).
  void advance_within(double t_min);
  // Integrates to t, applying every break on the way (for live use; t is clamped to the end).
  void advance_to(double t_min);

  // One timeseries.csv row at the current time.
  Sample sample() const;

  // What the user may change, effective from now on (the viewer's controls). Each sets the inputs
  // anew until the next break and records a decision row with `reason`.
  void set_infusions(const protocol::Infusions& infusions, const std::string& reason);
  void give_bolus(double volume_mL, double over_min, const std::string& reason);
  void set_sepsis_severity(double severity, const std::string& reason);
  // With the autopilot off the protocol neither observes nor acts; on again, it resumes at its
  // next decision epoch.
  void set_autopilot(bool on) { autopilot_ = on; }
  bool autopilot() const { return autopilot_; }
  bool has_protocol() const { return controller_ != nullptr; }

  const Timeline& timeline() const { return timeline_; }
  const scenario::Scenario& scenario() const { return scenario_; }
  const model::Simulator& simulator() const { return sim_; }
  const model::Network& network() const { return network_; }
  model::Network take_network() { return std::move(network_); }
  const std::vector<DecisionRow>& decisions() const { return decisions_; }
  std::vector<DecisionRow> take_decisions() { return std::move(decisions_); }
  const protocol::Protocol* controller() const { return controller_.get(); }

  // A second session that continues this patient from now, without simulating the past again:
  // the same state, inputs, scenario events still to come, decisions so far, protocol (cloned,
  // with its memory) and monitors (same noise streams: the branches are a paired comparison).
  // Both this session's integrator and the copy's restart from the state now, so the two go on
  // bit for bit alike; either agrees with a run never forked within the solver's tolerance.
  // Call between advance_to() calls (everything due now has been applied).
  std::unique_ptr<Session> fork();
  // The same, with `protocol` deciding in the copy from the later of now and its start_min (its
  // decision epochs and monitoring grid counted from there); the earlier decisions stay in the log.
  // The new protocol is told the fluids given so far (PatientHistory), so it does not repeat the
  // initial resuscitation; at the fork moment it sees the readings the monitors already took.
  std::unique_ptr<Session> fork(const scenario::ProtocolSpec& protocol);
  model::SolverStatistics solver_statistics() const { return sim_.statistics(); }

 private:
  struct ForkTag {};
  Session(const Session& from, ForkTag);
  void set_protocol_grid(double t_from_min);
  void apply_events(double t0);
  void decide(double t0);
  void reset_inputs();
  double next_break_min() const;  // the first break after now (the end when none is left)
  void log_user_action(const std::string& action, const std::string& reason);

  scenario::Scenario scenario_;
  VideoMicroMeasurer video_measurer_;
  double start_min_ = 0.0;
  std::set<double> breaks_;           // scenario times, the caller's, bolus ends
  std::set<double> protocol_breaks_;  // the protocol's decision epochs and monitoring moments
  double protocol_start_min_ = 0.0;
  std::unique_ptr<protocol::Protocol> controller_;
  protocol::Monitor monitor_;
  model::Simulator sim_;
  model::Network network_;
  Timeline timeline_;
  std::size_t next_event_ = 0;
  bool sepsis_started_ = false;
  bool autopilot_ = true;
  bool started_ = false;  // apply_due has run at the start
  double fluid_in_0_ = 0.0, fluid_out_0_ = 0.0;
  bool fluid_origin_set_ = false;
  std::vector<DecisionRow> decisions_;
  // The moments the monitors last read (one reading per instrument per moment).
  std::optional<double> lactate_drawn_min_, crt_examined_min_;
  std::optional<protocol::Observations> last_observation_;
};

}  // namespace coherence::run
