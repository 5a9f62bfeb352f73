#include "tokenspanel.h"

#include "adminconnection.h"
#include "tokendialog.h"
#include "tokenmodel.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

namespace ferry::admingui {

namespace {

constexpr int PollMs = 2000; // usage counts move while the tab is looked at

} // namespace

TokensPanel::TokensPanel(AdminConnection *connection, QWidget *parent)
    : QWidget(parent)
    , m_connection(connection)
    , m_model(new TokenModel(this))
    , m_sorted(new QSortFilterProxyModel(this))
    , m_view(new QTableView(this))
    , m_new(new QPushButton(tr("&New Token…"), this))
    , m_revoke(new QPushButton(tr("&Revoke"), this))
    , m_status(new QLabel(this))
    , m_poll(new QTimer(this))
{
    setObjectName(QStringLiteral("tokensPanel"));
    m_view->setObjectName(QStringLiteral("tokensView"));
    m_sorted->setSourceModel(m_model);
    m_sorted->setSortRole(TokenModel::SortRole);
    m_view->setModel(m_sorted);
    // Unsorted until a header is clicked: the server's order, oldest first, as ferry-ctl token list shows.
    m_view->horizontalHeader()->setSortIndicator(-1, Qt::AscendingOrder);
    m_view->setSortingEnabled(true);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->verticalHeader()->hide();
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_new->setObjectName(QStringLiteral("newTokenButton"));
    m_revoke->setObjectName(QStringLiteral("revokeTokenButton"));
    m_status->setObjectName(QStringLiteral("tokensStatus"));
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_new);
    buttons->addWidget(m_revoke);
    buttons->addStretch(1);
    buttons->addWidget(m_status);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(buttons);
    layout->addWidget(m_view, 1);

    m_poll->setInterval(PollMs);
    connect(m_poll, &QTimer::timeout, this, &TokensPanel::refresh);
    connect(m_new, &QPushButton::clicked, this, &TokensPanel::openForm);
    connect(m_revoke, &QPushButton::clicked, this, &TokensPanel::revokeSelected);
    connect(m_connection, &AdminConnection::replyReceived, this, &TokensPanel::onReply);
    connect(m_connection, &AdminConnection::stateChanged, this, [this] {
        updateButtons();
        if (m_connection->isConnected() && isVisible())
            refresh();
    });
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, &TokensPanel::updateButtons);
    connect(m_model, &QAbstractItemModel::modelReset, this, &TokensPanel::updateButtons);
    updateButtons();
}

void TokensPanel::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    refresh();
    m_poll->start();
}

void TokensPanel::hideEvent(QHideEvent *event)
{
    m_poll->stop();
    QWidget::hideEvent(event);
}

void TokensPanel::refresh()
{
    if (m_listId < 0) // one list request in flight at a time
        m_listId = m_connection->sendRequest(QJsonObject{{"cmd", "token_list"}});
}

void TokensPanel::openForm()
{
    auto *form = new TokenDialog(this);
    form->setAttribute(Qt::WA_DeleteOnClose);
    connect(form, &QDialog::accepted, this, [this, form] { createToken(form->request()); });
    form->open();
}

void TokensPanel::createToken(const QJsonObject &request)
{
    m_createLabel = request.value("label").toString();
    m_createId = m_connection->sendRequest(request);
    if (m_createId < 0)
        say(tr("Not connected to the server: no token was made."));
}

void TokensPanel::revokeSelected()
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return;
    const QString id = rows.first().data(TokenModel::IdRole).toString();
    const QString label = rows.first().siblingAtColumn(TokenModel::LabelColumn).data().toString();
    m_revokeId = m_connection->sendRequest(QJsonObject{{"cmd", "token_revoke"}, {"token", id}});
    say(tr("Revoking %1…").arg(label.isEmpty() ? id : label));
}

void TokensPanel::onReply(int id, const QJsonObject &reply)
{
    const bool ok = reply.value("ok").toBool();
    const QString problem = reply.value("message").toString();
    if (id == m_listId) {
        m_listId = -1;
        if (ok)
            m_model->setTokens(reply.value("tokens").toArray());
        else
            say(tr("Could not list tokens: %1").arg(problem));
    } else if (id == m_createId) {
        m_createId = -1;
        if (!ok) {
            QMessageBox::warning(this, tr("No Token Made"), tr("The server did not make the token: %1").arg(problem));
            return;
        }
        auto *dialog = new TokenLinkDialog(m_createLabel, reply.value("link").toString(), this);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        dialog->open();
        say(tr("Made %1.").arg(reply.value("token").toObject().value("id").toString()));
        refresh();
    } else if (id == m_revokeId) {
        m_revokeId = -1;
        say(ok ? tr("Revoked: connections holding it are cut within a second.")
               : tr("Could not revoke: %1").arg(problem));
        refresh();
    }
}

void TokensPanel::updateButtons()
{
    const bool connected = m_connection->isConnected();
    m_new->setEnabled(connected);
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    m_revoke->setEnabled(connected && !rows.isEmpty()
                         && rows.first().data(TokenModel::StateRole).toString() == QLatin1String("active"));
}

void TokensPanel::say(const QString &text) { m_status->setText(text); }

} // namespace ferry::admingui
