#include "transferview.h"

#include "confirmdialog.h"
#include "progressdelegate.h"
#include "queueactions.h"
#include "settings.h"
#include "transfermodel.h"
#include "verifiedcell.h"

#include "client/downloadjob.h"
#include "client/downloadqueue.h"

#include <QAction>
#include <QClipboard>
#include <QDesktopServices>
#include <QDropEvent>
#include <QFile>
#include <QGuiApplication>
#include <QMimeData>
#include <QFileInfo>
#include <QHeaderView>
#include <QLocale>
#include <QMenu>
#include <QStyle>
#include <QToolBar>
#include <QTreeView>
#include <QUrl>
#include <QVBoxLayout>

namespace ferry::gui {

using client::DownloadJob;
using State = DownloadJob::State;

TransferView::TransferView(TransferModel *model, Settings *settings, QWidget *parent)
    : QWidget(parent)
    , m_model(model)
    , m_settings(settings)
    , m_view(new QTreeView(this))
    , m_toolBar(new QToolBar(this))
{
    m_view->setObjectName(QStringLiteral("transferView"));
    m_view->setModel(model);
    m_view->setRootIsDecorated(false);
    m_view->setUniformRowHeights(true);
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->setAllColumnsShowFocus(true);
    m_view->setItemDelegateForColumn(TransferModel::ProgressColumn, new ProgressDelegate(m_view));
    new VerifiedCells(m_view, model); // a verified row's SHA-256 and its Copy button
    m_view->setContextMenuPolicy(Qt::CustomContextMenu);
    m_view->setAcceptDrops(true); // ferry:// links dropped here are downloaded
    m_view->setDragEnabled(true); // finished rows drag out as their files (TransferModel::mimeData)
    m_view->setDefaultDropAction(Qt::CopyAction);
    m_view->viewport()->installEventFilter(this);
    QHeaderView *header = m_view->header();
    // The name takes what the others leave, so every column, Folder too, fits the default window.
    header->setStretchLastSection(false);
    header->setSectionResizeMode(TransferModel::NameColumn, QHeaderView::Stretch);
    header->resizeSection(TransferModel::SizeColumn, 80);
    header->resizeSection(TransferModel::ProgressColumn, 110);
    header->resizeSection(TransferModel::SpeedColumn, 80);
    header->resizeSection(TransferModel::EtaColumn, 70);
    header->resizeSection(TransferModel::StatusColumn, 300); // room for "Verified · SHA-256 …" and Copy
    header->resizeSection(TransferModel::FolderColumn, 130);
    m_toolBar->setObjectName(QStringLiteral("transferToolBar"));
    m_toolBar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_toolBar->setIconSize(QSize(16, 16));

    createActions();

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 0, 6, 0);
    layout->setSpacing(0);
    layout->addWidget(m_toolBar);
    layout->addWidget(m_view, 1);

    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, &TransferView::updateActions);
    connect(model, &TransferModel::totalsChanged, this, &TransferView::updateActions);
    connect(model, &TransferModel::rowsRemoved, this, &TransferView::updateActions);
    connect(m_view, &QTreeView::customContextMenuRequested, this, &TransferView::showContextMenu);
    connect(m_view, &QTreeView::doubleClicked, this, [this](const QModelIndex &index) {
        const DownloadJob *job = m_model->job(index);
        if (job && job->state() == State::Done)
            openFile();
    });
    updateActions();
}

