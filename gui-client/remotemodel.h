// The entries of one remote folder, loaded lazily for the browser's view.
#pragma once

#include "client/clienttypes.h"

#include <QAbstractItemModel>
#include <QList>
#include <QString>

namespace ferry::client {
class Session;
}

namespace ferry::gui {

class FileIcons;

// A flat list model (rows of one folder). setPath() sends one LIST; its pages are
// kept as they arrive but rows reach the view only in batches, through
// canFetchMore()/fetchMore(), so a folder of 100,000 entries costs the view what it
// shows, not what the server holds. The first batch is exposed without being asked
// so the view has something to lay out. Errors are reported, never shown: the
// browser decides how to show them.
class RemoteModel : public QAbstractItemModel
{
    Q_OBJECT
public:
    enum Column { NameColumn, SizeColumn, ModifiedColumn, ColumnCount };
    enum Role {
        SortRole = Qt::UserRole + 1, // raw value to sort on (size in bytes, mtime)
        IsDirectoryRole,
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
    bool hasChildren(const QModelIndex &parent = QModelIndex()) const override;
    bool canFetchMore(const QModelIndex &parent) const override;
    void fetchMore(const QModelIndex &parent) override;

signals:
    void loadingChanged(bool loading);
    // The listing finished (check errorString()).
    void loaded();
    void errorOccurred(const QString &errorString);

private:
    void onPage(quint64 requestId, const QList<ferry::client::RemoteEntry> &entries, bool last);
    void onFailed(quint64 requestId, ferry::client::ErrorKind error, const QString &errorString);
    void expose(int count);
    QVariant displayData(const client::RemoteEntry &entry, int column) const;

    client::Session *m_session;
    FileIcons *m_icons;
    QString m_path;
    QList<client::RemoteEntry> m_entries;
    int m_exposed = 0;
    quint64 m_request = 0;
    bool m_fetchWanted = false; // the view asked while nothing was waiting
    bool m_inserting = false;
    bool m_exposeQueued = false;
    QString m_errorString;
};

} // namespace ferry::gui
