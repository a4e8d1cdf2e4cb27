// ParseProgram: the same language as ProgramBuilder, as text, for programs
// that come from a file or a command line rather than from C++. The text is
// turned into builder calls, so every check of the builder applies, and each
// error names the line and column it comes from. docs/lambdapack.md has the
// grammar; Cholesky reads:
//
//   program cholesky(N):
//       input A
//       output L
//       temporary S[3]
//       for k in range(0, N):
//           if k == 0:
//               L[k, k] = chol(A[k, k])
//           else:
//               L[k, k] = chol(S[k, k, k])
//           ...
//
// Blocks are marked by indentation (spaces), as in Python; `#` starts a
// comment.
#pragma once

#include <string_view>

#include "linalg/program.h"

namespace tern::linalg {

// Throws Error(kInvalidArgument) "program text line L, column C: ..." for
// text that is not a well-formed program.
Program ParseProgram(std::string_view text);

}  // namespace tern::linalg
