// `coherence`: one executable, one file per subcommand. Exit codes: 0 success, 1 runtime
// failure, 2 bad input or usage. Every error is one line on stderr.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <memory>

#include "cli/commands.hpp"
#include "cli/numeric_options.hpp"
#include "scenario/scenario.hpp"

#ifndef COHERENCE_VERSION
#define COHERENCE_VERSION "unknown"
#endif

namespace {

int run_cli(int argc, char** argv) {
  using namespace coherence;
  CLI::App app{"Coherence: septic shock physiology and resuscitation-strategy sandbox", "coherence"};
  app.set_version_flag("--version", std::string("coherence ") + COHERENCE_VERSION);
  app.require_subcommand(1);
  auto run_opts = std::make_shared<cli::RunOptions>();
  auto validate_opts = std::make_shared<cli::ValidateOptions>();
  auto render_opts = std::make_shared<cli::RenderOptions>();
  auto compare_opts = std::make_shared<cli::CompareOptions>();
  auto score_opts = std::make_shared<cli::ScoreOptions>();
  auto score_check_opts = std::make_shared<cli::ScoreCheckOptions>();
  auto render_check_opts = std::make_shared<cli::RenderCheckOptions>();
  auto trial_opts = std::make_shared<cli::TrialOptions>();
  auto view_opts = std::make_shared<cli::ViewOptions>();
  cli::setup_run(app, run_opts);
  cli::setup_render(app, render_opts);
  cli::setup_validate(app, validate_opts);
  cli::setup_compare(app, compare_opts);
  cli::setup_score(app, score_opts);
  cli::setup_score_check(app, score_check_opts);
  cli::setup_render_check(app, render_check_opts);
  cli::setup_trial(app, trial_opts);
  cli::setup_view(app, view_opts);
  // NaN, infinities and overflowing integers are refused for every numeric option (exit 2).
  cli::check_numeric_options(app);

  // Parse and run inside one try block so that every error reaches the same handler.
  try {
    app.parse(argc, argv);
    if (app.got_subcommand("run")) return cli::run_run(*run_opts);
    if (app.got_subcommand("validate")) return cli::run_validate(*validate_opts);
    if (app.got_subcommand("render")) return cli::run_render(*render_opts);
    if (app.got_subcommand("compare")) return cli::run_compare(*compare_opts);
    if (app.got_subcommand("score")) return cli::run_score(*score_opts);
    if (app.got_subcommand("score-check")) return cli::run_score_check(*score_check_opts);
    if (app.got_subcommand("render-check")) return cli::run_render_check(*render_check_opts);
    if (app.got_subcommand("trial")) return cli::run_trial(*trial_opts);
    if (app.got_subcommand("view")) return cli::run_view(*view_opts);
    return 2;
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::fprintf(stderr, "coherence: %s (see --help)\n", e.what());
    return 2;
  } catch (const scenario::InputError& e) {
    std::fprintf(stderr, "coherence: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "coherence: error: %s\n", e.what());
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Whatever escapes the handlers above (for example std::bad_alloc while registering the
  // subcommands) still ends as one line and a runtime-failure code.
  try {
    return run_cli(argc, argv);
  } catch (...) {
    std::fputs("coherence: error: unexpected failure\n", stderr);
    return 1;
  }
}
