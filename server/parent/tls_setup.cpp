#include "parent/tls_setup.h"

#include "base/config_error.h"
#include "tls/state_dir.h"

#include <climits>
#include <cstdlib>
#include <pwd.h>
#include <unistd.h>

namespace ferry::server {

namespace {

// `path` with symlinks and `..` resolved, as far as it exists (a state directory not made yet: its
// nearest existing ancestor, resolved, and the rest as written). "" if nothing of it resolves.
std::string resolved(const std::string &path)
{
    std::string head = path, tail;
    char buffer[PATH_MAX];
    while (!head.empty()) {
        if (realpath(head.c_str(), buffer))
            return std::string(buffer) + tail;
        size_t slash = head.find_last_of('/');
        if (slash == std::string::npos)
            return {};
        tail = head.substr(slash) + tail;
        head.resize(slash);
    }
    return {};
}

// Whether `path` is `root` or below it, both resolved (symlinks, `..`).
bool isInside(const std::string &path, const std::string &root)
{
    std::string inner = resolved(path), outer = resolved(root);
    if (inner.empty() || outer.empty())
        return false; // a missing root or key is refused with its own message elsewhere
    return inner == outer || (inner.size() > outer.size() && inner.compare(0, outer.size(), outer) == 0
                              && (outer == "/" || inner[outer.size()] == '/'));
}

// The key must never be something the server itself would serve.
void refuseKeyInRoot(const std::string &what, const std::string &path, const std::string &root)
{
    if (isInside(path, root))
        throw ConfigError(what + " " + path + " is inside the served root " + root
                          + ": the private key would be served to anyone; keep it elsewhere");
}

} // namespace

bool isInsideRoot(const std::string &path, const std::string &root) { return isInside(path, root); }

void prepareTlsState(Options &options)
{
    if (options.stateDir.empty())
        options.stateDir = tls::defaultStateDir();
    if (options.plaintext == PlaintextPolicy::Only || !options.tlsCert.empty())
        return; // no generated identity to keep
    uid_t owner = uid_t(-1);
    gid_t group = gid_t(-1);
    if (geteuid() == 0 && !options.user.empty())
        if (passwd *entry = getpwnam(options.user.c_str())) { // unknown users are refused by the drop
            owner = entry->pw_uid;
            group = entry->pw_gid;
        }
    refuseKeyInRoot("the state directory", options.stateDir, options.root); // before making it there
    tls::prepareStateDir(options.stateDir, owner, group);
}

std::shared_ptr<const tls::TlsContext> loadTls(const Options &options)
{
    if (options.plaintext == PlaintextPolicy::Only)
        return nullptr;
    if (!options.tlsKey.empty())
        refuseKeyInRoot("the key", options.tlsKey, options.root);
    tls::Identity identity = options.tlsCert.empty() ? tls::ensureIdentity(options.stateDir)
                                                     : tls::loadIdentity(options.tlsCert, options.tlsKey);
    return std::make_shared<const tls::TlsContext>(identity);
}

} // namespace ferry::server
