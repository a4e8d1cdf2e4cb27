// Transfers of large objects as several S3 requests in parallel: multipart
// uploads for Put, ranged GETs for Get. One TCP stream rarely fills a fast
// link to S3; a few concurrent ones do.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "storage/s3_client.h"

namespace tern {

// Stores data under the full key with one PUT when it fits in one part,
// else with a multipart upload of config.threads parts at a time. Either way
// readers see the whole old or the whole new object. An upload that fails is
// aborted, so its parts do not linger (and cost) on the server.
void PutObject(const S3Client& client, const std::string& key,
               std::string_view data);

// Returns up to length bytes of the full key's object from offset (empty
// past the end), or std::nullopt if there is no such object. Beyond one
// part, the rest is fetched in parallel ranged GETs into one pre-sized
// string, each conditional on the first response's ETag: if the object is
// replaced meanwhile, the read starts over, so it never mixes two versions.
// REQUIRES: length > 0.
std::optional<std::string> ReadObject(const S3Client& client,
                                      const std::string& key, uint64_t offset,
                                      uint64_t length);

}  // namespace tern
