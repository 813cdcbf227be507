// coherence_bench: runs every benchmark (or those named by --only), prints the figures, and with
// --docs DIR rewrites the generated part of DIR/performance.md: the machine, the date, each
// figure and its ratio to DESIGN.md's goal. The hand-written notes outside the markers stay.
#include <fmt/format.h>
#include <sundials/sundials_config.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <thread>

#include "bench/benchmarks.hpp"
#include "output/files.hpp"

namespace coherence::bench {

std::string time_ratio(double measured, double limit) {
  return measured <= limit ? fmt::format("{:.3g}x faster than the goal", limit / measured)
                           : fmt::format("**{:.3g}x too slow**", measured / limit);
}

std::string rate_ratio(double measured, double floor) {
  return measured >= floor ? fmt::format("{:.3g}x the goal", measured / floor)
                           : fmt::format("**{:.3g}x too slow**", floor / measured);
}

namespace {

const char* const kBegin = "<!-- coherence_bench: generated from here -->";
const char* const kEnd = "<!-- coherence_bench: generated up to here -->";

// The first line of `file` starting with `key`, after the key and any ':' / '=' / quotes.
std::string first_field(const char* file, const std::string& key) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) != 0) continue;
    std::string v = line.substr(key.size());
    const auto start = v.find_first_not_of(" \t:=\"");
    if (start == std::string::npos) return {};
    v = v.substr(start);
    while (!v.empty() && (v.back() == '"' || v.back() == ' ')) v.pop_back();
    return v;
  }
  return {};
}

std::string machine_description() {
  const std::string cpu = first_field("/proc/cpuinfo", "model name");
  const std::string mem = first_field("/proc/meminfo", "MemTotal");
  const std::string os = first_field("/etc/os-release", "PRETTY_NAME");
  double mem_gib = 0.0;
  std::istringstream(mem) >> mem_gib;
  return fmt::format("{} ({} hardware threads), {:.0f} GiB; {}; {} {}; SUNDIALS {}; Release build",
                     cpu.empty() ? "unknown CPU" : cpu, std::thread::hardware_concurrency(), mem_gib / 1048576.0,
                     os.empty() ? "unknown OS" : os,
#if defined(__clang__)
                     "clang",
#else
                     "g++",
#endif
                     __VERSION__, SUNDIALS_VERSION);
}

std::string today_utc() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[16];
  std::strftime(text, sizeof text, "%Y-%m-%d", &tm);
  return text;
}

std::string cell(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

std::string markdown(const std::vector<Section>& sections, const Options& o) {
  std::string md = std::string(kBegin) + "\n";
  md += fmt::format("Measured by `bench/run.sh` (`build/release/bench/coherence_bench --docs docs`) on {}, on {}.\n",
                    today_utc(), machine_description());
  if (o.quick) md += "\n**Quick run (--quick): sizes too small for the figures to mean anything.**\n";
  for (const auto& s : sections) {
    md += fmt::format("\n### {} (`{}`)\n\n", s.title, s.command);
    if (!s.figures.empty()) md += "| Benchmark | Figure | Goal (DESIGN.md) | Ratio to goal |\n|---|---|---|---|\n";
    for (const auto& f : s.figures) {
      md += fmt::format("| {} | {} | {} | {} |\n", cell(f.what), cell(f.figure), cell(f.goal), cell(f.ratio));
    }
    if (!s.details.empty()) md += "\n";
    for (const auto& d : s.details) md += d + "\n";
  }
  md += std::string(kEnd) + "\n";
  return md;
}

// Replaces the generated block of performance.md (or writes a new file around it).
void write_docs(const std::filesystem::path& dir, const std::string& block) {
  const auto path = dir / "performance.md";
  std::string text;
  if (std::ifstream in(path); in) {
    std::ostringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  const auto b = text.find(kBegin), e = text.find(kEnd);
  if (b != std::string::npos && e != std::string::npos && e > b) {
    text = text.substr(0, b) + block + text.substr(e + std::string(kEnd).size() + 1);
  } else {
    text = "# Performance\n\n" + block + text;
  }
  output::write_file_atomic(path, text);
}

}  // namespace
}  // namespace coherence::bench

int main(int argc, char** argv) {
  using namespace coherence::bench;
  try {
    CLI::App app{"Runs Coherence's benchmarks and records them in docs/performance.md", "coherence_bench"};
    Options o;
    std::vector<std::string> only;
    std::string docs_dir;
    const std::map<std::string, std::function<Section(const Options&)>> benchmarks = {
        {"model", bench_model}, {"render", bench_render}, {"score", bench_score}, {"trial", bench_trial}, {"viewer", bench_viewer}};
    app.add_option("--only", only, "Run only these benchmarks (model, render, score, trial, viewer)")
        ->check(CLI::IsMember({"model", "render", "score", "trial", "viewer"}));
    app.add_option("--docs", docs_dir, "Rewrite the generated part of DIR/performance.md")->check(CLI::ExistingDirectory);
    app.add_flag("--quick", o.quick, "Tiny sizes: checks that every benchmark runs; the figures mean nothing");
    app.add_option("--trial-patients", o.trial_patients, "Patients per trial benchmark")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      return app.exit(e);
    }
    if (!docs_dir.empty() && !only.empty()) {
      std::fprintf(stderr, "coherence_bench: --docs needs every benchmark (drop --only)\n");
      return 2;
    }
    std::vector<Section> sections;
    for (const char* name : {"model", "render", "score", "trial", "viewer"}) {
      if (!only.empty() && std::find(only.begin(), only.end(), name) == only.end()) continue;
      std::fprintf(stderr, "coherence_bench: %s...\n", name);
      sections.push_back(benchmarks.at(name)(o));
    }
    const std::string block = markdown(sections, o);
    std::fputs(block.c_str(), stdout);
    if (!docs_dir.empty()) write_docs(docs_dir, block);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "coherence_bench: error: %s\n", e.what());
    return 1;
  }
}
