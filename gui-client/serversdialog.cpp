#include "serversdialog.h"

#include "connectbar.h"
#include "client/fingerprint.h"
#include "settings.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QStackedWidget>
#include <QVBoxLayout>

namespace ferry::gui {

namespace {

QLineEdit *field(const QString &name, QWidget *parent)
{
    auto *edit = new QLineEdit(parent);
    edit->setObjectName(name);
    return edit;
}

} // namespace

ServersDialog::ServersDialog(Settings *settings, QWidget *parent)
    : QDialog(parent)
    , m_settings(settings)
    , m_servers(settings->servers())
    , m_list(new QListWidget(this))
    , m_listPages(new QStackedWidget(this))
    , m_emptyHint(buildEmptyHint())
    , m_name(field(QStringLiteral("nameEdit"), this))
    , m_address(field(QStringLiteral("addressEdit"), this))
    , m_folder(field(QStringLiteral("folderEdit"), this))
    , m_pin(field(QStringLiteral("pinEdit"), this))
    , m_token(field(QStringLiteral("tokenEdit"), this))
    , m_mirrors(field(QStringLiteral("mirrorsEdit"), this))
    , m_error(new QLabel(this))
    , m_remove(new QPushButton(tr("&Remove"), this))
    , m_connect(new QPushButton(tr("Co&nnect"), this))
{
    setObjectName(QStringLiteral("serversDialog"));
    setWindowTitle(tr("Servers"));
    m_list->setObjectName(QStringLiteral("serverList"));
    for (const ServerEntry &entry : std::as_const(m_servers))
        m_list->addItem(entry.name);
    auto *add = new QPushButton(tr("&Add"), this);
    add->setObjectName(QStringLiteral("addButton"));
    auto *import = new QPushButton(tr("&Import Link…"), this);
    import->setObjectName(QStringLiteral("importButton"));
    m_connect->setObjectName(QStringLiteral("connectServerButton"));
    m_remove->setObjectName(QStringLiteral("removeButton"));
    m_connect->setDefault(true);
    auto *listButtons = new QHBoxLayout;
    listButtons->addWidget(add);
    listButtons->addWidget(import);
    listButtons->addWidget(m_remove);
    m_listPages->addWidget(m_list);
    m_listPages->addWidget(m_emptyHint);
    auto *left = new QVBoxLayout;
    left->addWidget(m_listPages, 1);
    left->addLayout(listButtons);
    auto *top = new QHBoxLayout;
    top->addLayout(left, 1);
    top->addWidget(buildForm(), 2);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    buttons->addButton(m_connect, QDialogButtonBox::ActionRole);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top, 1);
    layout->addWidget(m_error);
    layout->addWidget(buttons);

    connect(m_list, &QListWidget::currentRowChanged, this, &ServersDialog::showEntry);
    connect(add, &QPushButton::clicked, this, &ServersDialog::add);
    connect(import, &QPushButton::clicked, this, &ServersDialog::askForLink);
    connect(m_remove, &QPushButton::clicked, this, &ServersDialog::removeCurrent);
    connect(m_connect, &QPushButton::clicked, this, &ServersDialog::connectCurrent);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    for (QLineEdit *edit : {m_name, m_address, m_folder, m_pin, m_token, m_mirrors})
        connect(edit, &QLineEdit::editingFinished, this, &ServersDialog::storeField);
    connect(m_name, &QLineEdit::textEdited, this, &ServersDialog::storeField); // the list follows the typing
    select(m_servers.isEmpty() ? -1 : 0);
    resize(640, 360);
}

// Looks like the empty list it stands for (frame, base colour), with the words in the placeholder
// colour the fields use.
QWidget *ServersDialog::buildEmptyHint()
{
    auto *hint = new QLabel(tr("<p><b>No servers yet.</b></p>"
                               "<p><b>Add</b> a server and fill in its address, or <b>Import Link…</b> "
                               "from a ferry:// link you were sent.</p>"
                               "<p>Servers that hold the same files (mirrors) go in a server's "
                               "<b>Mirrors</b> field.</p>"),
                            this);
    hint->setObjectName(QStringLiteral("serversEmptyHint"));
    hint->setWordWrap(true);
    hint->setAlignment(Qt::AlignCenter);
    hint->setMargin(12);
    hint->setFrameShape(m_list->frameShape());
    hint->setFrameShadow(m_list->frameShadow());
    hint->setBackgroundRole(QPalette::Base);
    hint->setAutoFillBackground(true);
    hint->setForegroundRole(QPalette::PlaceholderText);
    return hint;
}

