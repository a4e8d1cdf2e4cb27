// tern jobs list|show|cancel (and clean, in jobs_clean.cc): the jobs a
// coordinator knows.
#include <cstdio>

#include "cli/cli.h"
#include "cli/job_info.h"
#include "tern/errors.h"

namespace tern::cli {
namespace {

struct JobsArgs {
  std::string job;
  size_t failures = 5;
};

void List(Context& context) {
  Coordinator& coordinator = context.coordinator();
  std::vector<std::vector<std::string>> rows = {
      {"JOB", "KIND", "TASKS", "FINISHED", "FAILED", "CREATED", "STATE"}};
  for (const std::string& id : ActiveJobs(coordinator)) {
    JobSummary job;
    try {
      job = ReadJob(coordinator, id);
      ReadFailures(coordinator, job, 0);
    } catch (const Error& e) {
      if (e.code() != ErrorCode::kNotFound) throw;
      continue;  // cleaned since it was listed
    }
    rows.push_back(
        {id, job.Kind(), job.spec ? std::to_string(job.spec->tasks) : "?",
         std::to_string(job.finished), std::to_string(job.failed),
         LocalTime(job.spec ? job.spec->created_us : 0), job.State()});
  }
  if (rows.size() == 1) {
    std::printf("no jobs in %s\n", coordinator.Uri().c_str());
    return;
  }
  PrintTable(rows);
}

std::string Limit(bool set, const std::string& value) {
  return set ? value : "none";
}

void PrintSpec(const internal::StoredJob& spec) {
  std::printf("kind:             %s\n", spec.kind.c_str());
  std::printf("function:         %s\n", spec.function.name.c_str());
  std::printf("runtime:          %s\n", spec.runtime.c_str());
  std::printf("created:          %s\n", LocalTime(spec.created_us).c_str());
  std::printf("tasks:            %llu\n",
              static_cast<unsigned long long>(spec.tasks));
  std::printf(
      "task timeout:     %s\n",
      Limit(spec.task_timeout_ms > 0,
            ConfigDuration(std::chrono::milliseconds(spec.task_timeout_ms)))
          .c_str());
  std::printf(
      "memory limit:     %s\n",
      Limit(spec.memory_limit_bytes > 0, HumanBytes(spec.memory_limit_bytes))
          .c_str());
  std::printf("max attempts:     %d\n", spec.max_attempts);
  std::printf("reuse processes:  %s\n", spec.reuse_processes ? "yes" : "no");
  std::printf("inline limit:     %s\n",
              HumanBytes(spec.inline_limit_bytes).c_str());
  std::string extra = spec.extra_key.empty()
                          ? HumanBytes(spec.extra.size()) + " inline"
                          : "object " + spec.extra_key;
  std::printf("extra arguments:  %s\n", extra.c_str());
}

void PrintFailure(const internal::TaskRecord& record) {
  std::string what = record.error_type;
  if (!record.error_message.empty()) {
    what += (what.empty() ? "" : ": ") + record.error_message;
  }
  std::printf("  task %llu (%s, attempt %d): %s\n",
              static_cast<unsigned long long>(record.index),
              FailureName(record).c_str(), record.attempt, what.c_str());
}

void Show(Context& context, const JobsArgs& args) {
  JobSummary job = ReadJob(context.coordinator(), args.job);
  ReadFailures(context.coordinator(), job, args.failures);
  std::printf("job:              %s\n", job.id.c_str());
  if (job.spec) {
    PrintSpec(*job.spec);
  } else {
    std::printf("spec:             missing (the job was partly cleaned)\n");
  }
  std::printf("state:            %s\n", job.State().c_str());
  std::printf("finished:         %llu\n",
              static_cast<unsigned long long>(job.finished));
  std::printf("failed:           %llu\n",
              static_cast<unsigned long long>(job.failed));
  if (job.failures.empty()) return;
  std::printf("first failures:\n");
  for (const internal::TaskRecord& record : job.failures) PrintFailure(record);
  if (job.failed > job.failures.size()) {
    std::printf("  ... and %llu more\n", static_cast<unsigned long long>(
                                             job.failed - job.failures.size()));
  }
}

void Cancel(Context& context, const JobsArgs& args) {
  JobSummary job = ReadJob(context.coordinator(), args.job);
  if (job.State() == "finished") {
    std::printf("job %s has already finished\n", job.id.c_str());
    return;
  }
  context.coordinator().Put(internal::JobKey(job.id, "cancelled"),
                            std::to_string(internal::NowMicros()));
  std::printf("cancelled job %s\n", job.id.c_str());
}

}  // namespace

void AddJobsCommands(CLI::App& app, Context& context) {
  auto args = std::make_shared<JobsArgs>();
  CLI::App* jobs = app.add_subcommand(
      "jobs", "List, inspect, cancel and clean up jobs in the Coordinator");

  CLI::App* list = jobs->add_subcommand(
      "list",
      "Every listed job: kind, tasks, finished, failed, created, state");
  list->callback([&context] { List(context); });

  CLI::App* show = jobs->add_subcommand(
      "show", "A job's spec (function, runtime, limits), counts and failures");
  show->add_option("JOB", args->job, "Job id")->required();
  show->add_option("-n,--failures", args->failures, "How many failures to show")
      ->capture_default_str();
  show->callback([&context, args] { Show(context, *args); });

  CLI::App* cancel = jobs->add_subcommand(
      "cancel", "Cancel a job: workers drop its tasks that have not run yet");
  cancel->add_option("JOB", args->job, "Job id")->required();
  cancel->callback([&context, args] { Cancel(context, *args); });

  AddJobsCleanCommand(*jobs, context);
}

}  // namespace tern::cli
