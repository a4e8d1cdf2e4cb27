#include "core/runtime_bundle.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>
#include <vector>

#include "core/runtime.h"
#include "util/sha256.h"
#include "tern/errors.h"
#include "tern/internal/codec.h"

namespace tern::internal {
namespace {

namespace fs = std::filesystem;

struct Bundle {
  std::string executable;
  std::vector<std::pair<std::string, std::string>> libraries;  // name, bytes
  template <class Archive>
  void serialize(Archive& ar) {
    ar(executable, libraries);
  }
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::kIOError, "cannot read " + path);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return std::move(bytes).str();
}

bool InBaseSystem(const std::string& path) {
  for (const char* base : {"/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/"}) {
    if (path.starts_with(base)) return true;
  }
  return false;
}

// Shared libraries this process has mapped from outside the base system.
std::set<std::string> PrivateLibraries() {
  std::ifstream maps("/proc/self/maps");
  std::set<std::string> libraries;
  std::string line;
  while (std::getline(maps, line)) {
    size_t slash = line.find('/');
    if (slash == std::string::npos) continue;
    std::string path = line.substr(slash);
    if (path.find(".so") != std::string::npos && !InBaseSystem(path) &&
        path != ExecutablePath()) {
      libraries.insert(path);
    }
  }
  return libraries;
}

void WriteAtomically(const fs::path& path, const std::string& bytes,
                     mode_t mode) {
  fs::path temporary = path.string() + ".tmp." + std::to_string(getpid());
  {
    std::ofstream out(temporary, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out)
      throw Error(ErrorCode::kIOError, "cannot write " + temporary.string());
  }
  chmod(temporary.c_str(), mode);
  fs::rename(temporary, path);
}

}  // namespace

void UploadRuntime(ObjectStore& store) {
  std::string key = RuntimeKey(RuntimeHash());
  if (store.Size(key)) return;
  Bundle bundle{ReadFile(ExecutablePath()), {}};
  for (const std::string& path : PrivateLibraries()) {
    bundle.libraries.emplace_back(fs::path(path).filename(), ReadFile(path));
  }
  store.Put(key, Encode(bundle));
}

std::string FetchRuntime(ObjectStore& store, const std::string& hash,
                         const std::string& cache_dir) {
  fs::path dir = fs::path(cache_dir) / hash;
  fs::path executable = dir / "program";
  if (fs::exists(executable)) return executable;
  std::optional<std::string> bytes = store.Get(RuntimeKey(hash));
  if (!bytes) {
    throw Error(ErrorCode::kNotFound,
                "runtime " + hash + " is not in " + store.Uri() +
                    " (the client uploads it when its backend is "
                    "'agents')");
  }
  auto bundle = Decode<Bundle>(*bytes, "runtime bundle");
  std::string actual = Sha256Hex(bundle.executable);
  if (actual != hash) {
    throw Error(
        ErrorCode::kPermissionDenied,
        "refusing runtime " + hash + ": its executable hashes to " + actual);
  }
  fs::create_directories(dir / "lib");
  for (const auto& [name, library] : bundle.libraries) {
    WriteAtomically(dir / "lib" / fs::path(name).filename(), library, 0644);
  }
  WriteAtomically(executable, bundle.executable, 0755);
  return executable;
}

}  // namespace tern::internal
