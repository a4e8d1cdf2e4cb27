// Sort of 100-byte records (2 GiB by default) on local workers, against GNU
// sort (LC_ALL=C, --parallel=workers) and a single-threaded std::sort of the
// records, in the same run; every tern output is validated (order, count,
// checksum against the input's). The store, the baselines' input and their
// output live in the same directory (TERN_BENCH_DIR, default /tmp).
//
//   build/bench/shuffle_sort [GiB=2] [runs=3] [workers=2]
// With TERN_BENCH_STORE=s3://... tern's rows use that store instead (the
// baselines stay on local files); see scripts/s3-server-start.sh.
#include <algorithm>
#include <cstring>
#include <fstream>

#include "bench_util.h"
#include "tern/sort.h"

namespace {

using tern::bench::Median;
using tern::bench::Seconds;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kPartRecords = (64 << 20) / 100;

// Makes rows [part * kPartRecords, ...) of the input in the store.
tern::Void MakePart(uint64_t part, uint64_t total, std::string store) {
  uint64_t first = part * kPartRecords;
  uint64_t count = std::min(kPartRecords, total - first);
  char name[32];
  std::snprintf(name, sizeof name, "sort/in/part-%05llu",
                static_cast<unsigned long long>(part));
  tern::data::OpenStore(store).Put(
      name, tern::data::GenerateSortRecords(first, count));
  return {};
}

struct Record {
  char bytes[100];
};

// The single-threaded baseline: read the file, std::sort, write the file.
double StdSort(const std::string& in, const std::string& out) {
  auto start = Clock::now();
  std::ifstream input(in, std::ios::binary | std::ios::ate);
  std::vector<Record> records(size_t(input.tellg()) / sizeof(Record));
  input.seekg(0);
  input.read(reinterpret_cast<char*>(records.data()),
             records.size() * sizeof(Record));
  std::sort(records.begin(), records.end(),
            [](const Record& a, const Record& b) {
              return std::memcmp(a.bytes, b.bytes, 10) < 0;
            });
  std::ofstream(out, std::ios::binary)
      .write(reinterpret_cast<const char*>(records.data()),
             records.size() * sizeof(Record));
  return Seconds(Clock::now() - start);
}

// What the reducers' ranged reads cost the store: a GetRange reads the
// object's last 64 KiB (its checksum table) and every 1 MiB checksum block
// the range touches, whole (src/storage/object_store.cc).
uint64_t StoredBytesRead(const std::vector<tern::data::MapOutput>& maps) {
  constexpr uint64_t kBlock = 1 << 20, kTail = 64 << 10;
  uint64_t total = 0;
  for (const auto& map : maps) {
    for (size_t p = 0; p + 1 < map.offsets.size(); ++p) {
      uint64_t begin = map.offsets[p], end = map.offsets[p + 1];
      if (end == begin) continue;
      total += kTail + ((end - 1) / kBlock - begin / kBlock + 1) * kBlock;
    }
  }
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  tern::Init(argc, argv);
  double gib = argc > 1 ? std::atof(argv[1]) : 2;
  int runs = argc > 2 ? std::atoi(argv[2]) : 3;
  int workers = argc > 3 ? std::atoi(argv[3]) : 2;
  tern::bench::ScratchDeployment deployment;
  tern::ExecutorOptions options = deployment.Options(workers);
  options.reuse_processes = true;
  const char* s3 = std::getenv("TERN_BENCH_STORE");
  if (s3 && *s3) options.store = s3;
  tern::Executor ex(options);
  tern::ObjectStore& store = tern::data::OpenStore(ex.options().store);

  uint64_t total = uint64_t(gib * (1 << 30)) / 100;
  uint64_t parts = (total + kPartRecords - 1) / kPartRecords;
  std::vector<uint64_t> numbers(parts);
  for (uint64_t i = 0; i < parts; ++i) numbers[i] = i;
  auto start = Clock::now();
  tern::GetAllResults(ex.Map(MakePart, numbers, total, ex.options().store));
  double generate = Seconds(Clock::now() - start);
  std::string in = deployment.dir() + "/input.dat";
  std::string out = deployment.dir() + "/output.dat";
  tern::data::SortSummary input;
  {
    std::ofstream file(in, std::ios::binary);
    for (const std::string& key : store.List("sort/in/")) {
      std::string records = *store.Get(key);
      tern::data::SortSummary part = tern::data::Summarize(records);
      input.records += part.records;
      input.checksum += part.checksum;
      file << records;
    }
  }
  std::printf(
      "sort of %llu records (%.2f GiB) in %s, %d workers; "
      "generated in %.1f s\n",
      static_cast<unsigned long long>(total), total * 100.0 / (1 << 30),
      store.Uri().c_str(), workers, generate);

  // Runs alternate between the baselines and tern, so that the load of a
  // shared machine weighs on all alike.
  std::vector<double> gnu, standard, tern_times;
  std::vector<tern::data::MapOutput> shuffle;
  uint32_t partitions = std::max<uint32_t>(2 * workers, parts / 2);
  for (int run = 0; run < runs; ++run) {
    gnu.push_back(tern::bench::TimeCommand(
        "LC_ALL=C sort --parallel=" + std::to_string(workers) + " -S 6G -T " +
        deployment.dir() + " -o " + out + " " + in));
    std::remove(out.c_str());
    standard.push_back(StdSort(in, out));
    std::remove(out.c_str());
    auto begin = Clock::now();
    auto chunks = tern::data::Split(ex.options().store, "sort/in/",
                                    tern::data::SplitBy::ChunkBytes(64 << 20),
                                    tern::data::Records::Fixed(100));
    auto keys = tern::data::Sort(ex, chunks, partitions, "sort/out/", &shuffle);
    tern_times.push_back(Seconds(Clock::now() - begin));
    if (tern::data::ValidateSortOutput(store, keys) != input) {
      std::fprintf(stderr, "tern's output lost or changed records\n");
      return 1;
    }
    for (const std::string& key : keys) store.Delete(key);
  }
  std::printf("every tern output validated: order, %llu records, checksum\n",
              static_cast<unsigned long long>(input.records));
  double base = Median(gnu);
  std::printf("\n%-34s %11s %7s %4s\n", "", "median", "vs GNU", "runs");
  tern::bench::PrintTimeRow("GNU sort --parallel", gnu, base);
  tern::bench::PrintTimeRow("std::sort, one thread", standard, base);
  tern::bench::PrintTimeRow("tern (reuse_processes)", tern_times, base);
  std::printf("tern: %llu mappers of 64 MiB, %u reducers\n",
              static_cast<unsigned long long>(parts), partitions);
  std::printf(
      "shuffle reads: %.0f MiB of partitions, %.0f MiB read with "
      "their checksum blocks and tails (%.2fx)\n",
      total * 100.0 / (1 << 20), StoredBytesRead(shuffle) / 1048576.0,
      StoredBytesRead(shuffle) / (total * 100.0));
  for (const std::string& key : store.List("sort/in/")) store.Delete(key);
}
