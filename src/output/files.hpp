// Output files: written to a temporary name and renamed into place, so that a reader never sees
// a half-written file under its final name.
#pragma once

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace coherence::output {

// What an output path names now. A regular file (or nothing) is replaced atomically; a
// character device (/dev/null, /dev/stdout, a terminal) is written straight to. Anything else
// (a symbolic link to a file, a folder, a FIFO, a block device, a socket) is refused with
// InputError (exit 2): renaming over it would silently replace it.
enum class OutputTarget { kNew, kRegular, kDevice };
OutputTarget output_target(const std::filesystem::path& path);

// Writes `text` to `path` atomically: to PATH.partial, fsync'd, closed and its size checked,
// then renamed into place, so a reader never sees a short file under the final name; on failure
// the .partial is removed and the error names the file and the OS reason (strerror). A
// character device is written straight to (see output_target). Throws std::runtime_error
// (InputError for a target it refuses).
void write_file_atomic(const std::filesystem::path& path, const std::string& text);

// Creates the output folder and removes the files an earlier run left there whose names match
// `stale` (so that old results can never pass for this run's). Throws std::runtime_error.
void prepare_output_folder(const std::filesystem::path& dir, const std::function<bool(const std::string&)>& stale);

// An exclusive lock on an output folder (flock on DIR/.coherence.lock, created if needed), held
// while the object lives: two processes writing into the same folder would replace each other's
// files. The lock file is left in place (removing it would race with another locker).
class FolderLock {
 public:
  // Creates `dir` if needed; throws std::runtime_error when another process holds the lock
  // (`what` names the holder's kind, e.g. "trial") or the lock cannot be taken.
  FolderLock(const std::filesystem::path& dir, const std::string& what);
  ~FolderLock();
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

 private:
  int fd_ = -1;
};

// One CSV cell per RFC 4180: csv_quoted always quotes (a quote inside is doubled: a,"b" ->
// "a,""b"""); csv_field quotes only when the text holds a comma, a quote or a line break.
std::string csv_quoted(const std::string& text);
std::string csv_field(const std::string& text);

// CSV with a header row; NaN values become empty cells; numbers in %.6g.
std::string format_csv(const std::vector<std::string>& columns, const std::vector<std::vector<double>>& rows);

void write_json(const std::filesystem::path& path, const nlohmann::json& j);

// Runs a program (no shell) with stdout discarded; returns its exit status, or -1 if it could
// not be started. Its stderr is discarded too, or, given `stderr_tail`, kept: its last 300
// characters on one line (for an error message).
int run_process(const std::vector<std::string>& args, std::string* stderr_tail = nullptr);

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

// Runs a program (no shell), collecting its standard output; stderr is discarded, or its tail
// kept as for run_process. Returns its exit status, or -1 if it could not be started.
int read_process_output(const std::vector<std::string>& args, std::string& out, std::string* stderr_tail = nullptr);

// gnuplot string literal (single quotes; a quote is doubled; a control character such as a
// newline becomes a space).
std::string gnuplot_quoted(const std::string& s);

// Runs a gnuplot script (written next to `png` as PNG.gp) that draws to PNG.partial (terminal
// pngcairo); the image appears only when gnuplot succeeded and the image is whole (PNG IEND
// chunk, SVG end tag, fsync'd). Then the same figure as SVG (the script with gnuplot's svg
// terminal, PNG-name.svg). Returns false with `reason` when gnuplot is not installed (a
// warning for the callers); throws std::runtime_error when gnuplot fails or its image is
// incomplete (a full disk), naming the image and gnuplot's own message.
bool run_gnuplot(const std::string& gp, const std::filesystem::path& png, std::string& reason);




}  // namespace coherence::output
