#include "output/files.hpp"

#include <fmt/format.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "core/errors.hpp"

extern char** environ;

namespace coherence::output {

namespace {

std::string os_reason() { return std::strerror(errno); }

// Writes all of `text` to `fd`; false (errno set) on failure.
bool write_fd(int fd, const std::string& text) {
  std::size_t off = 0;
  while (off < text.size()) {
    const ssize_t w = ::write(fd, text.data() + off, text.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return false;
    off += static_cast<std::size_t>(w);
  }
  return true;
}

}  // namespace

OutputTarget output_target(const std::filesystem::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return OutputTarget::kNew;
    throw std::runtime_error(fmt::format("{}: cannot write there: {}", path.string(), os_reason()));
  }
  if (S_ISREG(st.st_mode)) return OutputTarget::kRegular;
  struct stat target {};
  const bool resolves = ::stat(path.c_str(), &target) == 0;
  if (resolves && S_ISCHR(target.st_mode)) return OutputTarget::kDevice;  // /dev/null, /dev/stdout, a tty
  const char* what = S_ISLNK(st.st_mode) ? "a symbolic link"
                     : S_ISDIR(st.st_mode) ? "a folder"
                     : S_ISFIFO(st.st_mode) ? "a FIFO"
                     : S_ISBLK(st.st_mode) ? "a block device"
                     : S_ISSOCK(st.st_mode) ? "a socket"
                                            : "not a regular file";
  throw InputError(
      fmt::format("{}: is {}: an output replaces only a regular file (remove it or choose another name)",
                  path.string(), what));
}

void write_file_atomic(const std::filesystem::path& path, const std::string& text) {
  if (output_target(path) == OutputTarget::kDevice) {
    // A character device is written straight to: renaming a file over it would replace the node.
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error(fmt::format("{}: cannot open for writing: {}", path.string(), os_reason()));
    const bool ok = write_fd(fd, text);
    const int saved = errno;
    if (::close(fd) != 0 || !ok) {
      errno = ok ? errno : saved;
      throw std::runtime_error(fmt::format("{}: cannot write: {}", path.string(), os_reason()));
    }
    return;
  }
  const std::filesystem::path tmp = path.string() + ".partial";
  ::unlink(tmp.c_str());  // a stale one (or a link planted there) is never written through
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
  if (fd < 0) throw std::runtime_error(fmt::format("{}: cannot open for writing: {}", tmp.string(), os_reason()));
  // Written, flushed to the disk and closed, each step checked: a full disk shows here, never as
  // a short file under the final name.
  bool ok = write_fd(fd, text) && ::fsync(fd) == 0;
  int saved = errno;
  if (::close(fd) != 0 && ok) {
    ok = false;
    saved = errno;
  }
  struct stat st {};
  if (ok && ::stat(tmp.c_str(), &st) != 0) {
    ok = false;
    saved = errno;
  } else if (ok && static_cast<std::size_t>(st.st_size) != text.size()) {
    ok = false;
    saved = EIO;
  }
  if (!ok) {
    ::unlink(tmp.c_str());
    errno = saved;
    throw std::runtime_error(fmt::format("{}: cannot write: {}", path.string(), os_reason()));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    saved = errno;
    ::unlink(tmp.c_str());
    errno = saved;
    throw std::runtime_error(fmt::format("{}: cannot rename into place: {}", path.string(), os_reason()));
  }
}

FolderLock::FolderLock(const std::filesystem::path& dir, const std::string& what) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error(fmt::format("{}: cannot create output folder: {}", dir.string(), ec.message()));
  const std::filesystem::path file = dir / ".coherence.lock";
  fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
  if (fd_ < 0) throw std::runtime_error(fmt::format("{}: cannot open the lock file: {}", file.string(), os_reason()));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int saved = errno;
    ::close(fd_);
    fd_ = -1;
    if (saved == EWOULDBLOCK) {
      throw std::runtime_error(fmt::format("{}: another {} is writing into this folder (it holds {}); wait for it to "
                                           "end or choose another --out",
                                           dir.string(), what, file.string()));
    }
    throw std::runtime_error(fmt::format("{}: cannot lock: {}", file.string(), std::strerror(saved)));
  }
}

FolderLock::~FolderLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

void prepare_output_folder(const std::filesystem::path& dir, const std::function<bool(const std::string&)>& stale) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error(fmt::format("{}: cannot create output folder: {}", dir.string(), ec.message()));
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (stale(entry.path().filename().string())) std::filesystem::remove(entry.path(), ec);
  }
}

