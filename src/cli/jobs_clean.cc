// tern jobs clean: deletes what a job left in the Coordinator and the
// ObjectStore.
#include <cstdio>

#include "cli/cli.h"
#include "cli/job_info.h"
#include "tern/errors.h"

namespace tern::cli {
namespace {

struct CleanArgs {
  std::vector<std::string> jobs;
  bool finished = false;
  bool force = false;
};

// Removes active/<id>. The Coordinator can only delete by prefix, so this is
// done only when no other listed job's id starts with id (tern's own ids have
// one fixed length, so this holds for every job tern submitted).
void RemoveListing(Coordinator& coordinator, const std::string& id) {
  std::string key = "active/" + id;
  std::vector<std::string> keys = coordinator.ListKeys(key);
  if (keys.empty()) return;
  if (keys.size() == 1 && keys[0] == key) {
    coordinator.DeletePrefix(key);
    return;
  }
  std::string other = keys[0] == key ? keys[1] : keys[0];
  Warn("warning: left " + key + " in place: deleting it by prefix would " +
       "also delete " + other);
}

// Objects first and the listing last: a clean cut short leaves the job
// listed, so it can be cleaned again.
void CleanJob(Context& context, const JobSummary& job) {
  ObjectStore& store = context.store();
  std::string prefix = internal::JobKey(job.id, "");
  size_t objects = 0;
  for (const std::string& key : store.List(prefix)) {
    store.Delete(key);
    ++objects;
  }
  context.coordinator().DeletePrefix(prefix);
  RemoveListing(context.coordinator(), job.id);
  std::printf("cleaned job %s (%zu objects)\n", job.id.c_str(), objects);
}

void CleanNamed(Context& context, const CleanArgs& args) {
  for (const std::string& id : args.jobs) {
    JobSummary job;
    try {
      job = ReadJob(context.coordinator(), id);
    } catch (const Error& e) {
      if (e.code() != ErrorCode::kNotFound) throw;
      Warn(e.what());
      context.Fail();
      continue;
    }
    if (job.State() == "running" && !args.force) {
      Warn("job " + id +
           " is still running: cancel it first, or clean it with --force");
      context.Fail();
      continue;
    }
    CleanJob(context, job);
  }
}

void CleanFinished(Context& context) {
  size_t cleaned = 0;
  for (const std::string& id : ActiveJobs(context.coordinator())) {
    JobSummary job;
    try {
      job = ReadJob(context.coordinator(), id);
    } catch (const Error& e) {
      if (e.code() != ErrorCode::kNotFound) throw;
      continue;  // cleaned since it was listed
    }
    if (job.State() == "running") continue;
    CleanJob(context, job);
    ++cleaned;
  }
  if (cleaned == 0) std::printf("no finished jobs to clean\n");
}

}  // namespace

void AddJobsCleanCommand(CLI::App& jobs, Context& context) {
  auto args = std::make_shared<CleanArgs>();
  CLI::App* clean = jobs.add_subcommand(
      "clean",
      "Delete jobs' records, events and objects (refuses running jobs)");
  CLI::Option* ids = clean->add_option("JOB", args->jobs, "Job ids");
  clean
      ->add_flag("--finished", args->finished,
                 "Clean every job that is finished, cancelled or partly "
                 "cleaned")
      ->excludes(ids);
  clean->add_flag("--force", args->force,
                  "Clean named jobs even while they run (their workers may "
                  "still write records)");
  clean->callback([&context, args] {
    if (args->jobs.empty() && !args->finished) {
      throw CLI::RequiredError("JOB or --finished");
    }
    if (args->finished) {
      CleanFinished(context);
    } else {
      CleanNamed(context, *args);
    }
  });
}

}  // namespace tern::cli
