// `tern linalg`: the verb runs Cholesky and GEMM on generated matrices,
// prints time, GFLOP/s, residual and core-seconds, and rejects bad sizes.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <regex>
#include <string>

#include "core/test_env.h"

namespace tern::linalg {
namespace {

struct Output {
  int status = -1;
  std::string text;  // stdout and stderr
};

Output RunTern(const std::string& dir, const std::string& args) {
  std::string command =
      std::string(TERN_CLI_PATH) + " " + args + " --store file://" + dir +
      "/store --coordinator sqlite://" + dir + "/coordinator.db 2>&1";
  Output out;
  FILE* pipe = popen(command.c_str(), "r");
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof buffer, pipe))
    out.text.append(buffer, n);
  int status = pclose(pipe);
  out.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

double Residual(const std::string& text) {
  std::smatch match;
  if (!std::regex_search(text, match, std::regex("residual ([0-9.e+-]+)"))) {
    return 1;
  }
  return std::atof(match[1].str().c_str());
}

TEST(LinalgCliTest, CholeskyAndGemmReportTheirFigures) {
  testing_support::ScratchDir dir;
  Output chol =
      RunTern(dir.path(), "linalg cholesky --n 300 --block 128 --workers 2");
  ASSERT_EQ(chol.status, 0) << chol.text;
  EXPECT_NE(chol.text.find("cholesky n=300 block=128"), std::string::npos);
  EXPECT_NE(chol.text.find("GFLOP/s"), std::string::npos);
  EXPECT_NE(chol.text.find("reserved core-seconds"), std::string::npos);
  EXPECT_LT(Residual(chol.text), 1e-13) << chol.text;
  Output gemm =
      RunTern(dir.path(), "linalg gemm --n 200 --block 64 --workers 2");
  ASSERT_EQ(gemm.status, 0) << gemm.text;
  EXPECT_LT(Residual(gemm.text), 1e-13) << gemm.text;
}

TEST(LinalgCliTest, BadSizesAreErrors) {
  testing_support::ScratchDir dir;
  Output bad = RunTern(dir.path(), "linalg gemm --n 0");
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.text.find("--n and --block must be positive"),
            std::string::npos)
      << bad.text;
  EXPECT_EQ(RunTern(dir.path(), "linalg").status, 2);  // a subverb is required
}

}  // namespace
}  // namespace tern::linalg
