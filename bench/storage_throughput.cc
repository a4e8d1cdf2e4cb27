// Put and get throughput of one worker (one thread) for 1, 16 and 128 MiB
// objects: the file store, the S3 store, and the curl command against the
// same S3 server as the baseline, in the same run. Medians of several runs.
//
//   [TERN_BENCH_S3_URI=s3://bucket?endpoint=...] build/bench/storage_throughput
//   [runs]
// The S3 rows need an S3 server (scripts/s3-server-start.sh prints the URI and
// credentials) and AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
#include <fstream>

#include "bench_util.h"
#include "tern/object_store.h"
#include "util/uri.h"

namespace {

using tern::bench::Median;
using tern::bench::Seconds;
using Clock = std::chrono::steady_clock;

struct Rates {
  double put_mbps = 0, get_mbps = 0;
};

Rates Measure(tern::ObjectStore& store, size_t bytes, int runs) {
  std::string data(bytes, 'x');
  for (size_t i = 0; i < bytes; i += 4096)
    data[i] = static_cast<char>(i / 4096);
  std::vector<double> puts, gets;
  for (int run = 0; run < runs; ++run) {
    std::string key = "bench/object-" + std::to_string(run);
    auto start = Clock::now();
    store.Put(key, data);
    puts.push_back(bytes / 1e6 / Seconds(Clock::now() - start));
    start = Clock::now();
    auto back = store.Get(key);
    gets.push_back(bytes / 1e6 / Seconds(Clock::now() - start));
    if (!back || back->size() != bytes)
      std::fprintf(stderr, "bad read of %s\n", key.c_str());
    store.Delete(key);
  }
  return {Median(puts), Median(gets)};
}

// The curl command against the same S3 server: PUT and GET of a file.
// All zero when curl or credentials are unavailable.
Rates MeasureCurl(const std::string& s3_uri, size_t bytes, int runs) {
  const char* key = std::getenv("AWS_ACCESS_KEY_ID");
  const char* secret = std::getenv("AWS_SECRET_ACCESS_KEY");
  if (!key || !secret) return {};
  tern::Uri uri = tern::Uri::Parse(s3_uri);
  std::string endpoint =
      uri.query.count("endpoint") ? uri.query["endpoint"] : "";
  std::string region =
      uri.query.count("region") ? uri.query["region"] : "us-east-1";
  std::string url = endpoint + "/" + uri.authority + "/bench-curl-object";
  std::string file = "/tmp/tern-bench-curl-" + std::to_string(getpid());
  std::ofstream(file, std::ios::binary) << std::string(bytes, 'x');
  // A netrc file carries the key id and the secret apart: Swift's key ids
  // hold a colon, which --user would split at.
  tern::Uri endpoint_uri = tern::Uri::Parse(endpoint);
  std::string host =
      endpoint_uri.authority.substr(0, endpoint_uri.authority.find(':'));
  std::string netrc = file + ".netrc";
  std::ofstream(netrc) << "machine " << host << " login " << key << " password "
                       << secret << "\n";
  std::string common =
      "curl -s -o /dev/null -w '%{time_total}' --fail --aws-sigv4 'aws:amz:" +
      region + ":s3' --netrc-file " + netrc +
      " -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' ";
  std::vector<double> puts, gets;
  for (int run = 0; run < runs; ++run) {
    auto put =
        tern::bench::RunBaseline(common + "-T " + file + " '" + url + "'");
    auto get = tern::bench::RunBaseline(common + "'" + url + "'");
    if (!put || !get) break;
    puts.push_back(bytes / 1e6 / std::atof(put->c_str()));
    gets.push_back(bytes / 1e6 / std::atof(get->c_str()));
  }
  std::remove(file.c_str());
  std::remove(netrc.c_str());
  if (puts.empty()) return {};
  return Rates{Median(puts), Median(gets)};
}

}  // namespace

int main(int argc, char** argv) {
  tern::Init(argc, argv);
  int runs = argc > 1 ? std::atoi(argv[1]) : 3;
  char pattern[] = "/tmp/tern-bench-store-XXXXXX";
  std::string dir = mkdtemp(pattern);
  std::vector<std::pair<std::string, std::string>> stores = {
      {"file store", "file://" + dir}};
  const char* s3 = std::getenv("TERN_BENCH_S3_URI");
  if (s3) stores.emplace_back("S3 store", s3);

  std::printf("\nput/get by one worker, median of %d runs (MB/s)\n", runs);
  std::printf("%-14s %8s %10s %10s %12s %12s\n", "store", "MiB", "put", "get",
              "put vs curl", "get vs curl");
  for (size_t mib : {1, 16, 128}) {
    size_t bytes = mib << 20;
    Rates curl = s3 ? MeasureCurl(s3, bytes, runs) : Rates{};
    for (auto& [name, uri] : stores) {
      auto store = tern::ObjectStore::Open(uri);
      Rates rates = Measure(*store, bytes, runs);
      Rates baseline = name == "S3 store" ? curl : Rates{};
      std::printf(
          "%-14s %8zu %10.0f %10.0f %11.0f%% %11.0f%%\n", name.c_str(), mib,
          rates.put_mbps, rates.get_mbps,
          baseline.put_mbps ? 100 * rates.put_mbps / baseline.put_mbps : 0.0,
          baseline.get_mbps ? 100 * rates.get_mbps / baseline.get_mbps : 0.0);
    }
    if (curl.put_mbps > 0) {
      std::printf("%-14s %8zu %10.0f %10.0f\n", "curl (S3)", mib, curl.put_mbps,
                  curl.get_mbps);
    }
  }
  std::filesystem::remove_all(dir);
  if (!s3) std::printf("(set TERN_BENCH_S3_URI for the S3 and curl rows)\n");
}
