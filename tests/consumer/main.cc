// Squares a few numbers on local workers: proof that a separate project
// builds and runs against tern.
#include <tern/tern.h>

#include <cstdio>

int Square(int x) { return x * x; }

int main(int argc, char** argv) {
  tern::Init(argc, argv);
  auto ex = tern::Executor::FromConfig();
  auto results = tern::GetAllResults(ex.Map(Square, std::vector<int>{1, 2, 3}));
  std::printf("%d %d %d\n", results[0], results[1], results[2]);
  return results == std::vector<int>{1, 4, 9} ? 0 : 1;
}
