#include "settings.h"

#include "client/savedjob.h"

#include <QJsonDocument>
#include <QSettings>
#include <QStandardPaths>

namespace ferry::gui {

namespace {
constexpr auto KeyDownloadFolder = "downloads/folder";
constexpr auto KeyMaxConcurrent = "downloads/maxConcurrent";
constexpr auto KeyPolicy = "downloads/existingFile";
constexpr auto KeySpeedLimit = "downloads/speedLimit";
constexpr auto KeyTrayIcon = "window/trayIcon";
constexpr auto KeyRecent = "connection/recentServers";
constexpr auto KeyQueue = "transfers/queue";
constexpr auto KeyQueueDamaged = "transfers/queueDamaged";
constexpr auto KeyRemoveDeletesPartial = "confirm/removeDeletesPartial";

QString questionKey(Settings::Question question)
{
    switch (question) {
    case Settings::Question::RemoveUnfinished: return QStringLiteral("confirm/removeUnfinished");
    case Settings::Question::RemoveWithFile: return QStringLiteral("confirm/removeWithFile");
    case Settings::Question::CancelWithData: return QStringLiteral("confirm/cancelWithData");
    case Settings::Question::QuitWhileDownloading: return QStringLiteral("confirm/quitWhileDownloading");
    }
    return QString();
}
} // namespace

Settings::Settings(const QString &iniPath)
    : m_settings(iniPath.isEmpty() ? std::make_unique<QSettings>()
                                   : std::make_unique<QSettings>(iniPath, QSettings::IniFormat))
{
}

Settings::~Settings() = default;

QString Settings::downloadFolder() const
{
    const QString fallback = QStandardPaths::writableLocation(QStandardPaths::DownloadLocation);
    return m_settings->value(KeyDownloadFolder, fallback).toString();
}

void Settings::setDownloadFolder(const QString &folder)
{
    m_settings->setValue(KeyDownloadFolder, folder);
}

int Settings::maxConcurrent() const
{
    const int count = m_settings->value(KeyMaxConcurrent, 3).toInt();
    return qBound(1, count, 32);
}

void Settings::setMaxConcurrent(int count)
{
    m_settings->setValue(KeyMaxConcurrent, count);
}

qint64 Settings::speedLimit() const
{
    return qMax<qint64>(0, m_settings->value(KeySpeedLimit, 0).toLongLong());
}

void Settings::setSpeedLimit(qint64 bytesPerSecond)
{
    m_settings->setValue(KeySpeedLimit, bytesPerSecond);
}

client::ExistingFilePolicy Settings::existingFilePolicy() const
{
    const QString name = m_settings->value(KeyPolicy).toString();
    return client::policyFromName(name).value_or(client::ExistingFilePolicy::Rename);
}

void Settings::setExistingFilePolicy(client::ExistingFilePolicy policy)
{
    m_settings->setValue(KeyPolicy, client::policyName(policy));
}

bool Settings::asks(Question question) const
{
    return m_settings->value(questionKey(question), true).toBool();
}

void Settings::setAsks(Question question, bool ask)
{
    m_settings->setValue(questionKey(question), ask);
}

bool Settings::removeDeletesPartial() const
{
    return m_settings->value(KeyRemoveDeletesPartial, true).toBool();
}

void Settings::setRemoveDeletesPartial(bool remove)
{
    m_settings->setValue(KeyRemoveDeletesPartial, remove);
}

bool Settings::showTrayIcon() const
{
    return m_settings->value(KeyTrayIcon, false).toBool();
}

void Settings::setShowTrayIcon(bool show)
{
    m_settings->setValue(KeyTrayIcon, show);
}

QList<ServerEntry> Settings::servers() const
{
    return ServerBook::load(*m_settings);
}

void Settings::setServers(const QList<ServerEntry> &servers)
{
    ServerBook::save(*m_settings, servers);
}

QStringList Settings::recentServers() const
{
    return m_settings->value(KeyRecent).toStringList();
}

void Settings::addRecentServer(const QString &server)
{
    QStringList recent = recentServers();
    recent.removeAll(server);
    recent.prepend(server);
    while (recent.size() > MaxRecentServers)
        recent.removeLast();
    m_settings->setValue(KeyRecent, recent);
}

QByteArray Settings::windowState(const QString &key) const
{
    return m_settings->value(QStringLiteral("window/") + key).toByteArray();
}

void Settings::setWindowState(const QString &key, const QByteArray &state)
{
    m_settings->setValue(QStringLiteral("window/") + key, state);
}

QByteArray Settings::headerState(const QString &key, int layout) const
{
    const QString path = QStringLiteral("window/") + key;
    bool ok = false;
    const int saved = m_settings->value(path + QStringLiteral("Layout")).toInt(&ok);
    if (!ok || saved != layout)
        return QByteArray();
    return m_settings->value(path).toByteArray();
}

void Settings::setHeaderState(const QString &key, int layout, const QByteArray &state)
{
    const QString path = QStringLiteral("window/") + key;
    m_settings->setValue(path, state);
    m_settings->setValue(path + QStringLiteral("Layout"), layout);
}

// Stored as compact JSON text: readable in the INI file, and QSettings has no JSON type.
QJsonArray Settings::queue(QString *damage) const
{
    const QByteArray text = m_settings->value(KeyQueue).toByteArray();
    QString why;
    const QJsonArray queue = client::readSavedQueue(text, &why);
    if (!why.isEmpty())
        m_settings->setValue(KeyQueueDamaged, text);
    if (damage)
        *damage = why;
    return queue;
}

void Settings::setQueue(const QJsonArray &queue)
{
    m_settings->setValue(KeyQueue, QJsonDocument(queue).toJson(QJsonDocument::Compact));
}

void Settings::sync()
{
    m_settings->sync();
}

QString Settings::fileName() const
{
    return m_settings->fileName();
}

} // namespace ferry::gui