QWidget *ServersDialog::buildForm()
{
    auto *form = new QWidget(this);
    auto *layout = new QFormLayout(form);
    layout->setContentsMargins(0, 0, 0, 0); // the dialog's own margins; the list beside it has no more
    m_address->setPlaceholderText(tr("host:port"));
    m_folder->setPlaceholderText(tr("/ (the root)"));
    m_pin->setPlaceholderText(tr("the server's identity, when it has one"));
    m_token->setEchoMode(QLineEdit::PasswordEchoOnEdit);
    m_mirrors->setPlaceholderText(tr("other servers with the same files: host:port, …"));
    m_mirrors->setToolTip(tr("Downloads take their chunks from these servers too; each chunk is checked, and a "
                             "mirror whose copy differs is left out."));
    m_error->setObjectName(QStringLiteral("serversError"));
    m_error->setWordWrap(true);
    layout->addRow(tr("&Name:"), m_name);
    layout->addRow(tr("A&ddress:"), m_address);
    layout->addRow(tr("&Folder:"), m_folder);
    layout->addRow(tr("&Identity (pin):"), m_pin);
    layout->addRow(tr("&Token:"), m_token);
    layout->addRow(tr("&Mirrors:"), m_mirrors);
    return form;
}

void ServersDialog::select(int row)
{
    m_listPages->setCurrentWidget(m_servers.isEmpty() ? m_emptyHint : static_cast<QWidget *>(m_list));
    m_list->setCurrentRow(row);
    showEntry(row);
}

void ServersDialog::showEntry(int row)
{
    const bool valid = row >= 0 && row < m_servers.size();
    const ServerEntry entry = valid ? m_servers.at(row) : ServerEntry();
    m_showing = true;
    m_name->setText(entry.name);
    m_address->setText(valid ? entry.address() : QString());
    m_folder->setText(valid ? u'/' + entry.folder : QString());
    m_pin->setText(entry.pin);
    m_token->setText(entry.token);
    m_mirrors->setText(entry.mirrors);
    m_showing = false;
    for (QLineEdit *edit : {m_name, m_address, m_folder, m_pin, m_token, m_mirrors})
        edit->setEnabled(valid);
    updateButtons();
}

// Every field of the current entry from the form; an address that does not parse is
// said below and the old one kept.
void ServersDialog::storeField()
{
    const int row = m_list->currentRow();
    if (m_showing || row < 0 || row >= m_servers.size())
        return;
    ServerEntry &entry = m_servers[row];
    entry.name = m_name->text().trimmed().isEmpty() ? entry.host : m_name->text().trimmed();
    m_list->item(row)->setText(entry.name);
    QString error;
    if (const auto url = ConnectBar::parseServer(m_address->text(), &error)) {
        entry.host = url->host();
        entry.port = url->port();
        m_error->clear();
    } else {
        m_error->setText(error);
    }
    entry.folder = client::FerryUrl(entry.host, entry.port, m_folder->text()).path();
    // A pin that is not an identity would refuse every connection: say so and keep the old one.
    const QString pin = client::normalizedFingerprint(m_pin->text());
    if (m_pin->text().trimmed().isEmpty() || !pin.isEmpty())
        entry.pin = pin;
    else
        m_error->setText(tr("The identity is not a server fingerprint (52 base32 characters, as ferry-ctl "
                            "identity prints it); the old one is kept."));
    entry.token = m_token->text().trimmed();
    if (ServerEntry::parseMirrors(m_mirrors->text(), &error))
        entry.mirrors = m_mirrors->text().trimmed();
    else
        m_error->setText(error);
}

void ServersDialog::add()
{
    ServerEntry entry;
    entry.name = tr("New server");
    entry.host = QStringLiteral("localhost");
    entry.port = 4646;
    m_servers.append(entry);
    m_list->addItem(entry.name);
    select(int(m_servers.size()) - 1);
    m_name->setFocus();
    m_name->selectAll();
}

void ServersDialog::askForLink()
{
    bool ok = false;
    const QString link = QInputDialog::getText(this, tr("Import Link"), tr("A ferry:// link to the server:"),
                                               QLineEdit::Normal, QString(), &ok);
    if (ok)
        importLink(link);
}

bool ServersDialog::importLink(const QString &link)
{
    QString error;
    const auto entry = ServerEntry::fromLink(link, &error);
    if (!entry) {
        m_error->setText(error);
        return false;
    }
    m_error->clear();
    m_servers.append(*entry);
    m_list->addItem(entry->name);
    select(int(m_servers.size()) - 1);
    return true;
}

void ServersDialog::removeCurrent()
{
    const int row = m_list->currentRow();
    if (row < 0 || row >= m_servers.size())
        return;
    m_servers.removeAt(row);
    delete m_list->takeItem(row);
    select(qMin(row, int(m_servers.size()) - 1));
}

void ServersDialog::connectCurrent()
{
    storeField();
    const int row = m_list->currentRow();
    if (row < 0 || row >= m_servers.size())
        return;
    const ServerEntry &entry = m_servers.at(row);
    emit connectRequested(entry.url());
    accept();
}

void ServersDialog::updateButtons()
{
    const bool any = m_list->currentRow() >= 0;
    m_remove->setEnabled(any);
    m_connect->setEnabled(any);
}

void ServersDialog::done(int result)
{
    storeField();
    m_settings->setServers(m_servers);
    QDialog::done(result);
}

} // namespace ferry::gui
