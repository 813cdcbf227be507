// Output files: written to a temporary name and renamed into place, so that a reader never sees
// a half-written file under its final name.
#pragma once

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace coherence::output {

// Writes `text` to `path` atomically (temporary file + rename). Throws std::runtime_error.
void write_file_atomic(const std::filesystem::path& path, const std::string& text);

// Creates the output folder and removes the files an earlier run left there whose names match
// `stale` (so that old results can never pass for this run's). Throws std::runtime_error.
void prepare_output_folder(const std::filesystem::path& dir, const std::function<bool(const std::string&)>& stale);

// CSV with a header row; NaN values become empty cells; numbers in %.6g.
std::string format_csv(const std::vector<std::string>& columns, const std::vector<std::vector<double>>& rows);

void write_json(const std::filesystem::path& path, const nlohmann::json& j);

// Runs a program (no shell) with stdout and stderr discarded; returns its exit status, or -1
// if it could not be started.
int run_process(const std::vector<std::string>& args);

// A program (no shell) that reads what we write on its standard input (stdout and stderr
// discarded), e.g. ffmpeg encoding raw frames. SIGPIPE is ignored from the first one on, so a
// program that quits early makes write() return false instead of killing us.
class ProcessInput {
 public:
  explicit ProcessInput(const std::vector<std::string>& args);
  ~ProcessInput();
  ProcessInput(const ProcessInput&) = delete;
  ProcessInput& operator=(const ProcessInput&) = delete;
  bool started() const { return pid_ > 0; }
  bool write(const void* data, std::size_t bytes);  // false once the program has gone
  int finish();  // closes its input and waits: exit status, or -1 if it never ran
 private:
  int fd_ = -1;
  int pid_ = -1;
  bool finished_ = false;
  int status_ = -1;
};

// Runs a program (no shell), collecting its standard output; stderr is discarded. Returns its
// exit status, or -1 if it could not be started.
int read_process_output(const std::vector<std::string>& args, std::string& out);

// gnuplot string literal (single quotes; a quote is doubled).
std::string gnuplot_quoted(const std::string& s);

// Runs a gnuplot script (written next to `png` as PNG.gp) that draws to PNG.partial (terminal
// pngcairo); the image appears only when gnuplot succeeded. Then the same figure as SVG (the
// script with gnuplot's svg terminal, PNG-name.svg). Returns false with `reason` otherwise;
// never throws.
bool run_gnuplot(const std::string& gp, const std::filesystem::path& png, std::string& reason);

// Renders trend panels of a timeseries.csv to PNG through gnuplot (a child process).
// Returns false with a reason when gnuplot is missing or fails; never throws for that.
// One run in a comparison plot.
struct ComparedRun {
  std::string label;
  std::filesystem::path timeseries_csv;
};
// Side-by-side trends of several runs (MAP, NE with the cliff zone, MFI and PPV, lactate and CRT)
// in one PNG through gnuplot. Returns false with `reason` when gnuplot is missing or fails.
bool plot_comparison(const std::vector<ComparedRun>& runs, const std::filesystem::path& png, const std::string& title,
                     std::string& reason);

bool plot_trends(const std::filesystem::path& csv, const std::filesystem::path& png, const std::string& title,
                 std::string& reason);

}  // namespace coherence::output
