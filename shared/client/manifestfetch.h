// Asks one server for a file's manifest over a ready connection.
#pragma once

#include "clienttypes.h"
#include "manifest.h"

#include "protocol/messages.h"

#include <QObject>
#include <QString>

namespace ferry::client {

class Connection;

// Sends MANIFEST on `connection` (ready, between requests; not owned) and collects the
// MANIFEST_PAGE answer in a ManifestAssembler. Exactly one of received() and failed()
// follows, after which it lets go of the connection's signals: the connection is between
// requests again (after received()) or aborted (after failed()).
class ManifestFetch : public QObject
{
    Q_OBJECT
public:
    ManifestFetch(Connection *connection, const QString &path, QObject *parent = nullptr);
    void start();

    // The server's WELCOME offered `manifest` with this chunk size, and `streams`.
    static bool isOffered(const Connection &connection);
    static int streamsOffered(const Connection &connection);

signals:
    void received(const ferry::client::Manifest &manifest);
    // `code`: the server's ERROR code (an int of proto::ErrorCode), 0 when the connection
    // failed or the manifest was refused. UNSUPPORTED leaves the unverified path to try.
    void failed(ferry::client::ErrorKind kind, const QString &reason, int code);

private:
    void onMessage(const ferry::proto::Message &message);
    void finish();

    Connection *m_connection;
    QString m_path;
    ManifestAssembler m_assembler;
};

// The codec's page as the assembler's fields.
ManifestPageFields pageFields(const proto::ManifestPage &page);

} // namespace ferry::client
