// tern config show: the configuration tern would run with here.
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "cli/cli.h"
#include "util/mask.h"

namespace tern::cli {
namespace {

// The config file LoadOptions reads (it has already failed if TERN_CONFIG
// names a missing file), or "" for none.
std::string ConfigFile() {
  if (const char* path = std::getenv("TERN_CONFIG")) return path;
  std::string path = TernHome() + "/config.yaml";
  return std::filesystem::exists(path) ? path : "";
}

void Print(const char* key, const std::string& value) {
  std::printf("%s: %s\n", key, value.c_str());
}

// One "key: value" line per option, in config-file syntax, so that the output
// is itself a valid config file.
void Show(Context& context) {
  const ExecutorOptions& options = context.options();
  std::string file = ConfigFile();
  std::printf("# config file: %s\n",
              file.empty() ? "none (defaults and TERN_* environment only)"
                           : file.c_str());
  Print("store", MaskSecrets(options.store));
  Print("coordinator", MaskSecrets(options.coordinator));
  Print("backend", options.backend);
  Print("workers", std::to_string(options.workers));
  Print("task_timeout", ConfigDuration(options.task_timeout));
  Print("memory_limit", ConfigBytes(options.memory_limit_bytes));
  Print("max_attempts", std::to_string(options.max_attempts));
  Print("reuse_processes", options.reuse_processes ? "true" : "false");
  Print("lease", ConfigDuration(options.lease));
  Print("worker_idle", ConfigDuration(options.worker_idle));
  Print("inline_limit", ConfigBytes(options.inline_limit_bytes));
  Print("progress", options.progress);
}

}  // namespace

void AddConfigCommands(CLI::App& app, Context& context) {
  CLI::App* config =
      app.add_subcommand("config", "Show tern's effective configuration");
  CLI::App* show = config->add_subcommand(
      "show",
      "Every option after defaults, config file, TERN_* environment and "
      "command line, as a config file (secrets masked)");
  show->callback([&context] { Show(context); });
}

}  // namespace tern::cli