void TransferView::createActions()
{
    m_pause = makeAction(tr("&Pause"), QStyle::SP_MediaPause, QKeySequence(tr("Ctrl+P")),
                        QStringLiteral("pauseAction"), &TransferView::pauseSelected);
    m_resume = makeAction(tr("Re&sume"), QStyle::SP_MediaPlay, QKeySequence(tr("Ctrl+S")),
                         QStringLiteral("resumeAction"), &TransferView::resumeSelected);
    m_retry = makeAction(tr("&Retry"), QStyle::SP_BrowserReload, QKeySequence(tr("Ctrl+R")),
                        QStringLiteral("retryAction"), &TransferView::retrySelected);
    m_cancel = makeAction(tr("&Cancel"), QStyle::SP_MediaStop, QKeySequence(tr("Shift+Del")),
                         QStringLiteral("cancelAction"), &TransferView::cancelSelected);
    m_remove = makeAction(tr("Re&move"), QStyle::SP_TrashIcon, QKeySequence::Delete,
                         QStringLiteral("removeAction"), &TransferView::removeSelected);
    m_removeWithFile = makeAction(tr("Remove &with File"), QStyle::SP_TrashIcon, QKeySequence(tr("Ctrl+Del")),
                                 QStringLiteral("removeWithFileAction"), &TransferView::removeSelectedWithFiles);
    m_toolBar->removeAction(m_removeWithFile); // the menus offer it; the toolbar stays short
    m_copyLink = makeAction(tr("Copy &Link"), QStyle::SP_FileLinkIcon, QKeySequence::Copy,
                           QStringLiteral("copyLinkAction"), &TransferView::copyLinks);
    m_toolBar->removeAction(m_copyLink);
    m_toolBar->addSeparator();
    m_openFile = makeAction(tr("&Open File"), QStyle::SP_FileIcon, QKeySequence(tr("Ctrl+Return")),
                           QStringLiteral("openFileAction"), &TransferView::openFile);
    m_openFolder = makeAction(tr("Open &Folder"), QStyle::SP_DirOpenIcon, QKeySequence(tr("Ctrl+Shift+O")),
                             QStringLiteral("openFolderAction"), &TransferView::openFolder);
    m_toolBar->addSeparator();
    m_clearFinished = makeAction(tr("C&lear Finished"), QStyle::SP_DialogResetButton,
                                QKeySequence(tr("Ctrl+Shift+L")), QStringLiteral("clearFinishedAction"),
                                &TransferView::clearFinished);
    m_queueActions = new QueueActions(m_model->queue(), [this] { return selectedJobs(); }, this);
}

QAction *TransferView::makeAction(const QString &text, int icon, const QKeySequence &key, const QString &name,
                                 void (TransferView::*slot)())
{
    auto *action = new QAction(style()->standardIcon(QStyle::StandardPixmap(icon)), text, this);
    action->setShortcut(key);
    action->setShortcutContext(Qt::WidgetWithChildrenShortcut); // keys act on the list that has focus
    action->setObjectName(name);
    action->setToolTip(QStringLiteral("%1 (%2)").arg(QString(text).remove(u'&'),
                                                     key.toString(QKeySequence::NativeText)));
    connect(action, &QAction::triggered, this, slot);
    QWidget::addAction(action);
    m_toolBar->addAction(action);
    return action;
}

QList<DownloadJob *> TransferView::selectedJobs() const
{
    QList<DownloadJob *> jobs;
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    for (const QModelIndex &row : rows) {
        if (DownloadJob *job = m_model->job(row))
            jobs.append(job);
    }
    return jobs;
}

void TransferView::pauseSelected()
{
    for (DownloadJob *job : selectedJobs())
        m_model->queue()->pause(job->id());
    updateActions();
}

void TransferView::resumeSelected()
{
    for (DownloadJob *job : selectedJobs())
        m_model->queue()->resume(job->id());
    updateActions();
}

void TransferView::cancelSelected()
{
    const QList<DownloadJob *> jobs = selectedJobs();
    QList<quint64> ids; // by id: the dialog runs the event loop
    for (const DownloadJob *job : jobs)
        ids.append(job->id());
    if (jobs.isEmpty() || !confirmCancel(jobs))
        return;
    for (quint64 id : ids)
        m_model->queue()->cancel(id);
    updateActions();
}

// Cancel deletes the partial file: ask when there is something to lose.
bool TransferView::confirmCancel(const QList<DownloadJob *> &jobs)
{
    const auto losing = std::find_if(jobs.begin(), jobs.end(), [](const DownloadJob *job) {
        return !job->isFinished() && job->receivedBytes() > 0;
    });
    if (losing == jobs.end() || !m_settings->asks(Settings::Question::CancelWithData))
        return true;
    const QString question = jobs.size() == 1
        ? tr("Cancel \u201c%1\u201d and delete what is downloaded?").arg((*losing)->fileName())
        : tr("Cancel %n download(s) and delete what is downloaded?", nullptr, int(jobs.size()));
    ConfirmDialog dialog(question, tr("Pause keeps the partial files, to resume later."), tr("Cancel &Download"),
                         this);
    if (dialog.exec() != QDialog::Accepted)
        return false;
    if (dialog.dontAskAgain())
        m_settings->setAsks(Settings::Question::CancelWithData, false);
    return true;
}

