// After an admin disconnects a connection, notices when the same client is back at once with a new one
// (a downloader that resumes does exactly that). Without it the table looks as if the disconnect did
// nothing: the row shows the same peer, the same file, still sending.
#pragma once

#include <QString>

#include <optional>

namespace ferry::admin {
struct StatusSnapshot;
}

namespace ferry::admingui {

class ReconnectWatch
{
public:
    // How long after the close a new connection from the same host counts as "back at once".
    static constexpr qint64 WindowMs = 10'000;

    // `connection` (from `peer`, "host:port" or "[v6]:port") was closed at server time `nowMs`.
    void closed(qint64 connection, const QString &peer, qint64 nowMs);
    // The sentence to show when `status` has a newer connection from that host within the window; each
    // close is reported at most once. Nothing once the window has passed.
    std::optional<QString> check(const admin::StatusSnapshot &status);

    // "127.0.0.1" of "127.0.0.1:51234", "::1" of "[::1]:51234".
    static QString hostOf(const QString &peer);

private:
    qint64 m_connection = 0;
    QString m_host;
    qint64 m_closedMs = 0;
};

} // namespace ferry::admingui
