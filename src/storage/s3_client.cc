#include "storage/s3_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>

#include "storage/s3_util.h"
#include "tern/errors.h"
#include "util/sha256.h"

namespace tern {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMaxErrorBody = 1 << 20;
constexpr size_t kMaxIdleHandles = 32;
constexpr long kBufferSize = 512 << 10;  // fewer, larger callbacks
constexpr std::chrono::milliseconds kFirstBackoff{100}, kMaxBackoff{5000};
constexpr char kEmptySha256[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// State of one attempt, shared with libcurl's callbacks.
struct Transfer {
  const S3Request* request;
  S3Response* response;
  size_t sent = 0;  // bytes of body + body_tail handed to libcurl
  size_t dest_written = 0;
  bool headers_done = false;
  bool failed = false;  // a callback aborted the transfer
};

bool IsSuccess(long status) { return status >= 200 && status < 300; }

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(c));
  return out;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text[0]))) {
    text.remove_prefix(1);
  }
  while (!text.empty() &&
         std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

// Called when the blank line ends the final headers.
void OnHeadersDone(Transfer* t) {
  S3Response& response = *t->response;
  if (t->headers_done || response.status < 200) return;
  t->headers_done = true;
  if (!IsSuccess(response.status) || t->request->sink == nullptr) return;
  std::string length = response.Header("content-length");
  if (!length.empty()) {
    t->request->sink->reserve(t->request->sink->size() + std::stoull(length));
  }
  if (t->request->on_headers) t->request->on_headers(response);
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line = Trim(std::string_view(data, size * count));
  try {
    if (line.starts_with("HTTP/")) {  // also after "100 Continue"
      size_t space = line.find(' ');
      t->response->status = std::strtol(
          std::string(line.substr(space + 1, 3)).c_str(), nullptr, 10);
      t->response->headers.clear();
    } else if (line.empty()) {
      OnHeadersDone(t);
    } else if (size_t colon = line.find(':'); colon != line.npos) {
      t->response->headers[Lower(line.substr(0, colon))] =
          std::string(Trim(line.substr(colon + 1)));
    }
  } catch (...) {  // bad_alloc, or a bad Content-Length: never into libcurl
    t->failed = true;
    return 0;
  }
  return size * count;
}

size_t OnWrite(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const S3Request& request = *t->request;
  size_t n = size * count;
  if (!IsSuccess(t->response->status)) {  // an error document: keep its start
    std::string& body = t->response->body;
    body.append(data, std::min(n, kMaxErrorBody -
                                      std::min(kMaxErrorBody, body.size())));
    return n;
  }
  if (request.sink != nullptr) {
    request.sink->append(data, n);
  } else if (request.dest == nullptr) {
    t->response->body.append(data, n);
  } else if (t->dest_written + n <= request.dest_size) {
    std::memcpy(request.dest + t->dest_written, data, n);
  } else {
    t->failed = true;  // more bytes than the range asked for
    return 0;
  }
  t->response->received += n;
  t->dest_written += n;
  return n;
}

size_t OnRead(char* buffer, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t room = size * count, n = 0, offset = t->sent;
  for (std::string_view piece : {t->request->body, t->request->body_tail}) {
    if (offset >= piece.size()) {
      offset -= piece.size();
      continue;
    }
    size_t take = std::min(room - n, piece.size() - offset);
    if (take == 0) break;  // the buffer is full
    std::memcpy(buffer + n, piece.data() + offset, take);
    n += take;
    offset = 0;
  }
  t->sent += n;
  return n;
}

// libcurl rewinds the upload when it must send the body again.
int OnSeek(void* user, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(user);
  size_t size = t->request->body.size() + t->request->body_tail.size();
  if (origin != SEEK_SET || offset < 0 || static_cast<size_t>(offset) > size) {
    return CURL_SEEKFUNC_CANTSEEK;
  }
  t->sent = static_cast<size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

bool IsRetryableCurlCode(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

// Exponential, with random jitter on its second half, so that clients that
// failed together do not retry together.
std::chrono::milliseconds Backoff(int tries) {
  thread_local std::mt19937 random(std::random_device{}());
  auto delay =
      std::min(kMaxBackoff, kFirstBackoff * (1 << std::min(tries, 16)));
  std::uniform_int_distribution<int64_t> jitter(0, delay.count() / 2);
  return delay / 2 + std::chrono::milliseconds(jitter(random));
}

std::string ServerMessage(const S3Response& response) {
  std::string code = response.ErrorCode();
  std::string message = XmlText(response.body, "Message");
  std::string text = "HTTP " + std::to_string(response.status);
  if (!code.empty()) text += " " + code;
  if (!message.empty()) text += " (" + message + ")";
  return text;
}

// Whether the body's SHA-256 goes into the signature. It keeps a body sent
// in the clear from being altered in transit; TLS does that already, and
// loopback has no transit. Hashing cost ~10% of a PUT's throughput to a
// local server.
bool SignsPayload(const std::string& endpoint) {
  if (!endpoint.starts_with("http://")) return false;
  std::string_view host = std::string_view(endpoint).substr(7);
  host = host.substr(
      0, host.starts_with('[') ? host.find(']') + 1 : host.find(':'));
  bool ipv4_loopback =
      host.starts_with("127.") &&
      host.find_first_not_of("0123456789.") == std::string_view::npos;
  return !(ipv4_loopback || host == "localhost" || host == "[::1]");
}

std::string PayloadSha256(const S3Request& request) {
  if (request.body_tail.empty()) {
    return request.body.empty() ? kEmptySha256 : Sha256Hex(request.body);
  }
  // A copy, paid only over plain HTTP to another host.
  return Sha256Hex(std::string(request.body).append(request.body_tail));
}

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

std::string S3Response::Header(const std::string& lower_case_name) const {
  auto it = headers.find(lower_case_name);
  return it == headers.end() ? "" : it->second;
}

std::string S3Response::ErrorCode() const { return XmlText(body, "Code"); }

// A pool of idle easy handles. Each remembers its open connections, so
// reusing one keeps connections alive across requests.
class S3Client::Handles {
 public:
  ~Handles() {
    for (CURL* handle : idle_) curl_easy_cleanup(handle);
  }

  CURL* Take() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!idle_.empty()) {
        CURL* handle = idle_.back();
        idle_.pop_back();
        return handle;
      }
    }
    CURL* handle = curl_easy_init();
    if (handle == nullptr) throw std::bad_alloc();
    return handle;
  }

  void Give(CURL* handle) {
    curl_easy_reset(handle);  // keeps its connections
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_.size() < kMaxIdleHandles) {
      idle_.push_back(handle);
      return;
    }
    curl_easy_cleanup(handle);
  }

 private:
  std::mutex mu_;
  std::vector<CURL*> idle_;  // guarded by mu_
};

