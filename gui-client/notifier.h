// What deserves a notification: downloads that finished, or failed for good.
#pragma once

#include <QList>
#include <QObject>
#include <QString>
#include <QTimer>

namespace ferry::client {
class DownloadJob;
class DownloadQueue;
}

namespace ferry::gui {

// Watches a queue and says, in a few words, what a user away from the window would
// want to know. Finished downloads are gathered for a moment, so that a folder of a
// hundred small files makes one notification, not a hundred; a download that fails
// for good is said at once. It shows nothing itself: the window decides where (its
// notification bar, the tray).
class Notifier : public QObject
{
    Q_OBJECT
public:
    // How long finished downloads are gathered into one notification.
    static constexpr int GatherMs = 1500;

    explicit Notifier(client::DownloadQueue *queue, QObject *parent = nullptr);

signals:
    // `filePath` is the one finished file, if there is exactly one ("" otherwise).
    void notify(const QString &title, const QString &text, const QString &filePath, bool failure);

private:
    void watch(client::DownloadJob *job);
    void onFinished(client::DownloadJob *job);
    void flush();

    client::DownloadQueue *m_queue;
    QList<QString> m_done; // local paths finished since the last notification
    QTimer m_gather;
};

} // namespace ferry::gui
