// `ferry-get ls URL`: a remote listing like `ls -l`, or JSON. A URL naming several servers (or a bare
// domain with a DNS SRV record) is listed from the first that answers, as downloads fail over.
#pragma once

#include "client/clienttypes.h"
#include "client/ferryurl.h"

#include <QList>
#include <QObject>

namespace ferry::client {
class Session;
}

namespace ferry::get {

class LsCommand : public QObject
{
    Q_OBJECT
public:
    LsCommand(const client::FerryUrl &url, bool json, QObject *parent = nullptr);

    void start();

signals:
    void finished(int exitCode);

private:
    void onPage(quint64 id, const QList<client::RemoteEntry> &entries, bool last);
    void onStat(quint64 id, const client::RemoteEntry &entry);
    void onFailed(quint64 id, client::ErrorKind kind, const QString &reason);
    void print();

    client::FerryUrl m_url;
    bool m_json;
    client::Session *m_session;
    QList<client::RemoteEntry> m_entries;
    quint64 m_listId = 0;
    quint64 m_statId = 0;
};

} // namespace ferry::get
