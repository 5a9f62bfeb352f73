// dnsmasq serving _ferry._tcp SRV records for tests of the client's DNS SRV path (serverlist.h), on a
// loopback address of its own, port 53: the only port Qt 6.4's QDnsLookup asks. Point the client at it
// with FERRY_DNS_SERVER=address(). Header-only: two suites use it.
#pragma once

#include <QByteArray>
#include <QElapsedTimer>
#include <QList>
#include <QProcess>
#include <QRandomGenerator>
#include <QStandardPaths>
#include <QString>
#include <QStringList>

#include <unistd.h>

namespace ferrytest {

struct Srv {
    quint16 port;
    int priority;
    int weight;
};

// dnsmasq answering only from its configuration (no upstream, no /etc/hosts) on 127.53.X.Y port 53,
// an address of its own so that tests running side by side do not meet.
class Dnsmasq
{
public:
    // Why no dnsmasq can run here (for QSKIP), or "".
    static QString unavailable()
    {
        if (QStandardPaths::findExecutable(QStringLiteral("dnsmasq")).isEmpty())
            return QStringLiteral("dnsmasq is not installed (scripts/bootstrap installs dnsmasq-base)");
        if (::geteuid() != 0)
            return QStringLiteral("dnsmasq needs root to listen on port 53");
        return QString();
    }

    ~Dnsmasq()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.terminate();
            if (!m_process.waitForFinished(5000))
                m_process.kill();
            m_process.waitForFinished(5000);
        }
    }

    bool start(const QString &domain, const QList<Srv> &records)
    {
        for (int attempt = 0; attempt < 5; ++attempt) {
            m_address = QStringLiteral("127.53.%1.%2")
                            .arg(QRandomGenerator::global()->bounded(1, 255))
                            .arg(QRandomGenerator::global()->bounded(1, 255));
            QStringList args{"--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
                             "--bind-interfaces", "--listen-address=" + m_address, "--port=53", "--pid-file=",
                             "--log-facility=-", "--log-queries"};
            for (const Srv &r : records)
                args << QStringLiteral("--srv-host=_ferry._tcp.%1,127.0.0.1,%2,%3,%4")
                            .arg(domain).arg(r.port).arg(r.priority).arg(r.weight);
            m_process.setProcessChannelMode(QProcess::MergedChannels);
            m_process.start(QStringLiteral("dnsmasq"), args);
            if (!m_process.waitForStarted(5000))
                return false;
            // It logs "started" once its sockets are bound, or exits when the address is taken.
            QElapsedTimer clock;
            clock.start();
            while (clock.elapsed() < 5000 && !m_log.contains("started, version")
                   && m_process.state() == QProcess::Running) {
                m_process.waitForReadyRead(100);
                m_log += m_process.readAll();
            }
            if (m_log.contains("started, version") && m_process.state() == QProcess::Running)
                return true;
            m_process.waitForFinished(2000);
            m_log += m_process.readAll();
        }
        return false;
    }

    QString address() const { return m_address; }
    // Whether dnsmasq logs `text` within `timeoutMs` (its log lines come a moment after its answers).
    bool logs(const QByteArray &text, int timeoutMs)
    {
        QElapsedTimer clock;
        clock.start();
        while (!log().contains(text) && clock.elapsed() < timeoutMs)
            m_process.waitForReadyRead(100);
        return m_log.contains(text);
    }
    QByteArray log()
    {
        m_log += m_process.readAll();
        return m_log;
    }

private:
    QProcess m_process;
    QString m_address;
    QByteArray m_log;
};

} // namespace ferrytest
