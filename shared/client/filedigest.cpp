#include "filedigest.h"

#include <QFile>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace ferry::client {

FileDigest::FileDigest(const Manifest &geometry, QString partPath)
    : m_geometry(geometry), m_partPath(std::move(partPath)), m_verified(size_t(geometry.chunkCount()))
{
    m_geometry.digests.clear(); // only the geometry is needed here
}

FileDigest::~FileDigest()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

void FileDigest::add(qint64 offset, const char *data, qint64 size)
{
    if (offset != m_frontier || !m_error.isEmpty())
        return; // out of order: read back once verified
    qint64 at = 0;
    while (at < size) {
        const int index = m_geometry.chunkAt(m_frontier);
        const qint64 chunkStart = m_geometry.chunkOffset(index);
        if (m_frontier == chunkStart && !m_verified[size_t(index)])
            m_checkpoints.insert_or_assign(index, m_hash);
        const qint64 take = std::min(size - at, chunkStart + m_geometry.chunkLength(index) - m_frontier);
        m_hash.update(data + at, take);
        at += take;
        m_frontier += take;
    }
    catchUp();
}

void FileDigest::verified(int index)
{
    m_verified[size_t(index)] = true;
    m_checkpoints.erase(index);
    catchUp();
}

void FileDigest::forget(int index)
{
    const auto checkpoint = m_checkpoints.find(index);
    if (checkpoint == m_checkpoints.end())
        return; // its bytes were not hashed
    m_hash = checkpoint->second;
    m_frontier = m_geometry.chunkOffset(index);
    m_checkpoints.erase(checkpoint, m_checkpoints.end()); // later chunks were hashed after it
}

// Reads back, in order, the verified chunks the frontier has reached without their bytes.
void FileDigest::catchUp()
{
    while (m_frontier < m_geometry.fileSize && m_error.isEmpty()) {
        const int index = m_geometry.chunkAt(m_frontier);
        if (m_frontier != m_geometry.chunkOffset(index) || !m_verified[size_t(index)])
            return;
        if (m_fd < 0)
            m_fd = ::open(QFile::encodeName(m_partPath).constData(), O_RDONLY | O_CLOEXEC);
        const qint64 length = m_geometry.chunkLength(index);
        if (m_fd < 0)
            m_error = QString::fromLocal8Bit(strerror(errno));
        else if (m_hash.updateFromFile(m_fd, m_frontier, length, &m_error)) {
            m_frontier += length;
            m_readBack += length;
        }
    }
}

QByteArray FileDigest::finish(QString *error)
{
    catchUp();
    if (m_error.isEmpty() && m_frontier != m_geometry.fileSize)
        m_error = QStringLiteral("not every chunk is verified");
    if (!m_error.isEmpty()) {
        *error = QStringLiteral("the SHA-256 of %1: %2").arg(m_partPath, m_error);
        return {};
    }
    return m_hash.result();
}

} // namespace ferry::client
