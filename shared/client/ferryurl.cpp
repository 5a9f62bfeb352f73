#include "ferryurl.h"

#include "protocol/messages.h"

#include "fingerprint.h"

#include <QUrl>
#include <QRegularExpression>
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

// The port as written between the host and the path, if any: QUrl only says "invalid".
std::optional<QString> writtenPort(const QString &text)
{
    const qsizetype start = text.indexOf(QLatin1String("://"));
    if (start < 0)
        return std::nullopt;
    QString authority = text.mid(start + 3).section(u'/', 0, 0);
    authority = authority.mid(authority.lastIndexOf(u']') + 1); // past an IPv6 literal
    const qsizetype colon = authority.lastIndexOf(u':');
    if (colon < 0)
        return std::nullopt;
    return authority.mid(colon + 1);
}

bool isValidPort(const QString &port)
{
    bool ok = false;
    const int value = port.toInt(&ok);
    return ok && value > 0 && value <= 65535 && !port.startsWith(u'+');
}


// The queries a link may carry: the server's identity (?fp=, as ferry-ctl identity prints it) and an
// access token (token=, as in the capability links of ferry-ctl token create), each at most once.
// Returns why the query is refused, or "".
QString readQuery(const QUrl &url, const QString &quoted, QString &fingerprint, QString &token)
{
    const auto items = QUrlQuery(url).queryItems(QUrl::FullyDecoded);
    for (const auto &[name, value] : items) {
        if (name == QLatin1String("fp") && fingerprint.isEmpty()) {
            fingerprint = normalizedFingerprint(value);
            if (fingerprint.isEmpty())
                return QStringLiteral("The ?fp= of %1 is not a server fingerprint (52 base32 characters, as "
                                      "ferry-ctl identity prints it).").arg(quoted);
        } else if (name == QLatin1String("token") && token.isEmpty()) {
            if (!FerryUrl::isTokenText(value))
                return QStringLiteral("The token= of %1 is not an access token (letters, digits, - and _, as "
                                      "ferry-ctl token create prints it).").arg(quoted);
            token = value;
        } else {
            return QStringLiteral("%1 has a \u201c?\u201d part other than ?fp=FINGERPRINT and token=TOKEN, which "
                                  "ferry:// links do not have (in a name, write it as %3F).").arg(quoted);
        }
    }
    return {};
}

// The link as an error message may show it: a token's secret replaced by an ellipsis.
QString withoutToken(const QString &text)
{
    static const QRegularExpression secret(QStringLiteral("(token=)[^&#]*"));
    return QString(text).replace(secret, QStringLiteral("\\1\u2026"));
}

// "ferry://a:1,b:2/p" -> the authorities "a:1", "b:2" (brackets of IPv6 literals kept), and the rest.
QStringList authorities(const QString &text, QString *rest)
{
    const qsizetype start = text.indexOf(QLatin1String("://")) + 3;
    qsizetype end = start;
    while (end < text.size() && text[end] != u'/' && text[end] != u'?' && text[end] != u'#')
        ++end;
    *rest = text.mid(end);
    return text.mid(start, end - start).split(u',');
}

} // namespace

// Base64url, no padding (and a generous length cap).
bool FerryUrl::isTokenText(const QString &token)
{
    if (token.isEmpty() || token.size() > 256)
        return false;
    for (QChar c : token) {
        if (!(c.isLetterOrNumber() && c.unicode() < 0x80) && c != u'-' && c != u'_')
            return false;
    }
    return true;
}

FerryUrl::FerryUrl(QString host, quint16 port, QString path)
    : m_host(std::move(host)), m_port(port), m_path(normalisedPath(path)), m_trailingSlash(path.endsWith(u'/'))
{
}

