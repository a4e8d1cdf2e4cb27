// The entries of tern's random matrices: a counter-based hash of (seed, row,
// column), so that any process can generate any block, in any order, and a
// baseline outside tern can generate the very same matrix.
#pragma once

#include <cstdint>

namespace tern::linalg {

// splitmix64's finaliser: a bijection that mixes every input bit.
inline uint64_t MixBits(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Uniform in [-1, 1), a function of seed, row and column only.
inline double RandomEntry(uint64_t seed, int64_t row, int64_t col) {
  uint64_t h = MixBits(MixBits(seed ^ (uint64_t(row) << 32) ^ uint64_t(col)) ^
                       (uint64_t(row) >> 32));
  return double(h >> 11) * 0x1.0p-52 - 1.0;
}

// Entry (row, col) of the n x n random SPD matrix: symmetric by construction
// (the hash sees the larger index first) plus n on the diagonal.
inline double RandomSpdEntry(uint64_t seed, int64_t n, int64_t row,
                             int64_t col) {
  double v =
      row >= col ? RandomEntry(seed, row, col) : RandomEntry(seed, col, row);
  return row == col ? v + double(n) : v;
}

}  // namespace tern::linalg
