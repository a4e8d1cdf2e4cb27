#include "util/mask.h"

#include <gtest/gtest.h>

namespace tern {
namespace {

TEST(MaskTest, LeavesUrisWithoutSecretsAlone) {
  for (const char* uri :
       {"file:///tmp/store", "sqlite:///home/me/.tern/coordinator.db",
        "mem://tests", "redis://localhost:6379/0?prefix=tern&timeout=5s",
        "s3://bucket/prefix?region=eu-west-1&access_key=AKIDEXAMPLE",
        "redis://alice@host:6379", "file:///tmp/a@b", ""}) {
    EXPECT_EQ(MaskSecrets(uri), uri);
  }
}

TEST(MaskTest, MasksThePasswordInTheUserInfo) {
  EXPECT_EQ(MaskSecrets("redis://alice:hunter2@host:6379/1?prefix=x"),
            "redis://alice:****@host:6379/1?prefix=x");
  EXPECT_EQ(MaskSecrets("redis://:hunter2@host"), "redis://:****@host");
  EXPECT_EQ(MaskSecrets("redis://alice:p@ss@host"), "redis://alice:****@host");
}

TEST(MaskTest, HidesAPasswordHoldingAnUnescapedSlash) {
  std::string masked = MaskSecrets("redis://alice:ab/cd@host");
  EXPECT_EQ(masked.find("ab/cd"), std::string::npos) << masked;
}

TEST(MaskTest, MasksSecretQueryParameters) {
  EXPECT_EQ(MaskSecrets("s3://bucket/p?region=eu&secret_key=abc&access_key=AK"),
            "s3://bucket/p?region=eu&secret_key=****&access_key=AK");
  EXPECT_EQ(MaskSecrets("x://h?session_token=t1&PASSWORD=p&Secret=s&token="),
            "x://h?session_token=****&PASSWORD=****&Secret=****&token=****");
  EXPECT_EQ(MaskSecrets("https://h/o?X-Amz-Signature=abcdef"),
            "https://h/o?X-Amz-Signature=****");
}

TEST(MaskTest, RecognisesPercentEncodedNames) {
  EXPECT_EQ(MaskSecrets("s3://b?secret%5Fkey=abc"), "s3://b?secret%5Fkey=****");
}

TEST(MaskTest, MasksBothKindsAtOnce) {
  EXPECT_EQ(MaskSecrets("redis://u:pw@h?password=pw2"),
            "redis://u:****@h?password=****");
}

TEST(MaskTest, NeverThrowsOnMalformedText) {
  EXPECT_EQ(MaskSecrets("no scheme?token=%zz"), "no scheme?token=****");
  EXPECT_EQ(MaskSecrets("?&&=&secret"), "?&&=&secret");
  EXPECT_EQ(MaskSecrets("s3://b?%=1&%4=2"), "s3://b?%=1&%4=2");
}

}  // namespace
}  // namespace tern
