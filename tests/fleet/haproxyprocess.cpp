#include "haproxyprocess.h"

#include "polling.h"

#include <QFile>
#include <QLocalSocket>
#include <QTcpServer>

namespace {

quint16 freePort()
{
    // Bound and released: HAProxy binds it a moment later (nothing else on this machine races for it).
    QTcpServer probe;
    return probe.listen(QHostAddress::LocalHost, 0) ? probe.serverPort() : 0;
}

// The backend part is deploy/haproxy/ferry.cfg's, with checks every 300 ms so a test waits little.
constexpr char Template[] = R"(global
    stats socket %1 mode 600 level admin
    ssl-server-verify none
defaults
    mode tcp
    timeout connect 5s
    timeout client 75s
    timeout server 75s
    timeout tunnel 15m
    timeout client-fin 30s
    timeout server-fin 30s
frontend ferry
    bind 127.0.0.1:%2
    default_backend ferry_servers
backend ferry_servers
    balance leastconn
    option redispatch
    retries 2
    source %3
    option tcp-check
    tcp-check connect default
    tcp-check send-binary f701000000000015464552590001000d686170726f78792d636865636b
    tcp-check expect binary f7410000
    default-server send-proxy-v2 check check-send-proxy check-ssl inter 300ms fall 1 rise 1
)";

} // namespace

HaproxyProcess::HaproxyProcess(QList<quint16> serverPorts, QString source)
    : m_serverPorts(std::move(serverPorts)), m_source(std::move(source))
{
}

HaproxyProcess::~HaproxyProcess()
{
    if (m_process && m_process->state() != QProcess::NotRunning) {
        m_process->kill();
        m_process->waitForFinished(5000);
    }
}

bool HaproxyProcess::start(int timeoutMs)
{
    m_port = freePort();
    m_config = QString::fromLatin1(Template).arg(m_dir.filePath("stats.sock")).arg(m_port).arg(m_source);
    for (int i = 0; i < m_serverPorts.size(); ++i)
        m_config += QStringLiteral("    server ferry%1 127.0.0.1:%2\n").arg(i + 1).arg(m_serverPorts[i]);
    QFile file(m_dir.filePath("haproxy.cfg"));
    if (!file.open(QIODevice::WriteOnly) || file.write(m_config.toUtf8()) < 0) {
        m_error = "cannot write " + file.fileName();
        return false;
    }
    file.close();
    m_process = std::make_unique<QProcess>();
    m_process->setProcessChannelMode(QProcess::MergedChannels);
    m_process->start(program(), {"-f", file.fileName(), "-db"});
    if (!m_process->waitForStarted(5000)) {
        m_error = "haproxy did not start: " + m_process->errorString();
        return false;
    }
    auto allUp = [this] {
        for (int i = 0; i < m_serverPorts.size(); ++i)
            if (isUp(i) != true)
                return false;
        return true;
    };
    if (!ferrytest::pollUntil(allUp, [](bool up) { return up; }, timeoutMs)) {
        m_error = "not every server passed its health check: " + QString::fromUtf8(output());
        return false;
    }
    return true;
}

QByteArray HaproxyProcess::output() const
{
    return m_process ? m_process->readAll() : QByteArray();
}

QString HaproxyProcess::statsCommand(const QByteArray &command) const
{
    QLocalSocket socket;
    socket.connectToServer(m_dir.filePath("stats.sock"));
    if (!socket.waitForConnected(2000))
        return {};
    socket.write(command + "\n");
    QByteArray answer;
    while (socket.state() == QLocalSocket::ConnectedState && socket.waitForReadyRead(2000))
        answer += socket.readAll();
    return QString::fromUtf8(answer + socket.readAll());
}

std::optional<bool> HaproxyProcess::isUp(int index) const
{
    // "be_id be_name srv_id srv_name srv_addr srv_op_state ...": op_state 2 is running (up).
    const QString name = QStringLiteral("ferry%1").arg(index + 1);
    for (const QString &line : statsCommand("show servers state ferry_servers").split('\n')) {
        const QStringList fields = line.split(' ');
        if (fields.size() > 5 && fields[3] == name)
            return fields[5] == "2";
    }
    return std::nullopt;
}
