// The `tern` command-line tool: what its verbs share.
//
// main.cc builds the command tree with CLI11; each verb group lives in a file
// of its own (storage_cmd.cc, jobs_cmd.cc, logs_cmd.cc, config_cmd.cc,
// worker_cmd.cc, linalg_cmd.cc) and registers itself with one Add* function.
// Verbs report failures by throwing tern::Error, which main prints as "tern:
// <message>" and turns into exit status 1; usage errors exit with status 2.
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tern/coordinator.h"
#include "tern/object_store.h"
#include "tern/options.h"

namespace tern::cli {

// The global options and the stores they name, opened on first use. Not
// thread-safe; the tool is single-threaded.
class Context {
 public:
  // Adds --store and --coordinator to command (every verb has them).
  void AddGlobalOptions(CLI::App* command);

  // The effective options: defaults < config file < TERN_* environment <
  // --store/--coordinator, then resolved as the client resolves them.
  // Throws Error(kInvalidArgument) for a malformed config.
  const ExecutorOptions& options();
  ObjectStore& store();
  Coordinator& coordinator();

  // Makes main exit with status 1 once the verb is done (for verbs that go on
  // after a partial failure, such as `storage rm` of a missing key).
  void Fail() { status_ = 1; }
  int status() const { return status_; }

 private:
  std::string store_flag_;
  std::string coordinator_flag_;
  std::optional<ExecutorOptions> options_;
  std::unique_ptr<ObjectStore> store_;
  std::unique_ptr<Coordinator> coordinator_;
  int status_ = 0;
};

// The verb groups.
void AddStorageCommands(CLI::App& app, Context& context);
void AddJobsCommands(CLI::App& app, Context& context);
void AddJobsCleanCommand(CLI::App& jobs, Context& context);
void AddLogsCommand(CLI::App& app, Context& context);
void AddConfigCommands(CLI::App& app, Context& context);
void AddWorkerCommand(CLI::App& app, Context& context);
void AddLinalgCommands(CLI::App& app, Context& context);

// ---- Output helpers (format.cc).

// Prints "tern: <message>" to stderr.
void Warn(const std::string& message);
// "512 B", "1.5 KiB", "3.0 GiB".
std::string HumanBytes(uint64_t bytes);
// A size in config-file syntax: "65536" -> "64KiB".
std::string ConfigBytes(uint64_t bytes);
// A duration in config-file syntax: "250ms", "30s", "5m", "1h".
std::string ConfigDuration(std::chrono::milliseconds duration);
// Microseconds since the epoch as local time, "2024-05-01 12:34:56"; "-" for 0.
std::string LocalTime(int64_t micros);
// Prints rows as left-aligned columns separated by two spaces.
void PrintTable(const std::vector<std::vector<std::string>>& rows);
// Parses a duration such as "500ms", "30s", "5m", "1h" (a plain number is
// seconds). Returns std::nullopt when text is not one.
std::optional<std::chrono::milliseconds> ParseDuration(const std::string& text);
// A CLI11 check that accepts what ParseDuration parses.
CLI::Validator DurationValidator();

}  // namespace tern::cli
