#include "activitypanel.h"

#include "activityfilter.h"
#include "activitymodel.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QTableView>
#include <QVBoxLayout>

namespace ferry::admingui {

ActivityPanel::ActivityPanel(ActivityModel *model, QWidget *parent)
    : QWidget(parent), m_model(model), m_filter(new ActivityFilter(this))
{
    setObjectName(QStringLiteral("activityPanel"));
    m_filter->setSourceModel(model);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(createFilterRow());
    m_view = new QTableView(this);
    m_view->setObjectName(QStringLiteral("activityView"));
    m_view->setModel(m_filter);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(ActivityModel::TimeColumn, Qt::AscendingOrder); // newest last, as a log reads
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setAlternatingRowColors(true);
    m_view->setWordWrap(false);
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 6);
    // Every column as wide as what it shows, the path taking the rest. Measured over the first 200 rows
    // only: sizing by all 5,000 would cost a pass over them at each burst.
    QHeaderView *header = m_view->horizontalHeader();
    header->setResizeContentsPrecision(200);
    header->setSectionResizeMode(QHeaderView::ResizeToContents);
    header->setSectionResizeMode(ActivityModel::PathColumn, QHeaderView::Stretch);
    layout->addWidget(m_view, 1);

    connect(m_filter, &QAbstractItemModel::rowsInserted, this, [this] {
        updateCount();
        followNewest();
    });
    connect(m_filter, &QAbstractItemModel::rowsRemoved, this, &ActivityPanel::updateCount);
    connect(m_filter, &QAbstractItemModel::modelReset, this, [this] {
        updateCount();
        followNewest();
    });
    connect(m_follow, &QCheckBox::toggled, this, &ActivityPanel::followNewest);
    updateCount();
}

QLineEdit *ActivityPanel::addFilterField(QWidget *row, const QString &placeholder, const QString &name)
{
    auto *edit = new QLineEdit(row);
    edit->setObjectName(name);
    edit->setPlaceholderText(placeholder);
    edit->setClearButtonEnabled(true);
    row->layout()->addWidget(edit);
    return edit;
}

QWidget *ActivityPanel::createFilterRow()
{
    auto *row = new QWidget(this);
    auto *layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(new QLabel(tr("Filter:"), row));
    m_path = addFilterField(row, tr("Path"), QStringLiteral("activityPathFilter"));
    m_token = addFilterField(row, tr("Token"), QStringLiteral("activityTokenFilter"));
    m_peer = addFilterField(row, tr("Client address"), QStringLiteral("activityPeerFilter"));
    m_result = addFilterField(row, tr("Result, e.g. NOT_FOUND"), QStringLiteral("activityResultFilter"));
    const std::pair<QLineEdit *, ActivityFilter::Field> fields[] = {{m_path, ActivityFilter::Field::Path},
                                                                    {m_token, ActivityFilter::Field::Token},
                                                                    {m_peer, ActivityFilter::Field::Peer},
                                                                    {m_result, ActivityFilter::Field::Result}};
    for (const auto &[edit, field] : fields)
        connect(edit, &QLineEdit::textChanged, this, [this, field = field](const QString &text) {
            m_filter->setText(field, text);
            updateCount();
        });
    m_follow = new QCheckBox(tr("Follow new requests"), row);
    m_follow->setObjectName(QStringLiteral("activityFollow"));
    m_follow->setChecked(true);
    m_follow->setToolTip(tr("Keep the newest request in view as requests finish"));
    layout->addWidget(m_follow);
    m_count = new QLabel(row);
    m_count->setObjectName(QStringLiteral("activityCount"));
    layout->addWidget(m_count);
    return row;
}

QString ActivityPanel::countText() const { return m_count->text(); }

void ActivityPanel::setNotice(const QString &text)
{
    m_notice = text;
    updateCount();
}

void ActivityPanel::updateCount()
{
    if (!m_notice.isEmpty()) {
        m_count->setText(m_notice);
        return;
    }
    const QLocale locale;
    m_count->setText(tr("%1 of %2 requests shown")
                         .arg(locale.toString(m_filter->rowCount()), locale.toString(m_model->rowCount())));
}

void ActivityPanel::followNewest()
{
    if (m_follow->isChecked())
        m_view->scrollToBottom();
}

} // namespace ferry::admingui
