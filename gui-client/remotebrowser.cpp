#include "remotebrowser.h"

#include "elidinglabel.h"
#include "remotemodel.h"
#include "remoteproperties.h"
#include "remotesortmodel.h"
#include "serverlink.h"

#include "client/ferryurl.h"
#include "client/knownservers.h"
#include "client/session.h"

#include <QAction>
#include <QClipboard>
#include <QGuiApplication>
#include <QMenu>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QStyle>
#include <QToolButton>
#include <QTreeView>
#include <QVBoxLayout>

namespace ferry::gui {

RemoteBrowser::RemoteBrowser(client::Session *session, QWidget *parent)
    : QWidget(parent)
    , m_session(session)
    , m_model(new RemoteModel(session, this))
    , m_proxy(new RemoteSortModel(this))
    , m_view(new QTreeView(this))
    , m_back(makeButton(QStyle::SP_ArrowBack, tr("Back"), QStringLiteral("backButton")))
    , m_up(makeButton(QStyle::SP_FileDialogToParent, tr("Up"), QStringLiteral("upButton")))
    , m_reload(makeButton(QStyle::SP_BrowserReload, tr("Reload"), QStringLiteral("reloadButton")))
    , m_pathEdit(new QLineEdit(this))
    , m_filter(new QLineEdit(this))
    , m_download(new QPushButton(style()->standardIcon(QStyle::SP_ArrowDown), tr("&Download"), this))
    , m_status(new ElidingLabel(this))
    , m_downloadAction(makeAction(tr("&Download"), QKeySequence(tr("Ctrl+D")), QStringLiteral("downloadAction")))
    , m_downloadToAction(makeAction(tr("Download &To…"), QKeySequence(tr("Ctrl+Shift+D")),
                                    QStringLiteral("downloadToAction")))
    , m_copyLinkAction(makeAction(tr("&Copy Link"), QKeySequence::Copy, QStringLiteral("copyLinkAction")))
    , m_propertiesAction(makeAction(tr("P&roperties"), QKeySequence(tr("Alt+Return")),
                                    QStringLiteral("propertiesAction")))
{
    setupView();
    setupBar();
    setupActions();
    connectSignals();
    updateButtons();
    updateStatus();
}

void RemoteBrowser::setupView()
{
    m_proxy->setSourceModel(m_model);
    m_view->setModel(m_proxy);
    m_view->setObjectName(QStringLiteral("remoteView"));
    m_view->setRootIsDecorated(false);
    m_view->setUniformRowHeights(true); // lets a 100,000-row view skip measuring every row
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(RemoteModel::NameColumn, Qt::AscendingOrder);
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->setAllColumnsShowFocus(true);
    m_view->header()->setStretchLastSection(false);
    m_view->header()->setSectionResizeMode(RemoteModel::NameColumn, QHeaderView::Stretch);
    m_view->header()->resizeSection(RemoteModel::SizeColumn, 100);
    m_view->header()->resizeSection(RemoteModel::ModifiedColumn, 150);
    m_view->setDragEnabled(true); // rows drag out as their ferry:// links (one row also by Direct Save)
    m_view->setDragDropMode(QAbstractItemView::DragOnly);
    m_view->setContextMenuPolicy(Qt::CustomContextMenu); // the menu key too
}

// Shortcuts act while the list has focus, so Ctrl+C in the filter still copies text.
QAction *RemoteBrowser::makeAction(const QString &text, const QKeySequence &key, const QString &name)
{
    auto *action = new QAction(text, this);
    action->setShortcut(key);
    action->setShortcutContext(Qt::WidgetShortcut);
    action->setObjectName(name);
    return action;
}

void RemoteBrowser::setupActions()
{
    m_downloadAction->setIcon(style()->standardIcon(QStyle::SP_ArrowDown));
    for (QAction *action : {m_downloadAction, m_downloadToAction, m_copyLinkAction, m_propertiesAction})
        m_view->addAction(action);
    connect(m_downloadAction, &QAction::triggered, this, &RemoteBrowser::downloadSelection);
    connect(m_downloadToAction, &QAction::triggered, this, [this] {
        QList<client::RemoteEntry> files;
        QStringList folders;
        selection(&files, &folders);
        if (!files.isEmpty() || !folders.isEmpty())
            emit downloadToRequested(files, folders);
    });
    connect(m_copyLinkAction, &QAction::triggered, this, &RemoteBrowser::copyLinks);
    connect(m_propertiesAction, &QAction::triggered, this, &RemoteBrowser::showProperties);
    connect(m_view, &QTreeView::customContextMenuRequested, this, [this](const QPoint &pos) {
        QMenu *menu = createContextMenu();
        menu->exec(m_view->viewport()->mapToGlobal(pos));
        delete menu;
    });
}

QMenu *RemoteBrowser::createContextMenu()
{
    auto *menu = new QMenu(this);
    menu->setObjectName(QStringLiteral("remoteContextMenu"));
    menu->addActions({m_downloadAction, m_downloadToAction});
    menu->addSeparator();
    menu->addAction(m_copyLinkAction);
    menu->addSeparator();
    menu->addAction(m_propertiesAction);
    return menu;
}

QString RemoteBrowser::linkFor(const QString &path) const
{
    const client::FerryUrl url(m_session->host(), m_session->port(), path);
    // A fleet's link names every server, so that whoever opens it fails over too.
    return (m_session->servers().size() > 1 ? url.withServers(m_session->servers()) : url).toString();
}

void RemoteBrowser::copyLinks()
{
    QStringList links;
    const QModelIndexList rows = m_view->selectionModel()->selectedRows(RemoteModel::NameColumn);
    for (const QModelIndex &row : rows) {
        const QModelIndex source = m_proxy->mapToSource(row);
        const bool folder = source.data(RemoteModel::IsDirectoryRole).toBool();
        links << linkFor(m_model->pathOf(source) + (folder ? QStringLiteral("/") : QString()));
    }
    if (!links.isEmpty())
        QGuiApplication::clipboard()->setText(links.join(u'\n'));
}

void RemoteBrowser::showProperties()
{
    const QModelIndex current = m_proxy->mapToSource(m_view->currentIndex());
    if (!current.isValid() || !m_view->selectionModel()->isSelected(m_view->currentIndex().siblingAtColumn(0)))
        return;
    const QString path = m_model->pathOf(current);
    RemoteProperties dialog(m_model->entry(current), path, linkFor(path), this);
    dialog.exec();
}

void RemoteBrowser::setupBar()
{
    m_pathEdit->setObjectName(QStringLiteral("pathEdit"));
    m_pathEdit->setPlaceholderText(tr("/"));
    m_filter->setObjectName(QStringLiteral("filterEdit"));
    m_filter->setPlaceholderText(tr("Filter names (*.iso)"));
    m_filter->setClearButtonEnabled(true);
    m_filter->setMaximumWidth(220);
    m_download->setObjectName(QStringLiteral("downloadButton"));
    m_download->setToolTip(tr("Download the selected files; folders with everything in them"));
    m_status->setObjectName(QStringLiteral("browserStatus"));
    m_back->setShortcut(QKeySequence::Back);
    m_up->setShortcut(QKeySequence(tr("Alt+Up")));
    m_reload->setShortcut(QKeySequence::Refresh);
    auto *findAction = new QAction(this);
    findAction->setShortcut(QKeySequence::Find);
    findAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(findAction, &QAction::triggered, m_filter, qOverload<>(&QWidget::setFocus));
    addAction(findAction);
    auto *clearFilter = new QAction(m_filter);
    clearFilter->setShortcut(QKeySequence(Qt::Key_Escape));
    clearFilter->setShortcutContext(Qt::WidgetShortcut);
    connect(clearFilter, &QAction::triggered, m_filter, &QLineEdit::clear);
    m_filter->addAction(clearFilter);
    // Backspace goes up from the list, as in file managers; in the text fields it edits.
    auto *upAction = new QAction(m_view);
    upAction->setShortcut(QKeySequence(Qt::Key_Backspace));
    upAction->setShortcutContext(Qt::WidgetShortcut);
    connect(upAction, &QAction::triggered, this, &RemoteBrowser::goUp);
    m_view->addAction(upAction);

    auto *bar = new QHBoxLayout;
    bar->addWidget(m_back);
    bar->addWidget(m_up);
    bar->addWidget(m_reload);
    bar->addWidget(m_pathEdit, 1);
    bar->addWidget(m_filter);
    bar->addWidget(m_download);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 2, 6, 2);
    layout->addLayout(bar);
    layout->addWidget(m_view, 1);
    layout->addWidget(m_status);
}

