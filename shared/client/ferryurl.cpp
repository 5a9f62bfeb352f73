#include "ferryurl.h"

#include "protocol/messages.h"

#include "fingerprint.h"

#include <QUrl>
#include <QUrlQuery>

namespace ferry::client {

namespace {

std::optional<FerryUrl> invalid(QString *error, const QString &text)
{
    if (error)
        *error = text;
    return std::nullopt;
}

// Collapses empty and "." components; ".." is kept for the server to refuse
// (it answers FORBIDDEN), so a bad URL fails loudly instead of being rewritten.
QString normalisedPath(const QString &decoded)
{
    QStringList parts;
    for (const QString &part : decoded.split(u'/', Qt::SkipEmptyParts)) {
        if (part != QLatin1String("."))
            parts << part;
    }
    return parts.join(u'/');
}

} // namespace

FerryUrl::FerryUrl(QString host, quint16 port, QString path)
    : m_host(std::move(host)), m_port(port), m_path(normalisedPath(path)), m_trailingSlash(path.endsWith(u'/'))
{
}

std::optional<FerryUrl> FerryUrl::parse(const QString &text, QString *error)
{
    const QUrl url(text.trimmed(), QUrl::StrictMode);
    if (!url.isValid())
        return invalid(error, QStringLiteral("not a valid URL: %1").arg(url.errorString()));
    if (url.scheme() != QLatin1String("ferry"))
        return invalid(error, QStringLiteral("not a ferry:// URL: %1").arg(text));
    if (url.host().isEmpty())
        return invalid(error, QStringLiteral("no host in %1").arg(text));
    if (!url.userInfo().isEmpty() || url.hasFragment())
        return invalid(error, QStringLiteral("user and fragment are not allowed: %1").arg(text));
    QString fingerprint;
    if (url.hasQuery()) {
        const QUrlQuery query(url);
        const auto items = query.queryItems(QUrl::FullyDecoded);
        if (items.size() != 1 || items.first().first != QLatin1String("fp"))
            return invalid(error,
                           QStringLiteral("the only query a ferry:// URL takes is ?fp=FINGERPRINT: %1").arg(text));
        fingerprint = normalizedFingerprint(items.first().second);
        if (fingerprint.isEmpty())
            return invalid(error, QStringLiteral("?fp= is not a server fingerprint (52 base32 characters, "
                                                 "as ferry-ctl identity prints it): %1")
                                      .arg(text));
    }
    const int port = url.port(proto::DefaultPort);
    if (port <= 0 || port > 65535)
        return invalid(error, QStringLiteral("bad port in %1").arg(text));
    const QString path = url.path(QUrl::FullyDecoded);
    if (path.contains(QChar(0)))
        return invalid(error, QStringLiteral("NUL in path: %1").arg(text));
    FerryUrl parsed(url.host(), quint16(port), path);
    parsed.m_fingerprint = fingerprint;
    return parsed;
}

QString FerryUrl::fileName() const
{
    const qsizetype slash = m_path.lastIndexOf(u'/');
    return slash < 0 ? m_path : m_path.mid(slash + 1);
}

FerryUrl FerryUrl::child(const QString &relative) const
{
    const QString joined = m_path.isEmpty() ? relative : m_path + u'/' + relative;
    FerryUrl child(m_host, m_port, joined);
    child.m_fingerprint = m_fingerprint; // the same server
    return child;
}

FerryUrl FerryUrl::withServer(const QString &host, quint16 port) const
{
    FerryUrl copy = *this;
    copy.m_host = host;
    copy.m_port = port;
    copy.m_fingerprint.clear(); // another server: its own identity
    return copy;
}

QString FerryUrl::toString() const
{
    QUrl url;
    url.setScheme(QStringLiteral("ferry"));
    url.setHost(m_host);
    url.setPort(m_port);
    url.setPath(u'/' + m_path + (m_trailingSlash && !m_path.isEmpty() ? QStringLiteral("/") : QString()),
                QUrl::DecodedMode);
    if (!m_fingerprint.isEmpty())
        url.setQuery(QStringLiteral("fp=") + m_fingerprint);
    return url.toString(QUrl::FullyEncoded);
}

bool FerryUrl::operator==(const FerryUrl &other) const
{
    return m_host == other.m_host && m_port == other.m_port && m_path == other.m_path;
}

} // namespace ferry::client
