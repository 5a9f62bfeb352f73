// What a worker does while it hashes a file for MANIFEST or a whole-file DIGEST: it hands its other
// connections back to the parent at the first call (beginLongWork(): only a miss in the cache calls it),
// shows progress in its scoreboard slot (so the admin plane shows it and the stall watchdog sees it
// moving, also while it waits for another worker hashing the same file), and honours the client's abort
// between pieces.
#pragma once

#include "ipc/scoreboard.h"
#include "manifest/manifest_store.h"
#include "worker/client_io.h"
#include "worker/worker.h"

#include <string>

namespace ferry::server {

// The progress callback for one request on `io`, hashing `path`.
manifest::Progress hashProgress(WorkerSlot &slot, ClientIo &io, const std::string &path);

// Test builds: the FERRY_TEST_HASH_LOG and FERRY_TEST_HASH_PAUSE hooks, for a request that starts
// reading `path` to hash it (hashProgress() runs them itself). Nothing in the server-only build.
void noteHashingStarted(const std::string &path);

// `usual`, or in test builds the FERRY_TEST_MANIFEST_PAGE_DIGESTS hook's smaller number of digests per
// MANIFEST_PAGE.
size_t digestsPerPage(size_t usual);

// The worker's store: with the cache of `manifests` when its directory can be opened (else logged once,
// and every manifest is computed).
manifest::ManifestStore openManifestStore(const WorkerManifests &manifests);

} // namespace ferry::server
