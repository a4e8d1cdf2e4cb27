// Split and ReadChunk: every record read exactly once, whole, however the
// chunks fall; the edge cases of the Hadoop rule; bad input.
#include <random>
#include <string>
#include <vector>

#include "support/throws_error.h"
#include "tern/data.h"

namespace tern::data {
namespace {

using testing_support::ThrowsError;

std::string StoreName() {
  static int counter = 0;
  return "mem://split-test-" + std::to_string(counter++);
}

// Reads every chunk and joins what they own.
std::string ReadAll(ObjectStore& store, const std::vector<Chunk>& chunks) {
  std::string all;
  for (const Chunk& chunk : chunks) all += ReadChunk(store, chunk).data();
  return all;
}

std::vector<std::string> Lines(std::string_view data) {
  std::vector<std::string> lines;
  ForEachLine(data, [&](std::string_view line) { lines.emplace_back(line); });
  return lines;
}

TEST(SplitTest, EveryLineOnceForEveryChunkSize) {
  auto store = ObjectStore::Open(StoreName());
  std::mt19937 random(1);
  std::string text;
  for (int line = 0; line < 300; ++line) {
    text += std::string(random() % 40, 'a' + line % 26) + "\n";
  }
  store->Put("in/a", text);
  store->Put("in/b", text + "no trailing newline");
  for (uint64_t size : {1, 2, 3, 7, 39, 40, 41, 100, 1000, 100000}) {
    auto chunks =
        Split(*store, "in/", SplitBy::ChunkBytes(size), Records::Lines());
    EXPECT_EQ(ReadAll(*store, chunks), text + text + "no trailing newline")
        << "chunk size " << size;
  }
}

TEST(SplitTest, EmptyObjectsGiveNoChunks) {
  auto store = ObjectStore::Open(StoreName());
  store->Put("in/empty", "");
  store->Put("in/one", "x\n");
  auto chunks = Split(*store, "in/", SplitBy::ChunkBytes(10), Records::Lines());
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].key, "in/one");
  EXPECT_EQ(ReadChunk(*store, chunks[0]).data(), "x\n");
}

TEST(SplitTest, ObjectSmallerThanAChunkIsOneChunk) {
  auto store = ObjectStore::Open(StoreName());
  store->Put("in/small", "one\ntwo");
  auto chunks =
      Split(*store, "in/", SplitBy::ChunkBytes(1 << 20), Records::Lines());
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(Lines(ReadChunk(*store, chunks[0]).data()),
            (std::vector<std::string>{"one", "two"}));
}

TEST(SplitTest, RecordLongerThanAChunkBelongsToWhereItStarts) {
  auto store = ObjectStore::Open(StoreName());
  std::string long_line(200 * 1024, 'L');  // past the first overread
  store->Put("in/x", "a\n" + long_line + "\nb\n");
  auto chunks =
      Split(*store, "in/", SplitBy::ChunkBytes(1000), Records::Lines());
  std::vector<std::string> owned;
  for (const Chunk& chunk : chunks) {
    for (auto& line : Lines(ReadChunk(*store, chunk).data())) {
      owned.push_back(line);
    }
  }
  EXPECT_EQ(owned, (std::vector<std::string>{"a", long_line, "b"}));
  EXPECT_EQ(ReadChunk(*store, chunks[0]).data(), "a\n" + long_line + "\n");
  EXPECT_EQ(ReadChunk(*store, chunks[5]).data(), "");  // inside the long line
}

TEST(SplitTest, FixedRecordsAreNeverCut) {
  auto store = ObjectStore::Open(StoreName());
  std::string records;
  for (int i = 0; i < 50; ++i) records += std::string(10, char('A' + i % 26));
  store->Put("in/r", records);
  auto chunks =
      Split(*store, "in/", SplitBy::ChunkBytes(25), Records::Fixed(10));
  ASSERT_EQ(chunks.size(), 25u);  // 25 bytes round down to two records
  for (const Chunk& chunk : chunks) {
    EXPECT_EQ(chunk.offset % 10, 0u);
    EXPECT_EQ(ReadChunk(*store, chunk).data().size(), 20u);
  }
  EXPECT_EQ(ReadAll(*store, chunks), records);
}

TEST(SplitTest, ChunkCountSpreadsTheTotal) {
  auto store = ObjectStore::Open(StoreName());
  store->Put("in/a", std::string(1000, 'a') + "\n");
  store->Put("in/b", std::string(999, 'b') + "\n");
  auto chunks = Split(*store, "in/", SplitBy::ChunkCount(4), Records::Lines());
  EXPECT_EQ(chunks.size(), 4u);
  EXPECT_EQ(chunks[0].length, 501u);  // ceil(2001 / 4)
}

TEST(SplitTest, TasksReadChunksFromTheStoreUri) {
  std::string uri = StoreName();
  OpenStore(uri).Put("in/a", "x\ny\n");
  auto chunks = Split(uri, "in/", SplitBy::ChunkBytes(2), Records::Lines());
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[1].store, uri);
  EXPECT_EQ(ReadChunk(chunks[1]).data(), "y\n");
}

TEST(SplitTest, BadInputIsAClearError) {
  auto store = ObjectStore::Open(StoreName());
  store->Put("in/odd", std::string(15, 'x'));
  EXPECT_TRUE(ThrowsError(
      [&] { Split(*store, "in/", SplitBy::ChunkBytes(0), Records::Lines()); },
      ErrorCode::kInvalidArgument, "chunk size"));
  EXPECT_TRUE(ThrowsError(
      [&] { Split(*store, "in/", SplitBy::ChunkCount(0), Records::Lines()); },
      ErrorCode::kInvalidArgument, "chunk count"));
  EXPECT_TRUE(ThrowsError(
      [&] { Split(*store, "in/", SplitBy::ChunkBytes(8), Records::Fixed(0)); },
      ErrorCode::kInvalidArgument, "record size"));
  EXPECT_TRUE(ThrowsError(
      [&] { Split(*store, "in/", SplitBy::ChunkBytes(8), Records::Fixed(10)); },
      ErrorCode::kInvalidArgument, {"in/odd", "10-byte records"}));
  EXPECT_TRUE(ThrowsError(
      [&] {
        Split(*store, "nothing/", SplitBy::ChunkBytes(8), Records::Lines());
      },
      ErrorCode::kNotFound, "nothing/"));
  auto chunks = Split(*store, "in/", SplitBy::ChunkBytes(8), Records::Lines());
  store->Delete("in/odd");
  EXPECT_TRUE(ThrowsError([&] { ReadChunk(*store, chunks[0]); },
                          ErrorCode::kNotFound, "in/odd"));
}

}  // namespace
}  // namespace tern::data
