// Shared pieces of the admin integration tests: a server with its admin socket in a temporary directory,
// and downloads that run on their own threads while the test watches the admin plane.
#pragma once

#include "adminconnection.h"
#include "serverprocess.h"
#include "testclient.h"
#include "testtree.h"

#include <QProcess>
#include <QStringList>
#include <QTemporaryDir>

#include <atomic>
#include <functional>
#include <memory>
#include <thread>

// A ferry-server whose admin socket lives in its own temporary directory.
class AdminTestServer
{
public:
    explicit AdminTestServer(const QString &root, QStringList args = {});
    bool start() { return m_server->start(); }
    ServerProcess &process() { return *m_server; }
    QString socketPath() const { return m_dir.filePath(QStringLiteral("admin.sock")); }
    QString socketDir() const { return m_dir.path(); }
    // A fresh admin connection (greeted), or nullptr.
    std::unique_ptr<AdminConnection> connect() const;
    // One-shot `status`: the STATUS object, or a null Json.
    ferry::admin::Json status() const;

private:
    QTemporaryDir m_dir;
    std::unique_ptr<ServerProcess> m_server;
};

struct CtlResult {
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};
// Runs ferry-ctl with `args` (the admin socket is passed first), optionally under another program
// (e.g. setpriv) given as `prefix`, optionally from another copy of the binary (`program`).
CtlResult runCtl(const QString &socketPath, const QStringList &args, const QStringList &prefix = {},
                 const QString &program = QString());
// Copies ferry-ctl into `dir` (mode 0755) so that another user can run it wherever the build tree is.
QString copyCtlInto(const QString &dir);

// The worker object whose "path" is `path`, or a null Json.
ferry::admin::Json workerServing(const ferry::admin::Json &status, const std::string &path);
// Queries status (polling.h's pollUntil, never inside QTRY_*) until `done` holds for it or `timeoutMs`
// passed; the last status, to assert on: QCOMPARE(poolValue(awaitStatus(server, idleIs2, 10000), "idle"), 2).
using StatusCheck = std::function<bool(const ferry::admin::Json &)>;
ferry::admin::Json awaitStatus(const AdminTestServer &server, const StatusCheck &done, int timeoutMs);
// The same until a worker serves `path` and `also` holds for it; that worker as one snapshot saw it,
// or a null Json after `timeoutMs`.
ferry::admin::Json awaitWorkerServing(const AdminTestServer &server, const std::string &path, int timeoutMs,
                                      const StatusCheck &also = {});

// A download on its own thread. Stalling downloads send GET and then read nothing.
class Download
{
public:
    enum class Mode { Read, Stall };
    Download(const ServerProcess &server, std::string path, quint32 seed, uint64_t size, Mode mode = Mode::Read);
    ~Download();
    void join();
    bool hasFinished() const { return m_finished.load(); }
    uint64_t received() const { return m_received.load(); }
    // After join(): the file arrived whole and byte-identical.
    bool intact() const { return m_status.ok() && m_intact && m_received.load() == m_size; }
    const ferrytest::Status &status() const { return m_status; }
    QString describe() const;
    // Stall mode: start reading now (to see how the server ended the stalled transfer).
    void release() { m_release = true; }

private:
    void run(const ServerProcess &server);
    std::string m_path;
    quint32 m_seed;
    uint64_t m_size;
    Mode m_mode;
    std::atomic<uint64_t> m_received{0};
    std::atomic<bool> m_finished{false};
    std::atomic<bool> m_release{false};
    ferrytest::Status m_status;
    bool m_intact = false;
    std::thread m_thread;
};
