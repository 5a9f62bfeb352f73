// What ferry-get shows while downloading: live bars on a terminal, plain lines otherwise.
#pragma once

#include <QList>
#include <QObject>
#include <QTimer>

#include <cstdio>

namespace ferry::client {
class DownloadJob;
class DownloadQueue;
} // namespace ferry::client

namespace ferry::get {

class ProgressPrinter : public QObject
{
    Q_OBJECT
public:
    // `live`: redraw progress bars in place on `out` (a terminal); otherwise one
    // line per start, completion and failure.
    ProgressPrinter(client::DownloadQueue *queue, bool live, FILE *out, QObject *parent = nullptr);

    // Draws the final state (live mode) so the bars do not vanish mid-line.
    void finish();

private:
    void onJobAdded(client::DownloadJob *job);
    void onStateChanged(client::DownloadJob *job);
    void markDirty();
    void redraw();
    void clearBars();
    void printLine(const QString &line);
    void printVerified(const client::DownloadJob *job);
    QString barLine(const client::DownloadJob *job, int width) const;

    client::DownloadQueue *m_queue;
    bool m_live;
    FILE *m_out;
    QTimer m_redrawTimer;
    bool m_dirty = false;
    int m_drawnLines = 0;
};

QString formatBytes(qint64 bytes);
QString formatEta(qint64 seconds);

} // namespace ferry::get
