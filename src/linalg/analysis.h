// The lazy dependency analysis: a program's definition bound to sizes, as a
// BoundProgram whose children, parents and starters are found by solving
// affine index equations in closed form (docs/lambdapack.md).
#pragma once

#include <cstdint>
#include <map>
#include <memory>

#include "linalg/builder.h"
#include "linalg/program.h"

namespace tern::linalg {

// `values` gives every parameter of `def` by variable id (REQUIRES: all
// present and >= 0; Program::Bind checks). Throws Error(kInvalidArgument)
// if two instances write one block, naming both and the block.
std::shared_ptr<const BoundProgram> Analyze(
    std::shared_ptr<const ProgramDef> def,
    const std::map<uint64_t, int64_t>& values);

}  // namespace tern::linalg
