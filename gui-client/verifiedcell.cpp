#include "verifiedcell.h"

#include "transfermodel.h"

#include <QApplication>
#include <QClipboard>
#include <QHBoxLayout>
#include <QItemSelectionModel>
#include <QLabel>
#include <QStyle>
#include <QToolButton>
#include <QTreeView>

namespace ferry::gui {

VerifiedCells::VerifiedCells(QTreeView *view, TransferModel *model) : QObject(view), m_view(view), m_model(model)
{
    connect(model, &QAbstractItemModel::rowsInserted, this,
            [this](const QModelIndex &, int first, int last) { update(first, last); });
    connect(model, &QAbstractItemModel::dataChanged, this,
            [this](const QModelIndex &topLeft, const QModelIndex &bottomRight) {
                update(topLeft.row(), bottomRight.row());
            });
    connect(model, &QAbstractItemModel::modelReset, this, [this] { update(0, m_model->rowCount() - 1); });
    // The cells are opaque widgets over their rows: they take on the selection's colours themselves.
    connect(view->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        for (int row = 0; row < m_model->rowCount(); ++row)
            colour(m_model->index(row, TransferModel::StatusColumn));
    });
    update(0, model->rowCount() - 1);
}

void VerifiedCells::colour(const QModelIndex &status)
{
    QWidget *cell = m_view->indexWidget(status);
    if (!cell)
        return;
    const bool selected = m_view->selectionModel()->isSelected(status);
    QPalette palette = m_view->palette();
    for (const QPalette::ColorGroup group : {QPalette::Active, QPalette::Inactive, QPalette::Disabled}) {
        const QBrush back = palette.brush(group, selected ? QPalette::Highlight : QPalette::Base);
        const QBrush text = palette.brush(group, selected ? QPalette::HighlightedText : QPalette::Text);
        // The cell paints with the viewport's roles (Base), its labels and button with their own.
        for (const QPalette::ColorRole role : {QPalette::Base, QPalette::Window, QPalette::Button})
            palette.setBrush(group, role, back);
        for (const QPalette::ColorRole role : {QPalette::Text, QPalette::WindowText, QPalette::ButtonText})
            palette.setBrush(group, role, text);
    }
    cell->setPalette(palette);
}

void VerifiedCells::update(int firstRow, int lastRow)
{
    for (int row = std::max(firstRow, 0); row <= lastRow && row < m_model->rowCount(); ++row) {
        const QModelIndex status = m_model->index(row, TransferModel::StatusColumn);
        const bool verified = !status.data(TransferModel::Sha256Role).toString().isEmpty();
        if (verified && !m_view->indexWidget(status))
            decorate(status);
        else if (!verified && m_view->indexWidget(status))
            m_view->setIndexWidget(status, nullptr); // e.g. retried after all
    }
}

void VerifiedCells::decorate(const QModelIndex &status)
{
    auto *cell = new QWidget;
    cell->setAutoFillBackground(true); // covers the model's own text beneath
    auto *layout = new QHBoxLayout(cell);
    layout->setContentsMargins(4, 0, 2, 0);
    layout->setSpacing(4);
    auto *icon = new QLabel(cell);
    const int size = cell->style()->pixelMetric(QStyle::PM_SmallIconSize);
    icon->setPixmap(cell->style()->standardIcon(QStyle::SP_DialogApplyButton).pixmap(size, size));
    auto *text = new QLabel(status.data(Qt::DisplayRole).toString(), cell);
    text->setObjectName(QStringLiteral("verifiedText"));
    const QString digest = status.data(TransferModel::Sha256Role).toString();
    text->setToolTip(tr("SHA-256: %1").arg(digest));
    auto *copy = new QToolButton(cell);
    copy->setObjectName(QStringLiteral("copySha256"));
    copy->setText(tr("Copy"));
    copy->setToolTip(tr("Copy the SHA-256 to the clipboard"));
    copy->setAutoRaise(true);
    copy->setToolButtonStyle(Qt::ToolButtonTextOnly);
    connect(copy, &QToolButton::clicked, copy, [digest] { QApplication::clipboard()->setText(digest); });
    layout->addWidget(icon);
    layout->addWidget(text, 1);
    layout->addWidget(copy);
    m_view->setIndexWidget(status, cell);
    colour(status);
}

} // namespace ferry::gui
