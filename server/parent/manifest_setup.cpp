#include "parent/manifest_setup.h"

#include "base/config_error.h"
#include "base/log.h"
#include "manifest/manifest.h"
#include "net/wire_errors.h"
#include "parent/tls_setup.h"
#include "tls/state_dir.h"

#include <cerrno>
#include <cstring>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ferry::server {

WorkerManifests prepareManifestCache(const Options &options)
{
    WorkerManifests manifests{"", 0, options.streamsPerClient};
    if (options.manifestCacheSize == 0)
        return manifests;
    if (isInside(options.stateDir, options.root))
        throw ConfigError("the state directory " + options.stateDir + " is inside the served root " + options.root
                          + ": the manifest cache must never be written there; keep it elsewhere");
    uid_t owner = uid_t(-1);
    gid_t group = gid_t(-1);
    if (geteuid() == 0 && !options.user.empty())
        if (passwd *entry = getpwnam(options.user.c_str())) { // unknown users are refused by the drop
            owner = entry->pw_uid;
            group = entry->pw_gid;
        }
    const std::string directory = options.stateDir + "/manifests";
    try {
        tls::prepareStateDir(options.stateDir, owner, group);
    } catch (const ConfigError &problem) {
        LOG_WARN("manifest cache off: %s", problem.what());
        return manifests;
    }
    if (mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST) {
        LOG_WARN("manifest cache off: mkdir() %s: %s", directory.c_str(), std::strerror(errno));
        return manifests;
    }
    if (owner != uid_t(-1) && chown(directory.c_str(), owner, group) != 0)
        LOG_WARN("manifest cache: chown() %s for %s: %s", directory.c_str(), options.user.c_str(),
                 std::strerror(errno));
    manifests.cacheDir = directory;
    manifests.cacheBytes = options.manifestCacheSize;
    return manifests;
}

void offerManifestCapabilities(const WorkerManifests &manifests)
{
    setOfferedCapabilities({{std::string(proto::CapabilityManifest), std::to_string(manifest::DefaultChunkSize)},
                            {std::string(proto::CapabilityStreams), std::to_string(manifests.streams)}});
}

WorkerManifests reloadedManifests(const WorkerManifests &running, const Options &fresh)
{
    WorkerManifests manifests = running;
    manifests.streams = fresh.streamsPerClient;
    if (fresh.manifestCacheSize == 0)
        manifests.cacheDir.clear();
    manifests.cacheBytes = manifests.cacheDir.empty() ? 0 : fresh.manifestCacheSize;
    return manifests;
}

} // namespace ferry::server
