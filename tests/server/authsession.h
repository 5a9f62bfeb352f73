// What the AUTH suites (tst_server_authgrants, tst_server_authlimits, tst_server_filetoken) share: tokens
// made and listed with the real ferry-ctl, and a version 2 connection that authenticates with one
// (docs/PROTOCOL.md §10.2).
#pragma once

#include "serverprocess.h"
#include "testclient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <variant>

namespace ferrytest {

inline ServerProcess::RunResult ctl(const ServerProcess &server, QStringList args)
{
    return ServerProcess::runProgram(QStringLiteral(CTL_BIN),
                                     QStringList{"--admin-socket", server.adminSocketPath()} + args);
}

// `token create ARGS`: the secret, or "" (with the reason in `why`).
inline QString createToken(const ServerProcess &server, const QStringList &args, QString *why = nullptr)
{
    const ServerProcess::RunResult created = ctl(server, QStringList{"token", "create", "--json"} + args);
    const QJsonObject reply = QJsonDocument::fromJson(created.out).object();
    if (why)
        *why = QString::fromUtf8(created.err);
    return reply.value("secret").toString();
}

// `token list`'s one token, or an empty object when there is not exactly one.
inline QJsonObject onlyToken(const ServerProcess &server)
{
    const QJsonArray tokens = QJsonDocument::fromJson(ctl(server, {"token", "list", "--json"}).out).array();
    return tokens.size() == 1 ? tokens.first().toObject() : QJsonObject();
}

// HELLO version 2, then AUTH: the reply, or the refusal in `status`.
inline Status authenticate(TestClient &client, const ServerProcess &server, const QString &secret,
                           proto::AuthReply *reply = nullptr)
{
    Status opened = client.connectTo(server.host(), server.port());
    if (opened.ok())
        opened = client.hello("ferry-tests/2", proto::ProtocolVersion2);
    if (!opened.ok() || !client.send(proto::AuthRequest{secret.toStdString()}))
        return opened.ok() ? Status::of(Outcome::Failed, "send AUTH") : opened;
    proto::Message answer;
    Status read = client.readMessage(&answer);
    if (!read.ok())
        return read;
    if (auto *error = std::get_if<proto::Error>(&answer)) {
        Status refused = Status::of(Outcome::Error, error->message);
        refused.code = error->code;
        return refused;
    }
    auto *granted = std::get_if<proto::AuthReply>(&answer);
    if (!granted)
        return Status::of(Outcome::Protocol, "not AUTH_REPLY");
    if (reply)
        *reply = *granted;
    return read;
}

inline bool closedOrReset(const Status &s)
{
    return s.outcome == Outcome::Closed || s.outcome == Outcome::Reset;
}

} // namespace ferrytest
