#include "util/process_memory.h"

#include <malloc.h>

#include <limits>

namespace tern {

void KeepFreedMemoryMapped() {
  static const bool done = [] {
    mallopt(M_ARENA_MAX, 1);  // buffers freed by other threads stay reusable
    mallopt(M_MMAP_MAX, 0);   // large buffers come from the heap
    mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max());  // kept
    return true;
  }();
  (void)done;
}

}  // namespace tern
