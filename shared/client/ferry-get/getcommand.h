// `ferry-get URL...`: downloads through a DownloadQueue and turns the outcome into an exit code.
#pragma once

#include "client/clienttypes.h"
#include "client/ferryurl.h"

#include <QList>
#include <QObject>
#include <QString>

namespace ferry::client {
class DownloadJob;
class DownloadQueue;
}

namespace ferry::get {

class ProgressPrinter;

struct GetOptions {
    QList<client::FerryUrl> urls;
    QString outputDir = QStringLiteral(".");
    QString outputFile; // -O: the single URL's file goes exactly here ("-": standard output)
    int jobs = 3;
    client::ExistingFilePolicy onExists = client::ExistingFilePolicy::Rename;
    bool live = false; // progress bars (stderr is a terminal)
    QByteArray expectedSha256; // --sha256, raw bytes: the one file must have this digest
    int streams = 0;           // --streams: connections per server for one file; 0 = what it allows
    bool verify = true;        // --no-verify: the unverified path, as with a version 1 server
};

class GetCommand : public QObject
{
    Q_OBJECT
public:
    explicit GetCommand(const GetOptions &options, QObject *parent = nullptr);

    void start();
    // Pauses every job (keeping their .part files) and tidies the display.
    void interrupt();
    int exitCode() const { return m_exitCode; }
    // The URLs grouped by path, in order: each group is one file and its mirrors.
    static QList<QList<client::FerryUrl>> mirrorGroups(const QList<client::FerryUrl> &urls);

signals:
    void finished(int exitCode);

private:
    void onIdle();
    void setUpJob(client::DownloadJob *job);
    void noteFailure(client::ErrorKind kind);

    GetOptions m_options;
    client::DownloadQueue *m_queue;
    ProgressPrinter *m_printer;
    int m_exitCode = 0;
};

} // namespace ferry::get
