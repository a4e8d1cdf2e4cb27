// Program and Task: names, keys, and binding a program's sizes; the analysis
// itself is in analysis.cc.
#include "linalg/program.h"

#include <algorithm>
#include <charconv>

#include "linalg/analysis.h"
#include "linalg/builder.h"
#include "tern/errors.h"

namespace tern::linalg {
namespace {

constexpr int64_t kMaxParameter = int64_t{1} << 24;

[[noreturn]] void Invalid(const std::string& message) {
  throw Error(ErrorCode::kInvalidArgument, message);
}

}  // namespace

std::string Task::Key() const {
  std::string key = std::to_string(statement) + ":";
  for (size_t i = 0; i < loop.size(); ++i) {
    key += (i ? "," : "") + std::to_string(loop[i]);
  }
  return key;
}

Task Task::FromKey(std::string_view key) {
  auto bad = [&]() -> Task {
    Invalid("malformed task key '" + std::string(key) +
            "' (expected statement:i,j,... as in 2:1,0,3)");
  };
  auto number = [&](std::string_view text, int64_t* out) {
    if (text.empty() || text[0] == '+') return false;
    auto [end, ec] =
        std::from_chars(text.data(), text.data() + text.size(), *out);
    return ec == std::errc() && end == text.data() + text.size();
  };
  size_t colon = key.find(':');
  if (colon == std::string_view::npos) return bad();
  int64_t statement;
  if (!number(key.substr(0, colon), &statement) || statement < 0 ||
      statement > INT32_MAX) {
    return bad();
  }
  Task task;
  task.statement = static_cast<int>(statement);
  std::string_view rest = key.substr(colon + 1);
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    int64_t v;
    if (!number(rest.substr(0, comma), &v)) return bad();
    task.loop.push_back(v);
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
    if (rest.empty()) return bad();
  }
  return task;
}

Program::Program(std::shared_ptr<const ProgramDef> def)
    : def_(std::move(def)) {}

const std::string& Program::name() const {
  static const std::string empty;
  return def_ ? def_->name : empty;
}

std::vector<std::string> Program::Parameters() const {
  std::vector<std::string> out;
  if (def_) {
    for (const auto& [id, name] : def_->parameters) out.push_back(name);
  }
  return out;
}

namespace {
std::vector<std::string> ArraysOf(const ProgramDef* def, ArrayDef::Kind kind) {
  std::vector<std::string> out;
  if (def) {
    for (const ArrayDef& a : def->arrays) {
      if (a.kind == kind) out.push_back(a.name);
    }
  }
  return out;
}
}  // namespace

std::vector<std::string> Program::InputArrays() const {
  return ArraysOf(def_.get(), ArrayDef::Kind::kInput);
}

std::vector<std::string> Program::OutputArrays() const {
  return ArraysOf(def_.get(), ArrayDef::Kind::kOutput);
}

std::shared_ptr<const BoundProgram> Program::Bind(
    const std::map<std::string, int64_t>& parameters) const {
  if (!def_) Invalid("binding an empty program");
  std::map<uint64_t, int64_t> values;
  for (const auto& [id, name] : def_->parameters) {
    auto it = parameters.find(name);
    if (it == parameters.end()) {
      Invalid("program " + def_->name + ": parameter " + name + " is missing");
    }
    if (it->second < 0) {
      Invalid("program " + def_->name + ": parameter " + name + " = " +
              std::to_string(it->second) + " is negative");
    }
    // The analysis multiplies sizes by small coefficients in 64 bits.
    if (it->second > kMaxParameter) {
      Invalid("program " + def_->name + ": parameter " + name + " = " +
              std::to_string(it->second) + " is above " +
              std::to_string(kMaxParameter) + " blocks");
    }
    values[id] = it->second;
  }
  for (const auto& [name, value] : parameters) {
    bool known = std::any_of(def_->parameters.begin(), def_->parameters.end(),
                             [&](const auto& p) { return p.second == name; });
    if (!known) {
      Invalid("program " + def_->name + ": unknown parameter " + name);
    }
  }
  return Analyze(def_, values);
}

}  // namespace tern::linalg
