// The Tokens tab: the server's access tokens with their usage, kept fresh while the tab is shown; New makes
// one from a form and shows its link once; Revoke ends one (docs/ADMIN.md §5.7–5.9).
#pragma once

#include <QJsonObject>
#include <QWidget>

class QLabel;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;
class QTimer;

namespace ferry::admingui {

class AdminConnection;
class TokenModel;

class TokensPanel : public QWidget
{
    Q_OBJECT
public:
    explicit TokensPanel(AdminConnection *connection, QWidget *parent = nullptr);

    TokenModel *model() const { return m_model; }
    // Shows the model through a sorting proxy: the view's rows are not the model's once a header is clicked.
    QTableView *view() const { return m_view; }
    // Sends a token_create request; on success the link dialog opens (window-modal) and the list refreshes.
    void createToken(const QJsonObject &request);
    void revokeSelected();
    void refresh();

protected:
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;

private:
    void openForm();
    void onReply(int id, const QJsonObject &reply);
    void updateButtons();
    void say(const QString &text);

    AdminConnection *m_connection;
    TokenModel *m_model;
    QSortFilterProxyModel *m_sorted;
    QTableView *m_view;
    QPushButton *m_new;
    QPushButton *m_revoke;
    QLabel *m_status;
    QTimer *m_poll;
    int m_listId = -1, m_createId = -1, m_revokeId = -1;
    QString m_createLabel;
};

} // namespace ferry::admingui
