// tern worker: runs a worker agent that serves the jobs of every binary.
#include "cli/cli.h"
#include "core/agent.h"

namespace tern::cli {
namespace {

struct WorkerArgs {
  int slots = 0;
  std::string idle_exit = "0";
  std::string cache_dir;
};

void Work(Context& context, const WorkerArgs& args) {
  internal::AgentOptions options;
  options.stores = context.options();
  options.slots = args.slots;
  options.idle_exit = *ParseDuration(args.idle_exit);
  options.cache_dir = args.cache_dir;
  if (internal::RunAgent(options) != 0) context.Fail();
}

}  // namespace

void AddWorkerCommand(CLI::App& app, Context& context) {
  auto args = std::make_shared<WorkerArgs>();
  CLI::App* worker = app.add_subcommand(
      "worker",
      "Run a worker agent: fetches the binaries of pending jobs from the "
      "store and runs their tasks here");
  worker
      ->add_option("--slots", args->slots,
                   "Worker processes at once (0: one per core)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  worker
      ->add_option("--idle-exit", args->idle_exit,
                   "Exit after this long without work, e.g. 60s (0: never)")
      ->check(DurationValidator())
      ->capture_default_str();
  worker->add_option("--cache", args->cache_dir,
                     "Where fetched binaries are kept (default: "
                     "$TERN_HOME/runtimes)");
  worker->callback([&context, args] { Work(context, *args); });
}

}  // namespace tern::cli
