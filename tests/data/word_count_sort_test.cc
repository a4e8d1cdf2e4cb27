// Word count and sort as tasks on small data, checked against single-threaded
// computations of the same answers.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "core/test_env.h"
#include "support/throws_error.h"
#include "tern/sort.h"
#include "tern/word_count.h"

namespace tern::data {
namespace {

// A scratch file store and SQLite coordinator with local workers, per test.
class WordCountSortJobTest : public testing_support::ExecutorTest {};
using testing_support::ThrowsError;

std::map<std::string, uint64_t> Counts(const std::vector<WordFrequency>& v) {
  return {v.begin(), v.end()};
}

TEST(WordCounterTest, CountsLikeAMap) {
  std::string huge(70000, 'h');  // longer than a slot's length field
  std::string text = "the cat\tthe  dog\r\nthe end\n\n  a-b a-b x " + huge +
                     " " + huge + " " + huge.substr(1);
  std::map<std::string, uint64_t> want;
  size_t at = 0;
  while ((at = text.find_first_not_of(" \t\r\n", at)) != std::string::npos) {
    size_t end = std::min(text.find_first_of(" \t\r\n", at), text.size());
    ++want[text.substr(at, end - at)];
    at = end;
  }
  WordCounter counter;
  counter.AddText(text);
  auto sorted = counter.Sorted();
  EXPECT_EQ(Counts(sorted), want);
}

// Sorted() orders by the slots' 16-byte prefixes first: words that share
// them, run past them, hold high or zero bytes, must still sort as strings.
TEST(WordCounterTest, SortsLikeStrings) {
  std::string text = "aaaaaaaaaaaaaaaab aaaaaaaaaaaaaaaa aaaaaaaaaaaaaaaaa b ";
  text += std::string("a\0 a a\0\0 \xff\xfe z\x80 ab ", 18);
  text += "aaaaaaaaaaaaaaaaaz aaaaaaaaaaaaaaaaab aaaaaaaaaaaaaaaab b";
  std::map<std::string, uint64_t> want;
  for (size_t at = 0; at < text.size();) {
    size_t end = std::min(text.find(' ', at), text.size());
    ++want[text.substr(at, end - at)];
    at = end + 1;
  }
  WordCounter counter;
  counter.AddText(text);
  EXPECT_EQ(counter.Sorted(),
            std::vector<WordFrequency>(want.begin(), want.end()));
}

TEST(WordCounterTest, GrowsPastItsFirstTable) {
  std::string text = GenerateZipfText(3, 0, 2 << 20, 200000);
  WordCounter counter;
  counter.AddText(text);
  std::map<std::string, uint64_t> want;
  ForEachLine(text, [&](std::string_view line) {
    size_t at = 0;
    while (at < line.size()) {
      size_t end = std::min(line.find(' ', at), line.size());
      ++want[std::string(line.substr(at, end - at))];
      at = end + 1;
    }
  });
  auto sorted = counter.Sorted();
  EXPECT_GT(counter.size(), 65536u / 2);
  EXPECT_EQ(Counts(sorted), want);
}

TEST(WordCountTest, GeneratorIsDeterministicAndEndsLines) {
  std::string a = GenerateZipfText(7, 2, 100000),
              b = GenerateZipfText(7, 2, 100000);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, GenerateZipfText(7, 3, 100000));
  EXPECT_LE(a.size(), 100000u);
  EXPECT_EQ(a.back(), '\n');
  EXPECT_TRUE(ThrowsError([] { GenerateZipfText(1, 0, 10, 0); },
                          ErrorCode::kInvalidArgument, "vocabulary"));
}

TEST_F(WordCountSortJobTest, WordCountEqualsASingleThreadedCount) {
  Executor ex(Options());
  ObjectStore& store = OpenStore(ex.options().store);
  std::string all;
  for (int part = 0; part < 3; ++part) {
    std::string text = GenerateZipfText(11, part, 1 << 20, 5000);
    store.Put("text/" + std::to_string(part), text);
    all += text;
  }
  auto chunks = Split(ex.options().store, "text/",
                      SplitBy::ChunkBytes(300 << 10), Records::Lines());
  auto counts = WordCount(ex, chunks, 3);  // an odd number of runs to merge
  WordCounter single;
  single.AddText(all);
  EXPECT_EQ(counts, single.Sorted());
  EXPECT_TRUE(store.List("shuffle/").empty());
}

TEST(SortTest, KernelSortsStablyAndKeepsTheRecords) {
  std::string records = GenerateSortRecords(0, 5000);
  // Ties: give some records equal keys (their bodies still differ).
  for (int i = 0; i < 100; i += 2) {
    std::copy_n(records.data(), kSortKeyBytes, records.data() + i * 100 + 100);
  }
  std::string sorted = SortRecords(records);
  EXPECT_EQ(Summarize(sorted), Summarize(records));
  std::vector<std::string> want;
  for (size_t at = 0; at < records.size(); at += 100) {
    want.push_back(records.substr(at, 100));
  }
  std::stable_sort(want.begin(), want.end(), [](auto& a, auto& b) {
    return a.compare(0, kSortKeyBytes, b, 0, kSortKeyBytes) < 0;
  });
  std::string joined;
  for (auto& r : want) joined += r;
  EXPECT_EQ(sorted, joined);
  EXPECT_TRUE(ThrowsError([] { SortRecords("short"); },
                          ErrorCode::kInvalidArgument, "100-byte records"));
}

TEST(SortTest, GeneratorRowsDoNotDependOnTheirPart) {
  EXPECT_EQ(GenerateSortRecords(10, 5),
            GenerateSortRecords(0, 15).substr(1000));
  std::string r = GenerateSortRecords(42, 1);
  EXPECT_EQ(r.substr(10, 36), "  0000000000000000000000000000002A  ");
  EXPECT_EQ(r.substr(98), "\r\n");
  for (char c : r.substr(0, kSortKeyBytes)) EXPECT_TRUE(c >= ' ' && c <= '~');
}

TEST_F(WordCountSortJobTest, SortOutputValidates) {
  Executor ex(Options());
  ObjectStore& store = OpenStore(ex.options().store);
  std::string all;
  for (int part = 0; part < 3; ++part) {
    std::string records = GenerateSortRecords(part * 20000, 20000);
    store.Put("sort/in/" + std::to_string(part), records);
    all += records;
  }
  auto chunks = Split(ex.options().store, "sort/in/",
                      SplitBy::ChunkBytes(1 << 20), Records::Fixed(100));
  auto keys = Sort(ex, chunks, 5, "sort/out/");
  ASSERT_EQ(keys.size(), 5u);
  EXPECT_EQ(ValidateSortOutput(store, keys), Summarize(all));
  // The validator catches a swap across two outputs and a truncation.
  std::swap(keys[0], keys[4]);
  EXPECT_TRUE(ThrowsError([&] { ValidateSortOutput(store, keys); },
                          ErrorCode::kCorruption,
                          {"sort/out/part-00001", "out of order"}));
  store.Put("sort/out/part-00002",
            store.Get("sort/out/part-00002")->substr(50));
  EXPECT_TRUE(
      ThrowsError([&] { ValidateSortOutput(store, {"sort/out/part-00002"}); },
                  ErrorCode::kCorruption, "whole number"));
}

}  // namespace
}  // namespace tern::data
