#include "ferryurl.h"

#include "protocol/messages.h"

#include <QUrl>

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
    if (!url.userInfo().isEmpty() || url.hasQuery() || url.hasFragment())
        return invalid(error, QStringLiteral("user, query and fragment are not allowed: %1").arg(text));
    const int port = url.port(proto::DefaultPort);
    if (port <= 0 || port > 65535)
        return invalid(error, QStringLiteral("bad port in %1").arg(text));
    const QString path = url.path(QUrl::FullyDecoded);
    if (path.contains(QChar(0)))
        return invalid(error, QStringLiteral("NUL in path: %1").arg(text));
    return FerryUrl(url.host(), quint16(port), path);
}

QString FerryUrl::fileName() const
{
    const qsizetype slash = m_path.lastIndexOf(u'/');
    return slash < 0 ? m_path : m_path.mid(slash + 1);
}

FerryUrl FerryUrl::child(const QString &relative) const
{
    const QString joined = m_path.isEmpty() ? relative : m_path + u'/' + relative;
    return FerryUrl(m_host, m_port, joined);
}

FerryUrl FerryUrl::withServer(const QString &host, quint16 port) const
{
    FerryUrl copy = *this;
    copy.m_host = host;
    copy.m_port = port;
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
    return url.toString(QUrl::FullyEncoded);
}

bool FerryUrl::operator==(const FerryUrl &other) const
{
    return m_host == other.m_host && m_port == other.m_port && m_path == other.m_path;
}

} // namespace ferry::client
