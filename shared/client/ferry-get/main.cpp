// ferry-get: the client engine on the command line.
#include "commandoptions.h"
#include "exitcodes.h"
#include "getcommand.h"
#include "interruptnotifier.h"
#include "knownserverscommand.h"
#include "lscommand.h"
#include "sumcommand.h"
#include "terminaltext.h"

#include "client/servertokens.h"
#include "client/servertrust.h"
#include "ferry_version.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFileInfo>
#include <QRegularExpression>
#include <QTimer>

#include <cstdio>
#include <unistd.h>

using namespace ferry;

namespace {

int usageError(const QString &message)
{
    std::fprintf(stderr, "ferry-get: %s\nTry 'ferry-get --help'.\n", qPrintable(get::shownText(message)));
    return get::ExitUsage;
}

void setUpParser(QCommandLineParser &parser)
{
    parser.setApplicationDescription(
        QStringLiteral("Downloads files and folders from a Ferry server.\n\n"
                       "  ferry-get [options] URL...     download files or whole folders\n"
                       "                                 (URLs with the same path on other servers are\n"
                       "                                 mirrors: one file, its chunks from all of them)\n"
                       "  ferry-get ls [--json] URL      list a remote folder like ls -l\n"
                       "  ferry-get sum URL...           print each remote file's SHA-256 as sha256sum does,\n"
                       "                                 without downloading it (check with sha256sum -c)\n"
                       "  ferry-get known-servers list | remove HOST[:PORT]\n\n"
                       "An option that does not apply to the command is refused: only downloads read -o, -O,\n"
                       "-j, --on-exists, --sha256, --streams, --no-verify and --no-progress; only ls reads\n"
                       "--json; known-servers reads none.\n\n"
                       "URLs look like ferry://host[:port]/path[?fp=FINGERPRINT]; the default port is 4646.\n"
                       "ferry://a:4646,b:4646/path names several servers of one fleet, tried in order; a bare\n"
                       "domain uses its DNS SRV record _ferry._tcp.NAME when it has one.\n"
                       "Connections use TLS 1.3. A server is trusted when its identity matches its pin in\n"
                       "known-servers (pinned by --trust-new or a matching ?fp=), the URL's ?fp=, or a\n"
                       "certificate from a trusted authority; a changed identity is always refused.\n"
                       "Files are written as NAME.part and renamed when complete; an interrupted\n"
                       "download resumes from its .part when the remote file is unchanged.\n"
                       "A server that offers manifests has every chunk checked as it arrives, over up\n"
                       "to the connections it allows; the SHA-256 of each verified file is printed on\n"
                       "standard output in sha256sum's format.\n"
                       "Progress and messages go to standard error: live bars on a terminal,\n"
                       "otherwise one line per file.\n\n")
        + QString::fromLatin1(get::exitCodeHelp()));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addOption({{QStringLiteral("o"), QStringLiteral("output")},
                      QStringLiteral("Save into DIR (default: the current folder)."), QStringLiteral("DIR"),
                      QStringLiteral(".")});
    parser.addOption({{QStringLiteral("O"), QStringLiteral("output-file")},
                      QStringLiteral("Save the one file URL exactly as FILE; '-' writes to standard output, "
                                     "a device such as /dev/null is written directly (no .part, no resume)."),
                      QStringLiteral("FILE")});
    parser.addOption({{QStringLiteral("j"), QStringLiteral("jobs")},
                      QStringLiteral("Download N files at a time (default 3)."), QStringLiteral("N"),
                      QStringLiteral("3")});
    parser.addOption({QStringLiteral("on-exists"),
                      QStringLiteral("When a file exists: rename (save as 'name (1).ext', the default), "
                                     "overwrite, skip, or resume."),
                      QStringLiteral("POLICY"), QStringLiteral("rename")});
    parser.addOption({QStringLiteral("sha256"),
                      QStringLiteral("The one file must have this SHA-256 (64 hex digits), e.g. one published "
                                     "elsewhere; otherwise it stays a .part and ferry-get fails."),
                      QStringLiteral("HEX")});
    parser.addOption({QStringLiteral("streams"),
                      QStringLiteral("At most N connections per server for one file (default: as many as the "
                                     "server allows, up to 8)."),
                      QStringLiteral("N")});
    parser.addOption({QStringLiteral("no-verify"),
                      QStringLiteral("Do not check chunks against the server's manifest (size and mtime only).")});
    parser.addOption({QStringLiteral("json"), QStringLiteral("ls: print JSON instead of a table.")});
    parser.addOption({QStringLiteral("no-progress"), QStringLiteral("Plain lines even on a terminal.")});
    parser.addOption({QStringLiteral("trust-new"),
                      QStringLiteral("Trust a server seen for the first time and pin its identity (compare it "
                                     "with ferry-ctl identity on the server first).")});
    parser.addOption({QStringLiteral("token"),
                      QStringLiteral("Present this access token to the servers of the URLs (as a capability "
                                     "link's token= does). Prefer FERRY_TOKEN in the environment: a command "
                                     "line is visible to other users of this machine."),
                      QStringLiteral("TOKEN")});
    parser.addOption({QStringLiteral("plaintext"),
                      QStringLiteral("Speak Ferry without TLS (servers run with --plaintext allow|only; "
                                     "nothing is encrypted or authenticated).")});
    parser.addPositionalArgument(QStringLiteral("URL"), QStringLiteral("ferry:// URLs of files or folders."),
                                 QStringLiteral("URL..."));
}

std::optional<client::FerryUrl> parseUrl(const QString &text, QString *error)
{
    auto url = client::FerryUrl::parse(text, error);
    if (url) {
        client::ServerTrust::instance().requirePin(*url);
        client::ServerTokens::instance().remember(*url);
    }
    return url;
}

// --sha256, --streams and --no-verify; an error message for a usage error.
QString readVerifyOptions(const QCommandLineParser &parser, get::GetOptions &options)
{
    if (parser.isSet(QStringLiteral("sha256"))) {
        const QString hex = parser.value(QStringLiteral("sha256")).trimmed().toLower();
        static const QRegularExpression sha256Hex(QStringLiteral("^[0-9a-f]{64}$"));
        if (!sha256Hex.match(hex).hasMatch())
            return QStringLiteral("--sha256 takes 64 hexadecimal digits");
        if (get::GetCommand::mirrorGroups(options.urls).size() != 1)
            return QStringLiteral("--sha256 takes exactly one file (its mirrors may follow)");
        options.expectedSha256 = QByteArray::fromHex(hex.toLatin1());
    }
    if (parser.isSet(QStringLiteral("streams"))) {
        bool ok = false;
        options.streams = parser.value(QStringLiteral("streams")).toInt(&ok);
        if (!ok || options.streams < 1 || options.streams > 8)
            return QStringLiteral("--streams takes a number from 1 to 8");
    }
    options.verify = !parser.isSet(QStringLiteral("no-verify"));
    if (!options.verify && !options.expectedSha256.isEmpty())
        return QStringLiteral("--sha256 needs verification: drop --no-verify");
    return {};
}

// Builds the download options; returns an error message for a usage error.
QString readGetOptions(const QCommandLineParser &parser, const QStringList &args, get::GetOptions &options)
{
    for (const QString &arg : args) {
        QString error;
        const auto url = parseUrl(arg, &error);
        if (!url)
            return error;
        options.urls.append(*url);
    }
    bool ok = false;
    options.jobs = parser.value(QStringLiteral("jobs")).toInt(&ok);
    if (!ok || options.jobs < 1 || options.jobs > 64)
        return QStringLiteral("--jobs takes a number from 1 to 64");
    const auto policy = client::policyFromName(parser.value(QStringLiteral("on-exists")));
    if (!policy)
        return QStringLiteral("--on-exists takes rename, overwrite, skip or resume");
    options.onExists = *policy;
    options.outputDir = parser.value(QStringLiteral("output"));
    options.outputFile = parser.value(QStringLiteral("output-file"));
    if (!options.outputFile.isEmpty() && get::GetCommand::mirrorGroups(options.urls).size() != 1)
        return QStringLiteral("-O takes exactly one URL (its mirrors may follow)");
    // Else the file would be saved beside the folder as "DIR (1)", as a name taken by a file is.
    if (QFileInfo(options.outputFile).isDir())
        return QStringLiteral("-O %1 is a folder: -O names the file to write; save into a folder with -o %1")
            .arg(options.outputFile);
    options.live = ::isatty(STDERR_FILENO) && !parser.isSet(QStringLiteral("no-progress"));
    return readVerifyOptions(parser, options);
}

// --token (or FERRY_TOKEN) is for the servers the URLs name, and for those a bare domain's SRV record
// names (ServerTokens::extendTo): a link's own token= still wins for its server. The URLs stay as written
// (a link rewritten with its port would no longer be a bare domain).
QString applyToken(const QString &token, const QStringList &args)
{
    if (!client::FerryUrl::isTokenText(token))
        return QStringLiteral("--token is not an access token (letters, digits, - and _, as ferry-ctl token "
                              "create prints it)");
    for (const QString &arg : args) {
        const auto url = client::FerryUrl::parse(arg);
        if (!url || !url->token().isEmpty())
            continue;
        for (const client::ServerAddress &server : url->servers())
            client::ServerTokens::instance().set(server.host, server.port, token);
    }
    return {};
}

} // namespace

