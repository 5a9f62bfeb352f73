// The servers one verified download takes its chunks from: its own and its mirrors. Pure.
#pragma once

#include "ferryurl.h"
#include "manifest.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace ferry::client {

// Index 0 is the download's own server: its manifest says what the file is. A mirror
// joins only once its own manifest agrees (same size, chunk size and root digest: the
// same bytes; its mtime may differ, copies rarely keep it). A source that disagrees,
// serves a chunk that fails its digest, or stops answering is dropped for this file,
// and the reason is kept to be shown; the others carry on.
class SourceSet
{
public:
    enum class State { Pending, Agreed, Dropped };
    struct Source {
        FerryUrl url{};
        State state = State::Pending;
        qint64 mtimeNs = 0; // from its own manifest
        int streams = 1;    // connections it allows one download (WELCOME's `streams`)
        int failures = 0;   // connection failures in a row
        QString dropReason{};
    };
    // A source that fails this many times in a row without moving a byte is given up on.
    static constexpr int MaxFailures = 3;

    explicit SourceSet(const QList<FerryUrl> &urls);

    int count() const { return int(m_sources.size()); }
    const Source &at(int index) const { return m_sources[index]; }
    bool isAgreed(int index) const { return at(index).state == State::Agreed; }
    int agreedCount() const;
    // Whether some source may still serve chunks (agreed, or pending its manifest).
    bool hasLiveSource() const;

    // Source `index` sent `manifest` and allows `streams` connections. The first source's
    // manifest is taken as the truth; a later one that differs is dropped and the reason
    // returned.
    std::optional<QString> agree(int index, const Manifest &manifest, int streams);
    const Manifest &reference() const { return m_reference; }
    void drop(int index, const QString &reason);
    // A connection to `index` failed; true when that was one failure too many (it is dropped).
    bool noteFailure(int index, const QString &reason);
    void noteProgress(int index) { m_sources[index].failures = 0; }
    // "host:port: reason" for every dropped source.
    QStringList dropReasons() const;
    // "host:port: reason", or `reason` alone when it begins with the name already (a connection's
    // own texts often do: "host:port does not speak Ferry: ...").
    static QString dropText(const QString &host, quint16 port, const QString &reason);

private:
    QList<Source> m_sources;
    Manifest m_reference;
    bool m_haveReference = false;
};

} // namespace ferry::client
