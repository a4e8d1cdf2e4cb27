// The shuffle: round trips on the file store (through tasks) and on the real
// S3 server, attempt safety, and clear errors for lost or damaged objects.
#include "tern/shuffle.h"

#include <cstdlib>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/test_env.h"
#include "support/throws_error.h"
#include "tern/word_count.h"

namespace tern::data {
namespace {

// A scratch file store and SQLite coordinator with local workers, per test.
class ShuffleJobTest : public testing_support::ExecutorTest {};
using testing_support::ThrowsError;

// Emits each line to partition (its first letter) mod partitions.
void ByFirstLetter(std::string_view text, ShuffleWriter& out) {
  ForEachLine(text, [&](std::string_view line) {
    std::string record = std::string(line) + "\n";
    out.Emit(uint8_t(line[0]) % out.partitions(), record);
  });
}

// The sorted lines of a partition.
std::vector<std::string> SortedLines(uint32_t,
                                     const std::vector<std::string>& pieces) {
  std::vector<std::string> lines;
  for (const std::string& piece : pieces) {
    ForEachLine(piece, [&](std::string_view l) { lines.emplace_back(l); });
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

std::string Text(int lines) {
  std::string text;
  for (int i = 0; i < lines; ++i) {
    text += char('a' + (i * 7) % 26) + std::to_string(i) + "\n";
  }
  return text;
}

TEST_F(ShuffleJobTest, ShuffleRoundTripThroughTasks) {
  Executor ex(Options());
  ObjectStore& store = OpenStore(ex.options().store);
  store.Put("in/0", Text(500));
  store.Put("in/1", Text(300));
  auto chunks = Split(ex.options().store, "in/", SplitBy::ChunkBytes(700),
                      Records::Lines());
  auto shuffle = MapShuffleReduce(ex, ByFirstLetter, chunks, 5, SortedLines);
  ASSERT_EQ(shuffle.reducers.size(), 5u);
  std::map<std::string, int> seen;
  for (uint32_t p = 0; p < 5; ++p) {
    for (const std::string& line : shuffle.reducers[p].Result()) {
      EXPECT_EQ(uint8_t(line[0]) % 5, p) << line;
      ++seen[line];
    }
  }
  std::map<std::string, int> want;
  ForEachLine(Text(500) + Text(300),
              [&](std::string_view l) { ++want[std::string(l)]; });
  EXPECT_EQ(seen, want);
  // One object per mapper, not one per (mapper, reducer).
  EXPECT_EQ(store.List(shuffle.prefix).size(), chunks.size());
  DeleteShuffle(store, shuffle.prefix);
  EXPECT_TRUE(store.List(shuffle.prefix).empty());
}

size_t CountLines(const Chunk& chunk) {
  size_t lines = 0;
  ForEachLine(ReadChunk(chunk).data(), [&](std::string_view) { ++lines; });
  return lines;
}

TEST_F(ShuffleJobTest, MapObjectsRunsOneTaskPerChunk) {
  Executor ex(Options());
  OpenStore(ex.options().store).Put("lines/a", Text(1000));
  auto futures = MapObjects(ex, CountLines, "lines/", SplitBy::ChunkCount(7),
                            Records::Lines());
  EXPECT_EQ(futures.size(), 7u);
  size_t total = 0;
  for (size_t lines : GetAllResults(futures)) total += lines;
  EXPECT_EQ(total, 1000u);
}

void FailOnZ(std::string_view text, ShuffleWriter& out) {
  out.Emit(0, text);
  if (text.find('z') != std::string_view::npos) {
    throw std::invalid_argument("a z in the chunk");
  }
}

TEST_F(ShuffleJobTest, AFailedMapperIsReportedAndItsShuffleDeleted) {
  Executor ex(Options());
  ObjectStore& store = OpenStore(ex.options().store);
  store.Put("in/0", "abc\n");
  store.Put("in/1", "xyz\n");
  auto chunks = Split(ex.options().store, "in/", SplitBy::ChunkBytes(100),
                      Records::Lines());
  try {
    MapShuffleReduce(ex, FailOnZ, chunks, 2, SortedLines);
    FAIL() << "no TaskError";
  } catch (const TaskError& e) {
    EXPECT_EQ(e.task_index(), 1u);
    EXPECT_EQ(e.message(), "a z in the chunk");
  }
  EXPECT_TRUE(store.List("shuffle/").empty());
}

// The writer and the parallel reader straight on a store.
void RoundTrip(ObjectStore& store) {
  const uint32_t kMappers = 4, kPartitions = 7;
  std::vector<MapOutput> maps;
  for (uint32_t m = 0; m < kMappers; ++m) {
    ShuffleWriter writer(kPartitions);
    for (uint32_t p = 0; p < kPartitions; ++p) {
      if (p == 3) continue;  // an empty partition
      writer.Emit(p, std::string(1000 * (m + 1), char('a' + p)));
      writer.Emit(p, "|" + std::to_string(m));
    }
    maps.push_back(writer.Write(store, internal::AttemptKey("sh/", m)));
  }
  auto plan = internal::PlanReducers(maps, kPartitions);
  for (uint32_t p = 0; p < kPartitions; ++p) {
    auto pieces = ReadPieces(store, plan[p].pieces, 3);
    ASSERT_EQ(pieces.size(), kMappers);
    for (uint32_t m = 0; m < kMappers; ++m) {
      std::string want = p == 3 ? ""
                                : std::string(1000 * (m + 1), char('a' + p)) +
                                      "|" + std::to_string(m);
      EXPECT_EQ(pieces[m], want) << "partition " << p << " mapper " << m;
    }
  }
  EXPECT_EQ(store.List("sh/").size(), kMappers);
  DeleteShuffle(store, "sh/");
}

TEST(ShuffleTest, RoundTripOnTheFileStore) {
  testing_support::ScratchDir dir;
  RoundTrip(*ObjectStore::Open("file://" + dir.path() + "/store"));
}

TEST(ShuffleTest, RoundTripOnS3) {
  const char* base = std::getenv("TERN_TEST_S3_URI");
  if (!base || !*base) GTEST_SKIP() << "TERN_TEST_S3_URI is unset";
  std::string uri = base;
  size_t query = std::min(uri.find('?'), uri.size());
  uri.insert(query, "/shuffle-test-" + std::to_string(getpid()));
  RoundTrip(*ObjectStore::Open(uri));
}

TEST(ShuffleTest, MissingOrCorruptObjectNamesTheKey) {
  testing_support::ScratchDir dir;
  auto store = ObjectStore::Open("file://" + dir.path() + "/store");
  ShuffleWriter writer(2);
  writer.Emit(0, std::string(5000, 'x'));
  writer.Emit(1, std::string(5000, 'y'));
  MapOutput map = writer.Write(*store, "sh/map-0.abc");
  auto plan = internal::PlanReducers({map}, 2);
  // Flip a byte of the stored file behind the store's back.
  std::string file = dir.path() + "/store/sh.dir/map-0.abc.obj";
  {
    std::FILE* f = std::fopen(file.c_str(), "r+b");
    ASSERT_NE(f, nullptr);
    std::fseek(f, 6000, SEEK_SET);
    std::fputc('Z', f);
    std::fclose(f);
  }
  EXPECT_TRUE(ThrowsError([&] { ReadPieces(*store, plan[1].pieces); },
                          ErrorCode::kCorruption, "sh/map-0.abc"));
  store->Delete("sh/map-0.abc");
  EXPECT_TRUE(ThrowsError([&] { ReadPieces(*store, plan[0].pieces); },
                          ErrorCode::kNotFound, "sh/map-0.abc"));
}

TEST(ShuffleTest, BadInputIsAClearError) {
  EXPECT_TRUE(ThrowsError([] { ShuffleWriter writer(0); },
                          ErrorCode::kInvalidArgument, "partitions"));
  ShuffleWriter writer(2);
  EXPECT_TRUE(ThrowsError(
      [&] {
        writer.SetLayout("abc", {0, 2});
      },
      ErrorCode::kInvalidArgument, "offsets"));
  EXPECT_TRUE(ThrowsError(
      [&] {
        writer.SetLayout("abc", {0, 2, 1});
      },
      ErrorCode::kInvalidArgument, "offsets"));
  MapOutput bad{"sh/x", {0, 1}};
  EXPECT_TRUE(ThrowsError([&] { internal::PlanReducers({bad}, 3); },
                          ErrorCode::kCorruption, "sh/x"));
}

TEST(ShuffleTest, PartitionFunctionsStayInRange) {
  std::vector<int> hashed(8, 0);
  uint32_t last = 0;
  for (int i = 0; i < 8000; ++i) {
    std::string key = "word" + std::to_string(i);
    ++hashed[HashPartition(key, 8)];
    uint64_t value = i * (UINT64_MAX / 8000);
    std::string big_endian(8, '\0');
    for (int b = 0; b < 8; ++b) big_endian[b] = char(value >> (56 - 8 * b));
    uint32_t range = RangePartition(big_endian, 8);
    EXPECT_GE(range, last);  // keys ascend, so do their partitions
    last = range;
  }
  EXPECT_EQ(last, 7u);
  for (int count : hashed) EXPECT_NEAR(count, 1000, 150);
}

// A mapper that runs twice (a retry or a backup) writes two objects, but a
// reducer reads only the one its committed result names: no record twice.
TEST(ShuffleTest, AMapperRerunDoesNotDuplicateRecords) {
  std::string uri = "mem://shuffle-rerun";
  OpenStore(uri).Put("in/t", "b a\nc a\n");
  auto chunks = Split(uri, "in/", SplitBy::ChunkBytes(100), Records::Lines());
  internal::ShuffleMapTask<decltype(&WordCountMap)> task{
      tern::internal::SaveFunction(&WordCountMap), uri, "sh/", 2};
  MapOutput first = task({0, chunks[0]});
  MapOutput second = task({0, chunks[0]});  // the re-run
  EXPECT_NE(first.key, second.key);
  EXPECT_EQ(OpenStore(uri).List("sh/").size(), 2u);
  auto plan = internal::PlanReducers({second}, 2);
  std::map<std::string, uint64_t> counts;
  for (const ReduceInput& in : plan) {
    for (auto& [word, n] :
         WordCountReduce(in.partition, ReadPieces(OpenStore(uri), in.pieces))) {
      counts[word] += n;
    }
  }
  std::map<std::string, uint64_t> want{{"a", 2}, {"b", 1}, {"c", 1}};
  EXPECT_EQ(counts, want);
}

}  // namespace
}  // namespace tern::data
