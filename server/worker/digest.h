// DIGEST: the SHA-256 of a byte range of an open file (OpenSSL's libcrypto), read in chunks with progress
// in the scoreboard.
#pragma once

#include "ipc/scoreboard.h"
#include "base/unique_fd.h"

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace ferry::server {

// Hashes `length` bytes from `offset`. nullopt with `why` set if the file ended early (it shrank), a read
// or libcrypto failed, or `shouldAbort` said so between chunks.
std::optional<std::array<uint8_t, 32>> sha256Range(const UniqueFd &file, uint64_t offset, uint64_t length,
                                                   WorkerSlot &slot, const std::function<bool()> &shouldAbort,
                                                   std::string &why);

} // namespace ferry::server
