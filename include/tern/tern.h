// tern: a cloud button for C++ programs. Include this one header.
//
//   int main(int argc, char** argv) {
//     tern::Init(argc, argv);   // in a worker process: serves tasks, never
//     returns auto ex = tern::Executor::FromConfig(); auto futures =
//     ex.Map(simulate, tern::Linspace(0.1, 100, 1000)); auto results =
//     tern::GetAllResults(futures);
//   }
//
// docs/user-guide.md walks through the API; docs/architecture.md explains how
// it works.
#pragma once

#include "tern/errors.h"
#include "tern/executor.h"
#include "tern/future.h"
#include "tern/options.h"
#include "tern/stats.h"

namespace tern {

// Call first thing in main(). When this process was started as a tern worker
// (of this same binary) it serves tasks and exits without returning; otherwise
// it records what tern needs to start workers later and returns.
void Init(int argc, char** argv);

// True in a process running tern tasks (a worker or a task process).
bool IsWorker();

}  // namespace tern
