// tern: inspect and operate a tern deployment from the shell.
//
//   tern storage ls|put|get|rm     objects in the ObjectStore
//   tern jobs list|show|cancel|clean
//   tern logs JOB [TASK]           captured output of tasks
//   tern config show               the effective configuration
//   tern worker                    run a worker agent on this host
//   tern linalg cholesky|gemm      dense linear algebra as tasks
#include <cstdio>
#include <exception>

#include "cli/cli.h"
#include "tern/errors.h"
#include "tern/tern.h"

namespace {

constexpr int kUsageError = 2;

const char* const kFooter =
    "Options come from tern's defaults, then the config file (TERN_CONFIG,\n"
    "else $TERN_HOME/config.yaml, TERN_HOME defaulting to ~/.tern), then\n"
    "TERN_* environment variables, then --store and --coordinator.\n"
    "Run 'tern VERB --help' for the options of each verb.";

// A group of subverbs run alone is a usage error that names them. (CLI11's
// require_subcommand(1) would also hide the name of an unknown subverb.)
void RequireSubverb(CLI::App* command) {
  command->require_subcommand(0, 1);
  command->callback([command] {
    if (!command->get_subcommands().empty()) return;
    std::string names;
    for (const CLI::App* sub : command->get_subcommands({})) {
      names += (names.empty() ? "" : ", ") + sub->get_name();
    }
    throw CLI::RequiredError("a subverb is required: " + names,
                             CLI::ExitCodes::RequiredError);
  });
}

// Every command, at any depth, takes the global options.
void Prepare(CLI::App* command, tern::cli::Context& context) {
  context.AddGlobalOptions(command);
  std::vector<CLI::App*> subs = command->get_subcommands({});
  if (!subs.empty()) RequireSubverb(command);
  for (CLI::App* sub : subs) Prepare(sub, context);
}

void Build(CLI::App& app, tern::cli::Context& context) {
  app.set_version_flag("--version", TERN_VERSION);
  app.get_formatter()->column_width(34);
  tern::cli::AddStorageCommands(app, context);
  tern::cli::AddJobsCommands(app, context);
  tern::cli::AddLogsCommand(app, context);
  tern::cli::AddConfigCommands(app, context);
  tern::cli::AddWorkerCommand(app, context);
  tern::cli::AddLinalgCommands(app, context);
  Prepare(&app, context);
  app.footer(kFooter);  // after the subcommands, which would inherit it
}

}  // namespace

int main(int argc, char** argv) {
  // `tern linalg` runs tasks, whose workers re-run this binary.
  tern::Init(argc, argv);
  CLI::App app(
      "tern: run C++ functions as stateless tasks; inspect and "
      "operate its stores, jobs and workers.",
      "tern");
  tern::cli::Context context;
  try {
    Build(app, context);
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int status = app.exit(e);
    return status == 0 ? 0 : kUsageError;
  } catch (const tern::Error& e) {
    tern::cli::Warn(e.what());
    return 1;
  } catch (const std::exception& e) {
    tern::cli::Warn(std::string("unexpected error: ") + e.what());
    return 1;
  }
  return context.status();
}