void TransferView::retrySelected()
{
    for (DownloadJob *job : selectedJobs())
        m_model->queue()->retry(job->id());
    updateActions();
}

void TransferView::removeSelected()
{
    const QList<DownloadJob *> jobs = selectedJobs();
    QList<quint64> ids; // by id: the dialog runs the event loop, rows may change meanwhile
    for (const DownloadJob *job : jobs)
        ids.append(job->id());
    bool deletePartial = m_settings->removeDeletesPartial();
    if (jobs.isEmpty() || !confirmRemove(jobs, &deletePartial))
        return;
    for (quint64 id : ids)
        m_model->queue()->remove(id, deletePartial);
}

// A finished or canceled row holds nothing to lose; an unfinished one holds a .part.
bool TransferView::confirmRemove(const QList<DownloadJob *> &jobs, bool *deletePartial)
{
    QList<const DownloadJob *> unfinished;
    for (const DownloadJob *job : jobs) {
        if (job->state() != State::Done && job->state() != State::Canceled)
            unfinished.append(job);
    }
    if (unfinished.isEmpty() || !m_settings->asks(Settings::Question::RemoveUnfinished))
        return true;
    const QLocale locale;
    const DownloadJob *first = unfinished.first();
    const QString question = jobs.size() == 1 ? tr("Remove \u201c%1\u201d from the list?").arg(first->fileName())
                                              : tr("Remove %n download(s) from the list?", nullptr, int(jobs.size()));
    const QString detail = unfinished.size() == 1
        ? tr("\u201c%1\u201d is not finished: %2 of %3 downloaded.")
              .arg(first->fileName(), locale.formattedDataSize(first->receivedBytes()),
                   first->totalBytes() < 0 ? tr("an unknown size") : locale.formattedDataSize(first->totalBytes()))
        : tr("%n of them are not finished.", nullptr, int(unfinished.size()));
    ConfirmDialog dialog(question, detail, tr("&Remove"), this);
    dialog.setOption(tr("Also &delete the partial file"), *deletePartial, QStringLiteral("deletePartialCheck"));
    if (dialog.exec() != QDialog::Accepted)
        return false;
    *deletePartial = dialog.isOptionChecked();
    m_settings->setRemoveDeletesPartial(*deletePartial);
    if (dialog.dontAskAgain())
        m_settings->setAsks(Settings::Question::RemoveUnfinished, false);
    return true;
}

// Deletes what each download left: the finished file, or the partial one. A file the
// download skipped because it existed is the user's, and stays.
void TransferView::removeSelectedWithFiles()
{
    const QList<DownloadJob *> jobs = selectedJobs();
    QList<quint64> ids;
    for (const DownloadJob *job : jobs)
        ids.append(job->id());
    if (jobs.isEmpty())
        return;
    if (m_settings->asks(Settings::Question::RemoveWithFile)) {
        const QString question = jobs.size() == 1
            ? tr("Remove \u201c%1\u201d and delete its file?").arg(jobs.first()->fileName())
            : tr("Remove %n download(s) and delete their files?", nullptr, int(jobs.size()));
        ConfirmDialog dialog(question, tr("Downloaded and partial files are deleted from the disk."),
                             tr("&Delete"), this);
        if (dialog.exec() != QDialog::Accepted)
            return;
        if (dialog.dontAskAgain())
            m_settings->setAsks(Settings::Question::RemoveWithFile, false);
    }
    for (quint64 id : ids) { // looked up again: the dialog ran the event loop
        const DownloadJob *job = m_model->queue()->job(id);
        if (!job)
            continue;
        const QString file = job->state() == State::Done && !job->wasSkipped() ? job->localPath() : QString();
        m_model->queue()->remove(id, true);
        if (!file.isEmpty())
            QFile::remove(file);
    }
}

void TransferView::copyLinks()
{
    QStringList links;
    for (const DownloadJob *job : selectedJobs())
        links << job->url().toString();
    if (!links.isEmpty())
        QGuiApplication::clipboard()->setText(links.join(u'\n'));
}