struct S3Client::Attempt {
  CURLcode code = CURLE_OK;
  std::string curl_error;  // libcurl's description when code != CURLE_OK
  S3Response response;

  bool Retryable() const {
    if (code != CURLE_OK) return IsRetryableCurlCode(code);
    long status = response.status;
    std::string error = response.ErrorCode();
    return (status >= 500 && status != 501) || status == 429 ||
           error == "SlowDown" || error == "RequestTimeout";
  }
};

S3Client::S3Client(S3Config config)
    : config_(std::move(config)),
      sigv4_("aws:amz:" + config_.region + ":s3"),
      signs_payload_(SignsPayload(config_.endpoint)),
      handles_(std::make_unique<Handles>()) {
  GlobalInit();
}

S3Client::~S3Client() = default;

std::string S3Client::Describe(const S3Request& request) const {
  return request.method + " s3://" + config_.bucket + "/" + request.key;
}

std::string S3Client::Url(const S3Request& request) const {
  std::string url;
  if (config_.path_style) {
    url = config_.endpoint + "/" + config_.bucket;
    if (!request.key.empty()) url += "/";
  } else {
    size_t host = config_.endpoint.find("://") + 3;
    url = config_.endpoint.substr(0, host) + config_.bucket + "." +
          config_.endpoint.substr(host) + "/";
  }
  url += AwsEncode(request.key, /*keep_slash=*/true);
  char sep = '?';  // std::map: names already in the sorted, canonical order
  for (const auto& [name, value] : request.query) {
    url += sep + AwsEncode(name, false) + "=" + AwsEncode(value, false);
    sep = '&';
  }
  return url;
}

namespace {

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

Slist MakeHeaders(const S3Request& request, const S3Config& config,
                  const std::string& payload_hash) {
  curl_slist* list = nullptr;
  auto add = [&](const std::string& header) {
    curl_slist* grown = curl_slist_append(list, header.c_str());
    if (grown == nullptr) {
      curl_slist_free_all(list);
      throw std::bad_alloc();
    }
    list = grown;
  };
  add("x-amz-content-sha256: " + payload_hash);
  if (!config.credentials.session_token.empty()) {
    add("x-amz-security-token: " + config.credentials.session_token);
  }
  for (const std::string& header : request.headers) add(header);
  return Slist(list);
}

void SetMethod(CURL* h, const S3Request& request, Transfer* t) {
  if (request.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (request.method == "PUT") {
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, OnRead);
    curl_easy_setopt(h, CURLOPT_READDATA, t);
    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, OnSeek);
    curl_easy_setopt(h, CURLOPT_SEEKDATA, t);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size() +
                                             request.body_tail.size()));
  } else if (request.method == "POST") {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  } else if (request.method != "GET") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
}

