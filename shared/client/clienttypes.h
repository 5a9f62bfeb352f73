// Small value types shared by the client engine, Ferry Downloader and ferry-get.
#pragma once

#include <QDateTime>
#include <QMetaType>
#include <QString>
#include <QStringView>

#include <optional>

namespace ferry::client {

// Why something failed, in the categories a user (and ferry-get's exit code) cares about.
enum class ErrorKind {
    NoError,
    ConnectionError, // host unknown, refused, reset, timed out: worth retrying
    ServerBusy,      // the server answered BUSY: retry after its hint
    RemoteError,     // the server refused the request: not found, forbidden, not a file...
    LocalError,      // the destination: no space, permission denied, folder gone
    ProtocolError,   // the peer does not speak Ferry correctly
    AccessDenied,    // the path needs an access token, or the token is unknown, revoked, expired or used up
    IdentityChanged, // a server's TLS identity differs from its pin: a hard stop for the whole job, never passed over
};
QString errorKindName(ErrorKind kind);

// What a download does when its destination file already exists.
enum class ExistingFilePolicy {
    Rename,    // keep the old file, save as "name (1).ext"
    Overwrite, // replace it (atomically, once the new file is complete)
    Skip,      // leave it alone; the job ends Done with wasSkipped()
    Resume,    // treat the existing file as a partial download and fetch the rest
};
QString policyName(ExistingFilePolicy policy); // "rename", "overwrite", "skip", "resume"
std::optional<ExistingFilePolicy> policyFromName(QStringView name);

// One entry of a remote listing, or the answer to a STAT.
struct RemoteEntry {
    enum class Kind { File, Directory, Other };
    QString name; // one path component (listing) or the requested path (stat)
    Kind kind = Kind::File;
    qint64 size = 0;
    qint64 mtimeNs = 0; // nanoseconds since the Unix epoch

    bool isDirectory() const { return kind == Kind::Directory; }
    bool isFile() const { return kind == Kind::File; }
    QDateTime modified() const { return QDateTime::fromMSecsSinceEpoch(mtimeNs / 1000000); }
    bool operator==(const RemoteEntry &) const = default;
};

} // namespace ferry::client

Q_DECLARE_METATYPE(ferry::client::RemoteEntry)
