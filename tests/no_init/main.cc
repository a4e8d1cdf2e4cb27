// A program that forgot tern::Init: building an Executor must say what to do.
#include <cstdio>

#include "tern/tern.h"

int main() {
  try {
    tern::ExecutorOptions options;
    options.store = "mem://no-init";
    options.coordinator = "mem://no-init";
    tern::Executor ex(options);
  } catch (const tern::Error& e) {
    std::printf("%s\n", e.what());
    return e.code() == tern::ErrorCode::kInvalidArgument ? 0 : 1;
  }
  return 1;
}
