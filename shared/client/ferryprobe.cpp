#include "ferryprobe.h"

#include "ferry_version.h"

#include <QTcpSocket>

namespace ferry::client {

FerryProbe::FerryProbe(const QString &host, quint16 port, QObject *parent)
    : QObject(parent), m_host(host), m_port(port), m_socket(new QTcpSocket(this))
{
    m_deadline.setSingleShot(true);
    connect(&m_deadline, &QTimer::timeout, this, [this] { finish(false); });
    connect(m_socket, &QTcpSocket::connected, this, [this] {
        const auto hello = proto::encode(proto::Hello{proto::HighestVersion, "ferry-probe/" FERRY_VERSION});
        m_socket->write(reinterpret_cast<const char *>(hello.data()), qint64(hello.size()));
    });
    connect(m_socket, &QTcpSocket::readyRead, this, &FerryProbe::onReadyRead);
    connect(m_socket, &QTcpSocket::errorOccurred, this, [this] { finish(false); });
}

void FerryProbe::start()
{
    m_deadline.start(TimeoutMs);
    m_socket->connectToHost(m_host, m_port);
}

void FerryProbe::onReadyRead()
{
    const QByteArray bytes = m_socket->readAll();
    m_decoder.feed({reinterpret_cast<const uint8_t *>(bytes.constData()), size_t(bytes.size())});
    const proto::DecodeResult result = m_decoder.next();
    if (std::holds_alternative<proto::Message>(result))
        finish(true);
    else if (!std::holds_alternative<proto::NeedMore>(result))
        finish(false);
}

void FerryProbe::finish(bool speaksFerry)
{
    if (m_done)
        return;
    m_done = true;
    m_deadline.stop();
    m_socket->disconnect(this);
    m_socket->abort();
    emit finished(speaksFerry);
}

} // namespace ferry::client
