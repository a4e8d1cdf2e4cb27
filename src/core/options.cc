// LoadOptions(): defaults < config file < environment. Unknown keys are errors,
// so a typo in a config file is reported instead of silently ignored.
#include "tern/options.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>

#include "tern/errors.h"

namespace tern {
namespace {

using Setter = std::function<void(ExecutorOptions&, const std::string&)>;

[[noreturn]] void BadValue(const std::string& what, const std::string& value,
                           const std::string& expected) {
  throw Error(ErrorCode::kInvalidArgument, "bad value '" + value + "' for " +
                                               what + ": expected " + expected);
}

// Splits "512MiB" into 512 and "MiB". Returns false without digits.
bool SplitNumber(const std::string& text, double* number, std::string* unit) {
  size_t end = 0;
  try {
    *number = std::stod(text, &end);
  } catch (const std::exception&) {
    return false;
  }
  *unit = text.substr(end);
  while (!unit->empty() &&
         std::isspace(static_cast<unsigned char>(unit->front())))
    unit->erase(0, 1);
  return *number >= 0;
}

std::chrono::milliseconds ParseDuration(const std::string& what,
                                        const std::string& text) {
  static const std::map<std::string, double> kMillis = {
      {"", 1000},   {"ms", 1},      {"s", 1000},
      {"m", 60000}, {"min", 60000}, {"h", 3600000}};
  double number;
  std::string unit;
  if (!SplitNumber(text, &number, &unit) || !kMillis.count(unit)) {
    BadValue(what, text, "a duration such as 500ms, 30s, 5m or 1h");
  }
  return std::chrono::milliseconds(
      static_cast<int64_t>(number * kMillis.at(unit)));
}

uint64_t ParseBytes(const std::string& what, const std::string& text) {
  static const std::map<std::string, double> kBytes = {
      {"", 1},     {"B", 1},       {"KB", 1e3},       {"MB", 1e6},
      {"GB", 1e9}, {"KiB", 1024.}, {"MiB", 1048576.}, {"GiB", 1073741824.}};
  double number;
  std::string unit;
  if (!SplitNumber(text, &number, &unit) || !kBytes.count(unit)) {
    BadValue(what, text, "a size such as 4096, 64KiB, 512MiB or 2GiB");
  }
  return static_cast<uint64_t>(number * kBytes.at(unit));
}

int ParseInt(const std::string& what, const std::string& text, int min) {
  size_t end = 0;
  int value = 0;
  try {
    value = std::stoi(text, &end);
  } catch (const std::exception&) {
    end = 0;
  }
  if (end != text.size() || text.empty() || value < min) {
    BadValue(what, text, "an integer >= " + std::to_string(min));
  }
  return value;
}

double ParseDouble(const std::string& what, const std::string& text) {
  size_t end = 0;
  double value = -1;
  try {
    value = std::stod(text, &end);
  } catch (const std::exception&) {
    end = 0;
  }
  if (end != text.size() || text.empty() || value < 0) {
    BadValue(what, text, "a number >= 0");
  }
  return value;
}

bool ParseBool(const std::string& what, const std::string& text) {
  if (text == "true" || text == "1" || text == "yes" || text == "on")
    return true;
  if (text == "false" || text == "0" || text == "no" || text == "off")
    return false;
  BadValue(what, text, "true or false");
}

std::string ParseProgress(const std::string& what, const std::string& text) {
  if (text != "auto" && text != "always" && text != "never") {
    BadValue(what, text, "auto, always or never");
  }
  return text;
}

std::string ParseBackend(const std::string& what, const std::string& text) {
  if (text != "local" && text != "agents")
    BadValue(what, text, "local or agents");
  return text;
}

// Every option: its config-file key (the environment variable is TERN_ + the
// key in upper case) and how to set it.
const std::map<std::string, Setter>& Setters() {
  using O = ExecutorOptions;
  using S = const std::string&;
  static const std::map<std::string, Setter> setters = {
      {"store", [](O& o, S v) { o.store = v; }},
      {"coordinator", [](O& o, S v) { o.coordinator = v; }},
      {"backend", [](O& o, S v) { o.backend = ParseBackend("backend", v); }},
      {"workers", [](O& o, S v) { o.workers = ParseInt("workers", v, 0); }},
      {"task_timeout",
       [](O& o, S v) { o.task_timeout = ParseDuration("task_timeout", v); }},
      {"memory_limit",
       [](O& o, S v) { o.memory_limit_bytes = ParseBytes("memory_limit", v); }},
      {"max_attempts",
       [](O& o, S v) { o.max_attempts = ParseInt("max_attempts", v, 1); }},
      {"speculation",
       [](O& o, S v) { o.speculation = ParseDouble("speculation", v); }},
      {"reuse_processes",
       [](O& o, S v) { o.reuse_processes = ParseBool("reuse_processes", v); }},
      {"lease", [](O& o, S v) { o.lease = ParseDuration("lease", v); }},
      {"worker_idle",
       [](O& o, S v) { o.worker_idle = ParseDuration("worker_idle", v); }},
      {"inline_limit",
       [](O& o, S v) { o.inline_limit_bytes = ParseBytes("inline_limit", v); }},
      {"progress",
       [](O& o, S v) { o.progress = ParseProgress("progress", v); }},
  };
  return setters;
}

std::string EnvName(const std::string& key) {
  std::string name = "TERN_";
  for (char c : key) name += static_cast<char>(std::toupper(c));
  return name;
}

void ApplyFile(const std::string& path, ExecutorOptions& options) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    throw Error(ErrorCode::kInvalidArgument,
                "malformed config file " + path + ": " + e.what());
  }
  if (root.IsNull()) return;
  if (!root.IsMap()) {
    throw Error(ErrorCode::kInvalidArgument, "malformed config file " + path +
                                                 ": expected a map of options");
  }
  for (const auto& entry : root) {
    std::string key = entry.first.as<std::string>();
    auto setter = Setters().find(key);
    if (setter == Setters().end()) {
      throw Error(ErrorCode::kInvalidArgument,
                  "unknown option '" + key + "' in config file " + path);
    }
    if (!entry.second.IsScalar()) {
      throw Error(ErrorCode::kInvalidArgument,
                  "option '" + key + "' in " + path + " must be a scalar");
    }
    try {
      setter->second(options, entry.second.as<std::string>());
    } catch (const Error& e) {
      throw Error(ErrorCode::kInvalidArgument,
                  std::string(e.what()) + " (in config file " + path + ")");
    }
  }
}

std::string ConfigPath() {
  if (const char* path = std::getenv("TERN_CONFIG")) {
    if (!std::filesystem::exists(path)) {
      throw Error(ErrorCode::kNotFound,
                  std::string("config file ") + path +
                      " (named by TERN_CONFIG) does not exist");
    }
    return path;
  }
  std::string path = TernHome() + "/config.yaml";
  return std::filesystem::exists(path) ? path : "";
}

}  // namespace

std::string TernHome() {
  if (const char* home = std::getenv("TERN_HOME")) return home;
  const char* user_home = std::getenv("HOME");
  return std::string(user_home ? user_home : "/tmp") + "/.tern";
}

ExecutorOptions LoadOptions() {
  ExecutorOptions options;
  if (std::string path = ConfigPath(); !path.empty()) ApplyFile(path, options);
  for (const auto& [key, setter] : Setters()) {
    if (const char* value = std::getenv(EnvName(key).c_str())) {
      try {
        setter(options, value);
      } catch (const Error& e) {
        throw Error(ErrorCode::kInvalidArgument,
                    std::string(e.what()) + " (in environment variable " +
                        EnvName(key) + ")");
      }
    }
  }
  return options;
}

}  // namespace tern
