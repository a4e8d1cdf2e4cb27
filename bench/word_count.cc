// Word count of Zipf-distributed text (1 GiB by default) on local workers,
// against a single-threaded count with the same kernel, `tr | sort | uniq -c`
// and a Dask bag (when /usr/bin/python3 has dask), in the same run. tern's
// counts are checked against the single-threaded count, word for word.
//
//   build/bench/word_count [GiB=1] [runs=3] [workers=2] [partitions=2*workers]
// TERN_BENCH_DIR puts the store and the baselines' file elsewhere than /tmp
// (e.g. /dev/shm); TERN_BENCH_SLOW_RUNS (default 1) sets the runs of the
// slow baselines (sort | uniq, Dask).
#include "tern/word_count.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "bench_util.h"

namespace {

using tern::bench::Median;
using tern::bench::Seconds;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kPartBytes = 64 << 20;
constexpr uint64_t kSeed = 2017;

// Makes part `part` of the corpus in the store.
tern::Void MakePart(uint64_t part, std::string store) {
  tern::data::OpenStore(store).Put(
      "wc/in/part-" + std::to_string(1000 + part),
      tern::data::GenerateZipfText(kSeed, part, kPartBytes));
  return {};
}

// The fair baseline: the same kernel, one thread, over the whole file.
std::vector<tern::data::WordFrequency> CountFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY);
  struct stat st;
  fstat(fd, &st);
  void* map = mmap(nullptr, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  tern::data::WordCounter counter;
  counter.AddText({static_cast<const char*>(map), size_t(st.st_size)});
  auto counts = counter.Sorted();
  munmap(map, st.st_size);
  return counts;
}

}  // namespace

int main(int argc, char** argv) {
  tern::Init(argc, argv);
  double gib = argc > 1 ? std::atof(argv[1]) : 1;
  int runs = argc > 2 ? std::atoi(argv[2]) : 3;
  int workers = argc > 3 ? std::atoi(argv[3]) : 2;
  uint32_t partitions = argc > 4 ? std::atoi(argv[4]) : 2 * workers;
  const char* slow_env = std::getenv("TERN_BENCH_SLOW_RUNS");
  int slow_runs = slow_env ? std::atoi(slow_env) : 1;
  tern::bench::ScratchDeployment deployment;
  tern::ExecutorOptions options = deployment.Options(workers);
  options.reuse_processes = true;  // no fork per task; see bench/README.md
  tern::Executor ex(options);
  tern::ObjectStore& store = tern::data::OpenStore(ex.options().store);

  uint64_t parts = uint64_t(gib * (1 << 30) / kPartBytes + 0.5);
  std::vector<uint64_t> numbers(parts);
  for (uint64_t i = 0; i < parts; ++i) numbers[i] = i;
  tern::GetAllResults(ex.Map(MakePart, numbers, ex.options().store));
  std::string file = deployment.dir() + "/text.txt";
  {
    std::ofstream out(file, std::ios::binary);
    for (const std::string& key : store.List("wc/in/")) out << *store.Get(key);
  }
  std::printf(
      "word count of %llu x 64 MiB of Zipf text, %d workers, %u "
      "reducers\n",
      static_cast<unsigned long long>(parts), workers, partitions);

  // Runs alternate between the baseline and tern, so that the load of a
  // shared machine weighs on both alike.
  std::vector<double> single, tern_times, uniq, dask;
  std::vector<tern::data::WordFrequency> want;
  for (int run = 0; run < runs; ++run) {
    auto start = Clock::now();
    want = CountFile(file);
    single.push_back(Seconds(Clock::now() - start));
    start = Clock::now();
    auto chunks = tern::data::Split(ex.options().store, "wc/in/",
                                    tern::data::SplitBy::ChunkBytes(kPartBytes),
                                    tern::data::Records::Lines());
    auto counts = tern::data::WordCount(ex, chunks, partitions);
    tern_times.push_back(Seconds(Clock::now() - start));
    if (counts != want) {
      std::fprintf(stderr, "tern's counts differ from the baseline's\n");
      return 1;
    }
  }
  std::printf("counts verified: %zu distinct words, equal to the baseline's\n",
              want.size());
  for (int run = 0; run < slow_runs; ++run) {
    uniq.push_back(tern::bench::TimeCommand(
        "LC_ALL=C tr -cs A-Za-z '\\n' < " + file +
        " | LC_ALL=C sort -S 2G --parallel=" + std::to_string(workers) +
        " | uniq -c > /dev/null"));
    dask.push_back(tern::bench::TimeCommand(
        "/usr/bin/python3 " + tern::bench::BaselineDir() +
        "/dask_word_count.py " + file + " " + std::to_string(workers) +
        " > /dev/null 2>&1"));
  }
  double base = Median(single);
  std::printf("\n%-34s %11s %7s %4s\n", "", "median", "speedup", "runs");
  tern::bench::PrintTimeRow("single-threaded C++ (same kernel)", single, base);
  tern::bench::PrintTimeRow("tern, reuse_processes", tern_times, base);
  tern::bench::PrintTimeRow("tr | sort | uniq -c", uniq, base);
  tern::bench::PrintTimeRow("Dask bag", dask, base);
}
