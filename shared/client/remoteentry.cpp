#include "remoteentry_p.h"

namespace ferry::client {

RemoteEntry toRemoteEntry(const proto::Entry &entry)
{
    RemoteEntry result;
    result.name = QString::fromStdString(entry.name);
    switch (entry.kind) {
    case proto::EntryKind::File: result.kind = RemoteEntry::Kind::File; break;
    case proto::EntryKind::Directory: result.kind = RemoteEntry::Kind::Directory; break;
    case proto::EntryKind::Other: result.kind = RemoteEntry::Kind::Other; break;
    }
    result.size = qint64(entry.size);
    result.mtimeNs = entry.mtimeNs;
    return result;
}

QString remoteErrorText(const proto::Error &error, const QString &path)
{
    QString text = QString::fromStdString(error.message);
    if (text.isEmpty())
        text = QString::fromLatin1(proto::errorCodeName(error.code));
    if (error.code == proto::ErrorCode::Unauthorized) // what a person can do about it
        text += QStringLiteral("; ask for an access link or a token that grants it");
    return QStringLiteral("%1: %2").arg(path.isEmpty() ? QStringLiteral("/") : path, text);
}

ErrorKind kindOf(const proto::Error &error)
{
    switch (error.code) {
    case proto::ErrorCode::Busy: return ErrorKind::ServerBusy;
    case proto::ErrorCode::ShuttingDown:
    case proto::ErrorCode::Timeout:
    case proto::ErrorCode::Internal: return ErrorKind::ConnectionError; // transient: worth a retry
    case proto::ErrorCode::BadRequest:
    case proto::ErrorCode::UnsupportedVersion:
    case proto::ErrorCode::TlsRequired: return ErrorKind::ProtocolError; // retrying the same way cannot help
    case proto::ErrorCode::Ok:
    case proto::ErrorCode::NotFound:
    case proto::ErrorCode::Forbidden:
    case proto::ErrorCode::NotAFile:
    case proto::ErrorCode::NotADirectory:
    case proto::ErrorCode::FileChanged:
    case proto::ErrorCode::RangeNotSatisfiable:
    case proto::ErrorCode::Unsupported: return ErrorKind::RemoteError;
    case proto::ErrorCode::Unauthorized:
    case proto::ErrorCode::TokenExpired:
    case proto::ErrorCode::QuotaExceeded: return ErrorKind::AccessDenied;
    }
    return ErrorKind::RemoteError;
}

} // namespace ferry::client
