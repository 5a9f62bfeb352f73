#include "remoteproperties.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLocale>
#include <QVBoxLayout>

namespace ferry::gui {

namespace {

QString kindText(const client::RemoteEntry &entry)
{
    switch (entry.kind) {
    case client::RemoteEntry::Kind::File: return RemoteProperties::tr("File");
    case client::RemoteEntry::Kind::Directory: return RemoteProperties::tr("Folder");
    case client::RemoteEntry::Kind::Other: return RemoteProperties::tr("Other (not downloadable)");
    }
    return QString();
}

QLabel *value(const QString &text, QWidget *parent)
{
    auto *label = new QLabel(text, parent);
    label->setTextFormat(Qt::PlainText);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    label->setWordWrap(true);
    return label;
}

} // namespace

RemoteProperties::RemoteProperties(const client::RemoteEntry &entry, const QString &path, const QString &link,
                                   QWidget *parent)
    : QDialog(parent)
{
    setObjectName(QStringLiteral("remoteProperties"));
    setWindowTitle(tr("Properties of %1").arg(entry.name));
    const QLocale locale;
    auto *form = new QFormLayout;
    form->addRow(tr("Name:"), value(entry.name, this));
    form->addRow(tr("Type:"), value(kindText(entry), this));
    form->addRow(tr("Location:"), value(u'/' + path, this));
    if (!entry.isDirectory()) {
        form->addRow(tr("Size:"), value(tr("%1 (%2 bytes)").arg(locale.formattedDataSize(entry.size),
                                                               locale.toString(entry.size)), this));
    }
    form->addRow(tr("Modified:"), value(locale.toString(entry.modified().toLocalTime(), QLocale::LongFormat), this));
    form->addRow(tr("Link:"), value(link, this));
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(buttons);
    setMinimumWidth(420);
}

} // namespace ferry::gui
