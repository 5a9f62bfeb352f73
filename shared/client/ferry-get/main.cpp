// ferry-get: the client engine on the command line.
#include "exitcodes.h"
#include "getcommand.h"
#include "interruptnotifier.h"
#include "knownserverscommand.h"
#include "lscommand.h"

#include "client/servertrust.h"
#include "ferry_version.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QTimer>

#include <cstdio>
#include <unistd.h>

using namespace ferry;

namespace {

int usageError(const QString &message)
{
    std::fprintf(stderr, "ferry-get: %s\nTry 'ferry-get --help'.\n", qPrintable(message));
    return get::ExitUsage;
}

void setUpParser(QCommandLineParser &parser)
{
    parser.setApplicationDescription(
        QStringLiteral("Downloads files and folders from a Ferry server.\n\n"
                       "  ferry-get [options] URL...     download files or whole folders\n"
                       "  ferry-get ls [--json] URL      list a remote folder like ls -l\n"
                       "  ferry-get known-servers list | remove HOST[:PORT]\n\n"
                       "URLs look like ferry://host[:port]/path[?fp=FINGERPRINT]; the default port is 4646.\n"
                       "ferry://a:4646,b:4646/path names several servers of one fleet, tried in order; a bare\n"
                       "domain uses its DNS SRV record _ferry._tcp.NAME when it has one.\n"
                       "Connections use TLS 1.3. A server is trusted when its identity matches its pin in\n"
                       "known-servers (pinned by --trust-new or a matching ?fp=), the URL's ?fp=, or a\n"
                       "certificate from a trusted authority; a changed identity is always refused.\n"
                       "Files are written as NAME.part and renamed when complete; an interrupted\n"
                       "download resumes from its .part when the remote file is unchanged.\n"
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
    parser.addOption({QStringLiteral("json"), QStringLiteral("ls: print JSON instead of a table.")});
    parser.addOption({QStringLiteral("no-progress"), QStringLiteral("Plain lines even on a terminal.")});
    parser.addOption({QStringLiteral("trust-new"),
                      QStringLiteral("Trust a server seen for the first time and pin its identity (compare it "
                                     "with ferry-ctl identity on the server first).")});
    parser.addOption({QStringLiteral("plaintext"),
                      QStringLiteral("Speak Ferry without TLS (servers run with --plaintext allow|only; "
                                     "nothing is encrypted or authenticated).")});
    parser.addPositionalArgument(QStringLiteral("URL"), QStringLiteral("ferry:// URLs of files or folders."),
                                 QStringLiteral("URL..."));
}

std::optional<client::FerryUrl> parseUrl(const QString &text, QString *error)
{
    auto url = client::FerryUrl::parse(text, error);
    if (url)
        client::ServerTrust::instance().requirePin(*url);
    return url;
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
    if (!options.outputFile.isEmpty() && options.urls.size() != 1)
        return QStringLiteral("-O takes exactly one URL");
    options.live = ::isatty(STDERR_FILENO) && !parser.isSet(QStringLiteral("no-progress"));
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

    client::ServerTrust &trust = client::ServerTrust::instance();
    trust.setTrustNew(parser.isSet(QStringLiteral("trust-new")));
    if (parser.isSet(QStringLiteral("plaintext")))
        trust.setPlaintext(true);
    QStringList args = parser.positionalArguments();
    if (!args.isEmpty() && args.first() == QLatin1String("known-servers"))
        return get::runKnownServers(args.mid(1));
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
    return exitCode;
}