void RemoteBrowser::connectSignals()
{
    connect(m_back, &QToolButton::clicked, this, &RemoteBrowser::goBack);
    connect(m_up, &QToolButton::clicked, this, &RemoteBrowser::goUp);
    connect(m_reload, &QToolButton::clicked, this, &RemoteBrowser::reload);
    connect(m_pathEdit, &QLineEdit::returnPressed, this, &RemoteBrowser::onPathEdited);
    connect(m_filter, &QLineEdit::textChanged, this, &RemoteBrowser::onFilterChanged);
    connect(m_model, &RemoteModel::directSaveRequested, this, &RemoteBrowser::downloadAsRequested);
    connect(m_download, &QPushButton::clicked, this, &RemoteBrowser::downloadSelection);
    connect(m_view, &QTreeView::activated, this, &RemoteBrowser::onActivated);
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, &RemoteBrowser::updateButtons);
    connect(m_model, &RemoteModel::rowsInserted, this, &RemoteBrowser::updateStatus);
    connect(m_model, &RemoteModel::modelReset, this, &RemoteBrowser::updateStatus);
    connect(m_model, &RemoteModel::loaded, this, &RemoteBrowser::updateStatus);
    connect(m_model, &RemoteModel::errorOccurred, this, [this](const QString &why) {
        if (m_model->errorKind() == client::ErrorKind::AccessDenied)
            emit accessDenied(why);
    });
    connect(m_model, &RemoteModel::loaded, this, [this] {
        if (!m_proxy->nameFilter().isEmpty())
            m_model->fetchAll();
    });
}

