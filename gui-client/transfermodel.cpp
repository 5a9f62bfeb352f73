#include "transfermodel.h"

#include "fileicons.h"

#include "client/downloadjob.h"
#include "client/downloadqueue.h"
#include "desktop/plaintooltip.h"

#include <QApplication>
#include <QDir>
#include <QFileInfo>
#include <QLocale>
#include <QMimeData>
#include <QUrl>
#include <QStyle>

#include <algorithm>

namespace ferry::gui {

using client::DownloadJob;

// A saved header layout is restored only onto the columns it was saved for: when the columns change,
// give ColumnLayout the next number and update this line.
static_assert(TransferModel::ColumnCount == 7 && TransferModel::ColumnLayout == 2,
              "the columns changed: a new ColumnLayout");

TransferModel::TransferModel(client::DownloadQueue *queue, QObject *parent)
    : QAbstractTableModel(parent)
    , m_queue(queue)
    , m_icons(std::make_unique<FileIcons>())
{
    m_refreshTimer.setInterval(RefreshIntervalMs);
    connect(&m_refreshTimer, &QTimer::timeout, this, &TransferModel::refresh);
    connect(queue, &client::DownloadQueue::jobAdded, this, &TransferModel::onJobAdded);
    connect(queue, &client::DownloadQueue::jobRemoved, this, &TransferModel::onJobRemoved);
    connect(queue, &client::DownloadQueue::jobMoved, this, &TransferModel::onJobMoved);
    m_rows = queue->jobs();
    for (DownloadJob *job : std::as_const(m_rows))
        watch(job);
}

TransferModel::~TransferModel() = default;

DownloadJob *TransferModel::job(const QModelIndex &index) const
{
    if (!index.isValid() || index.model() != this || index.row() >= m_rows.size())
        return nullptr;
    return m_rows.at(index.row());
}

void TransferModel::onJobAdded(DownloadJob *job, int row)
{
    row = qBound(0, row, int(m_rows.size()));
    beginInsertRows(QModelIndex(), row, row);
    m_rows.insert(row, job);
    endInsertRows();
    watch(job);
    markDirty(job);
}

void TransferModel::onJobRemoved(quint64 id, int row)
{
    if (row < 0 || row >= m_rows.size() || m_rows.at(row)->id() != id)
        return;
    DownloadJob *job = m_rows.at(row);
    disconnect(job, nullptr, this, nullptr);
    m_dirty.remove(id);
    beginRemoveRows(QModelIndex(), row, row);
    m_rows.removeAt(row);
    endRemoveRows();
    emit totalsChanged();
}

void TransferModel::onJobMoved(quint64 id, int from, int to)
{
    if (from == to || from < 0 || from >= m_rows.size() || m_rows.at(from)->id() != id)
        return;
    to = qBound(0, to, int(m_rows.size()) - 1);
    // beginMoveRows wants the destination as it is before the move.
    beginMoveRows(QModelIndex(), from, from, QModelIndex(), to > from ? to + 1 : to);
    m_rows.move(from, to);
    endMoveRows();
}

void TransferModel::watch(DownloadJob *job)
{
    auto dirty = [this, job] { markDirty(job); };
    connect(job, &DownloadJob::stateChanged, this, dirty);
    connect(job, &DownloadJob::statusTextChanged, this, dirty);
    connect(job, &DownloadJob::progressChanged, this, dirty);
}

void TransferModel::markDirty(DownloadJob *job)
{
    m_dirty.insert(job->id());
    if (!m_refreshTimer.isActive())
        m_refreshTimer.start();
}

// One dataChanged per run of adjacent dirty rows. Active rows are always
// refreshed: their speed and ETA change even when no progress signal came.
void TransferModel::refresh()
{
    QList<int> rows;
    bool anyActive = false;
    for (int row = 0; row < m_rows.size(); ++row) {
        const DownloadJob *job = m_rows.at(row);
        const bool active = job->isActive();
        anyActive = anyActive || active;
        if (active || m_dirty.contains(job->id()))
            rows.append(row);
    }
    m_dirty.clear();
    if (!anyActive)
        m_refreshTimer.stop();
    for (int i = 0; i < rows.size();) {
        int j = i;
        while (j + 1 < rows.size() && rows.at(j + 1) == rows.at(j) + 1)
            ++j;
        emit dataChanged(index(rows.at(i), 0), index(rows.at(j), ColumnCount - 1));
        i = j + 1;
    }
    ++m_refreshes;
    emit totalsChanged();
}

TransferModel::Totals TransferModel::totals() const
{
    Totals t;
    for (const DownloadJob *job : m_rows) {
        const DownloadJob::State state = job->state();
        if (job->isActive()) {
            ++t.active;
            t.bytesPerSecond += job->bytesPerSecond();
        } else if (state == DownloadJob::State::Queued) {
            ++t.waiting;
        } else if (state == DownloadJob::State::Failed) {
            ++t.failed;
        }
        if ((job->isActive() || state == DownloadJob::State::Queued) && job->totalBytes() >= 0) {
            t.remainingBytes += qMax<qint64>(0, job->totalBytes() - job->receivedBytes());
            t.pendingTotalBytes += job->totalBytes();
        }
    }
    return t;
}

int TransferModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int TransferModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString TransferModel::formatEta(qint64 seconds)
{
    if (seconds < 0)
        return tr("unknown");
    if (seconds < 60)
        return tr("%1 s").arg(seconds);
    if (seconds < 3600)
        return tr("%1 min %2 s").arg(seconds / 60).arg(seconds % 60);
    return tr("%1 h %2 min").arg(seconds / 3600).arg(seconds % 3600 / 60);
}

static QString stateText(DownloadJob::State state)
{
    switch (state) {
    case DownloadJob::State::Queued:
        return TransferModel::tr("Queued");
    case DownloadJob::State::Connecting:
        return TransferModel::tr("Connecting");
    case DownloadJob::State::Transferring:
        return TransferModel::tr("Downloading");
    case DownloadJob::State::Paused:
        return TransferModel::tr("Paused");
    case DownloadJob::State::Finishing:
        return TransferModel::tr("Finishing");
    case DownloadJob::State::Done:
        return TransferModel::tr("Done");
    case DownloadJob::State::Failed:
        return TransferModel::tr("Failed");
    case DownloadJob::State::Canceled:
        return TransferModel::tr("Canceled");
    }
    return QString();
}

// The first line of `text` that has anything on it. A row is one line high, and some errors are a whole
// warning (a changed identity's starts with an empty line): the row shows its headline, the tooltip all.
static QString headline(const QString &text)
{
    const QStringList lines = text.split(u'\n', Qt::SkipEmptyParts);
    for (const QString &line : lines) {
        if (!line.trimmed().isEmpty())
            return line.trimmed();
    }
    return QString();
}

// The engine's status line is most telling while a job waits or retries; in the
// other states the state itself (or the error) is what a user wants to read.
static QString statusText(const DownloadJob *job)
{
    switch (job->state()) {
    case DownloadJob::State::Failed:
        return TransferModel::tr("Failed: %1").arg(headline(job->errorString()));
    case DownloadJob::State::Connecting:
        return job->statusText().isEmpty() ? stateText(job->state()) : job->statusText();
    case DownloadJob::State::Done:
        if (job->isVerified())
            return TransferModel::tr("Verified · SHA-256 %1…").arg(QString::fromLatin1(job->sha256().toHex().left(12)));
        return job->wasSkipped() ? job->statusText() : stateText(job->state());
    case DownloadJob::State::Queued:
    case DownloadJob::State::Transferring:
    case DownloadJob::State::Paused:
    case DownloadJob::State::Finishing:
    case DownloadJob::State::Canceled:
        break;
    }
    return stateText(job->state());
}

static QVariant statusIcon(DownloadJob::State state)
{
    QStyle *style = QApplication::style();
    switch (state) {
    case DownloadJob::State::Failed:
        return style->standardIcon(QStyle::SP_MessageBoxWarning);
    case DownloadJob::State::Done:
        return style->standardIcon(QStyle::SP_DialogApplyButton);
    case DownloadJob::State::Paused:
        return style->standardIcon(QStyle::SP_MediaPause);
    case DownloadJob::State::Queued:
    case DownloadJob::State::Connecting:
    case DownloadJob::State::Transferring:
    case DownloadJob::State::Finishing:
    case DownloadJob::State::Canceled:
        break;
    }
    return QVariant();
}

static int perMille(const DownloadJob *job)
{
    if (job->state() == DownloadJob::State::Done)
        return 1000;
    if (job->totalBytes() <= 0)
        return -1;
    return int(qBound(qint64(0), job->receivedBytes() * 1000 / job->totalBytes(), qint64(1000)));
}

QVariant TransferModel::displayData(const DownloadJob *job, int column) const
{
    const bool transferring = job->state() == DownloadJob::State::Transferring;
    switch (Column(column)) {
    case NameColumn:
        return job->fileName();
    case SizeColumn:
        return job->totalBytes() < 0 ? QString() : QLocale().formattedDataSize(job->totalBytes());
    case ProgressColumn:
        return perMille(job) < 0 ? QString() : QStringLiteral("%1%").arg(perMille(job) / 10.0, 0, 'f', 1);
    case SpeedColumn:
        return transferring ? tr("%1/s").arg(QLocale().formattedDataSize(job->bytesPerSecond())) : QString();
    case EtaColumn:
        return transferring ? formatEta(job->etaSeconds()) : QString();
    case StatusColumn:
        return statusText(job);
    case FolderColumn:
        return QDir::toNativeSeparators(QFileInfo(job->localPath()).absolutePath());
    case ColumnCount:
        break;
    }
    return QVariant();
}

QVariant TransferModel::toolTip(const DownloadJob *job) const
{
    QString tip = job->url().toString() + u'\n' + job->localPath();
    if (job->state() == DownloadJob::State::Failed)
        tip += u'\n' + tr("Failed: %1").arg(job->errorString()) + u'\n' + tr("Retry with Ctrl+R.");
    else if (!job->statusText().isEmpty())
        tip += u'\n' + job->statusText();
    if (job->isVerified())
        tip += u'\n' + tr("Every chunk matched the server's manifest.\nSHA-256: %1")
                          .arg(QString::fromLatin1(job->sha256().toHex()));
    for (const QString &dropped : job->droppedSources())
        tip += u'\n' + tr("Not used: %1").arg(dropped);
    return desktop::plainToolTip(tip);
}

QVariant TransferModel::data(const QModelIndex &index, int role) const
{
    const DownloadJob *job = this->job(index);
    if (!job)
        return QVariant();
    switch (role) {
    case Qt::DisplayRole:
        return displayData(job, index.column());
    case Qt::ToolTipRole:
        return toolTip(job);
    case Qt::DecorationRole:
        if (index.column() == NameColumn)
            return m_icons->fileIcon(job->fileName());
        // A verified row's status cell is a widget with its own icon (verifiedcell.h).
        return index.column() == StatusColumn && !job->isVerified() ? statusIcon(job->state()) : QVariant();
    case Qt::TextAlignmentRole:
        if (index.column() == SizeColumn || index.column() == SpeedColumn || index.column() == EtaColumn)
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        return QVariant();
    case ProgressRole:
        return perMille(job);
    case Sha256Role:
        return job->isVerified() ? QString::fromLatin1(job->sha256().toHex()) : QString();
    case JobIdRole:
        return job->id();
    case StateRole:
        return int(job->state());
    case LocalPathRole:
        return job->localPath();
    default:
        return QVariant();
    }
}

QVariant TransferModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    static const char *const names[] = {
        QT_TR_NOOP("Name"), QT_TR_NOOP("Size"), QT_TR_NOOP("Progress"),
        QT_TR_NOOP("Speed"), QT_TR_NOOP("ETA"), QT_TR_NOOP("Status"), QT_TR_NOOP("Folder"),
    };
    return section >= 0 && section < ColumnCount ? tr(names[section]) : QVariant();
}

Qt::ItemFlags TransferModel::flags(const QModelIndex &index) const
{
    return QAbstractTableModel::flags(index) | (index.isValid() ? Qt::ItemIsDragEnabled : Qt::NoItemFlags);
}

QStringList TransferModel::mimeTypes() const
{
    return {QStringLiteral("text/uri-list"), QStringLiteral("text/plain")};
}

QMimeData *TransferModel::mimeData(const QModelIndexList &indexes) const
{
    QList<QUrl> files;
    QStringList links;
    QSet<int> rows;
    for (const QModelIndex &index : indexes) {
        const DownloadJob *download = job(index);
        if (!download || rows.contains(index.row()))
            continue;
        rows.insert(index.row());
        links << download->url().toString();
        if (download->state() == DownloadJob::State::Done && QFileInfo::exists(download->localPath()))
            files << QUrl::fromLocalFile(download->localPath());
    }
    auto *data = new QMimeData;
    data->setUrls(files);
    data->setText(links.join(u'\n'));
    return data;
}

} // namespace ferry::gui
