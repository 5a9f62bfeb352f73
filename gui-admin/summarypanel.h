// The server at a glance: who it is, whether it accepts, how the pool and the queue look, what it has sent.
// Only shows what it is given; every value is a selectable label with an object name (summary.KEY).
#pragma once

#include <QHash>
#include <QWidget>

class QGridLayout;
class QLabel;

namespace ferry::admingui {

struct AdminStatus;

class SummaryPanel : public QWidget
{
    Q_OBJECT
public:
    explicit SummaryPanel(QWidget *parent = nullptr);

    void setStatus(const AdminStatus &status);
    // Dashes everywhere: nothing is known while disconnected.
    void clear();
    // The text shown for a key such as "state" or "workers" (for tests and accessibility).
    QString valueText(const QString &key) const;

private:
    void addGroup(QGridLayout *grid, int column, const QString &title, const QList<QPair<QString, QString>> &rows);
    static QString breakerText(const AdminStatus &status);
    void set(const QString &key, const QString &text, const QString &toolTip = {});

    QHash<QString, QLabel *> m_values;
};

} // namespace ferry::admingui