QToolButton *RemoteBrowser::makeButton(int icon, const QString &text, const QString &name)
{
    auto *button = new QToolButton(this);
    button->setIcon(style()->standardIcon(QStyle::StandardPixmap(icon)));
    button->setToolTip(text);
    button->setObjectName(name);
    button->setAutoRaise(true);
    return button;
}

QString RemoteBrowser::path() const
{
    return m_model->path();
}

void RemoteBrowser::openPath(const QString &path, bool remember)
{
    QString clean = path;
    while (clean.startsWith(u'/'))
        clean.remove(0, 1);
    while (clean.endsWith(u'/'))
        clean.chop(1);
    if (remember && m_hasLocation && clean != m_model->path())
        m_history.append(m_model->path());
    if (clean != m_model->path())
        m_filter->clear(); // a filter typed for one folder would blank the next
    m_hasLocation = true;
    m_pathEdit->setText(u'/' + clean);
    m_model->setPath(clean);
    updateButtons();
    updateStatus();
    emit pathChanged(clean);
}

void RemoteBrowser::goBack()
{
    if (m_history.isEmpty())
        return;
    openPath(m_history.takeLast(), false);
}

void RemoteBrowser::goUp()
{
    const QString current = m_model->path();
    if (current.isEmpty())
        return;
    const qsizetype slash = current.lastIndexOf(u'/');
    openPath(slash < 0 ? QString() : current.left(slash));
}

void RemoteBrowser::reload()
{
    m_model->reload();
    updateStatus();
}

void RemoteBrowser::reset()
{
    m_history.clear();
    m_hasLocation = false;
    m_model->clear();
    m_pathEdit->clear();
    updateButtons();
    updateStatus();
}

void RemoteBrowser::onPathEdited()
{
    openPath(m_pathEdit->text());
}

void RemoteBrowser::onFilterChanged(const QString &text)
{
    m_proxy->setNameFilter(text);
    if (!text.isEmpty())
        m_model->fetchAll(); // a filter must see every entry, not just the loaded ones
    updateStatus();
}

void RemoteBrowser::onActivated(const QModelIndex &index)
{
    const QModelIndex source = m_proxy->mapToSource(index);
    if (!source.isValid())
        return;
    // Enter on one of several selected rows means them all, as the Download button does; a
    // double-click has made its row the only one selected by then.
    const QItemSelectionModel *selected = m_view->selectionModel();
    if (selected->selectedRows().size() > 1 && selected->isRowSelected(index.row(), index.parent())) {
        downloadSelection();
        return;
    }
    const QString path = m_model->pathOf(source);
    if (source.data(RemoteModel::IsDirectoryRole).toBool())
        openPath(path);
    else
        emit downloadRequested({fileToDownload(source)}, {});
}

// The listed entry, named by its path: the queue shows its size before the transfer starts.
client::RemoteEntry RemoteBrowser::fileToDownload(const QModelIndex &source) const
{
    client::RemoteEntry entry = m_model->entry(source);
    entry.name = m_model->pathOf(source);
    return entry;
}

void RemoteBrowser::downloadSelection()
{
    QList<client::RemoteEntry> files;
    QStringList folders;
    selection(&files, &folders);
    if (!files.isEmpty() || !folders.isEmpty())
        emit downloadRequested(files, folders);
}

void RemoteBrowser::selection(QList<client::RemoteEntry> *files, QStringList *folders) const
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows(RemoteModel::NameColumn);
    for (const QModelIndex &row : rows) {
        const QModelIndex source = m_proxy->mapToSource(row);
        if (source.data(RemoteModel::IsDirectoryRole).toBool())
            folders->append(m_model->pathOf(source));
        else
            files->append(fileToDownload(source));
    }
}

void RemoteBrowser::updateButtons()
{
    m_back->setEnabled(!m_history.isEmpty());
    m_up->setEnabled(!m_model->path().isEmpty());
    const bool selected = m_view->selectionModel()->hasSelection();
    m_download->setEnabled(selected);
    for (QAction *action : {m_downloadAction, m_downloadToAction, m_copyLinkAction, m_propertiesAction})
        action->setEnabled(selected);
}

void RemoteBrowser::updateStatus()
{
    QString text;
    const QLocale locale;
    if (!m_model->errorString().isEmpty())
        text = tr("Could not list this folder: %1")
                   .arg(ServerLink::failureText(m_model->errorKind(),
                                                client::KnownServers::serverKey(m_session->host(), m_session->port()),
                                                m_model->errorString()));
    else if (m_model->isLoading())
        text = tr("Loading… %1 entries so far").arg(locale.toString(m_model->loadedCount()));
    else if (m_session->port() == 0)
        text = tr("Connect to a server to see its files.");
    else if (m_proxy->nameFilter().isEmpty())
        text = tr("%1 entries").arg(locale.toString(m_model->loadedCount()));
    else
        text = tr("%1 of %2 entries match").arg(locale.toString(m_proxy->rowCount()))
                   .arg(locale.toString(m_model->loadedCount()));
    m_status->setFullText(text);
    updateButtons();
}

} // namespace ferry::gui
