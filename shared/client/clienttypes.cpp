#include "clienttypes.h"

namespace ferry::client {

QString errorKindName(ErrorKind kind)
{
    switch (kind) {
    case ErrorKind::NoError: return QStringLiteral("no error");
    case ErrorKind::ConnectionError: return QStringLiteral("connection error");
    case ErrorKind::ServerBusy: return QStringLiteral("server busy");
    case ErrorKind::RemoteError: return QStringLiteral("remote error");
    case ErrorKind::LocalError: return QStringLiteral("local error");
    case ErrorKind::ProtocolError: return QStringLiteral("protocol error");
    case ErrorKind::AccessDenied: return QStringLiteral("access denied");
    case ErrorKind::IdentityChanged: return QStringLiteral("identity changed");
    }
    return {};
}

QString policyName(ExistingFilePolicy policy)
{
    switch (policy) {
    case ExistingFilePolicy::Rename: return QStringLiteral("rename");
    case ExistingFilePolicy::Overwrite: return QStringLiteral("overwrite");
    case ExistingFilePolicy::Skip: return QStringLiteral("skip");
    case ExistingFilePolicy::Resume: return QStringLiteral("resume");
    }
    return {};
}

std::optional<ExistingFilePolicy> policyFromName(QStringView name)
{
    for (auto policy : {ExistingFilePolicy::Rename, ExistingFilePolicy::Overwrite, ExistingFilePolicy::Skip,
                        ExistingFilePolicy::Resume}) {
        if (name.compare(policyName(policy), Qt::CaseInsensitive) == 0)
            return policy;
    }
    return std::nullopt;
}

} // namespace ferry::client
