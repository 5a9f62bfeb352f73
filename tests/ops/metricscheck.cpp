#include "metricscheck.h"

#include <QDeadlineTimer>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTcpSocket>

namespace opstest {

QString metricsAddress(const ServerProcess &server)
{
    static const QRegularExpression line(QStringLiteral("metrics on http://([^/\\s]+)/metrics"));
    const auto match = line.match(QString::fromUtf8(server.stderrText()));
    return match.hasMatch() ? match.captured(1) : QString();
}

QByteArray exchange(const QString &hostPort, const QByteArray &request, int timeoutMs)
{
    const qsizetype colon = hostPort.lastIndexOf(QLatin1Char(':'));
    QTcpSocket socket;
    socket.connectToHost(hostPort.left(colon), hostPort.mid(colon + 1).toUShort());
    if (!socket.waitForConnected(timeoutMs))
        return {};
    socket.write(request);
    QByteArray reply;
    const QDeadlineTimer deadline(timeoutMs);
    while (socket.state() == QAbstractSocket::ConnectedState && !deadline.hasExpired()) {
        socket.waitForReadyRead(int(qMax<qint64>(1, deadline.remainingTime())));
        reply += socket.readAll();
    }
    return reply + socket.readAll();
}

ToolResult runTool(const QString &program, const QStringList &args, const QByteArray &input)
{
    ToolResult result;
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.start(program, args);
    if (!process.waitForStarted(10000)) {
        result.out = (program + QStringLiteral(" did not start: ") + process.errorString()).toUtf8();
        return result;
    }
    process.write(input);
    process.closeWriteChannel();
    if (!process.waitForFinished(60000)) {
        process.kill();
        process.waitForFinished();
        result.out = program.toUtf8() + " did not finish within 60 s";
        return result;
    }
    result.out = process.readAll();
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    return result;
}

QString promtoolComplaint(const QByteArray &text)
{
    const QString promtool = QStandardPaths::findExecutable(QStringLiteral("promtool"));
    if (promtool.isEmpty())
        return QStringLiteral("promtool is not installed (package prometheus; run scripts/bootstrap)");
    const ToolResult r = runTool(promtool, {QStringLiteral("check"), QStringLiteral("metrics")}, text);
    // promtool prints lint findings and exits 1 for them too; either way the text is not clean.
    return r.exitCode == 0 && r.out.trimmed().isEmpty() ? QString() : QString::fromUtf8(r.out);
}

QString parserComplaint(const QByteArray &text, const char *format)
{
    // Debian's python3 on purpose: a python3 earlier on the PATH may not see Debian's packages.
    const ToolResult r = runTool(QStringLiteral("/usr/bin/python3"),
                                 {QStringLiteral(FERRY_SOURCE_DIR "/tests/ops/parse_metrics.py"),
                                  QString::fromLatin1(format)},
                                 text);
    return r.exitCode == 0 ? QString() : QString::fromUtf8(r.out);
}

} // namespace opstest
