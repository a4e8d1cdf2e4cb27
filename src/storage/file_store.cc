// FileStore: an ObjectStore in a directory of a local or shared file system.
//
// On-disk mapping. S3 lets "a" and "a/b" both be keys, but a file system
// cannot have a file and a directory with one name. So every key segment gets
// a suffix: the last segment names a file ending in ".obj", every earlier one
// a directory ending in ".dir". File and directory names can then never
// collide, and the mapping needs no escaping:
//
//   key "a"        ->  <dir>/a.obj
//   key "a/b"      ->  <dir>/a.dir/b.obj
//   key "x.obj/y"  ->  <dir>/x.obj.dir/y.obj
//
// A segment is thus limited to 251 bytes on file systems with 255-byte names.
// Entries ending in neither suffix are not objects; the only one tern makes is
// <dir>/.tmp/, where Put writes each object to a uniquely named file before
// rename(2)ing it into place, so readers in any process see the whole old or
// the whole new object. Delete removes the directories it leaves empty, and a
// Put racing with it retries. Files hold stored bytes: the user's data, then
// the checksum trailer that object_store.cc adds and verifies.

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>
#include <thread>
#include <utility>

#include "storage/stores.h"
#include "tern/errors.h"
#include "util/host_name.h"

namespace tern {
namespace {

constexpr std::string_view kObjectSuffix = ".obj";
constexpr std::string_view kDirSuffix = ".dir";
static_assert(kObjectSuffix.size() == kDirSuffix.size());
constexpr int kPutAttempts = 100;  // renames racing with a Delete's rmdirs

// Throws an Error for the failed system call `what` on path, from errno.
[[noreturn]] void ThrowErrno(const std::string& what, const std::string& path) {
  int err = errno;
  ErrorCode code = ErrorCode::kIOError;
  if (err == ENOENT) code = ErrorCode::kNotFound;
  if (err == EACCES || err == EPERM || err == EROFS) {
    code = ErrorCode::kPermissionDenied;
  }
  if (err == ENAMETOOLONG) code = ErrorCode::kInvalidArgument;
  throw Error(code, "file store: " + what + " '" + path +
                        "' failed: " + std::strerror(err));
}

bool IsMissing(int err) { return err == ENOENT || err == ENOTDIR; }

// Closes a file descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

struct DirCloser {
  void operator()(DIR* dir) const { closedir(dir); }
};
using DirPtr = std::unique_ptr<DIR, DirCloser>;

void WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ThrowErrno("write", path);
    data.remove_prefix(static_cast<size_t>(n));
  }
}

