// The server at a glance: who it is, whether it accepts, how the pool and the queue look, what it has sent.
// Only shows what it is given; every value is a selectable label with an object name (summary.KEY).
#pragma once

#include <QHash>
#include <QWidget>

class QGridLayout;
class QLabel;

namespace ferry::admin {
struct PoolInfo;
struct ServerInfo;
struct StatusSnapshot;
}

namespace ferry::admingui {

class SummaryPanel : public QWidget
{
    Q_OBJECT
public:
    explicit SummaryPanel(QWidget *parent = nullptr);

    void setStatus(const admin::StatusSnapshot &status);
    // Dashes everywhere: nothing is known while disconnected.
    void clear();
    // The text shown for a key such as "state" or "workers" (for tests and accessibility).
    QString valueText(const QString &key) const;
    // How many groups stand side by side: 3 when they fit whole, fewer in a narrow window, so values
    // wrap onto more rows instead of being cut off.
    int columns() const { return m_columns; }

protected:
    void resizeEvent(QResizeEvent *event) override;

private:
    void addGroup(const QString &title, const QList<QPair<QString, QString>> &rows);
    void reflow(int width);
    void showServer(const admin::ServerInfo &server, qint64 uptimeS);
    void showPool(const admin::PoolInfo &pool);
    static QString breakerText(const admin::PoolInfo &pool);
    void set(const QString &key, const QString &text, const QString &toolTip = {});

    QHash<QString, QLabel *> m_values;
    QGridLayout *m_grid;
    QList<QWidget *> m_groups;
    int m_columns = 0;
};

} // namespace ferry::admingui
