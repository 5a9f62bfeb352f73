#include "workerspanel.h"

#include "scoreboardstrip.h"
#include "workerdelegate.h"
#include "workerfilter.h"
#include "workermodel.h"

#include <QAction>
#include <QCheckBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLineEdit>
#include <QMenu>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>

namespace ferry::admingui {

WorkersPanel::WorkersPanel(WorkerModel *model, QWidget *parent)
    : QWidget(parent), m_model(model), m_filter(new WorkerFilter(this)), m_strip(new ScoreboardStrip(this)),
      m_view(new QTableView(this)), m_killGraceful(new QAction(tr("Stop worker gracefully…"), this)),
      m_killNow(new QAction(tr("Kill worker now…"), this)), m_disconnect(new QAction(tr("Disconnect its client"), this))
{
    m_strip->setObjectName(QStringLiteral("scoreboardStrip"));
    m_killGraceful->setObjectName(QStringLiteral("killGracefulAction"));
    m_killGraceful->setToolTip(tr("The worker finishes its current transfer, then exits; the pool refills the slot"));
    m_killNow->setObjectName(QStringLiteral("killNowAction"));
    m_killNow->setToolTip(tr("SIGKILL at once; its client's connection is closed"));
    m_disconnect->setObjectName(QStringLiteral("disconnectSlotAction"));
    m_disconnect->setToolTip(tr("Abort the worker's transfer and close its connection; the worker survives"));

    setUpView();
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_strip);
    layout->addWidget(createFilterRow());
    layout->addWidget(m_view, 1);

    connect(m_strip, &ScoreboardStrip::slotClicked, this, &WorkersPanel::selectSlot);
    connect(m_view, &QWidget::customContextMenuRequested, this, &WorkersPanel::showContextMenu);
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, &WorkersPanel::updateActions);
    connect(m_filter, &QAbstractItemModel::modelReset, this, &WorkersPanel::updateActions);
    connect(m_filter, &QAbstractItemModel::rowsRemoved, this, &WorkersPanel::updateActions);
    connect(m_filter, &QAbstractItemModel::dataChanged, this, &WorkersPanel::updateActions);
    connect(m_killGraceful, &QAction::triggered, this, [this] { Q_EMIT killRequested(selectedSlot(), true); });
    connect(m_killNow, &QAction::triggered, this, [this] { Q_EMIT killRequested(selectedSlot(), false); });
    connect(m_disconnect, &QAction::triggered, this, [this] { Q_EMIT disconnectRequested(selectedSlot()); });
    updateActions();
}

void WorkersPanel::setUpView()
{
    m_filter->setSourceModel(m_model);
    m_view->setObjectName(QStringLiteral("workersView"));
    m_view->setModel(m_filter);
    m_view->setItemDelegate(new WorkerDelegate(m_view));
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(WorkerModel::SlotColumn, Qt::AscendingOrder);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setAlternatingRowColors(true);
    m_view->setWordWrap(false);
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 10);
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->horizontalHeader()->setSectionsMovable(true);
    m_view->setContextMenuPolicy(Qt::CustomContextMenu);
    const QList<QPair<int, int>> widths = {
        {WorkerModel::SlotColumn, 40},      {WorkerModel::PidColumn, 58},    {WorkerModel::GenerationColumn, 38},
        {WorkerModel::StateColumn, 96},     {WorkerModel::PeerColumn, 116},  {WorkerModel::FileColumn, 170},
        {WorkerModel::ProgressColumn, 100}, {WorkerModel::BytesColumn, 150}, {WorkerModel::SpeedColumn, 84},
        {WorkerModel::DurationColumn, 76},  {WorkerModel::RequestsColumn, 64}, {WorkerModel::CpuColumn, 56},
        {WorkerModel::RssColumn, 72},       {WorkerModel::FdsColumn, 38}};
    for (const auto &[column, width] : widths)
        m_view->setColumnWidth(column, width);
}

QWidget *WorkersPanel::createFilterRow()
{
    auto *row = new QWidget(this);
    auto *layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    m_filterEdit = new QLineEdit(row);
    m_filterEdit->setObjectName(QStringLiteral("workerFilterEdit"));
    m_filterEdit->setPlaceholderText(tr("Filter workers: file, peer, state, pid…"));
    m_filterEdit->setClearButtonEnabled(true);
    m_busyOnly = new QCheckBox(tr("Busy only"), row);
    m_busyOnly->setObjectName(QStringLiteral("busyOnlyCheck"));
    layout->addWidget(m_filterEdit, 1);
    layout->addWidget(m_busyOnly);
    for (QAction *action : {m_killGraceful, m_killNow, m_disconnect}) {
        auto *button = new QToolButton(row);
        button->setDefaultAction(action);
        button->setToolButtonStyle(Qt::ToolButtonTextOnly);
        layout->addWidget(button);
    }
    connect(m_filterEdit, &QLineEdit::textChanged, m_filter, &QSortFilterProxyModel::setFilterFixedString);
    connect(m_busyOnly, &QCheckBox::toggled, m_filter, &WorkerFilter::setBusyOnly);
    return row;
}

int WorkersPanel::selectedSlot() const
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    return rows.isEmpty() ? -1 : rows.first().data(WorkerModel::SlotRole).toInt();
}

qint64 WorkersPanel::selectedConnection() const
{
    const int row = m_model->rowForSlot(selectedSlot());
    return row < 0 ? 0 : m_model->worker(row).connection;
}

void WorkersPanel::selectSlot(int slot)
{
    const int sourceRow = m_model->rowForSlot(slot);
    if (sourceRow < 0)
        return;
    const QModelIndex index = m_filter->mapFromSource(m_model->index(sourceRow, 0));
    if (!index.isValid())
        return; // filtered out
    m_view->selectionModel()->select(index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_view->setCurrentIndex(index);
    m_view->scrollTo(index);
}

void WorkersPanel::updateActions()
{
    const bool selected = selectedSlot() >= 0;
    m_killGraceful->setEnabled(selected);
    m_killNow->setEnabled(selected);
    m_disconnect->setEnabled(selected && selectedConnection() > 0);
}

void WorkersPanel::showContextMenu(const QPoint &position)
{
    const QModelIndex index = m_view->indexAt(position);
    if (!index.isValid())
        return;
    selectSlot(index.data(WorkerModel::SlotRole).toInt());
    updateActions();
    QMenu menu(this);
    menu.addAction(m_killGraceful);
    menu.addAction(m_killNow);
    menu.addAction(m_disconnect);
    menu.exec(m_view->viewport()->mapToGlobal(position));
}

QByteArray WorkersPanel::saveHeaderState() const
{
    return m_view->horizontalHeader()->saveState();
}

void WorkersPanel::restoreHeaderState(const QByteArray &state)
{
    if (!state.isEmpty())
        m_view->horizontalHeader()->restoreState(state);
}

} // namespace ferry::admingui
