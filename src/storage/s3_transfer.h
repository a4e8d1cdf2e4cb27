// Transfers of objects in one request each way, or of large ones as several
// S3 requests in parallel: multipart uploads for Put, ranged GETs for Get.
//
// config.threads chooses. At 1, every Put is one PUT (up to S3's 5 GiB
// limit) and every Get one GET: the fastest against a server on the same
// host or network, which one stream keeps busy, and the only way to leave a
// plain object behind, which Swift (and other servers that keep a multipart
// upload as segments) reads back ~30-45% slower. Above 1, objects larger than
// config.part_size move in parts of that size, config.threads at a time: the
// fastest against S3 itself, where one TCP stream rarely fills the link.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "storage/s3_client.h"

namespace tern {

// Stores data followed by tail (tern's checksum trailer), never joined in
// memory, under the full key: with one PUT, or, when config.threads > 1 and
// they are larger than config.part_size (or than 5 GiB), with a multipart
// upload. Either way readers see the whole old or the whole new object. An
// upload that fails is aborted, so its parts do not linger (and cost) on the
// server.
void PutObject(const S3Client& client, const std::string& key,
               std::string_view data, std::string_view tail);

// Returns up to length bytes of the full key's object from offset (empty
// past the end), or std::nullopt if there is no such object. With
// config.threads == 1, in one GET, without a Range header when offset is 0
// and length is UINT64_MAX. Else the first GET asks for config.part_size
// bytes; the rest is fetched in parallel ranged GETs into one pre-sized
// string, each conditional on the first response's ETag: if the object is
// replaced meanwhile, the read starts over, so it never mixes two versions.
// REQUIRES: length > 0.
std::optional<std::string> ReadObject(const S3Client& client,
                                      const std::string& key, uint64_t offset,
                                      uint64_t length);

}  // namespace tern
