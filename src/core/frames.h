// Length-prefixed frames over pipes, between a worker and its task host.
// A frame is an 8-byte little-endian length followed by that many bytes.
#pragma once

#include <string>
#include <string_view>

namespace tern::internal {

// Blocking write of one frame. Returns false if the reader is gone.
bool WriteFrame(int fd, std::string_view payload);

// Blocking read of one frame. Returns false at end of file.
bool ReadFrame(int fd, std::string* payload);

// Reads frames from a non-blocking fd as bytes arrive.
class FrameReader {
 public:
  explicit FrameReader(int fd) : fd_(fd) {}
  // Reads what is available now. Returns false once the writer has closed.
  bool Fill();
  // Takes the next complete frame, if any.
  bool Next(std::string* payload);

 private:
  int fd_;
  std::string buffer_;
  size_t consumed_ = 0;
};

}  // namespace tern::internal