void SetCallbacks(CURL* h, Transfer* t) {
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, t);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, OnWrite);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, t);
  curl_easy_setopt(h, CURLOPT_BUFFERSIZE, kBufferSize);
  curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, kBufferSize);
  SetMethod(h, *t->request, t);
}

// A stalled transfer fails after config.timeout without progress, yet a
// slow but moving one (a large part on a thin link) may take longer.
void SetTimeouts(CURL* h, const S3Config& config) {
  long millis = static_cast<long>(config.timeout.count());
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, millis);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, std::max(1L, millis / 1000));
}

}  // namespace

S3Client::Attempt S3Client::SendOnce(const S3Request& request,
                                     const std::string& payload_hash) const {
  Attempt attempt;
  Transfer transfer{&request, &attempt.response};
  Slist headers = MakeHeaders(request, config_, payload_hash);
  std::string url = Url(request);
  char error[CURL_ERROR_SIZE] = "";
  CURL* h = handles_->Take();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(h, CURLOPT_AWS_SIGV4, sigv4_.c_str());
  // Separately, so a ':' in the key id (Swift's "account:user") survives.
  curl_easy_setopt(h, CURLOPT_USERNAME,
                   config_.credentials.access_key_id.c_str());
  curl_easy_setopt(h, CURLOPT_PASSWORD,
                   config_.credentials.secret_access_key.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  SetTimeouts(h, config_);
  SetCallbacks(h, &transfer);
  attempt.code = curl_easy_perform(h);
  handles_->Give(h);
  if (transfer.failed) {
    throw Error(ErrorCode::kIOError,
                Describe(request) + ": unexpected response from " +
                    config_.endpoint + " (too large, or bad headers)");
  }
  if (attempt.code != CURLE_OK) {
    attempt.curl_error = *error ? error : curl_easy_strerror(attempt.code);
  }
  return attempt;
}

S3Response S3Client::Send(const S3Request& request) const {
  std::string payload_hash = "UNSIGNED-PAYLOAD";
  if (signs_payload_) {
    payload_hash = PayloadSha256(request);
  }
  const size_t sink_size = request.sink ? request.sink->size() : 0;
  Clock::time_point give_up;
  for (int tries = 1;; ++tries) {
    if (request.sink) request.sink->resize(sink_size);
    Attempt attempt = SendOnce(request, payload_hash);
    if (!attempt.Retryable()) {
      if (attempt.code != CURLE_OK) {
        ThrowRetriesExhausted(request, attempt, tries);
      }
      CheckFatal(request, attempt.response);
      return std::move(attempt.response);
    }
    if (tries == 1) give_up = Clock::now() + config_.timeout;
    auto wait = Backoff(tries);
    if (tries >= config_.attempts || Clock::now() + wait > give_up) {
      ThrowRetriesExhausted(request, attempt, tries);
    }
    std::this_thread::sleep_for(wait);
  }
}

void S3Client::CheckFatal(const S3Request& request,
                          const S3Response& response) const {
  if (response.status == 403) {
    throw Error(ErrorCode::kPermissionDenied,
                "S3 access denied for access key id '" +
                    config_.credentials.access_key_id + "' at " +
                    config_.endpoint + " (" + Describe(request) +
                    "): " + ServerMessage(response));
  }
  if (response.status == 404 && response.ErrorCode() == "NoSuchBucket") {
    throw Error(ErrorCode::kNotFound, "S3 bucket '" + config_.bucket +
                                          "' not found at " + config_.endpoint);
  }
}

void S3Client::ThrowRetriesExhausted(const S3Request& request,
                                     const Attempt& attempt, int tries) const {
  std::string what = attempt.code != CURLE_OK
                         ? "cannot reach S3 endpoint " + config_.endpoint +
                               ": " + attempt.curl_error
                         : "S3 endpoint " + config_.endpoint + " answered " +
                               ServerMessage(attempt.response);
  throw Error(ErrorCode::kUnavailable, what + " (" + Describe(request) + ", " +
                                           std::to_string(tries) +
                                           (tries == 1 ? " try)" : " tries)"));
}

void S3Client::ThrowUnexpected(const S3Request& request,
                               const S3Response& response) const {
  ErrorCode code = ErrorCode::kIOError;
  if (response.status == 400) code = ErrorCode::kInvalidArgument;
  if (response.status == 404) code = ErrorCode::kNotFound;
  throw Error(code, Describe(request) + " at " + config_.endpoint +
                        " failed: " + ServerMessage(response));
}

}  // namespace tern
