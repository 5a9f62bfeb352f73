// Whether a port speaks Ferry at all, asked in plaintext. A TLS handshake that failed because the answer
// was not TLS leaves two explanations: a Ferry server that turned the client away for load with its
// plaintext BUSY before TLS (docs/SECURITY.md, "Refusals for load"), or another protocol on that port (an
// HTTP or SSH server). Retrying the second as busy would only wait; the probe tells them apart.
#pragma once

#include "protocol/codec.h"

#include <QObject>
#include <QTimer>

class QTcpSocket;

namespace ferry::client {

class FerryProbe : public QObject
{
    Q_OBJECT
public:
    // A Ferry server answers a plaintext HELLO at once (its BUSY even before reading it); a longer wait is
    // for a port that waits for something else, such as an HTTP server for the end of a request line.
    // A plaintext Connection gives a server as long for the first byte of its answer (connection.h).
    static constexpr int TimeoutMs = 3000;

    FerryProbe(const QString &host, quint16 port, QObject *parent = nullptr);

    // Connects and sends a plaintext HELLO. finished() follows once, within TimeoutMs.
    void start();

signals:
    // A Ferry server answers a plaintext HELLO with a frame (BUSY, WELCOME, or the ERROR that says TLS is
    // required); anything else, a close without an answer, or silence is not Ferry.
    void finished(bool speaksFerry);

private:
    void onReadyRead();
    void finish(bool speaksFerry);

    QString m_host;
    quint16 m_port;
    QTcpSocket *m_socket = nullptr;
    proto::Decoder m_decoder;
    QTimer m_deadline;
    bool m_done = false;
};

} // namespace ferry::client
