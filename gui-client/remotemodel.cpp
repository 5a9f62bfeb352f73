#include "remotemodel.h"

#include "directsavemimedata.h"
#include "fileicons.h"

#include "client/ferryurl.h"
#include "client/session.h"

#include <QLocale>
#include <QMimeData>
#include <QUrl>

#include <algorithm>
#include <numeric>

namespace ferry::gui {

using client::RemoteEntry;

// A saved header layout is restored only onto the columns it was saved for: when the columns change,
// give ColumnLayout the next number and update this line.
static_assert(RemoteModel::ColumnCount == 3 && RemoteModel::ColumnLayout == 1,
              "the columns changed: a new ColumnLayout");

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
    m_keys.clear();
    m_exposed = 0;
    m_fetchWanted = false;
    m_errorString.clear();
    m_errorKind = client::ErrorKind::NoError;
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
    m_keys.clear();
    m_exposed = 0;
    m_request = 0;
    m_errorString.clear();
    m_errorKind = client::ErrorKind::NoError;
    endResetModel();
    if (wasLoading)
        emit loadingChanged(false);
}

void RemoteModel::onPage(quint64 requestId, const QList<RemoteEntry> &entries, bool last)
{
    if (requestId != m_request)
        return;
    m_entries.append(entries);
    for (const RemoteEntry &entry : entries)
        m_keys.push_back(m_order.sortKey(entry.name));
    if (!last)
        return; // nothing is shown before the order of the whole folder is known
    m_request = 0;
    sortEntries();
    m_fetchWanted = false;
    expose(BatchSize);
    emit loadingChanged(false);
    emit loaded();
}

void RemoteModel::sort(int column, Qt::SortOrder order)
{
    const auto key = column == SizeColumn       ? RemoteOrder::Key::Size
                     : column == ModifiedColumn ? RemoteOrder::Key::Modified
                                                : RemoteOrder::Key::Name;
    if (key == m_order.key() && order == m_order.order())
        return;
    m_order.setKey(key, order);
    if (isLoading() || m_entries.isEmpty())
        return; // the listing is sorted when it is complete
    m_inserting = true; // no rows may come in while the layout changes (see expose())
    emit layoutAboutToBeChanged({}, QAbstractItemModel::VerticalSortHint);
    sortEntries();
    emit layoutChanged({}, QAbstractItemModel::VerticalSortHint);
    m_inserting = false;
}

// Sorts every entry, and moves persistent indexes (the selection) with their rows; a
// selected row that sorts beyond the exposed ones leaves the selection.
void RemoteModel::sortEntries()
{
    std::vector<int> order(m_entries.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [this](int a, int b) {
        return m_order.lessThan(m_entries.at(a), m_keys[size_t(a)], m_entries.at(b), m_keys[size_t(b)]);
    });
    QList<RemoteEntry> entries;
    entries.reserve(m_entries.size());
    std::vector<QCollatorSortKey> keys;
    keys.reserve(m_keys.size());
    std::vector<int> newRow(order.size());
    for (size_t row = 0; row < order.size(); ++row) {
        entries.append(m_entries.at(order[row]));
        keys.push_back(m_keys[size_t(order[row])]);
        newRow[size_t(order[row])] = int(row);
    }
    m_entries.swap(entries);
    m_keys.swap(keys);
    const QModelIndexList before = persistentIndexList();
    QModelIndexList after;
    after.reserve(before.size());
    for (const QModelIndex &index : before) {
        const int row = newRow[size_t(index.row())];
        after.append(row < m_exposed ? createIndex(row, index.column()) : QModelIndex());
    }
    changePersistentIndexList(before, after);
}

void RemoteModel::onFailed(quint64 requestId, client::ErrorKind error, const QString &errorString)
{
    if (requestId != m_request)
        return;
    m_request = 0;
    m_errorString = errorString;
    m_errorKind = error;
    emit loadingChanged(false);
    emit errorOccurred(errorString);
    emit loaded();
}

// Inserts up to `count` received-but-hidden entries at the end. A fetchMore() from
// a slot connected to rowsInserted or layoutChanged would nest an insertion inside
// another change, which views and proxies do not expect: it is deferred to the
// event loop instead.
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
    return Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsDragEnabled | Qt::ItemNeverHasChildren;
}

QStringList RemoteModel::mimeTypes() const
{
    return {QStringLiteral("text/uri-list"), QStringLiteral("text/plain")};
}

QMimeData *RemoteModel::mimeData(const QModelIndexList &indexes) const
{
    QList<QUrl> urls;
    QStringList links;
    QModelIndexList rows;
    for (const QModelIndex &index : indexes) {
        if (index.column() != NameColumn || index.row() >= m_exposed)
            continue;
        rows << index;
        const bool folder = m_entries.at(index.row()).isDirectory();
        const client::FerryUrl url(m_session->host(), m_session->port(),
                                   pathOf(index) + (folder ? QStringLiteral("/") : QString()));
        const QString link = (m_session->servers().size() > 1 ? url.withServers(m_session->servers()) : url).toString();
        urls << QUrl(link);
        links << link;
    }
    QMimeData *data = newMimeData(rows);
    // File managers take text/uri-list before XdndDirectSave0 (PCManFM and Thunar do), and
    // then fail to copy a ferry:// URL, so a Direct Save drag carries its link as text only;
    // the transfer list and text fields take it from there.
    if (!qobject_cast<DirectSaveMimeData *>(data))
        data->setUrls(urls);
    data->setText(links.join(u'\n'));
    return data;
}

// XDS names one place, so only a single row offers it (several rows drag as links only). A
// folder keeps its own name: it is mirrored under it.
QMimeData *RemoteModel::newMimeData(const QModelIndexList &rows) const
{
    if (rows.size() != 1 || !DirectSaveMimeData::isAvailable())
        return new QMimeData;
    const client::RemoteEntry file = entry(rows.first());
    if (!file.isFile() && !file.isDirectory())
        return new QMimeData;
    auto *data = new DirectSaveMimeData(file.name, file.isDirectory() ? DirectSaveMimeData::Naming::Fixed
                                                                      : DirectSaveMimeData::Naming::Any);
    // mimeData() is const by Qt's signature; the request is the model's to announce all the same.
    auto *self = const_cast<RemoteModel *>(this);
    const QString path = pathOf(rows.first());
    connect(data, &DirectSaveMimeData::saveRequested, self, [self, file, path](const QString &localPath) {
        client::RemoteEntry remote = file;
        remote.name = path; // as downloadRequested names files: by their path on the server
        emit self->directSaveRequested(remote, localPath);
    });
    return data;
}

} // namespace ferry::gui
