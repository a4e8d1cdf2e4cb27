// S3Client: signed HTTP requests to one bucket, over libcurl.
//
// Signing is libcurl's CURLOPT_AWS_SIGV4, which needs help: libcurl 7.88
// neither sends x-amz-content-sha256 nor canonicalizes the query string, so
// this client sends the header itself and builds every query already sorted
// and percent-encoded the AWS way. The body's SHA-256 is signed only over
// plain HTTP to another host: TLS, or loopback, protects it otherwise, and
// UNSIGNED-PAYLOAD spares hashing every byte. Each request is retried with
// exponential backoff and jitter on connection errors, 5xx and 429 (SlowDown),
// up to config.attempts tries and no longer than config.timeout after the first
// failure. Easy handles are pooled, so connections are kept alive.
//
// Thread-safe: any number of threads may call Send() at once.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/s3_config.h"

namespace tern {

struct S3Response {
  long status = 0;
  std::map<std::string, std::string> headers;  // names lower-case
  std::string body;       // error documents, and 2xx bodies without a sink
  uint64_t received = 0;  // bytes of the 2xx body, wherever they went

  // The header's value, or "" if absent.
  std::string Header(const std::string& lower_case_name) const;
  // The <Code> of an S3 error document, or "".
  std::string ErrorCode() const;
};

struct S3Request {
  std::string method = "GET";  // GET, HEAD, PUT, POST or DELETE
  std::string key = "";        // the full object key; "" for the bucket
  std::map<std::string, std::string> query = {};  // raw; encoded when sent
  std::vector<std::string> headers = {};          // "Name: value"
  std::string_view body = {};                     // sent by PUT and POST
  std::string_view body_tail = {};                // PUT only: sent after body

  // Where a 2xx response body goes, instead of S3Response::body: appended to
  // sink, or written to [dest, dest + dest_size) (more is an error).
  std::string* sink = nullptr;
  char* dest = nullptr;
  size_t dest_size = 0;
  // Called once the final response headers are in, before the body; may
  // reserve room in sink.
  std::function<void(const S3Response&)> on_headers = {};
};

class S3Client {
 public:
  explicit S3Client(S3Config config);
  ~S3Client();
  S3Client(const S3Client&) = delete;
  S3Client& operator=(const S3Client&) = delete;

  const S3Config& config() const { return config_; }

  // Sends request, retrying what is worth retrying, and returns the response.
  // Throws Error(kUnavailable) naming the endpoint when the server cannot be
  // reached or keeps failing, Error(kPermissionDenied) naming the access key
  // id on 403, Error(kNotFound) naming the bucket when it does not exist.
  // Other statuses are the caller's to judge.
  S3Response Send(const S3Request& request) const;

  // Throws the Error that best describes an unexpected response.
  [[noreturn]] void ThrowUnexpected(const S3Request& request,
                                    const S3Response& response) const;

  // "PUT s3://bucket/key" for messages.
  std::string Describe(const S3Request& request) const;

 private:
  class Handles;
  struct Attempt;

  Attempt SendOnce(const S3Request& request,
                   const std::string& payload_hash) const;
  std::string Url(const S3Request& request) const;
  void CheckFatal(const S3Request& request, const S3Response& response) const;
  [[noreturn]] void ThrowRetriesExhausted(const S3Request& request,
                                          const Attempt& attempt,
                                          int tries) const;

  const S3Config config_;
  const std::string sigv4_;   // "aws:amz:<region>:s3"
  const bool signs_payload_;  // plain HTTP to another host
  std::unique_ptr<Handles> handles_;
};

}  // namespace tern