// The ferry:// links among the URLs, or, when there are no URLs, among the lines of text: a
// single row of the remote browser drags without URLs (see RemoteModel::mimeData), and so may
// another program's text. Finished rows carry file:// URLs and are not taken back in.
QStringList TransferView::ferryLinks(const QMimeData *data)
{
    QStringList links;
    if (data->hasUrls()) {
        for (const QUrl &url : data->urls()) {
            if (url.scheme() == QLatin1String("ferry"))
                links << url.toString();
        }
        return links;
    }
    for (const QString &line : data->text().split(u'\n', Qt::SkipEmptyParts)) {
        const QString link = line.trimmed();
        if (link.startsWith(QLatin1String("ferry://"), Qt::CaseInsensitive))
            links << link;
    }
    return links;
}

bool TransferView::eventFilter(QObject *watched, QEvent *event)
{
    if (watched != m_view->viewport())
        return QWidget::eventFilter(watched, event);
    switch (event->type()) {
    case QEvent::DragEnter:
    case QEvent::DragMove:
    case QEvent::Drop: {
        auto *drop = static_cast<QDropEvent *>(event);
        const QStringList links = ferryLinks(drop->mimeData());
        if (links.isEmpty())
            return false;
        drop->acceptProposedAction();
        if (event->type() == QEvent::Drop)
            emit linksDropped(links);
        return true;
    }
    default:
        return false;
    }
}

void TransferView::openFile()
{
    for (DownloadJob *job : selectedJobs()) {
        if (job->state() == State::Done)
            QDesktopServices::openUrl(QUrl::fromLocalFile(job->localPath()));
    }
}

void TransferView::openFolder()
{
    const QList<DownloadJob *> jobs = selectedJobs();
    if (!jobs.isEmpty())
        QDesktopServices::openUrl(QUrl::fromLocalFile(QFileInfo(jobs.first()->localPath()).absolutePath()));
}

void TransferView::clearFinished()
{
    m_model->queue()->clearFinished();
}

void TransferView::updateActions()
{
    bool canPause = false, canResume = false, canCancel = false, canRetry = false, anyDone = false;
    const QList<DownloadJob *> jobs = selectedJobs();
    for (const DownloadJob *job : jobs) {
        const State state = job->state();
        canPause = canPause || (!job->isFinished() && state != State::Paused);
        canResume = canResume || state == State::Paused;
        canCancel = canCancel || !job->isFinished();
        canRetry = canRetry || state == State::Failed || state == State::Canceled;
        anyDone = anyDone || state == State::Done;
    }
    m_pause->setEnabled(canPause);
    m_resume->setEnabled(canResume);
    m_cancel->setEnabled(canCancel);
    m_retry->setEnabled(canRetry);
    m_remove->setEnabled(!jobs.isEmpty());
    m_removeWithFile->setEnabled(!jobs.isEmpty());
    m_copyLink->setEnabled(!jobs.isEmpty());
    m_openFile->setEnabled(anyDone);
    m_openFolder->setEnabled(!jobs.isEmpty());
    m_queueActions->updateEnabled();
    bool anyFinished = false;
    for (const DownloadJob *job : m_model->queue()->jobs())
        anyFinished = anyFinished || job->isFinished();
    m_clearFinished->setEnabled(anyFinished);
}

QMenu *TransferView::createContextMenu()
{
    auto *menu = new QMenu(this);
    menu->setObjectName(QStringLiteral("transferContextMenu"));
    menu->addActions({m_pause, m_resume, m_retry, m_cancel});
    menu->addSeparator();
    menu->addActions(m_queueActions->actions());
    menu->addSeparator();
    menu->addActions({m_openFile, m_openFolder, m_copyLink});
    menu->addSeparator();
    menu->addActions({m_remove, m_removeWithFile, m_clearFinished});
    return menu;
}

void TransferView::showContextMenu(const QPoint &pos)
{
    if (!m_view->indexAt(pos).isValid() && selectedJobs().isEmpty())
        return;
    QMenu *menu = createContextMenu();
    menu->exec(m_view->viewport()->mapToGlobal(pos));
    delete menu;
}

} // namespace ferry::gui
