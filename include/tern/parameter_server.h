// SharedVector: a vector of doubles that every task of a job, and the client,
// reads and adds to: the parameter server of asynchronous (Hogwild-style)
// training, kept in the Coordinator like every other piece of shared state.
//
//   // In the client: pass the resolved coordinator URI to the tasks.
//   ex.Map(Train, shards, ex.options().coordinator);
//   // In a task:
//   tern::SharedVector weights(coordinator_uri, "model/weights");
//   std::vector<double> w = weights.Read();
//   weights.Add(step);  // element-wise, atomic, no lock held between calls
//
// An Add is applied whole and exactly (IEEE double additions where the vector
// is stored), so concurrent adders never lose each other's deltas; a Read is
// a consistent snapshot. Nothing orders a Read before another task's Add:
// that is the Hogwild bargain. docs/parameter-server.md has the design and
// costs per coordinator.
//
// A SharedVector holds its own coordinator connection; it is not thread-safe
// (open one per thread), but any number of them, in any processes, may share
// one vector.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tern {

class Coordinator;

class SharedVector {
 public:
  // Opens the coordinator at coordinator_uri (see Coordinator::Open) for the
  // vector `name`, which need not exist yet: it is empty until added to.
  // Throws Error(kInvalidArgument) for an empty name, and what
  // Coordinator::Open throws.
  SharedVector(const std::string& coordinator_uri, std::string name);
  SharedVector(SharedVector&&) noexcept;
  SharedVector& operator=(SharedVector&&) noexcept;
  ~SharedVector();

  // Adds deltas element-wise to [offset, offset + deltas.size()), growing the
  // vector with zeros as needed; one atomic coordinator call. Throws
  // Error(kInvalidArgument) for a non-finite delta or an end past
  // Coordinator::kMaxVectorSize.
  void Add(const std::vector<double>& deltas, uint64_t offset = 0);

  // The whole vector, as of one instant; empty if never added to.
  std::vector<double> Read();

  const std::string& name() const { return name_; }

 private:
  std::unique_ptr<Coordinator> coordinator_;
  std::string name_;
};

}  // namespace tern
