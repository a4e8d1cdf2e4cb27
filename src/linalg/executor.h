// The decentralised executor of linear-algebra programs (numpywren's model).
//
// The client binds a program, enqueues its starting tasks on a coordinator
// queue of the run, and starts loop tasks (RunLoop) through the Executor.
// Each loop, until the program is complete or has failed:
//   lease one DAG task (a heartbeat renews the lease while it runs, without
//   limit); skip it if its done record exists; read its input blocks
//   (cached when this loop read or wrote them before); run the kernel; write
//   its output block under a key fixed by the block's name, so a replay
//   writes the same bytes; then, in one batch, AddOnce(child's counter,
//   token = this task) for every child; enqueue each child whose counter
//   reached its parent count (also when this add was a replay's, so that a
//   crash after the adds loses no child); AddOnce(completed counter); write
//   the done record; ack.
// A kernel failure writes the run's failure record, naming the statement and
// indices; every loop then stops and the client throws it. docs/linalg.md.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "linalg/program.h"
#include "tern/linalg.h"

namespace tern::linalg {

// Runs a program: inputs and outputs are bound to the program's
// InputArrays() and OutputArrays() in order; the outputs' headers must exist
// (their blocks are written by the run). Returns when every task is done.
// Throws Error(kTaskFailed) with the failure record's message if a kernel
// failed, the loops' errors if they could not run.
void RunProgram(Executor& ex, const Program& program,
                const std::map<std::string, int64_t>& parameters,
                const std::vector<BigMatrix>& inputs,
                const std::vector<BigMatrix>& outputs,
                const RunOptions& options, RunStats* stats);

}  // namespace tern::linalg