std::string csv_quoted(const std::string& text) {
  std::string q = "\"";
  for (char c : text) q += (c == '"') ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string csv_field(const std::string& text) {
  return text.find_first_of(",\"\r\n") == std::string::npos ? text : csv_quoted(text);
}

std::string format_csv(const std::vector<std::string>& columns, const std::vector<std::vector<double>>& rows) {
  std::string out;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    out += columns[i];
    out += (i + 1 < columns.size()) ? ',' : '\n';
  }
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (std::isfinite(row[i])) out += fmt::format("{:.6g}", row[i]);
      out += (i + 1 < row.size()) ? ',' : '\n';
    }
  }
  return out;
}

void write_json(const std::filesystem::path& path, const nlohmann::json& j) {
  write_file_atomic(path, j.dump(2) + "\n");
}

namespace {

// An unlinked temporary file for a child's stderr (-1 when none could be made).
int stderr_capture_file() {
  const char* dir = std::getenv("TMPDIR");
  std::string name = std::string(dir && *dir ? dir : "/tmp") + "/coherence-stderr-XXXXXX";
  const int fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd >= 0) ::unlink(name.c_str());
  return fd;
}

// The last 300 characters of what the child wrote to `fd`, on one line; closes `fd`.
std::string stderr_tail_of(int fd) {
  std::string text;
  char buffer[4096];
  ::lseek(fd, 0, SEEK_SET);
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) {
    text.append(buffer, static_cast<std::size_t>(n));
    if (text.size() > 65536) text.erase(0, text.size() - 4096);
  }
  ::close(fd);
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  if (text.size() > 300) text = "..." + text.substr(text.size() - 300);
  return text;
}

// posix_spawn's argv: the arguments' C strings and a closing null (valid while `args` lives).
std::vector<char*> argv_of(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  return argv;
}

// The child's stderr: into `err_fd` when there is one, else discarded.
void redirect_stderr(posix_spawn_file_actions_t& actions, int err_fd) {
  if (err_fd >= 0) {
    posix_spawn_file_actions_adddup2(&actions, err_fd, STDERR_FILENO);
  } else {
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  }
}

}  // namespace

int run_process(const std::vector<std::string>& args, std::string* stderr_tail) {
  std::vector<char*> argv = argv_of(args);
  // The child's stderr goes to an unlinked temporary file when the caller wants its tail.
  int err_fd = -1;
  if (stderr_tail) {
    stderr_tail->clear();
    err_fd = stderr_capture_file();
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  redirect_stderr(actions, err_fd);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  int status = 0;
  const bool waited = rc == 0 && waitpid(pid, &status, 0) >= 0;
  if (err_fd >= 0) *stderr_tail = stderr_tail_of(err_fd);
  if (!waited) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

ProcessInput::ProcessInput(const std::vector<std::string>& args) {
  std::signal(SIGPIPE, SIG_IGN);
  int fds[2];
  if (pipe(fds) != 0) return;
  std::vector<char*> argv = argv_of(args);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[0], STDIN_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_addclose(&actions, fds[1]);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[0]);
  if (rc != 0) {
    close(fds[1]);
    return;
  }
  pid_ = pid;
  fd_ = fds[1];
}

ProcessInput::~ProcessInput() { finish(); }

bool ProcessInput::write(const void* data, std::size_t bytes) {
  const auto* p = static_cast<const char*>(data);
  while (bytes > 0 && fd_ >= 0) {
    const ssize_t n = ::write(fd_, p, bytes);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    bytes -= static_cast<std::size_t>(n);
  }
  return fd_ >= 0;
}

int ProcessInput::finish() {
  if (finished_) return status_;
  finished_ = true;
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  if (pid_ <= 0) return status_ = -1;
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0) {
    if (errno != EINTR) return status_ = -1;
  }
  return status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int read_process_output(const std::vector<std::string>& args, std::string& out, std::string* stderr_tail) {
  out.clear();
  int err_fd = -1;
  if (stderr_tail) {
    stderr_tail->clear();
    err_fd = stderr_capture_file();
  }
  int fds[2];
  if (pipe(fds) != 0) return -1;
  std::vector<char*> argv = argv_of(args);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_addclose(&actions, fds[1]);
  redirect_stderr(actions, err_fd);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    if (err_fd >= 0) ::close(err_fd);
    return -1;
  }
  char buffer[1 << 16];
  while (true) {
    const ssize_t n = read(fds[0], buffer, sizeof buffer);
    if (n > 0) {
      out.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  close(fds[0]);
  int status = 0;
  const bool waited = waitpid(pid, &status, 0) >= 0;
  if (err_fd >= 0) *stderr_tail = stderr_tail_of(err_fd);
  if (!waited) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string gnuplot_quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    // A control character (a newline in a scenario name or a label) would end the literal and
    // the script line: it becomes a space.
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      out += ' ';
    } else {
      out += (c == '\'') ? std::string("''") : std::string(1, c);
    }
  }
  return out + "'";
}

