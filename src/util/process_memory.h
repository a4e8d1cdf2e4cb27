// Heap policy for processes that handle buffers of tens of MB (matrix blocks,
// shuffle partitions, sort runs).
#pragma once

namespace tern {

// Makes glibc keep freed memory in one heap instead of mmapping each large
// buffer afresh and unmapping it when freed: a reused task process then
// skips the page faults and page clearing of a fresh mapping per buffer
// (~17 ms per 32 MB on a VM; a fifth of a sort's time). The process keeps
// its peak heap. Idempotent.
void KeepFreedMemoryMapped();

}  // namespace tern
