#include "parent/audit_setup.h"

#include "base/config_error.h"
#include "parent/tls_setup.h"
#include "tls/state_dir.h"

namespace ferry::server {

std::string auditLogPath(const Options &options)
{
    if (options.auditLog == "off")
        return {};
    if (!options.auditLog.empty())
        return options.auditLog;
    return options.stateDir + "/audit.log";
}

void refuseAuditLogInRoot(const Options &options)
{
    const std::string path = auditLogPath(options);
    // Who downloaded what is not for the people it describes: the log would be served with the files.
    if (!path.empty() && isInside(path, options.root))
        throw ConfigError("the audit log " + path + " is inside the served root " + options.root
                          + ": anyone could download it; keep it elsewhere (--audit-log)");
}

audit::AuditLog openAuditLog(const Options &options, const std::atomic<uint32_t> *reopenGeneration)
{
    const std::string path = auditLogPath(options);
    if (path.empty())
        return {};
    refuseAuditLogInRoot(options);
    if (options.auditLog.empty()) // the default lives in the state directory, which --plaintext only never made
        tls::prepareStateDir(options.stateDir, uid_t(-1), gid_t(-1));
    return audit::AuditLog(path, reopenGeneration);
}

} // namespace ferry::server
