// libFuzzer target: the client's reading of a ferry:// link (shared/client/ferryurl.cpp), what a person
// pastes from a mail or a chat, capability links (?token=) and pinned ones (?fp=) included. The input is
// the link as UTF-8. Checked on every input besides the sanitizers' own checks:
//   - parse() gives a link or a non-empty reason, and a reason never repeats the token's secret;
//   - a link it reads names a server and a port, a path in normal form (no leading '/', no empty or '.'
//     component, no NUL), a fingerprint in canonical form or none, a token as ferry-ctl writes one or none;
//   - toString() never carries the token, and toLink() reads back as the same link: the same servers,
//     path, trailing slash (the root's aside: it is a folder either way), fingerprint and token (what
//     Ferry Downloader and ferry-get pass on is what was pasted).
// Seeds: tests/fuzz/ferry-url-seeds (the links of tests/client's tables).
#include "client/ferryurl.h"
#include "client/fingerprint.h"

#include <QString>

#include <cstdio>
#include <cstdlib>

using ferry::client::FerryUrl;

namespace {

[[noreturn]] void violated(const QString &what, const QString &input)
{
    std::fprintf(stderr, "fuzz_ferry_url: %s\n  input: %s\n", qPrintable(what), qPrintable(input));
    std::abort();
}

// The secret a text's token= carries, when it is one and appears nowhere else in the text: only then can
// "the reason does not repeat it" be asked of a message that quotes the rest of the link.
QString loneSecret(const QString &text)
{
    const qsizetype at = text.indexOf(QLatin1String("token="));
    if (at < 0)
        return {};
    qsizetype end = at + 6;
    while (end < text.size() && text[end] != u'&' && text[end] != u'#')
        ++end;
    const QString secret = text.mid(at + 6, end - at - 6);
    if (secret.size() < 8 || !FerryUrl::isTokenText(secret) || text.count(secret) != 1)
        return {};
    return secret;
}

void checkForm(const FerryUrl &url, const QString &input)
{
    if (!url.isValid() || url.host().isEmpty() || url.port() == 0)
        violated(QStringLiteral("a link read without a server or a port"), input);
    const QString path = url.path();
    if (path.startsWith(u'/') || path.endsWith(u'/') || path.contains(QLatin1String("//"))
        || path.contains(QChar(0)))
        violated(QStringLiteral("a link's path is not in normal form"), input);
    for (const QString &part : path.split(u'/'))
        if (part == QLatin1String("."))
            violated(QStringLiteral("a link's path keeps a '.' component"), input);
    if (!url.fingerprint().isEmpty() && ferry::client::normalizedFingerprint(url.fingerprint()) != url.fingerprint())
        violated(QStringLiteral("a link's fingerprint is not in canonical form"), input);
    if (!url.token().isEmpty() && !FerryUrl::isTokenText(url.token()))
        violated(QStringLiteral("a link's token is not written as a token"), input);
}

void checkRoundTrip(const FerryUrl &url, const QString &input)
{
    FerryUrl anonymous = url; // "token=" may be in a file's name too: compare with the link without one
    anonymous.setToken({});
    if (url.toString() != anonymous.toString() || (!url.token().isEmpty() && url.toLink() == url.toString()))
        violated(QStringLiteral("toString() carries the token, or toLink() leaves it out"), input);
    QString error;
    const std::optional<FerryUrl> again = FerryUrl::parse(url.toLink(), &error);
    if (!again)
        violated(QStringLiteral("toLink() does not read back: %1 (%2)").arg(error, url.toLink()), input);
    // The root is a folder with or without its slash (toString() always writes it).
    const bool sameSlash = url.path().isEmpty() || again->hasTrailingSlash() == url.hasTrailingSlash();
    if (!(*again == url) || again->servers() != url.servers() || !sameSlash
        || again->fingerprint() != url.fingerprint() || again->token() != url.token())
        violated(QStringLiteral("toLink() reads back as another link: ") + url.toLink(), input);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QString input = QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size));
    QString error;
    const std::optional<FerryUrl> url = FerryUrl::parse(input, &error);
    if (!url) {
        if (error.isEmpty())
            violated(QStringLiteral("a link refused without a reason"), input);
        if (const QString secret = loneSecret(input); !secret.isEmpty() && error.contains(secret))
            violated(QStringLiteral("a refusal repeats the token's secret"), input);
        return 0;
    }
    checkForm(*url, input);
    checkRoundTrip(*url, input);
    return 0;
}
