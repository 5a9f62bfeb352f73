#include "parent/tls_setup.h"

#include "base/config_error.h"
#include "tls/state_dir.h"

#include <pwd.h>
#include <unistd.h>

namespace ferry::server {

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
    tls::prepareStateDir(options.stateDir, owner, group);
}

std::shared_ptr<const tls::TlsContext> loadTls(const Options &options)
{
    if (options.plaintext == PlaintextPolicy::Only)
        return nullptr;
    tls::Identity identity = options.tlsCert.empty() ? tls::ensureIdentity(options.stateDir)
                                                     : tls::loadIdentity(options.tlsCert, options.tlsKey);
    return std::make_shared<const tls::TlsContext>(identity);
}

} // namespace ferry::server
