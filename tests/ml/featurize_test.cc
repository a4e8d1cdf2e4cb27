// The featurization example on a few small chunks: tasks generate and
// featurize images, the client fits; and the errors for missing or damaged
// chunks.
#include "featurize.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/test_env.h"
#include "support/throws_error.h"
#include "tern/object_store.h"
#include "tern/tern.h"

namespace tern {
namespace {

using testing_support::ThrowsError;

class FeaturizeTest : public testing_support::ExecutorTest {
 protected:
  featurize::Dataset Small() const {
    featurize::Dataset data;
    data.chunks = 4;
    data.images_per_chunk = 200;
    data.noise = 1.5;
    data.test_chunks = 1;
    data.filters = 16;
    data.store = Options().store;
    data.prefix = "featurize-test/";
    return data;
  }
};

TEST_F(FeaturizeTest, TasksFeaturizeAndTheClientFitsAClassifier) {
  featurize::Dataset data = Small();
  Executor ex(Options());
  std::vector<featurize::Chunk> chunks = featurize::Chunks(data);
  std::vector<int64_t> counts =
      ex.MapReduce(featurize::Generate, chunks, featurize::SumCounts).Result();
  int64_t images = 0;
  for (int64_t n : counts) {
    EXPECT_GT(n, 0);
    images += n;
  }
  EXPECT_EQ(images, data.chunks * data.images_per_chunk);

  std::vector<featurize::Features> features =
      GetAllResults(ex.Map(featurize::Featurize, chunks));
  ASSERT_EQ(features.size(), 4u);
  for (const featurize::Features& f : features) {
    ASSERT_EQ(f.labels.size(), 200u);
    ASSERT_EQ(f.values.size(), 200u * featurize::FeatureCount(data));
  }
  featurize::Model model =
      featurize::Fit({&features[0], &features[1], &features[2]},
                     featurize::FeatureCount(data), 1.0);
  // Chance is 25%: the features must carry the orientation.
  EXPECT_GT(featurize::Accuracy(model, {&features[3]}), 0.7);
  EXPECT_GT(featurize::Accuracy(model, {&features[0]}), 0.7);
}

TEST_F(FeaturizeTest, MissingOrDamagedChunkFailsTheTaskNamingIt) {
  featurize::Dataset data = Small();
  ObjectStore::Open(data.store)->Put(data.ChunkKey(1), std::string(1000, 'x'));
  Executor ex(Options());
  auto futures = ex.Map(featurize::Featurize,
                        std::vector<featurize::Chunk>{{data, 0}, {data, 1}});
  EXPECT_TRUE(ThrowsError([&] { futures[0].Result(); }, ErrorCode::kTaskFailed,
                          {"no image chunk", "featurize-test/images/0"}));
  EXPECT_TRUE(ThrowsError([&] { futures[1].Result(); }, ErrorCode::kTaskFailed,
                          {"featurize-test/images/1", "1000 bytes",
                           "not a whole number of 1025-byte images"}));
}

}  // namespace
}  // namespace tern
