// The decentralised executor of linear-algebra programs (numpywren's model).
//
// The client binds a program, enqueues its starting tasks on their home
// loops' queues (BlockOwner of the block each writes) and starts loop tasks
// (RunLoop) through the Executor. Each loop, until the program is complete
// or has failed:
//   lease one DAG task from its own queue, else another loop's (a heartbeat
//   renews the lease while it runs, without limit); skip it if its done
//   record exists; read its input blocks (cached when this loop read or
//   wrote them before, else mapped from the store); run the kernel, with
//   the cores of idle loops on its host; write its output block under a key
//   fixed by the block's name, so a replay writes the same bytes; then, in
//   one batch, AddOnce(child's counter, token = this task) for every child;
//   enqueue each child whose counter reached its parent count on its home
//   loop's queue (also when this add was a replay's, so that a crash after
//   the adds loses no child); AddOnce(completed counter); write the done
//   record; delete the intermediate inputs it was the only reader of; ack.
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
// The loop, of `loops`, that owns block (i, j): blocks dealt out
// block-cyclically over a P x Q grid of loops (P the largest divisor of
// loops up to its square root), as ScaLAPACK deals blocks to processes.
int BlockOwner(int64_t i, int64_t j, int loops);

// BLAS threads for a kernel of a loop whose host runs loops_on_host loops,
// idle_loops of them waiting for work, on `cores` cores: its own and the
// idle loops', never more than the busy loops leave.
int BlasThreadsToUse(int idle_loops, int loops_on_host, int cores);

void RunProgram(Executor& ex, const Program& program,
                const std::map<std::string, int64_t>& parameters,
                const std::vector<BigMatrix>& inputs,
                const std::vector<BigMatrix>& outputs,
                const RunOptions& options, RunStats* stats);

}  // namespace tern::linalg