// Reads length bytes at offset; fewer only if the file is shorter.
std::string ReadAt(int fd, uint64_t offset, uint64_t length,
                   const std::string& path) {
  std::string out(length, '\0');
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = pread(fd, out.data() + done, out.size() - done,
                      static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ThrowErrno("read", path);
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  return out;
}

// A name no other thread or process (on any host sharing the directory) uses.
std::string UniqueTempName() {
  static const std::string host = HostName();
  static std::atomic<uint64_t> counter{0};
  size_t thread = std::hash<std::thread::id>()(std::this_thread::get_id());
  return host + "." + std::to_string(getpid()) + "." + std::to_string(thread) +
         "." + std::to_string(counter++);
}

class FileStore : public ObjectStore {
 public:
  explicit FileStore(std::string dir) : dir_(std::move(dir)) {}

  std::string Uri() const override {
    return "file://" + (dir_.empty() ? "/" : dir_);
  }

 private:
  void PutWithTrailerImpl(const std::string& key, std::string_view data,
                          std::string_view trailer) override;
  std::optional<std::string> GetImpl(const std::string& key) override;
  std::optional<SharedBytes> MapImpl(const std::string& key) override;
  std::optional<std::string> GetRangeImpl(const std::string& key,
                                          uint64_t offset,
                                          uint64_t length) override;
  std::optional<uint64_t> SizeImpl(const std::string& key) override;
  std::vector<std::string> ListImpl(const std::string& prefix) override;
  void DeleteImpl(const std::string& key) override;
  std::optional<StoredTail> ReadTailImpl(const std::string& key,
                                         uint64_t length) override;

  std::string TempDir() const { return dir_ + "/.tmp"; }
  std::string ObjectPath(const std::string& key) const;
  std::string DirPath(std::string_view key_dir) const;
  std::string WriteTemp(std::string_view data, std::string_view trailer) const;
  void MakeParents(const std::string& key) const;
  void MoveIntoPlace(const std::string& temp, const std::string& key) const;
  void RemoveEmptyParents(const std::string& key) const;
  std::optional<std::string> Read(const std::string& key, uint64_t offset,
                                  uint64_t length,
                                  StoredTail* tail = nullptr) const;
  void ListDir(const std::string& path, const std::string& key_prefix,
               std::string_view partial, std::vector<std::string>* keys) const;

  const std::string dir_;  // absolute, without a trailing '/' ("" for root)
};

// Maps the '/'-separated segments of key_dir to nested ".dir" directories.
std::string FileStore::DirPath(std::string_view key_dir) const {
  std::string path = dir_;
  if (key_dir.empty()) return path;
  for (size_t start = 0;;) {
    size_t slash = key_dir.find('/', start);
    path.append("/").append(key_dir.substr(start, slash - start));
    path.append(kDirSuffix);
    if (slash == std::string_view::npos) return path;
    start = slash + 1;
  }
}

std::string FileStore::ObjectPath(const std::string& key) const {
  size_t slash = key.rfind('/');
  std::string_view parent, name = key;
  if (slash != std::string::npos) {
    parent = name.substr(0, slash);
    name.remove_prefix(slash + 1);
  }
  return DirPath(parent) + "/" + std::string(name) + std::string(kObjectSuffix);
}

// Writes data and trailer to a fresh temp file and returns its path.
std::string FileStore::WriteTemp(std::string_view data,
                                 std::string_view trailer) const {
  std::string path = TempDir() + "/" + UniqueTempName();
  int flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC;
  int fd = open(path.c_str(), flags, 0666);
  if (fd < 0 && errno == ENOENT) {  // someone removed .tmp: recreate it
    if (mkdir(TempDir().c_str(), 0777) != 0 && errno != EEXIST) {
      ThrowErrno("mkdir", TempDir());
    }
    fd = open(path.c_str(), flags, 0666);
  }
  if (fd < 0) ThrowErrno("create", path);
  Fd closer(fd);
  try {
    WriteAll(fd, data, path);
    WriteAll(fd, trailer, path);
  } catch (...) {
    unlink(path.c_str());
    throw;
  }
  return path;
}

// Creates key's parent directories. Stops early if a concurrent Delete just
// removed one of them: the caller's rename then fails and it retries.
void FileStore::MakeParents(const std::string& key) const {
  for (size_t slash = key.find('/'); slash != std::string::npos;
       slash = key.find('/', slash + 1)) {
    std::string path = DirPath(std::string_view(key).substr(0, slash));
    if (mkdir(path.c_str(), 0777) == 0 || errno == EEXIST) continue;
    if (errno == ENOENT) return;
    ThrowErrno("mkdir", path);
  }
}

void FileStore::PutWithTrailerImpl(const std::string& key,
                                   std::string_view data,
                                   std::string_view trailer) {
  std::string temp = WriteTemp(data, trailer);
  try {
    MoveIntoPlace(temp, key);
  } catch (...) {
    unlink(temp.c_str());
    throw;
  }
}

void FileStore::MoveIntoPlace(const std::string& temp,
                              const std::string& key) const {
  std::string path = ObjectPath(key);
  for (int attempt = 1;; ++attempt) {
    if (rename(temp.c_str(), path.c_str()) == 0) return;
    if (errno != ENOENT || attempt == kPutAttempts) {
      ThrowErrno("rename into", path);
    }
    MakeParents(key);
  }
}

// An object's file, open for reading, and its size then.
struct OpenFile {
  Fd fd;
  uint64_t size;
};

// Opens the file at path; nullopt if there is none.
std::optional<OpenFile> OpenObject(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (IsMissing(errno)) return std::nullopt;
    ThrowErrno("open", path);
  }
  std::optional<OpenFile> file{std::in_place, Fd(fd), 0};
  struct stat st;
  if (fstat(fd, &st) != 0) ThrowErrno("stat", path);
  file->size = static_cast<uint64_t>(st.st_size);
  return file;
}

// Returns up to length bytes of key's object from offset, or nullopt if there
// is no such key. Reads only the requested range. With tail, reads instead
// the last length bytes into it, and the size, from one open file (so that a
// concurrent Put cannot fall between the two).
std::optional<std::string> FileStore::Read(const std::string& key,
                                           uint64_t offset, uint64_t length,
                                           StoredTail* tail) const {
  std::string path = ObjectPath(key);
  std::optional<OpenFile> file = OpenObject(path);
  if (!file) return std::nullopt;
  const Fd& fd = file->fd;
  uint64_t size = file->size;
  if (tail) {
    tail->size = size;
    offset = size - std::min(length, size);
  }
  if (offset >= size) return std::string();
  return ReadAt(fd.get(), offset, std::min(length, size - offset), path);
}

std::optional<std::string> FileStore::GetImpl(const std::string& key) {
  return Read(key, 0, UINT64_MAX);
}

// Maps the object's file, pages populated at once (the caller verifies them
// all). The mapping outlives the descriptor, and the file's data outlives a
// rename over it or an unlink: a Put never writes into an existing file.
std::optional<SharedBytes> FileStore::MapImpl(const std::string& key) {
  std::string path = ObjectPath(key);
  std::optional<OpenFile> file = OpenObject(path);
  if (!file) return std::nullopt;
  size_t size = file->size;
  if (size == 0) return SharedBytes(std::string());
  void* addr = mmap(nullptr, size, PROT_READ, MAP_SHARED | MAP_POPULATE,
                    file->fd.get(), 0);
  if (addr == MAP_FAILED) ThrowErrno("map", path);
  std::shared_ptr<const void> mapping(
      addr, [size](const void* p) { munmap(const_cast<void*>(p), size); });
  return SharedBytes(std::move(mapping),
                     std::string_view(static_cast<const char*>(addr), size));
}