namespace {

// Whether `file` holds a whole image: a PNG ends with its IEND chunk, an SVG with </svg>. It is
// fsync'd first so that a write the disk cannot hold fails here. Sets `reason` when not.
bool image_complete(const std::filesystem::path& file, std::string& reason) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    reason = fmt::format("{}: gnuplot wrote no image: {}", file.string(), std::strerror(errno));
    return false;
  }
  std::string text;
  char buffer[1 << 16];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) text.append(buffer, static_cast<std::size_t>(n));
  const bool synced = ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  if (!synced) {
    reason = fmt::format("{}: cannot write: {}", file.string(), std::strerror(saved));
    return false;
  }
  static const std::string kIend("IEND\xae\x42\x60\x82", 8);
  const bool svg = file.string().find(".svg") != std::string::npos;
  const bool whole = svg ? text.find("</svg>", text.size() > 64 ? text.size() - 64 : 0) != std::string::npos
                         : text.size() >= 8 && text.compare(text.size() - 8, 8, kIend) == 0;
  if (!whole) {
    reason = fmt::format("{}: gnuplot wrote a truncated image ({} bytes; disk full?)", file.string(), text.size());
    return false;
  }
  return true;
}

// Runs one gnuplot script drawing to IMAGE.partial; the image is renamed to IMAGE only when
// gnuplot succeeded and the image is whole. Returns false when gnuplot is not installed; throws
// std::runtime_error for every other failure (with gnuplot's own message).
bool run_gnuplot_script(const std::string& gp, const std::filesystem::path& image, std::string& reason) {
  const std::filesystem::path script = image.string() + ".gp";
  const std::filesystem::path partial = image.string() + ".partial";
  output_target(image);  // refuses a link or a device under the image's name
  write_file_atomic(script, gp);
  std::string gnuplot_says;
  const int status = run_process({"gnuplot", script.string()}, &gnuplot_says);
  if (status < 0) {
    reason = "gnuplot not found (install gnuplot-nox)";
    std::filesystem::remove(partial);
    return false;
  }
  if (status != 0) {
    std::error_code ec;
    std::filesystem::remove(partial, ec);
    throw std::runtime_error(fmt::format("{}: gnuplot exited with {}{}", image.string(), status,
                                         gnuplot_says.empty() ? "" : ": " + gnuplot_says));
  }
  if (!image_complete(partial, reason)) {
    std::error_code ec;
    std::filesystem::remove(partial, ec);
    throw std::runtime_error(reason + (gnuplot_says.empty() ? "" : " (gnuplot: " + gnuplot_says + ")"));
  }
  if (::rename(partial.c_str(), image.c_str()) != 0) {
    throw std::runtime_error(fmt::format("{}: cannot rename into place: {}", image.string(), std::strerror(errno)));
  }
  return true;
}

}  // namespace

bool run_gnuplot(const std::string& gp, const std::filesystem::path& png, std::string& reason) {
  if (!run_gnuplot_script(gp, png, reason)) return false;
  // The same figure as SVG (cheap: the script with gnuplot's svg terminal and another output).
  std::filesystem::path svg = png;
  svg.replace_extension(".svg");
  std::string svg_gp = gp;
  const std::string png_terminal = "set terminal pngcairo", png_output = gnuplot_quoted(png.string() + ".partial");
  const auto t = svg_gp.find(png_terminal);
  const auto o = svg_gp.find(png_output);
  if (t == std::string::npos || o == std::string::npos) {
    reason = "gnuplot script without a pngcairo terminal and output";
    return false;
  }
  svg_gp.replace(o, png_output.size(), gnuplot_quoted(svg.string() + ".partial"));
  svg_gp.replace(t, png_terminal.size(), "set terminal svg dynamic background rgb 'white'");
  return run_gnuplot_script(svg_gp, svg, reason);
}

}  // namespace coherence::output
