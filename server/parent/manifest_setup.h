// Start-up of the manifest cache (server/manifest): its directory in the state directory, made before
// the privilege drop so that --user owns it, and what workers are told about it.
#pragma once

#include "config/options.h"
#include "worker/worker.h"

namespace ferry::server {

// Makes <state-dir>/manifests (mode 0700, for --user when started as root) unless
// --manifest-cache-size is 0. Call after prepareTlsState() (which fills in the default state directory)
// and before dropping privileges. Throws ConfigError if the state directory lies inside the served root;
// a directory that cannot be made is logged and the cache left off (manifests are then computed for
// every request, which is slower but correct).
WorkerManifests prepareManifestCache(const Options &options);

// Announces `manifest` (the chunk size) and `streams` in every version 2 WELCOME from now on
// (net/wire_errors.h); workers forked later inherit it.
void offerManifestCapabilities(const WorkerManifests &manifests);

// The same settings after a reload: the directory stays what start-up made (or off), the bound and the
// stream count are the new ones.
WorkerManifests reloadedManifests(const WorkerManifests &running, const Options &fresh);

} // namespace ferry::server
