#include "output/files.hpp"

#include <fmt/format.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cmath>
#include <fstream>
#include <stdexcept>

extern char** environ;

namespace coherence::output {

void write_file_atomic(const std::filesystem::path& path, const std::string& text) {
  const std::filesystem::path tmp = path.string() + ".partial";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error(fmt::format("{}: cannot open for writing", tmp.string()));
    out << text;
    out.flush();
    if (!out) throw std::runtime_error(fmt::format("{}: write failed", tmp.string()));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw std::runtime_error(fmt::format("{}: cannot rename into place: {}", path.string(), ec.message()));
}

void prepare_output_folder(const std::filesystem::path& dir, const std::function<bool(const std::string&)>& stale) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error(fmt::format("{}: cannot create output folder: {}", dir.string(), ec.message()));
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (stale(entry.path().filename().string())) std::filesystem::remove(entry.path(), ec);
  }
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

int run_process(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

ProcessInput::ProcessInput(const std::vector<std::string>& args) {
  std::signal(SIGPIPE, SIG_IGN);
  int fds[2];
  if (pipe(fds) != 0) return;
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
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

int read_process_output(const std::vector<std::string>& args, std::string& out) {
  out.clear();
  int fds[2];
  if (pipe(fds) != 0) return -1;
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_addclose(&actions, fds[1]);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
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
  if (waitpid(pid, &status, 0) < 0) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string gnuplot_quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += (c == '\'') ? std::string("''") : std::string(1, c);
  return out + "'";
}

namespace {

std::string quoted(const std::string& s) { return gnuplot_quoted(s); }

}  // namespace

namespace {

// Runs one gnuplot script drawing to IMAGE.partial, then renames it to IMAGE.
bool run_gnuplot_script(const std::string& gp, const std::filesystem::path& image, std::string& reason) {
  const std::filesystem::path script = image.string() + ".gp";
  try {
    write_file_atomic(script, gp);
  } catch (const std::exception& e) {
    reason = e.what();
    return false;
  }
  const int status = run_process({"gnuplot", script.string()});
  if (status != 0) {
    reason = status < 0 ? "gnuplot not found (install gnuplot-nox)" : fmt::format("gnuplot exited with {}", status);
    std::filesystem::remove(image.string() + ".partial");
    return false;
  }
  std::error_code ec;
  std::filesystem::rename(image.string() + ".partial", image, ec);
  if (ec) {
    reason = ec.message();
    return false;
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

bool plot_comparison(const std::vector<ComparedRun>& runs, const std::filesystem::path& png, const std::string& title,
                     std::string& reason) {
  static const char* kColours[] = {"#c0392b", "#2471a3", "#1e8449", "#d35400", "#6c3483", "#7f8c8d"};
  auto plot_column = [&](int column, const std::string& extra) {
    std::string line = "plot ";
    for (std::size_t i = 0; i < runs.size(); ++i) {
      line += fmt::format("{} using ($1/60):{} with {} lw 2 lc rgb '{}' title {}, ", quoted(runs[i].timeseries_csv.string()),
                          column, column == 9 ? "steps" : "lines", kColours[i % 6], quoted(runs[i].label));
    }
    return line + extra + "\n";
  };
  std::string gp;
  gp += "set terminal pngcairo size 1200,1000 font 'sans,10'\n";
  gp += "set output " + quoted(png.string() + ".partial") + "\n";
  gp += "set termoption noenhanced\nset datafile separator ','\nset key top right opaque box\nset grid\n";
  gp += "set multiplot layout 4,1 title " + quoted(title) + "\nset lmargin 10\nset xlabel ''\n";
  gp += "set ylabel 'MAP (mmHg)'\n" +
        plot_column(2, "65 with lines dt 2 lc rgb '#555555' title 'MAP 65', 60 with lines dt 3 lc rgb '#999999' "
                       "title 'MAP 60'");
  gp += "set ylabel 'NE (ug/kg/min)'\nset yrange [0:1<*]\nset object 1 rect from graph 0, first 0.71 to graph 1, first 0.80 "
        "fc rgb '#f5b7b1' fs solid 0.5 noborder behind\n" +
        plot_column(9, "NaN with boxes fc rgb '#f5b7b1' fs solid 0.5 title 'cliff 0.71-0.80 (Dai)'");
  gp += "unset object 1\nset ylabel 'MFI'\nset yrange [0:3.3]\n" +
        plot_column(17, "2.6 with lines dt 2 lc rgb '#555555' title 'MFI 2.6 (abnormal below)'");
  gp += "set autoscale y\nset xlabel 'time (h)'\nset ylabel 'lactate (mmol/L)'\n" +
        plot_column(12, "2 with lines dt 2 lc rgb '#555555' title 'lactate 2'");
  gp += "unset multiplot\n";
  return run_gnuplot(gp, png, reason);
}

bool plot_trends(const std::filesystem::path& csv, const std::filesystem::path& png, const std::string& title,
                 std::string& reason) {
  std::string gp;
  gp += "set terminal pngcairo size 1200,1100 font 'sans,10'\n";
  gp += "set output " + quoted(png.string() + ".partial") + "\n";
  gp += "set termoption noenhanced\n";
  gp += "set datafile separator ','\nset key autotitle columnhead top left\nset grid\n";
  gp += "set multiplot layout 5,1 title " + quoted(title) + "\n";
  gp += "set lmargin 10\nset xlabel ''\n";
  gp += "f = " + quoted(csv.string()) + "\n";
  gp += "set ylabel 'mmHg / bpm'\nplot f using ($1/60):2 with lines lw 2 lc rgb '#c0392b', "
        "f using ($1/60):3 with lines lc rgb '#7f8c8d', 65 with lines dt 2 lc rgb '#c0392b' title 'MAP 65'\n";
  gp += "set ylabel 'L/min / mmHg'\nplot f using ($1/60):4 with lines lw 2 lc rgb '#2471a3', "
        "f using ($1/60):5 with lines lc rgb '#16a085', f using ($1/60):7 with lines lc rgb '#8e44ad'\n";
  gp += "set ylabel 'ug/kg/min'\nplot f using ($1/60):9 with steps lw 2 lc rgb '#d35400'\n";
  gp += "set ylabel 'mmol/L / s'\nplot f using ($1/60):12 with lines lw 2 lc rgb '#1e8449', "
        "f using ($1/60):13 with lines lc rgb '#b9770e' title 'crt_s'\n";
  gp += "set xlabel 'time (h)'\nset ylabel 'MFI'\nset yrange [0:3.1]\nset y2label 'PPV %'\nset y2range [0:105]\n"
        "set y2tics\nplot f using ($1/60):17 with lines lw 2 lc rgb '#6c3483' title 'mfi', "
        "f using ($1/60):18 axes x1y2 with lines lc rgb '#2e86c1' title 'ppv_pct', "
        "2.6 with lines dt 2 lc rgb '#6c3483' title 'MFI 2.6'\n";
  gp += "unset multiplot\n";
  return run_gnuplot(gp, png, reason);
}

}  // namespace coherence::output
