#include "tlstesthelpers.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSslSocket>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

namespace tlstest {

QStringList tlsOnly(QStringList more)
{
    return QStringList{QStringLiteral("--plaintext"), QStringLiteral("off")} + more;
}

Run runGet(const QString &configHome, const QStringList &args, int timeoutMs)
{
    // FERRY_PLAINTEXT empty is off: the harness sets it to 1 for every suite, these speak TLS.
    const QStringList environment{QStringLiteral("FERRY_PLAINTEXT="), QStringLiteral("XDG_CONFIG_HOME=") + configHome};
    return ServerProcess::runProgram(QStringLiteral(GET_BIN), args, timeoutMs, environment);
}

QString knownServersFile(const QString &configHome) { return configHome + QStringLiteral("/ferry/known-servers"); }

QJsonObject adminStatus(const ServerProcess &server)
{
    const auto result = ServerProcess::runProgram(
        QStringLiteral(CTL_BIN), {QStringLiteral("--admin-socket"), server.adminSocketPath(), QStringLiteral("status"),
                                  QStringLiteral("--json")});
    return result.exitCode == 0 ? QJsonDocument::fromJson(result.out).object() : QJsonObject();
}

qint64 requestsServed(const ServerProcess &server)
{
    const QJsonObject status = adminStatus(server);
    if (!status.contains(QStringLiteral("workers")))
        return -1; // no status: not "no requests"
    qint64 total = 0;
    for (const QJsonValue &worker : status.value(QStringLiteral("workers")).toArray())
        total += worker.toObject().value(QStringLiteral("requests")).toInteger();
    return total;
}

QByteArray realClientHello()
{
    QTcpServer listener;
    if (!listener.listen(QHostAddress::LocalHost, 0))
        return {};
    QSslSocket client;
    client.connectToHostEncrypted(QStringLiteral("127.0.0.1"), listener.serverPort());
    if (!listener.waitForNewConnection(5000))
        return {};
    QTcpSocket *accepted = listener.nextPendingConnection();
    QByteArray hello;
    const QDeadlineTimer deadline(5000);
    // The record header says how long the record is: read until all of it is here.
    while (!deadline.hasExpired()) {
        QTest::qWait(10);
        hello += accepted->readAll();
        if (hello.size() >= 5 && hello.size() >= 5 + ((quint8(hello[3]) << 8) | quint8(hello[4])))
            return hello.left(5 + ((quint8(hello[3]) << 8) | quint8(hello[4])));
    }
    return {};
}

int auditLines(const ServerProcess &server, const QByteArray &request, const QByteArray &result)
{
    QFile log(server.stateDir() + QStringLiteral("/audit.log"));
    if (!log.open(QIODevice::ReadOnly))
        return -1;
    int count = 0;
    for (const QByteArray &line : log.readAll().split('\n'))
        count += (request.isEmpty() || line.contains("\"request\":\"" + request + "\""))
                 && line.contains("\"result\":\"" + result + "\"");
    return count;
}

QByteArray bytesOf(const std::string &digest) { return QByteArray(digest.data(), qsizetype(digest.size())); }

QByteArray bytesOf(const proto::Sha256Digest &digest)
{
    return QByteArray(reinterpret_cast<const char *>(digest.data()), qsizetype(digest.size()));
}

QByteArray readDigest(TlsRawClient &client, QString *why)
{
    proto::Message answer;
    if (!client.read(&answer, why))
        return {};
    if (const auto *reply = std::get_if<proto::DigestReply>(&answer))
        return bytesOf(reply->digest);
    *why = QString::fromLatin1(proto::messageTypeName(proto::typeOf(answer)));
    if (const auto *error = std::get_if<proto::Error>(&answer))
        *why += QStringLiteral(": ") + QString::fromStdString(error->message);
    return {};
}

bool readManifest(TlsRawClient &client, std::vector<proto::ManifestPage> &pages, QString *why)
{
    for (proto::Message message; client.read(&message, why);) {
        const auto *page = std::get_if<proto::ManifestPage>(&message);
        if (!page) {
            *why = QString::fromLatin1(proto::messageTypeName(proto::typeOf(message)));
            return false;
        }
        pages.push_back(*page);
        if (page->last)
            return true;
    }
    return false;
}

void serveOther(const ServerProcess &server, const std::vector<std::pair<std::string, uint64_t>> &bodies)
{
    TlsRawClient other(20000); // far below a stuck client's 60 s send timeout
    QString why;
    QVERIFY2(other.open(server.host(), server.port(), &why), qPrintable(why));
    proto::Message answer;
    QVERIFY(other.send(proto::StatRequest{"small.bin"}));
    QVERIFY2(other.read(&answer, &why), qPrintable(why));
    QVERIFY(std::holds_alternative<proto::StatReply>(answer));
    QVERIFY(other.send(proto::ListRequest{""}));
    QVERIFY2(other.read(&answer, &why), qPrintable(why));
    QVERIFY(std::holds_alternative<proto::ListPage>(answer));
    for (const auto &[name, size] : bodies) {
        uint64_t received = 0;
        QVERIFY(other.send(proto::GetRequest{name, 0, proto::ToEnd}));
        QVERIFY2(other.readBody(&received, &why), qPrintable(why));
        QCOMPARE(received, size);
    }
}

} // namespace tlstest
