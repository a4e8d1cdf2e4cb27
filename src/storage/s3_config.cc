#include "storage/s3_config.h"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>

#include "tern/errors.h"
#include "tern/object_store.h"
#include "util/mask.h"

namespace tern {
namespace {

const std::set<std::string> kKnownParams = {
    "endpoint", "region",   "path_style", "timeout",    "part_size",
    "threads",  "max_keys", "access_key", "secret_key", "session_token"};

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

// Escapes the characters that would change how a query value parses.
std::string QueryEscape(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '%' || c == '&' || c == '#' || c == '+' || c == ' ') {
      static const char kHex[] = "0123456789ABCDEF";
      out += '%';
      out += kHex[static_cast<unsigned char>(c) >> 4];
      out += kHex[c & 0xF];
    } else {
      out += c;
    }
  }
  return out;
}

std::string MaskedUri(const Uri& uri) {
  std::string text = "s3://" + uri.authority + uri.path;
  char sep = '?';
  for (const auto& [name, value] : uri.query) {
    text += sep + name + "=" + QueryEscape(value);
    sep = '&';
  }
  return MaskSecrets(text);
}

[[noreturn]] void Invalid(const S3Config& config, const std::string& why) {
  throw Error(ErrorCode::kInvalidArgument,
              "bad S3 URI '" + config.masked_uri + "': " + why);
}

// Parses "500ms", "30s", "2m" or a plain number of seconds.
std::chrono::milliseconds ParseTimeout(const S3Config& config,
                                       const std::string& text) {
  size_t end = 0;
  double number = -1;
  try {
    number = std::stod(text, &end);
  } catch (const std::exception&) {
  }
  std::string unit = text.substr(end);
  double scale = unit == "ms" ? 1 : unit == "m" ? 60000 : 1000;
  if (number <= 0 ||
      (unit != "" && unit != "ms" && unit != "s" && unit != "m")) {
    Invalid(config, "timeout '" + text + "' is not a duration like 30s");
  }
  return std::chrono::milliseconds(static_cast<int64_t>(number * scale));
}

// Parses "16MiB", "8388608", "5MB" and the like.
uint64_t ParseSize(const S3Config& config, const std::string& text) {
  static const std::map<std::string, uint64_t> kUnits = {
      {"", 1},          {"B", 1},     {"KiB", 1 << 10}, {"MiB", 1 << 20},
      {"GiB", 1 << 30}, {"KB", 1000}, {"MB", 1000000},  {"GB", 1000000000}};
  size_t end = 0;
  uint64_t number = 0;
  try {
    number = std::stoull(text, &end);
  } catch (const std::exception&) {
    end = 0;
  }
  auto unit = kUnits.find(text.substr(end));
  if (end == 0 || unit == kUnits.end()) {
    Invalid(config, "size '" + text + "' is not like 16MiB");
  }
  return number * unit->second;
}

int ParsePositive(const S3Config& config, const std::string& name,
                  const std::string& text) {
  size_t end = 0;
  int value = 0;
  try {
    value = std::stoi(text, &end);
  } catch (const std::exception&) {
    end = 0;
  }
  if (end == 0 || end != text.size() || value < 1) {
    Invalid(config, name + " '" + text + "' is not a positive integer");
  }
  return value;
}

bool ParseBool(const S3Config& config, const std::string& name,
               const std::string& text) {
  if (text == "true" || text == "1") return true;
  if (text == "false" || text == "0") return false;
  Invalid(config, name + " '" + text + "' is not true or false");
}

void ParseBucketAndPrefix(const Uri& uri, S3Config* config) {
  config->bucket = uri.authority;
  if (config->bucket.empty()) Invalid(*config, "no bucket: s3://bucket/...");
  for (char c : config->bucket) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' &&
        c != '_') {
      Invalid(*config, "bad character in bucket name '" + config->bucket + "'");
    }
  }
  std::string prefix = uri.path;
  while (prefix.starts_with("/")) prefix.erase(0, 1);
  while (prefix.ends_with("/")) prefix.pop_back();
  if (prefix.empty()) return;
  try {
    ObjectStore::CheckKey(prefix);
  } catch (const Error& e) {
    Invalid(*config, "key prefix '" + prefix + "' is not a valid key path");
  }
  config->prefix = prefix + "/";
}

void ParseEndpoint(const Uri& uri, S3Config* config) {
  auto it = uri.query.find("endpoint");
  if (it == uri.query.end()) {
    config->endpoint = "https://s3." + config->region + ".amazonaws.com";
    return;
  }
  std::string endpoint = it->second;
  while (endpoint.ends_with("/")) endpoint.pop_back();
  size_t host = endpoint.find("://");
  bool http = endpoint.starts_with("http://");
  if (!(http || endpoint.starts_with("https://")) ||
      endpoint.find('/', host + 3) != std::string::npos ||
      host + 3 == endpoint.size()) {
    Invalid(*config, "endpoint '" + endpoint +
                         "' is not like http://host:port or https://host");
  }
  config->endpoint = endpoint;
  config->path_style = true;  // custom servers rarely have wildcard DNS
}