int main(int argc, char *argv[])
{
    get::InterruptNotifier::blockSignals();
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("ferry-get"));
    QCoreApplication::setApplicationVersion(QStringLiteral(FERRY_VERSION));

    QCommandLineParser parser;
    setUpParser(parser);
    if (!parser.parse(QCoreApplication::arguments()))
        return usageError(parser.errorText());
    if (parser.isSet(QStringLiteral("help"))) {
        std::fputs(qPrintable(parser.helpText()), stdout);
        return get::ExitSuccess;
    }
    if (parser.isSet(QStringLiteral("version"))) {
        std::printf("ferry-get %s\n", qPrintable(QCoreApplication::applicationVersion()));
        return get::ExitSuccess;
    }

    QStringList args = parser.positionalArguments();
    if (const QString error = get::optionNotFor(parser, get::commandOf(args)); !error.isEmpty())
        return usageError(error);
    client::ServerTrust &trust = client::ServerTrust::instance();
    trust.setTrustNew(parser.isSet(QStringLiteral("trust-new")));
    if (parser.isSet(QStringLiteral("plaintext")))
        trust.setPlaintext(true);
    QString token = parser.isSet(QStringLiteral("token")) ? parser.value(QStringLiteral("token"))
                                                           : qEnvironmentVariable("FERRY_TOKEN");
    if (!args.isEmpty() && args.first() == QLatin1String("known-servers"))
        return get::runKnownServers(args.mid(1)); // speaks to no server: FERRY_TOKEN is not its business
    if (!token.isEmpty()) {
        if (const QString error = applyToken(token, args); !error.isEmpty())
            return usageError(error);
    }
    int exitCode = get::ExitSuccess;
    QObject *command = nullptr;
    if (!args.isEmpty() && args.first() == QLatin1String("ls")) {
        args.removeFirst();
        if (args.size() != 1)
            return usageError(QStringLiteral("ls takes exactly one URL"));
        QString error;
        const auto url = parseUrl(args.first(), &error);
        if (!url)
            return usageError(error);
        auto *ls = new get::LsCommand(*url, parser.isSet(QStringLiteral("json")), &app);
        QObject::connect(ls, &get::LsCommand::finished, &app, [&exitCode](int code) {
            exitCode = code;
            QCoreApplication::quit();
        });
        QTimer::singleShot(0, ls, &get::LsCommand::start);
        command = ls;
    } else if (!args.isEmpty() && args.first() == QLatin1String("sum")) {
        args.removeFirst();
        if (args.isEmpty())
            return usageError(QStringLiteral("sum takes one or more URLs"));
        QList<client::FerryUrl> urls;
        for (const QString &arg : args) {
            QString error;
            const auto url = parseUrl(arg, &error);
            if (!url)
                return usageError(error);
            urls.append(*url);
        }
        auto *sum = new get::SumCommand(urls, &app);
        QObject::connect(sum, &get::SumCommand::finished, &app, [&exitCode](int code) {
            exitCode = code;
            QCoreApplication::quit();
        });
        QTimer::singleShot(0, sum, &get::SumCommand::start);
        command = sum;
    } else {
        if (args.isEmpty())
            return usageError(QStringLiteral("no URL given"));
        get::GetOptions options;
        if (const QString error = readGetOptions(parser, args, options); !error.isEmpty())
            return usageError(error);
        auto *getter = new get::GetCommand(options, &app);
        QObject::connect(getter, &get::GetCommand::finished, &app, [&exitCode](int code) {
            exitCode = code;
            QCoreApplication::quit();
        });
        QTimer::singleShot(0, getter, &get::GetCommand::start);
        command = getter;
    }
    // Ctrl-C or SIGTERM: stop every transfer (their .part files stay for a later run to
    // resume) and leave the terminal clean, with the shell's usual 128 + signal code.
    get::InterruptNotifier interrupts;
    QObject::connect(&interrupts, &get::InterruptNotifier::interrupted, &app, [&exitCode, command](int signal) {
        if (auto *getter = qobject_cast<get::GetCommand *>(command))
            getter->interrupt();
        std::fprintf(stderr, "ferry-get: interrupted; partial downloads are kept as .part files, "
                             "run the same command again to resume\n");
        exitCode = 128 + signal;
        QCoreApplication::quit();
    });
    app.exec();
    // Its connections close while the application still exists: Qt's TLS backend needs it then, and
    // warns on stderr if they close in ~QCoreApplication.
    delete command;
    return exitCode;
}
