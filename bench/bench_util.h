// Helpers shared by tern's benchmark programs: statistics, a scratch
// deployment, and running a baseline script in the same run.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tern/tern.h"

namespace tern::bench {

inline double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

inline double Percentile(std::vector<double> values, double fraction) {
  if (values.empty()) return 0;
  size_t rank = static_cast<size_t>(fraction * (values.size() - 1) + 0.5);
  std::nth_element(values.begin(), values.begin() + rank, values.end());
  return values[rank];
}

inline double Median(std::vector<double> values) {
  return Percentile(values, 0.5);
}

// The embedded default deployment in a temporary directory under
// TERN_BENCH_DIR (default /tmp), removed at exit.
class ScratchDeployment {
 public:
  ScratchDeployment() {
    const char* base = std::getenv("TERN_BENCH_DIR");
    std::string pattern =
        std::string(base && *base ? base : "/tmp") + "/tern-bench-XXXXXX";
    dir_ = mkdtemp(pattern.data());
    std::filesystem::create_directories(dir_ + "/store");
  }
  ~ScratchDeployment() { std::filesystem::remove_all(dir_); }
  const std::string& dir() const { return dir_; }
  ExecutorOptions Options(int workers) const {
    ExecutorOptions options;
    options.store = "file://" + dir_ + "/store";
    options.coordinator = "sqlite://" + dir_ + "/coordinator.db";
    options.workers = workers;
    options.progress = "never";
    return options;
  }

 private:
  std::string dir_;
};

// Runs a baseline script (bench/baselines/...) and returns its one JSON line,
// or nullopt (with a note on stderr) when the baseline is unavailable.
inline std::optional<std::string> RunBaseline(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"),
                                             &pclose);
  if (!pipe) return std::nullopt;
  std::string output;
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof buffer, pipe.get()))
    output.append(buffer, n);
  int status = pclose(pipe.release());
  if (status != 0 || output.empty()) {
    std::fprintf(stderr, "baseline unavailable: %s (status %d)\n",
                 command.c_str(), status);
    return std::nullopt;
  }
  return output;
}

// The number after "key": in a flat JSON object.
inline double JsonNumber(const std::string& json, const std::string& key) {
  size_t at = json.find("\"" + key + "\":");
  return at == std::string::npos
             ? 0
             : std::atof(json.c_str() + at + key.size() + 3);
}

// Runs a shell command; returns its wall time in seconds, or -1 if it failed.
inline double TimeCommand(const std::string& command) {
  auto start = std::chrono::steady_clock::now();
  if (std::system(command.c_str()) != 0) return -1;
  return Seconds(std::chrono::steady_clock::now() - start);
}

// Prints a row: name, median of times, base / median, runs; "unavailable"
// when times is empty or its first run failed (-1).
inline void PrintTimeRow(const std::string& name,
                         const std::vector<double>& times, double base) {
  if (times.empty() || times[0] < 0) {
    std::printf("%-34s %10s\n", name.c_str(), "unavailable");
    return;
  }
  double median = Median(times);
  std::printf("%-34s %9.2f s %6.2fx %4zu\n", name.c_str(), median,
              base / median, times.size());
}

// Directory of the baseline scripts, from the source tree.
inline std::string BaselineDir() { return TERN_BENCH_BASELINES; }

}  // namespace tern::bench
