// main() of tern's tests that run tasks: workers re-run this same binary, so
// tern::Init must come first, exactly as in a user's program.
#include <gtest/gtest.h>

#include "tern/tern.h"

int main(int argc, char** argv) {
  tern::Init(argc, argv);
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
