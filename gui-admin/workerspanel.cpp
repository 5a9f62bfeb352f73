#include "workerspanel.h"

#include "scoreboardstrip.h"
#include "workerdelegate.h"
#include "workerfilter.h"
#include "workermodel.h"

#include <QAction>
#include <QCheckBox>
#include <QEvent>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLineEdit>
#include <QMenu>
#include <QTableView>
#include <QToolBar>
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

    // Removing the selected row deselects it and lets the view select a neighbour: not the user's choice,
    // so not remembered. Connected before the view and the filter see the model, so this runs first.
    for (auto signal : {&QAbstractItemModel::rowsAboutToBeRemoved, &QAbstractItemModel::rowsAboutToBeInserted})
        connect(m_model, signal, this, [this] { m_restoringSelection = true; });
    connect(m_model, &QAbstractItemModel::modelAboutToBeReset, this, [this] { m_restoringSelection = true; });
    setUpView();
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_strip);
    layout->addWidget(createFilterRow());
    layout->addWidget(m_view, 1);

    connect(m_strip, &ScoreboardStrip::slotClicked, this, &WorkersPanel::selectSlot);
    connect(m_view, &QWidget::customContextMenuRequested, this, &WorkersPanel::showContextMenu);
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, &WorkersPanel::rememberSelection);
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, &WorkersPanel::updateActions);
    connect(m_filter, &QAbstractItemModel::modelReset, this, &WorkersPanel::restoreSelection);
    connect(m_filter, &QAbstractItemModel::rowsRemoved, this, &WorkersPanel::restoreSelection);
    connect(m_filter, &QAbstractItemModel::rowsInserted, this, &WorkersPanel::restoreSelection);
    connect(m_filter, &QAbstractItemModel::layoutChanged, this, &WorkersPanel::restoreSelection);
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
    // Long paths keep their file name: "releases/2026/…/ferry-1.0-x86_64.iso".
    m_view->setTextElideMode(Qt::ElideMiddle);
    QHeaderView *header = m_view->horizontalHeader();
    header->setStretchLastSection(true);
    header->setSectionsMovable(true);
    header->setContextMenuPolicy(Qt::CustomContextMenu);
    m_view->setContextMenuPolicy(Qt::CustomContextMenu);
    const QList<QPair<int, int>> widths = {
        {WorkerModel::SlotColumn, 40},      {WorkerModel::StateColumn, 96},      {WorkerModel::ConnectionColumn, 52},
        {WorkerModel::PeerColumn, 116},     {WorkerModel::FileColumn, 220},      {WorkerModel::ProgressColumn, 100},
        {WorkerModel::SpeedColumn, 84},     {WorkerModel::DurationColumn, 76},   {WorkerModel::BytesColumn, 150},
        {WorkerModel::RequestsColumn, 64},  {WorkerModel::CpuColumn, 56},        {WorkerModel::RssColumn, 72},
        {WorkerModel::FdsColumn, 38},       {WorkerModel::PidColumn, 58},        {WorkerModel::GenerationColumn, 38}};
    for (const auto &[column, width] : widths)
        m_view->setColumnWidth(column, width);
    connect(header, &QWidget::customContextMenuRequested, this, &WorkersPanel::showHeaderMenu);
    connect(header, &QHeaderView::sectionResized, this, [this](int section) {
        if (section == WorkerModel::FileColumn && !m_fittingFile)
            m_fileSizedByUser = true;
    });
    m_view->viewport()->installEventFilter(this);
}

bool WorkersPanel::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_view->viewport() && event->type() == QEvent::Resize)
        fitFileColumn();
    return QWidget::eventFilter(watched, event);
}

void WorkersPanel::fitFileColumn()
{
    if (m_fileSizedByUser)
        return;
    constexpr int MinimumFileWidth = 160;
    QHeaderView *header = m_view->horizontalHeader();
    int others = 0;
    for (int visual = 0; visual < header->count(); ++visual) {
        const int column = header->logicalIndex(visual);
        if (column != WorkerModel::FileColumn && !header->isSectionHidden(column))
            others += header->sectionSize(column);
        if (column == WorkerModel::DurationColumn)
            break;
    }
    m_fittingFile = true;
    header->resizeSection(WorkerModel::FileColumn, qMax(MinimumFileWidth, m_view->viewport()->width() - others));
    m_fittingFile = false;
}

void WorkersPanel::showHeaderMenu(const QPoint &position)
{
    QHeaderView *header = m_view->horizontalHeader();
    QMenu menu(this);
    menu.setObjectName(QStringLiteral("columnsMenu"));
    for (int column = 0; column < m_model->columnCount(); ++column) {
        QAction *action = menu.addAction(m_model->headerData(column, Qt::Horizontal).toString());
        action->setCheckable(true);
        action->setChecked(!header->isSectionHidden(column));
        // The slot is what every action on a worker names: it stays.
        action->setEnabled(column != WorkerModel::SlotColumn);
        connect(action, &QAction::toggled, this, [this, header, column](bool shown) {
            header->setSectionHidden(column, !shown);
            fitFileColumn();
        });
    }
    menu.exec(header->mapToGlobal(position));
}

void WorkersPanel::rememberSelection()
{
    if (!m_restoringSelection)
        m_wantedSlot = selectedSlot();
}

void WorkersPanel::restoreSelection()
{
    m_restoringSelection = true;
    const int sourceRow = m_model->rowForSlot(m_wantedSlot);
    const QModelIndex index =
        sourceRow < 0 ? QModelIndex() : m_filter->mapFromSource(m_model->index(sourceRow, 0));
    if (!index.isValid())
        m_view->selectionModel()->clearSelection();
    else if (selectedSlot() != m_wantedSlot)
        m_view->selectionModel()->select(index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_restoringSelection = false;
    updateActions();
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
    // Squeezed, buttons in a row clipped their words ("p worker graceful") and the filter shrank to
    // "Fi…"; a tool bar moves the actions that do not fit into its » menu instead.
    m_filterEdit->setMinimumWidth(m_filterEdit->fontMetrics().horizontalAdvance(u'x') * 20);
    auto *actions = new QToolBar(row);
    actions->setObjectName(QStringLiteral("workerActionsBar"));
    actions->setToolButtonStyle(Qt::ToolButtonTextOnly);
    actions->addActions({m_killGraceful, m_killNow, m_disconnect});
    layout->addWidget(m_filterEdit, 1);
    layout->addWidget(m_busyOnly);
    layout->addWidget(actions);
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
    // A layout saved by a version with other columns does not restore; the defaults stand then.
    if (!state.isEmpty() && m_view->horizontalHeader()->restoreState(state))
        m_fileSizedByUser = true;
}

} // namespace ferry::admingui
