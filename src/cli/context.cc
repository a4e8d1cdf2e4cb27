#include "cli/cli.h"
#include "core/client.h"

namespace tern::cli {

void Context::AddGlobalOptions(CLI::App* command) {
  command->add_option("--store", store_flag_,
                      "ObjectStore URI (overrides TERN_STORE and the config)");
  command->add_option(
      "--coordinator", coordinator_flag_,
      "Coordinator URI (overrides TERN_COORDINATOR and the config)");
}

const ExecutorOptions& Context::options() {
  if (!options_) {
    ExecutorOptions options = LoadOptions();
    if (!store_flag_.empty()) options.store = store_flag_;
    if (!coordinator_flag_.empty()) options.coordinator = coordinator_flag_;
    options_ = internal::ResolveOptions(std::move(options));
  }
  return *options_;
}

ObjectStore& Context::store() {
  if (!store_) store_ = ObjectStore::Open(options().store);
  return *store_;
}

Coordinator& Context::coordinator() {
  if (!coordinator_) coordinator_ = Coordinator::Open(options().coordinator);
  return *coordinator_;
}

}  // namespace tern::cli
