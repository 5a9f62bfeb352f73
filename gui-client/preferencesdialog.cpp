#include "preferencesdialog.h"

#include "knownserversdialog.h"
#include "settings.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>

namespace ferry::gui {

using client::ExistingFilePolicy;

PreferencesDialog::PreferencesDialog(Settings *settings, QWidget *parent)
    : QDialog(parent)
    , m_settings(settings)
    , m_folder(new QLineEdit(settings->downloadFolder(), this))
    , m_concurrent(new QSpinBox(this))
    , m_speedLimit(new QSpinBox(this))
    , m_policy(new QComboBox(this))
    , m_tray(new QCheckBox(tr("Show an icon in the system &tray"), this))
{
    setWindowTitle(tr("Preferences"));
    m_folder->setObjectName(QStringLiteral("folderEdit"));
    m_folder->setMinimumWidth(320);
    auto *browse = new QPushButton(tr("&Browse…"), this);
    auto *folderRow = new QHBoxLayout;
    folderRow->addWidget(m_folder, 1);
    folderRow->addWidget(browse);

    m_concurrent->setObjectName(QStringLiteral("concurrentSpin"));
    m_concurrent->setRange(1, 32);
    m_concurrent->setValue(settings->maxConcurrent());

    m_speedLimit->setObjectName(QStringLiteral("speedLimitSpin"));
    m_speedLimit->setRange(0, 1024 * 1024);
    m_speedLimit->setSingleStep(64);
    m_speedLimit->setSuffix(tr(" KiB/s"));
    m_speedLimit->setSpecialValueText(tr("No limit"));
    m_speedLimit->setValue(int(settings->speedLimit() / 1024));

    m_policy->setObjectName(QStringLiteral("policyCombo"));
    m_policy->addItem(tr("Keep both: save as “name (1)”"), int(ExistingFilePolicy::Rename));
    m_policy->addItem(tr("Resume: treat it as a partial download"), int(ExistingFilePolicy::Resume));
    m_policy->addItem(tr("Overwrite it"), int(ExistingFilePolicy::Overwrite));
    m_policy->addItem(tr("Skip the download"), int(ExistingFilePolicy::Skip));
    m_policy->setCurrentIndex(m_policy->findData(int(settings->existingFilePolicy())));

    auto *form = new QFormLayout;
    // A row given a layout gets a label without a buddy, which would show its "&".
    auto *folderLabel = new QLabel(tr("Download &folder:"), this);
    folderLabel->setBuddy(m_folder);
    form->addRow(folderLabel, folderRow);
    form->addRow(tr("&Concurrent downloads:"), m_concurrent);
    form->addRow(tr("Speed &limit (all downloads):"), m_speedLimit);
    form->addRow(tr("When a file &exists:"), m_policy);
    m_tray->setObjectName(QStringLiteral("trayCheck"));
    m_tray->setChecked(settings->showTrayIcon());
    m_tray->setToolTip(tr("Overall progress in its tooltip; notifications appear there. Without a tray, "
                          "they appear in the window."));
    form->addRow(QString(), m_tray);
    auto *known = new QPushButton(tr("&Known servers…"), this);
    known->setObjectName(QStringLiteral("knownServersButton"));
    form->addRow(tr("Server identities:"), known);
    connect(known, &QPushButton::clicked, this, [this] { KnownServersDialog(this).exec(); });
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(buttons);

    connect(browse, &QPushButton::clicked, this, &PreferencesDialog::chooseFolder);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(this, &QDialog::accepted, this, &PreferencesDialog::apply);
}

void PreferencesDialog::chooseFolder()
{
    const QString folder = QFileDialog::getExistingDirectory(this, tr("Download Folder"), m_folder->text());
    if (!folder.isEmpty())
        m_folder->setText(folder);
}

void PreferencesDialog::apply()
{
    if (!m_folder->text().trimmed().isEmpty())
        m_settings->setDownloadFolder(m_folder->text().trimmed());
    m_settings->setMaxConcurrent(m_concurrent->value());
    m_settings->setSpeedLimit(qint64(m_speedLimit->value()) * 1024);
    m_settings->setExistingFilePolicy(ExistingFilePolicy(m_policy->currentData().toInt()));
    m_settings->setShowTrayIcon(m_tray->isChecked());
}

} // namespace ferry::gui
