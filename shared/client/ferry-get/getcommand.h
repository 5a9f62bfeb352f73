// `ferry-get URL...`: downloads through a DownloadQueue and turns the outcome into an exit code.
#pragma once

#include "client/clienttypes.h"
#include "client/ferryurl.h"

#include <QList>
#include <QObject>
#include <QString>

namespace ferry::client {
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

signals:
    void finished(int exitCode);

private:
    void onIdle();
    void noteFailure(client::ErrorKind kind);

    GetOptions m_options;
    client::DownloadQueue *m_queue;
    ProgressPrinter *m_printer;
    int m_exitCode = 0;
};

} // namespace ferry::get
