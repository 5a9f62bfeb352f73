#include "remotemodel.h"

#include "fileicons.h"

#include "client/session.h"

#include <QLocale>

namespace ferry::gui {

using client::RemoteEntry;

RemoteModel::RemoteModel(client::Session *session, QObject *parent)
    : QAbstractItemModel(parent)
    , m_session(session)
    , m_icons(new FileIcons)
{
    connect(m_session, &client::Session::listPageReceived, this, &RemoteModel::onPage);
    connect(m_session, &client::Session::requestFailed, this, &RemoteModel::onFailed);
}

RemoteModel::~RemoteModel()
{
    delete m_icons;
}

void RemoteModel::setPath(const QString &path)
{
    beginResetModel();
    m_path = path;
    m_entries.clear();
    m_exposed = 0;
    m_fetchWanted = false;
    m_errorString.clear();
    const bool wasLoading = isLoading();
    m_request = m_session->list(path);
    endResetModel();
    if (!wasLoading)
        emit loadingChanged(true);
}

void RemoteModel::reload()
{
    setPath(m_path);
}

void RemoteModel::clear()
{
    beginResetModel();
    const bool wasLoading = isLoading();
    m_path.clear();
    m_entries.clear();
    m_exposed = 0;
    m_request = 0;
    m_errorString.clear();
    endResetModel();
    if (wasLoading)
        emit loadingChanged(false);
}

void RemoteModel::onPage(quint64 requestId, const QList<RemoteEntry> &entries, bool last)
{
    if (requestId != m_request)
        return;
    m_entries.append(entries);
    if (m_exposed < BatchSize || m_fetchWanted) {
        m_fetchWanted = false;
        expose(BatchSize);
    }
    if (last) {
        m_request = 0;
        emit loadingChanged(false);
        emit loaded();
    }
}

void RemoteModel::onFailed(quint64 requestId, client::ErrorKind, const QString &errorString)
{
    if (requestId != m_request)
        return;
    m_request = 0;
    m_errorString = errorString;
    emit loadingChanged(false);
    emit errorOccurred(errorString);
    emit loaded();
}

// Inserts up to `count` received-but-hidden entries at the end. A fetchMore() from
// a slot connected to rowsInserted would nest one insertion inside another, which
// views and proxies do not expect: it is deferred to the event loop instead.
void RemoteModel::expose(int count)
{
    if (m_inserting) {
        if (!m_exposeQueued) {
            m_exposeQueued = true;
            QMetaObject::invokeMethod(this, [this, count] {
                m_exposeQueued = false;
                expose(count);
            }, Qt::QueuedConnection);
        }
        return;
    }
    const int available = int(m_entries.size()) - m_exposed;
    const int n = qMin(count, available);
    if (n <= 0)
        return;
    m_inserting = true;
    beginInsertRows(QModelIndex(), m_exposed, m_exposed + n - 1);
    m_exposed += n;
    endInsertRows();
    m_inserting = false;
}

void RemoteModel::fetchAll()
{
    expose(int(m_entries.size()));
}

RemoteEntry RemoteModel::entry(const QModelIndex &index) const
{
    if (!index.isValid() || index.model() != this || index.row() >= m_exposed)
        return RemoteEntry();
    return m_entries.at(index.row());
}

QString RemoteModel::pathOf(const QModelIndex &index) const
{
    const QString name = entry(index).name;
    return m_path.isEmpty() ? name : m_path + u'/' + name;
}

QModelIndex RemoteModel::index(int row, int column, const QModelIndex &parent) const
{
    if (parent.isValid() || row < 0 || row >= m_exposed || column < 0 || column >= ColumnCount)
        return QModelIndex();
    return createIndex(row, column);
}

QModelIndex RemoteModel::parent(const QModelIndex &) const
{
    return QModelIndex();
}

int RemoteModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : m_exposed;
}

int RemoteModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

bool RemoteModel::hasChildren(const QModelIndex &parent) const
{
    return !parent.isValid() && m_exposed > 0;
}

// While the listing runs there may be more even if nothing is waiting yet.
bool RemoteModel::canFetchMore(const QModelIndex &parent) const
{
    return !parent.isValid() && (m_exposed < m_entries.size() || isLoading());
}

void RemoteModel::fetchMore(const QModelIndex &parent)
{
    if (parent.isValid())
        return;
    if (m_exposed < m_entries.size())
        expose(BatchSize);
    else if (isLoading())
        m_fetchWanted = true;
}

QVariant RemoteModel::displayData(const RemoteEntry &entry, int column) const
{
    switch (Column(column)) {
    case NameColumn:
        return entry.name;
    case SizeColumn:
        return entry.isDirectory() ? QString() : QLocale().formattedDataSize(entry.size);
    case ModifiedColumn:
        return QLocale().toString(entry.modified().toLocalTime(), QLocale::ShortFormat);
    case ColumnCount:
        break;
    }
    return QVariant();
}

QVariant RemoteModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_exposed)
        return QVariant();
    const RemoteEntry &e = m_entries.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        return displayData(e, index.column());
    case Qt::ToolTipRole:
        return index.column() == SizeColumn && !e.isDirectory()
            ? QVariant(QLocale().toString(e.size) + tr(" bytes")) : QVariant();
    case Qt::DecorationRole:
        if (index.column() != NameColumn)
            return QVariant();
        return e.isDirectory() ? m_icons->folderIcon() : m_icons->fileIcon(e.name);
    case Qt::TextAlignmentRole:
        return index.column() == SizeColumn ? QVariant(Qt::AlignRight | Qt::AlignVCenter) : QVariant();
    case SortRole:
        if (index.column() == SizeColumn)
            return e.size;
        if (index.column() == ModifiedColumn)
            return e.mtimeNs;
        return e.name;
    case IsDirectoryRole:
        return e.isDirectory();
    case PathRole:
        return pathOf(index);
    default:
        return QVariant();
    }
}

QVariant RemoteModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractItemModel::headerData(section, orientation, role);
    switch (Column(section)) {
    case NameColumn:
        return tr("Name");
    case SizeColumn:
        return tr("Size");
    case ModifiedColumn:
        return tr("Modified");
    case ColumnCount:
        break;
    }
    return QVariant();
}

Qt::ItemFlags RemoteModel::flags(const QModelIndex &index) const
{
    if (!index.isValid())
        return Qt::NoItemFlags;
    return Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemNeverHasChildren;
}

} // namespace ferry::gui
