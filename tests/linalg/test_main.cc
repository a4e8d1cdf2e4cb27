// main() of the linalg tests: loop and generator tasks re-run this binary,
// so tern::Init comes first.
#include <gtest/gtest.h>

#include "tern/tern.h"

int main(int argc, char** argv) {
  tern::Init(argc, argv);
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
