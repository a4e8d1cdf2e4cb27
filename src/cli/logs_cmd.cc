// tern logs JOB [TASK]: the captured stdout and stderr of finished tasks.
#include <cstdio>

#include "cli/cli.h"
#include "cli/job_info.h"
#include "core/records.h"
#include "tern/errors.h"

namespace tern::cli {
namespace {

struct LogsArgs {
  std::string job;
  uint64_t task = 0;
  bool has_task = false;
  bool no_headers = false;
};

void Write(const std::string& bytes) {
  std::fwrite(bytes.data(), 1, bytes.size(), stdout);
}

internal::TaskRecord RecordOf(Context& context, const JobSummary& job,
                              uint64_t task) {
  std::optional<std::string> bytes =
      context.coordinator().Get(internal::TaskKey(job.id, task));
  if (bytes) {
    return internal::Decode<internal::TaskRecord>(*bytes, "task record");
  }
  std::string name = "task " + std::to_string(task) + " of job " + job.id;
  if (job.spec && task >= job.spec->tasks) {
    throw Error(ErrorCode::kNotFound,
                "job " + job.id + " has no task " + std::to_string(task) +
                    " (it has " + std::to_string(job.spec->tasks) + ")");
  }
  throw Error(ErrorCode::kNotFound,
              name + " has not finished" +
                  (job.cancelled ? " (the job was cancelled)" : " yet"));
}

std::string Header(const internal::TaskRecord& record) {
  std::string status = record.ok ? "ok" : "failed: " + FailureName(record);
  return "==> task " + std::to_string(record.index) + " (" + status +
         ", attempt " + std::to_string(record.attempt) + ", worker " +
         record.worker + ") <==\n";
}

void Logs(Context& context, const LogsArgs& args) {
  JobSummary job = ReadJob(context.coordinator(), args.job);
  if (args.has_task) {
    Write(internal::LogOf(RecordOf(context, job, args.task), context.store()));
    return;
  }
  std::vector<uint64_t> tasks = FinishedTasks(context.coordinator(), job.id);
  if (tasks.empty()) {
    Warn("job " + job.id + " has no finished tasks yet");
    return;
  }
  for (uint64_t task : tasks) {
    internal::TaskRecord record = RecordOf(context, job, task);
    if (!args.no_headers) Write(Header(record));
    std::string log = internal::LogOf(record, context.store());
    Write(log);
    if (!log.empty() && log.back() != '\n') Write("\n");
  }
}

}  // namespace

void AddLogsCommand(CLI::App& app, Context& context) {
  auto args = std::make_shared<LogsArgs>();
  CLI::App* logs = app.add_subcommand(
      "logs",
      "Captured output of task TASK of JOB, or of every finished task in "
      "order, each after a header line");
  logs->add_option("JOB", args->job, "Job id")->required();
  logs->add_option("TASK", args->task, "Task index (default: every task)");
  logs->add_flag("--no-headers", args->no_headers,
                 "Without TASK: print the logs without header lines");
  logs->callback([&context, args, logs] {
    args->has_task = logs->get_option("TASK")->count() > 0;
    Logs(context, *args);
  });
}

}  // namespace tern::cli
