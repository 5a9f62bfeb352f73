#include "sourceset.h"

#include <algorithm>

namespace ferry::client {

SourceSet::SourceSet(const QList<FerryUrl> &urls)
{
    for (const FerryUrl &url : urls)
        m_sources.append(Source{url});
}

int SourceSet::agreedCount() const
{
    return int(std::count_if(m_sources.begin(), m_sources.end(),
                             [](const Source &source) { return source.state == State::Agreed; }));
}

bool SourceSet::hasLiveSource() const
{
    return std::any_of(m_sources.begin(), m_sources.end(),
                       [](const Source &source) { return source.state != State::Dropped; });
}

std::optional<QString> SourceSet::agree(int index, const Manifest &manifest, int streams)
{
    Source &source = m_sources[index];
    if (source.state == State::Dropped)
        return source.dropReason;
    if (m_haveReference) {
        QString reason;
        if (manifest.fileSize != m_reference.fileSize)
            reason = QStringLiteral("its copy has %1 bytes, not %2").arg(manifest.fileSize).arg(m_reference.fileSize);
        else if (manifest.chunkSize != m_reference.chunkSize)
            reason = QStringLiteral("it uses chunks of %1 bytes, not %2")
                         .arg(manifest.chunkSize)
                         .arg(m_reference.chunkSize);
        else if (manifest.root != m_reference.root)
            reason = QStringLiteral("its copy has different content (the root digests differ)");
        if (!reason.isEmpty()) {
            drop(index, reason);
            return source.dropReason;
        }
    } else {
        m_reference = manifest;
        m_haveReference = true;
    }
    source.state = State::Agreed;
    source.mtimeNs = manifest.mtimeNs;
    source.streams = std::max(1, streams);
    return std::nullopt;
}

void SourceSet::drop(int index, const QString &reason)
{
    Source &source = m_sources[index];
    if (source.state == State::Dropped)
        return;
    source.state = State::Dropped;
    source.dropReason = dropText(source.url.host(), source.url.port(), reason);
}

bool SourceSet::noteFailure(int index, const QString &reason)
{
    if (++m_sources[index].failures < MaxFailures)
        return false;
    drop(index, reason);
    return true;
}

QStringList SourceSet::dropReasons() const
{
    QStringList reasons;
    for (const Source &source : m_sources) {
        if (source.state == State::Dropped)
            reasons << source.dropReason;
    }
    return reasons;
}

QString SourceSet::dropText(const QString &host, quint16 port, const QString &reason)
{
    const QString name = QStringLiteral("%1:%2").arg(host).arg(port);
    const bool named = reason.startsWith(name) && (reason.size() == name.size() || !reason.at(name.size()).isDigit());
    return named ? reason : QStringLiteral("%1: %2").arg(name, reason);
}

} // namespace ferry::client
