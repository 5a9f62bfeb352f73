#include "singleinstance.h"

#include <QDir>
#include <QLocalServer>
#include <QLocalSocket>
#include <QStandardPaths>

namespace ferry::gui {

namespace {
// One message: the arguments joined by newlines (a URL holds no raw newline), then
// an empty line as the end marker.
constexpr char EndMarker[] = "\n\n";
constexpr qint64 MaxMessage = 1 << 20; // a peer that sends more is not a launcher
} // namespace

SingleInstance::SingleInstance(const QString &socketPath, QObject *parent)
    : QObject(parent)
    , m_path(socketPath)
{
}

QString SingleInstance::defaultSocketPath()
{
    QString dir = QStandardPaths::writableLocation(QStandardPaths::RuntimeLocation);
    if (dir.isEmpty())
        dir = QDir::tempPath();
    return dir + QStringLiteral("/org.ferry.Downloader.sock");
}

bool SingleInstance::sendToRunning(const QStringList &arguments, int timeoutMs)
{
    QLocalSocket socket;
    socket.connectToServer(m_path);
    if (!socket.waitForConnected(timeoutMs))
        return false;
    socket.write(arguments.join(u'\n').toUtf8() + EndMarker);
    if (!socket.waitForBytesWritten(timeoutMs))
        return false;
    // Wait for the reply byte so that we exit only once the first instance has the links.
    return socket.waitForReadyRead(timeoutMs) && socket.read(1) == "1";
}

bool SingleInstance::listen()
{
    m_server = new QLocalServer(this);
    m_server->setSocketOptions(QLocalServer::UserAccessOption);
    // Nobody answered sendToRunning(), so a leftover socket file is from a crashed run.
    QLocalServer::removeServer(m_path);
    if (!m_server->listen(m_path)) {
        m_error = QStringLiteral("listen() on %1: %2").arg(m_path, m_server->errorString());
        return false;
    }
    connect(m_server, &QLocalServer::newConnection, this, &SingleInstance::onNewConnection);
    return true;
}

void SingleInstance::onNewConnection()
{
    while (QLocalSocket *socket = m_server->nextPendingConnection()) {
        connect(socket, &QLocalSocket::disconnected, socket, &QObject::deleteLater);
        connect(socket, &QLocalSocket::readyRead, this, [this, socket] {
            if (socket->bytesAvailable() > MaxMessage) {
                socket->abort();
                return;
            }
            const QByteArray data = socket->peek(socket->bytesAvailable());
            if (!data.endsWith(EndMarker))
                return; // not all there yet
            socket->readAll();
            const QString text = QString::fromUtf8(data.chopped(2));
            socket->write("1");
            socket->flush();
            emit argumentsReceived(text.isEmpty() ? QStringList() : text.split(u'\n'));
        });
    }
}

} // namespace ferry::gui
