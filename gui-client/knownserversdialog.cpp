#include "knownserversdialog.h"

#include "client/servertrust.h"

#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QHeaderView>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace ferry::gui {

KnownServersDialog::KnownServersDialog(QWidget *parent)
    : QDialog(parent), m_list(new QTreeWidget(this)), m_remove(new QPushButton(tr("&Remove"), this))
{
    setWindowTitle(tr("Known Servers"));
    m_list->setObjectName(QStringLiteral("knownServersList"));
    m_list->setHeaderLabels({tr("Server"), tr("Identity")});
    m_list->setRootIsDecorated(false);
    m_list->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_list->setMinimumWidth(720);
    m_remove->setObjectName(QStringLiteral("removeButton"));
    auto *note = new QLabel(tr("Servers whose identity you trusted. A server that presents another identity is "
                               "refused; remove its entry only when its administrator confirms the new one "
                               "(<tt>ferry-ctl identity</tt>). Shared with ferry-get: %1")
                                .arg(client::ServerTrust::instance().knownServers().path().toHtmlEscaped()),
                            this);
    note->setWordWrap(true);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    buttons->addButton(m_remove, QDialogButtonBox::ActionRole);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(note);
    layout->addWidget(m_list, 1);
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_remove, &QPushButton::clicked, this, &KnownServersDialog::removeSelected);
    connect(m_list, &QTreeWidget::itemSelectionChanged, this,
            [this] { m_remove->setEnabled(!m_list->selectedItems().isEmpty()); });
    reload();
}

void KnownServersDialog::reload()
{
    m_list->clear();
    const QFont fixed = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    for (const client::KnownServers::Entry &entry : client::ServerTrust::instance().knownServers().entries()) {
        auto *item = new QTreeWidgetItem(m_list, {entry.server, entry.fingerprint});
        item->setFont(1, fixed);
    }
    // As wide as the longest server plus a gap: fitted exactly, a server ran into its identity.
    m_list->resizeColumnToContents(0);
    m_list->header()->resizeSection(0, m_list->header()->sectionSize(0) + 3 * m_list->fontMetrics().averageCharWidth());
    m_remove->setEnabled(false);
}

void KnownServersDialog::removeSelected()
{
    client::KnownServers &known = client::ServerTrust::instance().knownServers();
    for (QTreeWidgetItem *item : m_list->selectedItems()) {
        QString error;
        if (known.remove(item->text(0), &error) == 0 && !error.isEmpty())
            QMessageBox::warning(this, windowTitle(), error);
    }
    reload();
}

} // namespace ferry::gui
