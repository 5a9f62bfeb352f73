#include "admintestkit.h"

#include "adminrequest.h"
#include "polling.h"

#include <QFile>
#include <QThread>

#include <poll.h>
#include <sys/socket.h>

using ferry::admin::Json;
using namespace ferrytest;

AdminTestServer::AdminTestServer(const QString &root, QStringList args)
{
    args << QStringLiteral("--admin-socket") << socketPath();
    m_server = std::make_unique<ServerProcess>(root, args);
}

std::unique_ptr<AdminConnection> AdminTestServer::connect() const
{
    auto connection = std::make_unique<AdminConnection>();
    if (!connection->open(socketPath()))
        return nullptr;
    return connection;
}

Json AdminTestServer::status() const
{
    auto connection = connect();
    if (!connection)
        return Json();
    auto reply = connection->call("status");
    return reply ? at(*reply, {"status"}) : Json();
}

CtlResult runCtl(const QString &socketPath, const QStringList &args, const QStringList &prefix,
                 const QString &program)
{
    QProcess process;
    QStringList arguments = prefix;
    arguments << (program.isEmpty() ? QStringLiteral(CTL_BIN) : program) << QStringLiteral("--admin-socket")
              << socketPath << args;
    process.start(arguments.takeFirst(), arguments);
    CtlResult result;
    if (!process.waitForFinished(20000)) {
        process.kill();
        process.waitForFinished();
        return result;
    }
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.out = process.readAllStandardOutput();
    result.err = process.readAllStandardError();
    return result;
}

QString copyCtlInto(const QString &dir)
{
    const QString copy = dir + QStringLiteral("/ferry-ctl");
    QFile::remove(copy);
    if (!QFile::copy(QStringLiteral(CTL_BIN), copy))
        return QString();
    QFile::setPermissions(copy, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner
                                    | QFileDevice::ReadGroup | QFileDevice::ExeGroup | QFileDevice::ReadOther
                                    | QFileDevice::ExeOther);
    return copy;
}

Json workerServing(const Json &status, const std::string &path)
{
    for (const Json &worker : at(status, {"workers"})) {
        if (textAt(worker, {"path"}) == path)
            return worker;
    }
    return Json();
}

Json awaitStatus(const AdminTestServer &server, const StatusCheck &done, int timeoutMs)
{
    return ferrytest::pollUntil([&] { return server.status(); }, done, timeoutMs, ferrytest::AdminPollIntervalMs);
}

Json awaitWorkerServing(const AdminTestServer &server, const std::string &path, int timeoutMs, const StatusCheck &also)
{
    const Json worker = ferrytest::pollUntil(
        [&] { return workerServing(server.status(), path); },
        [&](const Json &w) { return !w.is_null() && (!also || also(w)); }, timeoutMs, ferrytest::AdminPollIntervalMs);
    return !worker.is_null() && (!also || also(worker)) ? worker : Json();
}

namespace {
// Reads raw bytes until the server closes: Closed (EOF), Reset, or Timeout if it never does.
Status drainUntilClosed(int fd)
{
    Status status;
    char buffer[65536];
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 30000) <= 0) {
            status.outcome = Outcome::Timeout;
            return status;
        }
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n > 0)
            continue;
        status.outcome = n == 0 ? Outcome::Closed : Outcome::Reset;
        return status;
    }
}
} // namespace

Download::Download(const ServerProcess &server, std::string path, quint32 seed, uint64_t size, Mode mode)
    : m_path(std::move(path)), m_seed(seed), m_size(size), m_mode(mode)
{
    m_thread = std::thread([this, &server] { run(server); });
}

Download::~Download()
{
    m_release = true;
    join();
}

void Download::join()
{
    if (m_thread.joinable())
        m_thread.join();
}

void Download::run(const ServerProcess &server)
{
    TestClient client(60000);
    m_status = client.open(server.host(), server.port());
    if (m_status.ok() && m_mode == Mode::Stall) {
        // The kernel's buffers take a few MiB (the receive buffer does not grow while nobody reads), then
        // the server's side blocks: the transfer stalls.
        client.send(proto::GetRequest{m_path, 0, proto::ToEnd});
        while (!m_release.load())
            QThread::msleep(20); // a client that stopped reading: it only waits to be released
    }
    if (m_status.ok()) {
        PatternVerifier verifier(m_seed);
        GetResult r;
        auto sink = [&](const char *data, size_t size) {
            m_received += size;
            return verifier.update(data, size);
        };
        if (m_mode == Mode::Read) {
            r = client.get(m_path, 0, proto::ToEnd, sink);
        } else {
            m_status = drainUntilClosed(client.socketDescriptor());
        }
        m_status = m_mode == Mode::Read ? r.status : m_status;
        m_intact = verifier.matches();
    }
    m_finished = true;
}

QString Download::describe() const
{
    return QStringLiteral("%1: %2, %3 of %4 bytes, content %5")
        .arg(QString::fromStdString(m_path), m_status.toString())
        .arg(m_received.load())
        .arg(m_size)
        .arg(m_intact ? "ok" : "WRONG");
}
