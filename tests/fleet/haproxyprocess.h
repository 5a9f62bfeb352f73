// A real HAProxy (Debian 12's 2.6, /usr/sbin/haproxy) in front of ferry-servers on loopback, for the fleet
// tests: the backend of deploy/haproxy/ferry.cfg (leastconn, PROXY v2, the HELLO/WELCOME health check
// over TLS) with loopback addresses and a short check interval, plus an admin stats socket to read the
// servers' check states from. Killed with its process in the destructor.
#pragma once

#include <QList>
#include <QProcess>
#include <QString>
#include <QTemporaryDir>

#include <memory>
#include <optional>

class HaproxyProcess
{
public:
    // `source` is the address HAProxy connects to the servers from (the servers' --trusted-proxies).
    HaproxyProcess(QList<quint16> serverPorts, QString source);
    ~HaproxyProcess();

    static QString program() { return QStringLiteral("/usr/sbin/haproxy"); }
    // Writes the config, starts HAProxy and waits until every server has passed its check. False with
    // errorString() on any failure.
    bool start(int timeoutMs = 20000);
    quint16 port() const { return m_port; }
    QString errorString() const { return m_error; }
    // Whether server `index` (0-based, in the order given) is up by its health check, from "show servers
    // state"; nothing when the stats socket did not answer.
    std::optional<bool> isUp(int index) const;
    QString config() const { return m_config; }
    QByteArray output() const;

private:
    QString statsCommand(const QByteArray &command) const;

    QList<quint16> m_serverPorts;
    QString m_source;
    QTemporaryDir m_dir;
    QString m_config;
    quint16 m_port = 0;
    std::unique_ptr<QProcess> m_process;
    QString m_error;
};
