// The transfer list: one row per download job of a DownloadQueue.
#pragma once

#include <QAbstractTableModel>
#include <QList>
#include <QSet>
#include <QTimer>

#include <memory>

class QMimeData;

namespace ferry::client {
class DownloadJob;
class DownloadQueue;
}

namespace ferry::gui {

class FileIcons;

// Mirrors the queue row for row (the queue announces every insertion, removal and
// move with its row). Job signals only mark rows dirty; a ~200 ms timer turns them
// into one dataChanged per contiguous range, so a dozen fast downloads cost a few
// repaints a second instead of one per received block. The timer runs only while
// something is dirty or active, so an idle window does no work.
class TransferModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { NameColumn, SizeColumn, ProgressColumn, SpeedColumn, EtaColumn, StatusColumn, FolderColumn,
                  ColumnCount };
    // Which columns these are, for saved header layouts (Settings::headerState): a layout saved for other
    // columns is not restored onto these. 1: before Folder; 2: with it. Any change of the columns needs
    // the next number (see the assertion in transfermodel.cpp).
    static constexpr int ColumnLayout = 2;
    enum Role {
        ProgressRole = Qt::UserRole + 1, // 0..1000 per mille, -1 while the size is unknown
        JobIdRole,
        StateRole, // DownloadJob::State as int
        LocalPathRole,
        Sha256Role, // hex SHA-256 of a verified download, "" otherwise
    };
    static constexpr int RefreshIntervalMs = 200;

    struct Totals {
        int active = 0;  // transferring or connecting
        int waiting = 0; // queued
        int failed = 0;
        qint64 bytesPerSecond = 0;
        qint64 remainingBytes = 0; // of active and queued jobs with a known size
        qint64 pendingTotalBytes = 0; // their whole size, so that progress = 1 - remaining / total
    };

    explicit TransferModel(client::DownloadQueue *queue, QObject *parent = nullptr);
    ~TransferModel() override;

    client::DownloadQueue *queue() const { return m_queue; }
    client::DownloadJob *job(const QModelIndex &index) const;
    Totals totals() const;
    // Number of dataChanged batches emitted so far (for tests of the throttle).
    int refreshCount() const { return m_refreshes; }

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    // Rows drag out to a file manager as the files they downloaded: text/uri-list holds a file:// URL
    // for each finished row (a file manager copies only files that exist), text/plain every row's
    // ferry:// link. Rows still downloading carry only their link.
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    QStringList mimeTypes() const override;
    QMimeData *mimeData(const QModelIndexList &indexes) const override;

    static QString formatEta(qint64 seconds);

signals:
    // After each refresh batch: the status bar redraws its totals from totals().
    void totalsChanged();

private:
    void onJobAdded(ferry::client::DownloadJob *job, int row);
    void onJobRemoved(quint64 id, int row);
    void onJobMoved(quint64 id, int from, int to);
    void watch(client::DownloadJob *job);
    void markDirty(client::DownloadJob *job);
    void refresh();
    QVariant displayData(const client::DownloadJob *job, int column) const;
    QVariant toolTip(const client::DownloadJob *job) const;

    client::DownloadQueue *m_queue;
    QList<client::DownloadJob *> m_rows; // the queue's order, kept in step with its signals
    QSet<quint64> m_dirty; // a set: a mirrored folder can add thousands of rows at once
    std::unique_ptr<FileIcons> m_icons;
    QTimer m_refreshTimer;
    int m_refreshes = 0;
};

} // namespace ferry::gui
