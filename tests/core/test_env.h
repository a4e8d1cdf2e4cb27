// A scratch deployment per test: a temporary directory holding a file store
// and an SQLite coordinator, removed afterwards.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <thread>

#include "tern/tern.h"

namespace tern::testing_support {

class ScratchDir {
 public:
  ScratchDir() {
    char pattern[] = "/tmp/tern-test-XXXXXX";
    path_ = mkdtemp(pattern);
    std::filesystem::create_directories(path_ + "/store");
  }
  // Workers may still be writing (logs, a losing attempt's output) while the
  // directory goes: remove_all then fails with "directory not empty", which
  // must not throw from a destructor (that aborts the test binary). Retry.
  ~ScratchDir() {
    std::error_code error;
    for (int attempt = 0; attempt < 20; ++attempt) {
      std::filesystem::remove_all(path_, error);
      if (!error) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class ExecutorTest : public ::testing::Test {
 protected:
  ExecutorOptions Options() const {
    ExecutorOptions options;
    options.store = "file://" + dir_.path() + "/store";
    options.coordinator = "sqlite://" + dir_.path() + "/coordinator.db";
    options.workers = 2;
    options.progress = "never";
    options.worker_idle = std::chrono::milliseconds(300);
    return options;
  }
  const std::string& dir() const { return dir_.path(); }

 private:
  ScratchDir dir_;
};

}  // namespace tern::testing_support
