// S3Config: everything an s3:// URI and the environment say about where and
// how to reach a bucket.
//
//   s3://bucket[/key/prefix][?param=value&...]
//
// Query parameters (all optional):
//   endpoint=http://127.0.0.1:8080   default https://s3.<region>.amazonaws.com
//   region=us-east-1                 default $AWS_REGION, $AWS_DEFAULT_REGION,
//                                    else us-east-1
//   path_style=true|false            bucket in the path (/bucket/key) or in
//                                    the host name (bucket.host/key); default
//                                    true with an endpoint, false for AWS
//   timeout=30s                      per request: connecting, and any stall
//                                    without progress; also bounds retrying
//   part_size=16MiB                  multipart part and parallel GET chunk
//                                    size (at least 5MiB), also the size
//                                    above which they are used
//   threads=4                        parallel parts per Put or Get
//   max_keys=1000                    keys per ListObjectsV2 page
//   access_key=..&secret_key=..[&session_token=..]
//
// Credentials come from the first of: the URI's access_key/secret_key (which
// end up in shell histories and logs: prefer the next two), the environment
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), the shared
// credentials file ($AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials,
// profile $AWS_PROFILE or "default").
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "util/uri.h"

namespace tern {

struct S3Credentials {
  std::string access_key_id;
  std::string secret_access_key;  // never put in a message
  std::string session_token;      // never put in a message; may be empty
};

struct S3Config {
  std::string bucket;
  std::string prefix;    // prepended to every key: "" or ends with '/'
  std::string endpoint;  // scheme://host[:port], no trailing '/'
  std::string region = "us-east-1";
  bool path_style = false;
  std::chrono::milliseconds timeout{30000};
  uint64_t part_size = 16 << 20;
  int threads = 4;
  int max_keys = 1000;
  int attempts = 5;  // tries per request, for retryable failures
  S3Credentials credentials;
  std::string masked_uri;  // the URI with secrets masked (util/mask.h)
};

// Builds the config for uri. Throws Error(kInvalidArgument) naming the
// (masked) URI when it is malformed or no credentials can be found.
S3Config ParseS3Config(const Uri& uri);

}  // namespace tern
