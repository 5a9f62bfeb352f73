// The entries of one remote folder, loaded lazily for the browser's view.
#pragma once

#include "remoteorder.h"

#include "client/clienttypes.h"

#include <QAbstractItemModel>
#include <QList>
#include <QString>

#include <vector>

namespace ferry::client {
class Session;
}

namespace ferry::gui {

class FileIcons;

// A flat list model (rows of one folder). setPath() sends one LIST; its pages are
// kept as they arrive, and once the last one is in, the whole folder is sorted
// (sort(), see RemoteOrder) — so the first row is the first of the folder, not of
// the pages that happened to come first. Rows then reach the view only in batches,
// through canFetchMore()/fetchMore(), so a folder of 100,000 entries costs the view
// what it shows, not what the server holds. The first batch is exposed without
// being asked so the view has something to lay out. Errors are reported, never
// shown: the browser decides how to show them.
class RemoteModel : public QAbstractItemModel
{
    Q_OBJECT
public:
    enum Column { NameColumn, SizeColumn, ModifiedColumn, ColumnCount };
    // Which columns these are, for saved header layouts (Settings::headerState): a layout saved for other
    // columns is not restored onto these. Any change of the columns needs the next number (see the
    // assertion in remotemodel.cpp).
    static constexpr int ColumnLayout = 1;
    enum Role {
        IsDirectoryRole = Qt::UserRole + 1,
        PathRole, // path relative to the server root
    };
    // Rows handed to the view per fetchMore(): a few screens' worth.
    static constexpr int BatchSize = 500;

    explicit RemoteModel(client::Session *session, QObject *parent = nullptr);
    ~RemoteModel() override;

    // Lists `path` (relative to the server root, "" for the root).
    void setPath(const QString &path);
    // Lists the current path again.
    void reload();
    // Forgets the listing (e.g. the server changed).
    void clear();
    QString path() const { return m_path; }
    bool isLoading() const { return m_request != 0; }
    // Entries received so far, exposed or not.
    int loadedCount() const { return int(m_entries.size()); }
    QString errorString() const { return m_errorString; }
    client::ErrorKind errorKind() const { return m_errorKind; }
    // Exposes every entry received so far (a filter must see them all).
    void fetchAll();

    client::RemoteEntry entry(const QModelIndex &index) const;
    QString pathOf(const QModelIndex &index) const;

    QModelIndex index(int row, int column, const QModelIndex &parent = QModelIndex()) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    // Dragged rows carry their ferry:// links (folders with a trailing slash) as URLs and text.
    // A single row (file or folder) on X11 offers Direct Save instead of the URLs, for a file
    // manager to drop it into one of its folders (DirectSaveMimeData; the request comes back as
    // directSaveRequested), and keeps the links as text.
    QStringList mimeTypes() const override;
    QMimeData *mimeData(const QModelIndexList &indexes) const override;
    bool hasChildren(const QModelIndex &parent = QModelIndex()) const override;
    bool canFetchMore(const QModelIndex &parent) const override;
    void fetchMore(const QModelIndex &parent) override;
    // Orders every entry received, exposed or not; rows stay exposed as many as before.
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;

signals:
    void loadingChanged(bool loading);
    // The listing finished (check errorString()).
    void loaded();
    void errorOccurred(const QString &errorString);
    // A file manager asked, through a drag's Direct Save, for `file` (a file or a folder, named by
    // its path relative to the server root, as RemoteBrowser::downloadRequested names files) at
    // `localPath`; a folder's `localPath` ends in its own name.
    void directSaveRequested(const ferry::client::RemoteEntry &file, const QString &localPath);

private:
    void onPage(quint64 requestId, const QList<ferry::client::RemoteEntry> &entries, bool last);
    void onFailed(quint64 requestId, ferry::client::ErrorKind error, const QString &errorString);
    void expose(int count);
    QMimeData *newMimeData(const QModelIndexList &rows) const;
    void sortEntries();
    QVariant displayData(const client::RemoteEntry &entry, int column) const;

    client::Session *m_session;
    FileIcons *m_icons;
    QString m_path;
    QList<client::RemoteEntry> m_entries;
    std::vector<QCollatorSortKey> m_keys; // m_keys[i] is m_entries[i]'s name, collated
    RemoteOrder m_order;
    int m_exposed = 0;
    quint64 m_request = 0;
    bool m_fetchWanted = false; // the view asked while nothing was waiting
    bool m_inserting = false; // rows are being inserted or reordered: defer further insertions
    bool m_exposeQueued = false;
    QString m_errorString;
    client::ErrorKind m_errorKind = client::ErrorKind::NoError;
};

} // namespace ferry::gui