void ParseTuning(const Uri& uri, S3Config* config) {
  for (const auto& [name, value] : uri.query) {
    if (!kKnownParams.count(name)) {
      Invalid(*config, "unknown parameter '" + name + "'");
    } else if (name == "path_style") {
      config->path_style = ParseBool(*config, name, value);
    } else if (name == "timeout") {
      config->timeout = ParseTimeout(*config, value);
    } else if (name == "part_size") {
      config->part_size = ParseSize(*config, value);
    } else if (name == "threads") {
      config->threads = ParsePositive(*config, name, value);
    } else if (name == "max_keys") {
      config->max_keys = ParsePositive(*config, name, value);
    }
  }
  if (config->part_size < (5 << 20)) {
    Invalid(*config, "part_size must be at least 5MiB (an S3 limit)");
  }
}

std::string Trim(const std::string& text) {
  size_t start = 0, end = text.size();
  while (start < end && std::isspace(static_cast<unsigned char>(text[start]))) {
    ++start;
  }
  while (end > start &&
         std::isspace(static_cast<unsigned char>(text[end - 1]))) {
    --end;
  }
  return text.substr(start, end - start);
}

// Returns the [profile] section's key = value pairs from an INI file.
std::map<std::string, std::string> ReadProfile(const std::string& path,
                                               const std::string& profile) {
  std::map<std::string, std::string> values;
  std::ifstream in(path);
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    line = Trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      inside = Trim(line.substr(1, line.size() - 2)) == profile;
      continue;
    }
    size_t eq = line.find('=');
    if (inside && eq != std::string::npos) {
      values[Trim(line.substr(0, eq))] = Trim(line.substr(eq + 1));
    }
  }
  return values;
}

bool CredentialsFromFile(S3Credentials* credentials) {
  std::string path = Env("AWS_SHARED_CREDENTIALS_FILE");
  if (path.empty() && !Env("HOME").empty()) {
    path = Env("HOME") + "/.aws/credentials";
  }
  std::string profile = Env("AWS_PROFILE");
  if (path.empty()) return false;
  std::map<std::string, std::string> values =
      ReadProfile(path, profile.empty() ? "default" : profile);
  credentials->access_key_id = values["aws_access_key_id"];
  credentials->secret_access_key = values["aws_secret_access_key"];
  credentials->session_token = values["aws_session_token"];
  return !credentials->access_key_id.empty();
}

void FindCredentials(const Uri& uri, S3Config* config) {
  S3Credentials& credentials = config->credentials;
  auto param = [&](const char* name) {
    auto it = uri.query.find(name);
    return it == uri.query.end() ? std::string() : it->second;
  };
  if (!param("access_key").empty() || !param("secret_key").empty()) {
    credentials = {param("access_key"), param("secret_key"),
                   param("session_token")};
  } else if (!Env("AWS_ACCESS_KEY_ID").empty()) {
    credentials = {Env("AWS_ACCESS_KEY_ID"), Env("AWS_SECRET_ACCESS_KEY"),
                   Env("AWS_SESSION_TOKEN")};
  } else if (!CredentialsFromFile(&credentials)) {
    Invalid(*config,
            "no S3 credentials: set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or put them in ~/.aws/credentials");
  }
  if (credentials.access_key_id.empty() ||
      credentials.secret_access_key.empty()) {
    Invalid(*config, "S3 credentials need both an access key id and a secret");
  }
}

}  // namespace

S3Config ParseS3Config(const Uri& uri) {
  S3Config config;
  config.masked_uri = MaskedUri(uri);
  ParseBucketAndPrefix(uri, &config);
  if (!Env("AWS_DEFAULT_REGION").empty()) {
    config.region = Env("AWS_DEFAULT_REGION");
  }
  if (!Env("AWS_REGION").empty()) config.region = Env("AWS_REGION");
  if (uri.query.count("region")) config.region = uri.query.at("region");
  // The region goes into libcurl's "aws:amz:<region>:s3" signing parameter.
  if (config.region.empty() ||
      config.region.find_first_not_of(
          "abcdefghijklmnopqrstuvwxyz0123456789-") != std::string::npos) {
    Invalid(config, "region '" + config.region + "' is not like us-east-1");
  }
  ParseEndpoint(uri, &config);
  ParseTuning(uri, &config);
  FindCredentials(uri, &config);
  return config;
}

}  // namespace tern
