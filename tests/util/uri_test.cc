#include "util/uri.h"

#include <gtest/gtest.h>

#include "tern/errors.h"

namespace tern {
namespace {

TEST(UriTest, ParsesSchemeAuthorityPathAndQuery) {
  Uri uri =
      Uri::Parse("S3://host:9000/bucket/a%20b?region=us-east-1&path_style");
  EXPECT_EQ(uri.scheme, "s3");
  EXPECT_EQ(uri.authority, "host:9000");
  EXPECT_EQ(uri.path, "/bucket/a b");
  EXPECT_EQ(uri.query.at("region"), "us-east-1");
  EXPECT_EQ(uri.query.at("path_style"), "");
}

TEST(UriTest, FileUriHasEmptyAuthority) {
  Uri uri = Uri::Parse("file:///tmp/store");
  EXPECT_EQ(uri.scheme, "file");
  EXPECT_EQ(uri.authority, "");
  EXPECT_EQ(uri.path, "/tmp/store");
}

TEST(UriTest, RejectsTextWithoutScheme) {
  try {
    Uri::Parse("/tmp/store");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("/tmp/store"), std::string::npos);
  }
}

TEST(UriTest, RejectsBadEscape) {
  EXPECT_THROW(Uri::Parse("file:///a%2"), Error);
  EXPECT_THROW(Uri::Parse("file:///a%zz"), Error);
}

}  // namespace
}  // namespace tern
