// Which servers a download may use, in the order to try them: those a URL names
// (ferry://a:4646,b:4646/path), or those a DNS SRV record _ferry._tcp.NAME names when the URL
// gives a bare domain (RFC 2782: lowest priority first, then weighted at random).
#pragma once

#include <QList>
#include <QObject>
#include <QString>

#include <functional>

class QDnsLookup;

namespace ferry::client {

class FerryUrl;

struct ServerAddress {
    QString host;
    quint16 port = 0;
    bool operator==(const ServerAddress &) const = default;
};

struct SrvRecord {
    QString target; // "." (RFC 2782: the service is decidedly not available there) is dropped
    quint16 port = 0;
    quint16 priority = 0;
    quint16 weight = 0;
};

// RFC 2782's order: by priority, lowest first; within one priority, repeatedly a record chosen at random
// with a probability proportional to its weight, records of weight 0 placed first so that they are
// chosen (rarely) too. `random(n)` returns a uniform integer from 0 to n inclusive; tests pass their own.
QList<ServerAddress> orderSrvRecords(QList<SrvRecord> records, const std::function<quint32(quint32)> &random);

// Whether `url` names a bare domain: one server, no port written, a name rather than an IP literal.
bool wantsSrvLookup(const FerryUrl &url);

// Looks up _ferry._tcp.HOST and reports the servers in RFC 2782 order; without a usable record (none,
// NXDOMAIN, a DNS failure), the URL's own host on the default port, as before SRV existed. The system's
// resolver is asked, or the name server the environment variable FERRY_DNS_SERVER names (an IP
// address; Qt 6.4 asks it on port 53).
class ServerResolver : public QObject
{
    Q_OBJECT
public:
    explicit ServerResolver(QObject *parent = nullptr);
    void resolve(const FerryUrl &url);

signals:
    void resolved(const QList<ferry::client::ServerAddress> &servers);

private:
    void onFinished();

    QDnsLookup *m_lookup = nullptr;
    QList<ServerAddress> m_fallback;
};

} // namespace ferry::client
