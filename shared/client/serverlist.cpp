#include "serverlist.h"

#include "ferryurl.h"

#include <QDnsLookup>
#include <QHostAddress>
#include <QRandomGenerator>

#include <algorithm>
#include <optional>
#include <utility>

namespace ferry::client {

namespace {

// One priority's records in RFC 2782's weighted order.
void appendWeighted(QList<SrvRecord> group, const std::function<quint32(quint32)> &random, QList<ServerAddress> &out)
{
    std::stable_partition(group.begin(), group.end(), [](const SrvRecord &r) { return r.weight == 0; });
    while (!group.isEmpty()) {
        quint32 sum = 0;
        for (const SrvRecord &r : group)
            sum += r.weight;
        const quint32 pick = random(sum);
        quint32 running = 0;
        qsizetype chosen = group.size() - 1;
        for (qsizetype i = 0; i < group.size(); ++i) {
            running += group[i].weight;
            if (running >= pick) {
                chosen = i;
                break;
            }
        }
        out.append({group[chosen].target, group[chosen].port});
        group.removeAt(chosen);
    }
}

// FERRY_DNS_SERVER: the name server (an IP address, port 53) to ask for SRV records instead of the
// system's resolver, for a fleet announced on a DNS server of its own (and a test's dnsmasq).
std::optional<QHostAddress> dnsServerFromEnvironment()
{
    const QString text = qEnvironmentVariable("FERRY_DNS_SERVER").trimmed();
    if (text.isEmpty())
        return std::nullopt;
    const QHostAddress address(text);
    if (address.isNull()) {
        static bool warned = false;
        if (!std::exchange(warned, true))
            qWarning("FERRY_DNS_SERVER=%s is not an IP address; asking the system's resolver instead",
                     qPrintable(text));
        return std::nullopt;
    }
    return address;
}

} // namespace

QList<ServerAddress> orderSrvRecords(QList<SrvRecord> records, const std::function<quint32(quint32)> &random)
{
    records.removeIf([](const SrvRecord &r) { return r.target.isEmpty() || r.target == QLatin1String("."); });
    std::stable_sort(records.begin(), records.end(),
                     [](const SrvRecord &a, const SrvRecord &b) { return a.priority < b.priority; });
    QList<ServerAddress> ordered;
    for (qsizetype begin = 0; begin < records.size();) {
        qsizetype end = begin;
        while (end < records.size() && records[end].priority == records[begin].priority)
            ++end;
        appendWeighted(records.mid(begin, end - begin), random, ordered);
        begin = end;
    }
    return ordered;
}

bool wantsSrvLookup(const FerryUrl &url)
{
    return url.servers().size() == 1 && !url.hasExplicitPort() && QHostAddress(url.host()).isNull()
           && url.host() != QLatin1String("localhost");
}

ServerResolver::ServerResolver(QObject *parent) : QObject(parent) {}

void ServerResolver::resolve(const FerryUrl &url)
{
    m_fallback = url.servers();
    delete m_lookup;
    m_lookup = new QDnsLookup(QDnsLookup::SRV, QStringLiteral("_ferry._tcp.") + url.host(), this);
    if (const auto server = dnsServerFromEnvironment())
        m_lookup->setNameserver(*server);
    connect(m_lookup, &QDnsLookup::finished, this, &ServerResolver::onFinished);
    m_lookup->lookup();
}

void ServerResolver::onFinished()
{
    QList<SrvRecord> records;
    if (m_lookup->error() == QDnsLookup::NoError)
        for (const QDnsServiceRecord &r : m_lookup->serviceRecords())
            records.append({r.target().endsWith(u'.') && r.target() != QLatin1String(".") ? r.target().chopped(1)
                                                                                          : r.target(),
                            r.port(), r.priority(), r.weight()});
    QList<ServerAddress> servers = orderSrvRecords(records, [](quint32 n) {
        return quint32(QRandomGenerator::global()->bounded(quint64(n) + 1));
    });
    emit resolved(servers.isEmpty() ? m_fallback : servers);
}

} // namespace ferry::client
