// Helpers of the TLS suites: servers that require TLS, ferry-get without FERRY_PLAINTEXT, the admin
// status of a server as JSON, and a real ClientHello for tests that stall mid-handshake.
#pragma once

#include "scopedenv.h"
#include "serverprocess.h"
#include "tlsrawclient.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tlstest {

// Arguments for a server that speaks TLS only (the harness adds --plaintext allow otherwise).
QStringList tlsOnly(QStringList more = {});

using Run = ServerProcess::RunResult;
// ferry-get with TLS (FERRY_PLAINTEXT removed) and $XDG_CONFIG_HOME = `configHome`, so its
// known-servers file is `configHome`/ferry/known-servers.
Run runGet(const QString &configHome, const QStringList &args, int timeoutMs = 120000);
QString knownServersFile(const QString &configHome);

// `ferry-ctl status --json` of the server ({} on failure).
QJsonObject adminStatus(const ServerProcess &server);
// Requests served by all of the server's workers so far; -1 if the status cannot be had.
qint64 requestsServed(const ServerProcess &server);

// The first bytes a QSslSocket sends: one whole TLS record holding its ClientHello.
QByteArray realClientHello();

using ferrytest::ScopedEnv;
// Lines of the server's audit log for `request` (any if empty) that ended with `result`; -1 if unreadable.
int auditLines(const ServerProcess &server, const QByteArray &request, const QByteArray &result);

QByteArray bytesOf(const std::string &digest);
QByteArray bytesOf(const proto::Sha256Digest &digest);
// The next answer as a DIGEST_REPLY's digest, or empty with *why (the frame that came instead).
QByteArray readDigest(TlsRawClient &client, QString *why);
// The pages of a MANIFEST answer up to the last; false with *why on anything else.
bool readManifest(TlsRawClient &client, std::vector<proto::ManifestPage> &pages, QString *why);

// Another TLS client of the server (of its one worker, in the suites that start one), which must be
// served while some other client keeps the worker busy: a STAT of "small.bin", a LIST of the root, then
// a GET of each of `bodies` (name, size) read whole. Within 20 s each. Check QTest::currentTestFailed()
// after it.
void serveOther(const ServerProcess &server,
                const std::vector<std::pair<std::string, uint64_t>> &bodies = {{"small.bin", 10000}});

} // namespace tlstest