// Tolerant parsing accepts what people paste: raw spaces, unescaped UTF-8, a "%" not
// followed by two hex digits. Each refusal is one sentence naming what to change.
std::optional<FerryUrl> FerryUrl::parse(const QString &input, QString *error)
{
    const QString text = input.trimmed();
    QString rest;
    const QStringList servers = text.startsWith(QLatin1String("ferry://"), Qt::CaseInsensitive)
                                    ? authorities(text, &rest) : QStringList{};
    if (servers.size() > 1) {
        // Each server is checked as a link of its own, so each refusal names what to change.
        std::optional<FerryUrl> first;
        for (const QString &server : servers) {
            if (server.isEmpty())
                return invalid(error, QStringLiteral("\u201c%1\u201d has an empty server in its list; separate "
                                                     "servers with single commas: ferry://a:4646,b:4646/path.")
                                          .arg(withoutToken(text)));
            std::optional<FerryUrl> one = parse(QStringLiteral("ferry://") + server + rest, error);
            if (!one)
                return std::nullopt;
            if (!first)
                first = one;
            else
                first->m_others.append({one->m_host, one->m_port});
        }
        return first;
    }
    if (text.isEmpty())
        return invalid(error, QStringLiteral("The link is empty; write it as ferry://host[:port]/path."));
    const QString quoted = QStringLiteral("\u201c%1\u201d").arg(withoutToken(text));
    if (!text.startsWith(QLatin1String("ferry://"), Qt::CaseInsensitive))
        return invalid(error, QStringLiteral("%1 is not a ferry:// link.").arg(quoted));
    if (const auto port = writtenPort(text); port && !port->isEmpty() && !isValidPort(*port))
        return invalid(error, QStringLiteral("The port in %1 must be a number from 1 to 65535.").arg(quoted));
    // "ferry:///x" and "ferry://:4646/x" name a port, or nothing, but no server: say that, not "invalid".
    if (const QString authority = text.mid(8).section(QLatin1Char('/'), 0, 0).section(QLatin1Char('@'), -1);
        authority.isEmpty() || authority.startsWith(QLatin1Char(':')))
        return invalid(error, QStringLiteral("%1 names no server.").arg(quoted));
    const QUrl url(text, QUrl::TolerantMode);
    if (!url.isValid() || url.host().isEmpty()) {
        return invalid(error, url.authority().isEmpty() && url.isValid()
                                  ? QStringLiteral("%1 names no server.").arg(quoted)
                                  : QStringLiteral("%1 is not a valid ferry:// link; write it as "
                                                   "ferry://host[:port]/path.").arg(quoted));
    }
    if (!url.userInfo().isEmpty())
        return invalid(error, QStringLiteral("%1 names a user, which ferry:// links do not have.").arg(quoted));
    if (url.hasFragment())
        return invalid(error, QStringLiteral("%1 has a \u201c#\u201d part, which ferry:// links do not have "
                                             "(in a name, write it as %23).").arg(quoted));
    QString fingerprint, token;
    if (url.hasQuery()) {
        if (const QString refused = readQuery(url, quoted, fingerprint, token); !refused.isEmpty())
            return invalid(error, refused);
    }
    const QString path = url.path(QUrl::FullyDecoded);
    if (path.contains(QChar(0)))
        return invalid(error, QStringLiteral("%1 holds a NUL byte, which no file name can.").arg(quoted));
    FerryUrl parsed(url.host(), quint16(url.port(proto::DefaultPort)), path);
    parsed.m_fingerprint = fingerprint;
    parsed.m_token = token;
    parsed.m_explicitPort = url.port() != -1;
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
    child.m_fingerprint = m_fingerprint; // the same server(s)
    child.m_token = m_token;
    child.m_others = m_others;
    child.m_explicitPort = m_explicitPort;
    return child;
}

FerryUrl FerryUrl::withServer(const QString &host, quint16 port) const
{
    FerryUrl copy = *this;
    copy.m_host = host;
    copy.m_port = port;
    copy.m_fingerprint.clear(); // another server: its own identity
    copy.m_token.clear();       // and its own tokens
    copy.m_others.clear();
    copy.m_explicitPort = true;
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
    QString text = url.toString(QUrl::FullyEncoded);
    if (!m_others.isEmpty()) {
        // QUrl holds one host: the others go in after it, each written as QUrl writes a host and port.
        const qsizetype end = text.indexOf(u'/', 8); // past "ferry://"
        QString more;
        for (const ServerAddress &server : m_others) {
            QUrl one;
            one.setScheme(QStringLiteral("ferry"));
            one.setHost(server.host);
            one.setPort(server.port);
            more += u',' + one.authority(QUrl::FullyEncoded);
        }
        text.insert(end, more);
    }
    return text;
}

FerryUrl FerryUrl::withServers(const QList<ServerAddress> &servers) const
{
    FerryUrl copy = *this;
    copy.m_host = servers.value(0).host;
    copy.m_port = servers.value(0).port;
    copy.m_others = servers.mid(1);
    copy.m_explicitPort = true; // resolved: no second lookup
    return copy;
}

FerryUrl FerryUrl::withPath(const QString &path) const
{
    FerryUrl copy = *this;
    copy.m_path = normalisedPath(path);
    copy.m_trailingSlash = path.endsWith(u'/');
    return copy;
}

QList<ServerAddress> FerryUrl::servers() const
{
    return QList<ServerAddress>{{m_host, m_port}} + m_others;
}

QString FerryUrl::toLink() const
{
    if (m_token.isEmpty())
        return toString();
    // The token is base64url (RFC 4648 §5): nothing in it needs percent-encoding.
    return toString() + (m_fingerprint.isEmpty() ? u'?' : u'&') + QStringLiteral("token=") + m_token;
}

bool FerryUrl::operator==(const FerryUrl &other) const
{
    return m_host == other.m_host && m_port == other.m_port && m_path == other.m_path && m_others == other.m_others;
}

} // namespace ferry::client
