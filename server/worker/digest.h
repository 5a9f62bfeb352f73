// DIGEST: the SHA-256 of a byte range of an open file (OpenSSL's libcrypto), read in chunks with progress
// in the scoreboard.
#pragma once

#include "ipc/scoreboard.h"
#include "base/unique_fd.h"
#include "manifest/manifest.h"

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace ferry::server {

using Sha256Sum = std::array<uint8_t, 32>;

// Hashes `length` bytes from `offset`: the digest, or what stopped it, in the manifest's terms, so the
// answer is chosen as for a hash made in turns (hashError()): FileChanged if the file ended early (it
// shrank), ReadFailed if pread() failed, Internal if libcrypto did, Aborted if `shouldAbort` said so
// between chunks.
manifest::Result<Sha256Sum> sha256Range(const UniqueFd &file, uint64_t offset, uint64_t length, WorkerSlot &slot,
                                        const std::function<bool()> &shouldAbort);

} // namespace ferry::server
