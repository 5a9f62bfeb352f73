#include "manifestfetch.h"

#include "connection.h"
#include "remoteentry_p.h"

namespace ferry::client {

namespace {

QByteArray toBytes(const proto::Sha256Digest &digest)
{
    return QByteArray(reinterpret_cast<const char *>(digest.data()), qsizetype(digest.size()));
}

} // namespace

ManifestPageFields pageFields(const proto::ManifestPage &page)
{
    ManifestPageFields fields;
    fields.fileSize = page.fileSize;
    fields.mtimeNs = page.mtimeNs;
    fields.chunkSize = page.chunkSize;
    fields.chunkCount = page.chunkCount;
    fields.root = toBytes(page.root);
    fields.first = page.first;
    fields.last = page.last;
    fields.digests.reserve(page.digests.size());
    for (const proto::Sha256Digest &digest : page.digests)
        fields.digests.push_back(toBytes(digest));
    return fields;
}

ManifestFetch::ManifestFetch(Connection *connection, const QString &path, QObject *parent)
    : QObject(parent), m_connection(connection), m_path(path)
{
}

bool ManifestFetch::isOffered(const Connection &connection)
{
    return connection.capability(proto::CapabilityManifest).toLongLong() > 0;
}

int ManifestFetch::streamsOffered(const Connection &connection)
{
    return std::max(1, connection.capability(proto::CapabilityStreams).toInt());
}

void ManifestFetch::start()
{
    connect(m_connection, &Connection::messageReceived, this, &ManifestFetch::onMessage);
    connect(m_connection, &Connection::failed, this, [this](ErrorKind kind, const QString &reason, int) {
        finish();
        emit failed(kind, reason, 0);
    });
    m_connection->setExpectingReply(true);
    m_connection->send(proto::ManifestRequest{m_path.toStdString()});
}

void ManifestFetch::finish()
{
    disconnect(m_connection, nullptr, this, nullptr);
}

void ManifestFetch::onMessage(const proto::Message &message)
{
    if (const auto *error = std::get_if<proto::Error>(&message)) {
        finish();
        m_connection->setExpectingReply(false);
        emit failed(kindOf(*error), remoteErrorText(*error, m_path), int(error->code));
        return;
    }
    const auto *page = std::get_if<proto::ManifestPage>(&message);
    const auto refused =
        page ? m_assembler.addPage(pageFields(*page))
             : std::optional<QString>(tr("unexpected answer to MANIFEST from %1").arg(m_connection->host()));
    if (refused) {
        finish();
        m_connection->abort();
        emit failed(ErrorKind::ProtocolError, tr("%1 from %2: %3").arg(m_path, m_connection->host(), *refused), 0);
        return;
    }
    if (!m_assembler.isComplete())
        return;
    finish();
    m_connection->setExpectingReply(false);
    emit received(m_assembler.manifest());
}

} // namespace ferry::client
