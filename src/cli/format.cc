// Output helpers shared by the verbs.
#include <time.h>

#include <cstdio>
#include <map>

#include "cli/cli.h"

namespace tern::cli {

void Warn(const std::string& message) {
  std::fprintf(stderr, "tern: %s\n", message.c_str());
}

std::string HumanBytes(uint64_t bytes) {
  static const char* const kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  double value = static_cast<double>(bytes) / 1024;
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.1f %s", value, kUnits[unit]);
  return text;
}

std::string ConfigBytes(uint64_t bytes) {
  static const std::pair<uint64_t, const char*> kUnits[] = {
      {uint64_t{1} << 30, "GiB"}, {uint64_t{1} << 20, "MiB"}, {1024, "KiB"}};
  for (const auto& [size, name] : kUnits) {
    if (bytes != 0 && bytes % size == 0) {
      return std::to_string(bytes / size) + name;
    }
  }
  return std::to_string(bytes);
}

std::string ConfigDuration(std::chrono::milliseconds duration) {
  static const std::pair<int64_t, const char*> kUnits[] = {
      {3600000, "h"}, {60000, "m"}, {1000, "s"}};
  int64_t ms = duration.count();
  if (ms == 0) return "0s";
  for (const auto& [size, name] : kUnits) {
    if (ms % size == 0) return std::to_string(ms / size) + name;
  }
  return std::to_string(ms) + "ms";
}

std::string LocalTime(int64_t micros) {
  if (micros <= 0) return "-";
  time_t seconds = static_cast<time_t>(micros / 1000000);
  tm local{};
  localtime_r(&seconds, &local);
  char text[64];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &local);
  return text;
}

void PrintTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size())
        line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    std::printf("%s\n", line.c_str());
  }
}

std::optional<std::chrono::milliseconds> ParseDuration(
    const std::string& text) {
  static const std::map<std::string, double> kMillis = {
      {"", 1000},   {"ms", 1},      {"s", 1000},
      {"m", 60000}, {"min", 60000}, {"h", 3600000}};
  size_t end = 0;
  double number = 0;
  try {
    number = std::stod(text, &end);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  auto unit = kMillis.find(text.substr(end));
  if (number < 0 || unit == kMillis.end()) return std::nullopt;
  return std::chrono::milliseconds(static_cast<int64_t>(number * unit->second));
}

CLI::Validator DurationValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        if (ParseDuration(text)) return "";
        return "expected a duration such as 500ms, 30s, 5m or 1h, not '" +
               text + "'";
      },
      "DURATION");
}

}  // namespace tern::cli
