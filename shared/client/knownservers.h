// The known-servers file, SSH's known_hosts for Ferry: one line per server, "HOST:PORT FINGERPRINT"
// ('#' comments), in the user's config directory ($XDG_CONFIG_HOME/ferry/known-servers, normally
// ~/.config/ferry/known-servers). ferry-get and Ferry Downloader share it. Every call reads the file
// afresh, so one program sees what the other trusted a moment ago; writes replace it atomically.
#pragma once

#include <QList>
#include <QString>

namespace ferry::client {

class KnownServers
{
public:
    struct Entry {
        QString server;      // "host:port" ("[v6]:port" for IPv6 literals)
        QString fingerprint; // canonical form (fingerprint.h)
    };

    // The file in the user's config directory; `path` overrides it (tests).
    explicit KnownServers(QString path = {});

    static QString serverKey(const QString &host, quint16 port);
    QString path() const { return m_path; }

    QList<Entry> entries() const;
    // The pinned fingerprint of "host:port", or "" if the server is not known.
    QString fingerprintFor(const QString &server) const;
    // Adds or replaces the entry. False (and `error` set) if the file cannot be written.
    bool add(const QString &server, const QString &fingerprint, QString *error = nullptr);
    // Removes "host:port", or every port of `host` when `server` has no port. Returns how many went.
    int remove(const QString &server, QString *error = nullptr);

private:
    bool save(const QList<Entry> &entries, QString *error) const;
    QString m_path;
};

} // namespace ferry::client
