#include "core/frames.h"

#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace tern::internal {
namespace {

constexpr size_t kHeader = sizeof(uint64_t);

bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= n;
  }
  return true;
}

bool ReadAll(int fd, char* data, size_t size) {
  while (size > 0) {
    ssize_t n = read(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= n;
  }
  return true;
}

}  // namespace

bool WriteFrame(int fd, std::string_view payload) {
  uint64_t length = payload.size();  // x86-64 and aarch64 are little-endian
  char header[kHeader];
  std::memcpy(header, &length, kHeader);
  return WriteAll(fd, header, kHeader) &&
         WriteAll(fd, payload.data(), payload.size());
}

bool ReadFrame(int fd, std::string* payload) {
  char header[kHeader];
  if (!ReadAll(fd, header, kHeader)) return false;
  uint64_t length;
  std::memcpy(&length, header, kHeader);
  payload->resize(length);
  return ReadAll(fd, payload->data(), length);
}

bool FrameReader::Fill() {
  char chunk[1 << 16];
  for (;;) {
    ssize_t n = read(fd_, chunk, sizeof chunk);
    if (n > 0) {
      buffer_.append(chunk, n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
}

bool FrameReader::Next(std::string* payload) {
  if (buffer_.size() - consumed_ < kHeader) return false;
  uint64_t length;
  std::memcpy(&length, buffer_.data() + consumed_, kHeader);
  if (buffer_.size() - consumed_ - kHeader < length) {
    buffer_.reserve(consumed_ + kHeader + length);
    return false;
  }
  payload->assign(buffer_, consumed_ + kHeader, length);
  consumed_ += kHeader + length;
  if (consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  }
  return true;
}

}  // namespace tern::internal