std::optional<std::string> FileStore::GetRangeImpl(const std::string& key,
                                                   uint64_t offset,
                                                   uint64_t length) {
  return Read(key, offset, length);
}

std::optional<ObjectStore::StoredTail> FileStore::ReadTailImpl(
    const std::string& key, uint64_t length) {
  StoredTail tail;
  std::optional<std::string> bytes = Read(key, 0, length, &tail);
  if (!bytes) return std::nullopt;
  tail.bytes = std::move(*bytes);
  return tail;
}

std::optional<uint64_t> FileStore::SizeImpl(const std::string& key) {
  std::string path = ObjectPath(key);
  struct stat st;
  if (stat(path.c_str(), &st) == 0) return static_cast<uint64_t>(st.st_size);
  if (IsMissing(errno)) return std::nullopt;
  ThrowErrno("stat", path);
}

void FileStore::DeleteImpl(const std::string& key) {
  std::string path = ObjectPath(key);
  if (unlink(path.c_str()) != 0 && !IsMissing(errno)) {
    ThrowErrno("unlink", path);
  }
  RemoveEmptyParents(key);
}

// Removes key's parent directories, innermost first, while they are empty,
// so deleted prefixes leave nothing behind for List to walk.
void FileStore::RemoveEmptyParents(const std::string& key) const {
  for (size_t slash = key.rfind('/'); slash != std::string::npos && slash > 0;
       slash = key.rfind('/', slash - 1)) {
    std::string path = DirPath(std::string_view(key).substr(0, slash));
    if (rmdir(path.c_str()) != 0) return;  // not empty, or already gone
  }
}

std::vector<std::string> FileStore::ListImpl(const std::string& prefix) {
  std::vector<std::string> keys;
  if (prefix.find('\0') != std::string::npos) return keys;  // matches no key
  // Only the directory of prefix's complete segments can hold matches; in it,
  // entries must start with the partial last segment.
  size_t slash = prefix.rfind('/');
  size_t split = slash == std::string::npos ? 0 : slash + 1;
  std::string key_dir = prefix.substr(0, split);
  std::string_view dir_segments = key_dir;
  if (!dir_segments.empty()) dir_segments.remove_suffix(1);
  ListDir(DirPath(dir_segments), key_dir, prefix.substr(split), &keys);
  std::sort(keys.begin(), keys.end());
  return keys;
}

// Appends key_prefix + <name> for every object under path whose first
// segment starts with partial.
void FileStore::ListDir(const std::string& path, const std::string& key_prefix,
                        std::string_view partial,
                        std::vector<std::string>* keys) const {
  DirPtr dir(opendir(path.c_str()));
  if (!dir) {
    if (IsMissing(errno)) return;  // no such prefix, or deleted meanwhile
    ThrowErrno("open directory", path);
  }
  for (errno = 0; dirent* entry = readdir(dir.get()); errno = 0) {
    std::string_view name = entry->d_name;
    bool is_object = name.ends_with(kObjectSuffix);
    if (!is_object && !name.ends_with(kDirSuffix)) continue;
    name.remove_suffix(kObjectSuffix.size());
    if (name.empty() || !name.starts_with(partial)) continue;
    std::string key = key_prefix + std::string(name);
    if (is_object) {
      keys->push_back(std::move(key));
    } else {
      ListDir(path + "/" + entry->d_name, key + "/", "", keys);
    }
  }
  if (errno != 0) ThrowErrno("read directory", path);
}

// Checks that dir is an existing, writable directory and prepares .tmp/.
void CheckRoot(const std::string& dir) {
  struct stat st;
  if (stat(dir.c_str(), &st) != 0) {
    if (IsMissing(errno)) {
      throw Error(ErrorCode::kNotFound,
                  "object store directory '" + dir +
                      "' does not exist; create it first (tern does not "
                      "create store directories)");
    }
    ThrowErrno("stat", dir);
  }
  if (!S_ISDIR(st.st_mode)) {
    throw Error(ErrorCode::kIOError,
                "object store path '" + dir + "' is not a directory");
  }
  if (access(dir.c_str(), W_OK | X_OK) != 0) ThrowErrno("write to", dir);
  std::string temp = dir + "/.tmp";
  if (mkdir(temp.c_str(), 0777) != 0 && errno != EEXIST) {
    ThrowErrno("mkdir", temp);
  }
}

}  // namespace

std::unique_ptr<ObjectStore> OpenFileStore(const Uri& uri) {
  std::string text = uri.scheme + "://" + uri.authority + uri.path;
  if (!uri.authority.empty() || uri.path.empty()) {
    throw Error(ErrorCode::kInvalidArgument,
                "file store URI '" + text +
                    "' must name an absolute directory: file:///abs/dir");
  }
  if (!uri.query.empty()) {
    throw Error(ErrorCode::kInvalidArgument,
                "file store URI '" + text + "' takes no query parameters");
  }
  std::string dir = uri.path;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  CheckRoot(dir);
  return std::make_unique<FileStore>(dir == "/" ? "" : dir);
}

}  // namespace tern
