#include "core/wait.h"

#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <mutex>

#include "tern/future.h"

namespace tern::internal {
namespace {

using Clock = std::chrono::steady_clock;

std::mutex mutex;
std::condition_variable changed;
uint64_t generation = 0;
std::string progress_mode = "auto";

bool ShowProgress() {
  std::lock_guard lock(mutex);
  if (progress_mode == "always") return true;
  return progress_mode == "auto" && isatty(STDERR_FILENO);
}

class ProgressBar {
 public:
  explicit ProgressBar(bool enabled)
      : enabled_(enabled), start_(Clock::now()) {}
  ~ProgressBar() {
    if (drawn_) std::fputc('\n', stderr);
  }

  void Draw(const std::function<std::pair<uint64_t, uint64_t>()>& progress,
            bool force) {
    auto now = Clock::now();
    if (!enabled_ || (!force && now - last_ < std::chrono::milliseconds(100)))
      return;
    last_ = now;
    drawn_ = true;
    auto [done, total] = progress();
    constexpr int kWidth = 30;
    int filled = total ? static_cast<int>(kWidth * done / total) : kWidth;
    std::string bar(filled, '#');
    bar.resize(kWidth, '.');
    double seconds = std::chrono::duration<double>(now - start_).count();
    std::fprintf(stderr, "\r[%s] %llu/%llu tasks %5.1fs", bar.c_str(),
                 static_cast<unsigned long long>(done),
                 static_cast<unsigned long long>(total), seconds);
    std::fflush(stderr);
  }

 private:
  bool enabled_;
  bool drawn_ = false;
  Clock::time_point start_;
  Clock::time_point last_{};
};

}  // namespace

void NotifyTaskFinished() {
  {
    std::lock_guard lock(mutex);
    ++generation;
  }
  changed.notify_all();
}

void SetProgressMode(const std::string& mode) {
  std::lock_guard lock(mutex);
  progress_mode = mode;
}

bool WaitUntil(const std::function<bool()>& done,
               const std::function<std::pair<uint64_t, uint64_t>()>& progress,
               std::optional<Clock::time_point> deadline) {
  ProgressBar bar(ShowProgress());
  for (;;) {
    uint64_t seen;
    {
      std::lock_guard lock(mutex);
      seen = generation;
    }
    if (done()) {
      bar.Draw(progress, true);
      return true;
    }
    bar.Draw(progress, false);
    // Wake at least every 100 ms to redraw the bar.
    auto wake = Clock::now() + std::chrono::milliseconds(100);
    if (deadline && *deadline < wake) wake = *deadline;
    std::unique_lock lock(mutex);
    changed.wait_until(lock, wake, [&] { return generation != seen; });
    if (deadline && Clock::now() >= *deadline && generation == seen) {
      lock.unlock();
      return done();
    }
  }
}

}  // namespace tern::internal
