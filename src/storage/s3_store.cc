// S3Store: an ObjectStore in an S3 bucket, under an optional key prefix.
//
// Each tern key maps to the S3 key <prefix><key>, so several stores can share
// a bucket. S3 itself gives the guarantees ObjectStore promises: a PUT (or a
// completed multipart upload) replaces an object atomically, and reads after
// it see it (S3 is strongly consistent since 2020; so are Swift, Ceph RGW and
// MinIO on one site). s3_config.h documents the URI, s3_client.h the
// requests, s3_transfer.h how large objects move.

#include <algorithm>

#include "storage/s3_client.h"
#include "storage/s3_config.h"
#include "storage/s3_transfer.h"
#include "storage/s3_util.h"
#include "storage/stores.h"
#include "tern/errors.h"

namespace tern {
namespace {

class S3Store : public ObjectStore {
 public:
  explicit S3Store(S3Config config) : client_(std::move(config)) {}

  std::string Uri() const override { return config().masked_uri; }

  // Lists at most one key, so a wrong endpoint, credentials or bucket fail
  // at Open() rather than at the first use.
  void Probe() const;

 private:
  void PutWithTrailerImpl(const std::string& key, std::string_view data,
                          std::string_view trailer) override {
    PutObject(client_, FullKey(key), data, trailer);
  }
  std::optional<std::string> GetImpl(const std::string& key) override {
    return ReadObject(client_, FullKey(key), 0, UINT64_MAX);
  }
  std::optional<std::string> GetRangeImpl(const std::string& key,
                                          uint64_t offset,
                                          uint64_t length) override;
  std::optional<uint64_t> SizeImpl(const std::string& key) override;
  std::vector<std::string> ListImpl(const std::string& prefix) override;
  void DeleteImpl(const std::string& key) override;

  const S3Config& config() const { return client_.config(); }
  std::string FullKey(const std::string& key) const {
    return config().prefix + key;
  }
  // Appends one page's keys, without the store's prefix, to keys. Returns
  // the continuation token, or "" after the last page.
  std::string ListPage(const std::string& prefix, const std::string& token,
                       std::vector<std::string>* keys) const;

  S3Client client_;
};

void S3Store::Probe() const {
  S3Request request{.key = ""};
  request.query = {
      {"list-type", "2"}, {"max-keys", "1"}, {"prefix", config().prefix}};
  S3Response response = client_.Send(request);
  if (response.status != 200) client_.ThrowUnexpected(request, response);
}

std::optional<std::string> S3Store::GetRangeImpl(const std::string& key,
                                                 uint64_t offset,
                                                 uint64_t length) {
  if (length == 0) {  // no Range header can ask for zero bytes
    if (!SizeImpl(key)) return std::nullopt;
    return std::string();
  }
  return ReadObject(client_, FullKey(key), offset, length);
}

std::optional<uint64_t> S3Store::SizeImpl(const std::string& key) {
  S3Request request{.method = "HEAD", .key = FullKey(key)};
  S3Response response = client_.Send(request);
  if (response.status == 404) return std::nullopt;
  std::string length = response.Header("content-length");
  if (response.status != 200 || length.empty()) {
    client_.ThrowUnexpected(request, response);
  }
  return std::stoull(length);
}

void S3Store::DeleteImpl(const std::string& key) {
  S3Request request{.method = "DELETE", .key = FullKey(key)};
  S3Response response = client_.Send(request);
  if (response.status != 204 && response.status != 200 &&
      response.status != 404) {
    client_.ThrowUnexpected(request, response);
  }
}

std::string S3Store::ListPage(const std::string& prefix,
                              const std::string& token,
                              std::vector<std::string>* keys) const {
  S3Request request{.key = ""};
  // encoding-type=url: XML 1.0 cannot carry every byte a key may hold.
  request.query = {{"list-type", "2"},
                   {"encoding-type", "url"},
                   {"max-keys", std::to_string(config().max_keys)},
                   {"prefix", FullKey(prefix)}};
  if (!token.empty()) request.query["continuation-token"] = token;
  S3Response response = client_.Send(request);
  if (response.status != 200) client_.ThrowUnexpected(request, response);
  for (const std::string& encoded : XmlTexts(response.body, "Key")) {
    std::string key = UrlDecode(encoded);
    if (key.starts_with(config().prefix)) {
      keys->push_back(key.substr(config().prefix.size()));
    }
  }
  if (XmlText(response.body, "IsTruncated") != "true") return "";
  std::string next = XmlText(response.body, "NextContinuationToken");
  if (next.empty()) {
    throw Error(ErrorCode::kIOError,
                client_.Describe(request) + " at " + config().endpoint +
                    ": truncated listing without a continuation token");
  }
  return next;
}

std::vector<std::string> S3Store::ListImpl(const std::string& prefix) {
  std::vector<std::string> keys;
  if (prefix.find('\0') != std::string::npos) return keys;  // matches no key
  std::string token;
  do {
    token = ListPage(prefix, token, &keys);
  } while (!token.empty());
  std::sort(keys.begin(), keys.end());  // S3 sorts by UTF-8 bytes already
  return keys;
}

}  // namespace

std::unique_ptr<ObjectStore> OpenS3Store(const Uri& uri) {
  auto store = std::make_unique<S3Store>(ParseS3Config(uri));
  store->Probe();
  return store;
}

}  // namespace tern
