// The Activity view: who fetched what, live. A filter row (path, token, client, result), the table of
// recent audit records, and "Follow new requests": while it is on, the table keeps the newest row in view
// (a live tail); scrolling up to read turns nothing off, the box does.
#pragma once

#include <QWidget>

class QCheckBox;
class QLabel;
class QLineEdit;
class QTableView;

namespace ferry::admingui {

class ActivityFilter;
class ActivityModel;

class ActivityPanel : public QWidget
{
    Q_OBJECT
public:
    explicit ActivityPanel(ActivityModel *model, QWidget *parent = nullptr);

    QTableView *view() const { return m_view; }
    ActivityFilter *filter() const { return m_filter; }
    QLineEdit *pathFilter() const { return m_path; }
    QLineEdit *tokenFilter() const { return m_token; }
    QLineEdit *peerFilter() const { return m_peer; }
    QLineEdit *resultFilter() const { return m_result; }
    QCheckBox *followBox() const { return m_follow; }
    // "12 of 2,000 requests shown", or why there is nothing (the audit log off, not connected).
    QString countText() const;
    // Said in place of the count: e.g. the server runs with --audit-log off.
    void setNotice(const QString &text);

private:
    QWidget *createFilterRow();
    QLineEdit *addFilterField(QWidget *row, const QString &placeholder, const QString &name);
    void updateCount();
    void followNewest();

    ActivityModel *m_model;
    ActivityFilter *m_filter;
    QTableView *m_view = nullptr;
    QLineEdit *m_path = nullptr;
    QLineEdit *m_token = nullptr;
    QLineEdit *m_peer = nullptr;
    QLineEdit *m_result = nullptr;
    QCheckBox *m_follow = nullptr;
    QLabel *m_count = nullptr;
    QString m_notice;
};

} // namespace ferry::admingui
