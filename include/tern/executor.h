// Executor: submits jobs of stateless tasks and hands back futures.
//
//   auto ex = tern::Executor::FromConfig();
//   auto futures = ex.Map(simulate, tern::Linspace(0.1, 100, 1000));
//   std::vector<double> results = tern::GetAllResults(futures);
//
// A job is one function applied to many inputs; each input is one task. Tasks
// run in worker processes of this same binary (started on demand, one per core
// by default), each in a fresh process unless options().reuse_processes. The
// function may be a plain function, a captureless lambda, or a function object
// with a cereal serialize() method; inputs, extra arguments and results are
// serialised with cereal. All job state lives in the ObjectStore and the
// Coordinator named by the options; the executor keeps none that matters.
//
// Thread-safe. Destroying an Executor does not cancel its jobs: their futures
// stay valid and the workers finish them.
#pragma once

#include <cstdint>
#include <memory>
#include <ranges>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "tern/future.h"
#include "tern/internal/function_ref.h"
#include "tern/options.h"

namespace tern {

namespace internal {
class ExecutorImpl;

// What the client submits: one function over encoded inputs.
struct JobSpec {
  FunctionRef function;
  std::string extra;  // encoded tuple of extra arguments
  std::string kind;   // "map", "call" or "reduce", for listings
};

template <class R>
std::vector<Future<R>> MakeFutures(std::shared_ptr<JobHandle> job) {
  std::vector<Future<R>> futures;
  futures.reserve(job->size());
  for (uint64_t i = 0; i < job->size(); ++i) futures.emplace_back(job, i);
  return futures;
}
}  // namespace internal

class Executor {
 public:
  // An executor configured by LoadOptions(): defaults, config file,
  // environment.
  static Executor FromConfig();
  // REQUIRES: tern::Init(argc, argv) was called at the start of main().
  // Throws Error(kInvalidArgument) for bad options, and the stores' errors
  // when they cannot be opened.
  explicit Executor(ExecutorOptions options);
  Executor(Executor&&) noexcept;
  Executor& operator=(Executor&&) noexcept;
  ~Executor();

  // Runs f(x, extra...) for every x in inputs, one task each.
  template <class F, class Range, class... Extra>
  auto Map(F&& f, const Range& inputs, const Extra&... extra) {
    using Fn = std::decay_t<F>;
    using In = std::ranges::range_value_t<Range>;
    using R = internal::ResultOf<Fn, In, std::decay_t<Extra>...>;
    internal::JobSpec spec{
        internal::MakeFunctionRef(
            Fn(f), &internal::MapTrampoline<Fn, In, std::decay_t<Extra>...>),
        internal::Encode(std::tuple<std::decay_t<Extra>...>(extra...)), "map"};
    std::vector<std::string> encoded;
    for (const auto& x : inputs) encoded.push_back(internal::Encode(In(x)));
    return internal::MakeFutures<R>(
        Submit(std::move(spec), std::move(encoded)));
  }

  // Runs f(x, extra...) as a single task.
  template <class F, class T, class... Extra>
  auto CallAsync(F&& f, const T& x, const Extra&... extra) {
    auto futures = Map(std::forward<F>(f), std::vector<T>{x}, extra...);
    return futures.front();
  }

  // Maps map_f over inputs, then runs reduce_f(std::vector<map result>) as one
  // more task once every map task has finished. Returns the reducer's future.
  template <class MapF, class Range, class ReduceF>
  auto MapReduce(MapF&& map_f, const Range& inputs, ReduceF&& reduce_f) {
    using In = std::ranges::range_value_t<Range>;
    using R1 = internal::ResultOf<std::decay_t<MapF>, In>;
    using RF = std::decay_t<ReduceF>;
    using R2 = internal::ResultOf<RF, std::vector<R1>>;
    auto maps = Map(std::forward<MapF>(map_f), inputs);
    internal::JobSpec spec{
        internal::MakeFunctionRef(RF(reduce_f),
                                  &internal::ReduceTrampoline<RF, R1>),
        internal::Encode(std::tuple<>()), "reduce"};
    return internal::MakeFutures<R2>(SubmitReduce(std::move(spec),
                                                  maps.front().job_id(),
                                                  maps.size()))
        .front();
  }

  // Cancels a job: its pending tasks never run, running ones are stopped, and
  // their futures report Error(kCancelled).
  void Cancel(const std::string& job_id);

  // The options in force after defaults, config, environment and code.
  const ExecutorOptions& options() const;

 private:
  std::shared_ptr<internal::JobHandle> Submit(internal::JobSpec spec,
                                              std::vector<std::string> inputs);
  std::shared_ptr<internal::JobHandle> SubmitReduce(internal::JobSpec spec,
                                                    const std::string& map_job,
                                                    uint64_t map_tasks);

  std::unique_ptr<internal::ExecutorImpl> impl_;
};

// n evenly spaced values from start to stop inclusive (numpy's linspace).
std::vector<double> Linspace(double start, double stop, size_t n);

}  // namespace tern
