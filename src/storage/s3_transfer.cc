#include "storage/s3_transfer.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <functional>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include "storage/s3_util.h"
#include "tern/errors.h"

namespace tern {
namespace {

constexpr uint64_t kMaxParts = 10000;           // an S3 limit
constexpr uint64_t kMaxSinglePut = 5ull << 30;  // an S3 limit

// Runs work(0) ... work(count - 1) on up to `threads` threads, the caller's
// among them. After a failure no new work starts; the first exception is
// rethrown once every thread is done.
void RunParallel(size_t count, int threads,
                 const std::function<void(size_t)>& work) {
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex mu;
  auto run = [&] {
    for (size_t i; !failed && (i = next++) < count;) {
      try {
        work(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu);
        if (!error) error = std::current_exception();
        failed = true;
      }
    }
  };
  std::vector<std::thread> helpers;
  size_t wanted = std::min<size_t>(count, static_cast<size_t>(threads));
  try {
    while (helpers.size() + 1 < wanted) helpers.emplace_back(run);
  } catch (const std::system_error&) {  // out of threads: use fewer
  }
  run();
  for (std::thread& helper : helpers) helper.join();
  if (error) std::rethrow_exception(error);
}

// ---- Multipart upload ----

std::string Initiate(const S3Client& client, const std::string& key) {
  S3Request request{.method = "POST", .key = key, .query = {{"uploads", ""}}};
  // Without it, libcurl would label the object as a form post.
  request.headers = {"Content-Type: application/octet-stream"};
  S3Response response = client.Send(request);
  std::string upload_id = XmlText(response.body, "UploadId");
  if (response.status != 200 || upload_id.empty()) {
    client.ThrowUnexpected(request, response);
  }
  return upload_id;
}

std::string UploadPart(const S3Client& client, const std::string& key,
                       const std::string& upload_id, size_t number,
                       std::string_view head, std::string_view tail) {
  S3Request request{
      .method = "PUT", .key = key, .body = head, .body_tail = tail};
  request.query = {{"partNumber", std::to_string(number)},
                   {"uploadId", upload_id}};
  S3Response response = client.Send(request);
  std::string etag = response.Header("etag");
  if (response.status != 200 || etag.empty()) {
    client.ThrowUnexpected(request, response);
  }
  return etag;
}

void Complete(const S3Client& client, const std::string& key,
              const std::string& upload_id,
              const std::vector<std::string>& etags) {
  std::string xml = "<CompleteMultipartUpload>";
  for (size_t i = 0; i < etags.size(); ++i) {
    xml += "<Part><PartNumber>" + std::to_string(i + 1) +
           "</PartNumber><ETag>" + XmlEscape(etags[i]) + "</ETag></Part>";
  }
  xml += "</CompleteMultipartUpload>";
  S3Request request{.method = "POST", .key = key, .body = xml};
  request.query = {{"uploadId", upload_id}};
  request.headers = {"Content-Type: application/xml"};
  S3Response response = client.Send(request);
  // S3 may report a failure in the body of a 200 response.
  if (response.status != 200 || !response.ErrorCode().empty()) {
    client.ThrowUnexpected(request, response);
  }
}

// Best effort: the caller is already failing with a better error.
void Abort(const S3Client& client, const std::string& key,
           const std::string& upload_id) {
  S3Request request{.method = "DELETE", .key = key};
  request.query = {{"uploadId", upload_id}};
  try {
    client.Send(request);
  } catch (const Error&) {
  }
}

// Uploads data followed by tail in parts; only the last part or two hold
// bytes of tail.
void PutMultipart(const S3Client& client, const std::string& key,
                  std::string_view data, std::string_view tail) {
  const uint64_t size = data.size() + tail.size();
  uint64_t part_size = std::max<uint64_t>(client.config().part_size,
                                          (size + kMaxParts - 1) / kMaxParts);
  size_t parts = (size + part_size - 1) / part_size;
  std::string upload_id = Initiate(client, key);
  std::vector<std::string> etags(parts);
  try {
    RunParallel(parts, client.config().threads, [&](size_t i) {
      uint64_t begin = i * part_size, end = std::min(size, begin + part_size);
      std::string_view head, rest;
      if (begin < data.size()) head = data.substr(begin, end - begin);
      if (end > data.size()) {
        uint64_t from = std::max<uint64_t>(begin, data.size()) - data.size();
        rest = tail.substr(from, end - data.size() - from);
      }
      etags[i] = UploadPart(client, key, upload_id, i + 1, head, rest);
    });
    Complete(client, key, upload_id, etags);
  } catch (...) {
    Abort(client, key, upload_id);
    throw;
  }
}

// ---- Ranged reads ----

std::string RangeHeader(uint64_t offset, uint64_t length) {
  std::string header = "Range: bytes=" + std::to_string(offset) + "-";
  if (length <= UINT64_MAX - offset) {
    header += std::to_string(offset + length - 1);
  }
  return header;
}

// The object size from "Content-Range: bytes 0-99/1234", or 0 if absent.
uint64_t TotalSize(const S3Response& response) {
  std::string range = response.Header("content-range");
  size_t slash = range.rfind('/');
  if (slash == std::string::npos) return 0;
  return std::strtoull(range.c_str() + slash + 1, nullptr, 10);
}

// Fetches [start, start + size) into dest. Returns false if the object is no
// longer the one whose ETag is etag.
bool FetchChunk(const S3Client& client, const std::string& key,
                const std::string& etag, uint64_t start, uint64_t size,
                char* dest) {
  S3Request request{.key = key, .dest = dest, .dest_size = size};
  request.headers = {RangeHeader(start, size), "If-Match: " + etag};
  S3Response response = client.Send(request);
  if (response.status == 412 || response.status == 404 ||
      (response.status == 206 && response.Header("etag") != etag)) {
    return false;
  }
  if (response.status != 206 || response.received != size) {
    client.ThrowUnexpected(request, response);
  }
  return true;
}

// Keeps [offset, offset + length) of a whole object in place, for a server
// that ignored the Range header.
void KeepRange(uint64_t offset, uint64_t length, std::string* out) {
  out->erase(0, std::min<uint64_t>(offset, out->size()));
  if (out->size() > length) out->resize(length);
}

// ReadObject in one GET, so one response: one version, repeated whole by
// Send() if the connection drops. A Get of the whole object has no Range
// header, and its body streams into a string reserved from Content-Length.
std::optional<std::string> ReadInOne(const S3Client& client,
                                     const std::string& key, uint64_t offset,
                                     uint64_t length) {
  std::string out;
  S3Request request{.key = key, .sink = &out};
  const bool ranged = offset > 0 || length != UINT64_MAX;
  if (ranged) request.headers = {RangeHeader(offset, length)};
  S3Response response = client.Send(request);
  if (response.status == 404) return std::nullopt;
  if (response.status == 416 && ranged) return std::string();  // past the end
  if (response.status == 200) {
    if (ranged) KeepRange(offset, length, &out);
    return out;
  }
  if (response.status != 206 || !ranged) {
    client.ThrowUnexpected(request, response);
  }
  return out;
}

// One try of ReadObject in parallel ranges. Returns false if the object
// changed midway.
bool ReadParallelOnce(const S3Client& client, const std::string& key,
                      uint64_t offset, uint64_t length,
                      std::optional<std::string>* result) {
  const uint64_t part_size = client.config().part_size;
  std::string out;
  S3Request request{.key = key, .sink = &out};
  request.headers = {RangeHeader(offset, std::min(length, part_size))};
  request.on_headers = [&](const S3Response& response) {
    uint64_t total = TotalSize(response);
    if (total > offset) out.reserve(std::min(length, total - offset));
  };
  S3Response response = client.Send(request);
  if (response.status == 404) {
    result->reset();
    return true;
  }
  if (response.status == 416) {  // offset at or past the end
    *result = std::string();
    return true;
  }
  if (response.status == 200) {  // the server ignored the range
    KeepRange(offset, length, &out);
    *result = std::move(out);
    return true;
  }
  if (response.status != 206) client.ThrowUnexpected(request, response);
  uint64_t total = TotalSize(response);
  uint64_t wanted = total > offset ? std::min(length, total - offset) : 0;
  uint64_t have = out.size();
  if (have < wanted) {
    out.resize(wanted);
    std::string etag = response.Header("etag");
    size_t chunks = (wanted - have + part_size - 1) / part_size;
    std::atomic<bool> changed{false};
    RunParallel(chunks, client.config().threads, [&](size_t i) {
      uint64_t start = have + i * part_size;
      uint64_t size = std::min(part_size, wanted - start);
      if (!FetchChunk(client, key, etag, offset + start, size,
                      out.data() + start)) {
        changed = true;
      }
    });
    if (changed) return false;
  }
  *result = std::move(out);
  return true;
}

}  // namespace

void PutObject(const S3Client& client, const std::string& key,
               std::string_view data, std::string_view tail) {
  const S3Config& config = client.config();
  const uint64_t size = data.size() + tail.size();
  if (size > kMaxSinglePut || (config.threads > 1 && size > config.part_size)) {
    PutMultipart(client, key, data, tail);
    return;
  }
  S3Request request{
      .method = "PUT", .key = key, .body = data, .body_tail = tail};
  S3Response response = client.Send(request);
  if (response.status != 200) client.ThrowUnexpected(request, response);
}

std::optional<std::string> ReadObject(const S3Client& client,
                                      const std::string& key, uint64_t offset,
                                      uint64_t length) {
  if (client.config().threads <= 1) {
    return ReadInOne(client, key, offset, length);
  }
  for (int tries = 1;; ++tries) {
    std::optional<std::string> result;
    if (ReadParallelOnce(client, key, offset, length, &result)) return result;
    if (tries == client.config().attempts) {
      throw Error(ErrorCode::kUnavailable,
                  "S3 object s3://" + client.config().bucket + "/" + key +
                      " kept changing while being read; gave up after " +
                      std::to_string(tries) + " tries");
    }
  }
}

}  // namespace tern
