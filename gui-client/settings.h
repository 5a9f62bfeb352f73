// Ferry Downloader's preferences and remembered state, on top of QSettings.
#pragma once

#include "serverbook.h"

#include "client/clienttypes.h"

#include <QByteArray>
#include <QJsonArray>
#include <QString>
#include <QStringList>

#include <memory>

class QSettings;

namespace ferry::gui {

// Not a QObject: a typed view of one settings file. Every setter writes through,
// so a crash loses nothing that was already set. Tests pass an explicit INI path;
// the application uses the default location for its organisation and name.
class Settings
{
public:
    static constexpr int MaxRecentServers = 10;

    explicit Settings(const QString &iniPath = QString());
    ~Settings();
    Settings(const Settings &) = delete;
    Settings &operator=(const Settings &) = delete;

    QString downloadFolder() const; // QStandardPaths::DownloadLocation until chosen
    void setDownloadFolder(const QString &folder);
    int maxConcurrent() const;
    void setMaxConcurrent(int count);
    // All downloads together, bytes per second; 0: no limit.
    qint64 speedLimit() const;
    void setSpeedLimit(qint64 bytesPerSecond);
    client::ExistingFilePolicy existingFilePolicy() const;
    void setExistingFilePolicy(client::ExistingFilePolicy policy);

    // Questions before destructive actions, each of which the user may turn off.
    enum class Question { RemoveUnfinished, RemoveWithFile, CancelWithData, QuitWhileDownloading };
    bool asks(Question question) const; // true until "Don't ask again"
    void setAsks(Question question, bool ask);
    // Whether removing an unfinished download deletes its .part: the last answer.
    bool removeDeletesPartial() const;
    void setRemoveDeletesPartial(bool remove);

    // An icon in the system tray (where the desktop has one); off until chosen.
    bool showTrayIcon() const;
    void setShowTrayIcon(bool show);

    // Servers remembered by name, in the user's order.
    QList<ServerEntry> servers() const;
    void setServers(const QList<ServerEntry> &servers);

    // "host:port" strings, most recent first.
    QStringList recentServers() const;
    void addRecentServer(const QString &server);

    // Opaque blobs from saveGeometry()/saveState() of windows and splitters.
    QByteArray windowState(const QString &key) const;
    void setWindowState(const QString &key, const QByteArray &state);
    // A header's saveState(), kept with the column layout it was saved for (the model's ColumnLayout).
    // Empty when the stored one was saved for another layout, or before layouts were recorded: restored
    // onto other columns it would hide, misplace or mislabel them (QHeaderView knows sections by number).
    QByteArray headerState(const QString &key, int layout) const;
    void setHeaderState(const QString &key, int layout, const QByteArray &state);

    // The transfer queue as DownloadQueue::saveState() produced it, as far as it can be read
    // (client/savedjob.h). When the text is damaged, `damage` says so in one line, and the text is
    // kept under transfers/queueDamaged: the next save writes only what could be read.
    QJsonArray queue(QString *damage = nullptr) const;
    void setQueue(const QJsonArray &queue);

    void sync();
    QString fileName() const;

private:
    std::unique_ptr<QSettings> m_settings;
};

} // namespace ferry::gui
