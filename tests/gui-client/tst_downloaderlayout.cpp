// What stays where in Ferry Downloader: header layouts saved by another version's columns, and the
// connect bar while its Retry button comes and goes. Offscreen, no server needed: the states are set
// as the window sets them. FERRY_SCREENSHOTS=DIR saves the connect bar's states there.
#include "guitesthelpers.h"

#include "connectbar.h"
#include "mainwindow.h"
#include "remotebrowser.h"
#include "remotemodel.h"
#include "settings.h"
#include "transfermodel.h"
#include "transferview.h"

#include <QAbstractButton>
#include <QComboBox>
#include <QCoreApplication>
#include <QEvent>
#include <QHeaderView>
#include <QPushButton>
#include <QSettings>
#include <QStandardItemModel>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>

#include <memory>

using namespace ferry;
using gui::MainWindow;

namespace {

// What a header of `columns` columns saved, with the first one widened and the last two swapped: a
// layout a user of another version (fewer columns, or others in another order) could have left.
QByteArray headerStateOf(int columns)
{
    QStandardItemModel model(0, columns);
    QTreeView view;
    view.setModel(&model);
    QHeaderView *header = view.header();
    header->resizeSection(0, 333);
    header->moveSection(columns - 1, columns - 2);
    return header->saveState();
}

// Carries out the layout requests a change posted, so that geometries are the ones the user would see.
void settle()
{
    QCoreApplication::sendPostedEvents(nullptr, QEvent::LayoutRequest);
}

} // namespace

class TestDownloaderLayout : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void headerSavedForOtherColumnsIsNotRestored_data();
    void headerSavedForOtherColumnsIsNotRestored();
    void headerSavedForTheseColumnsIsRestored();
    void connectBarStaysPutWhenRetryComesAndGoes();

private:
    QTreeView *viewOf(MainWindow *window, const QString &which) const;
    void saveScreenshot(QWidget *widget, const QString &name);

    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_ini;
};

void TestDownloaderLayout::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_ini = m_dir->filePath(QStringLiteral("downloader.ini"));
}

QTreeView *TestDownloaderLayout::viewOf(MainWindow *window, const QString &which) const
{
    return which == QLatin1String("transferHeader") ? window->transferView()->view() : window->browser()->view();
}

void TestDownloaderLayout::saveScreenshot(QWidget *widget, const QString &name)
{
    const QString dir = qEnvironmentVariable("FERRY_SCREENSHOTS");
    if (!dir.isEmpty())
        QVERIFY(widget->grab().save(dir + u'/' + name));
}

void TestDownloaderLayout::headerSavedForOtherColumnsIsNotRestored_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<int>("columns"); // of the layout saved
    QTest::addColumn<QVariant>("layout"); // the layout it was saved for; none: saved before they were recorded
    QTest::addColumn<QString>("lastTitle"); // what the view's last column must say
    const int transfers = gui::TransferModel::ColumnCount;
    QTest::newRow("transfers, before Folder, unrecorded")
        << QStringLiteral("transferHeader") << transfers - 1 << QVariant() << QStringLiteral("Folder");
    QTest::newRow("transfers, before Folder, layout 1")
        << QStringLiteral("transferHeader") << transfers - 1 << QVariant(1) << QStringLiteral("Folder");
    QTest::newRow("transfers, a newer version's")
        << QStringLiteral("transferHeader") << transfers + 1 << QVariant(gui::TransferModel::ColumnLayout + 1)
        << QStringLiteral("Folder");
    QTest::newRow("transfers, as many columns, unrecorded")
        << QStringLiteral("transferHeader") << transfers << QVariant() << QStringLiteral("Folder");
    const int remote = gui::RemoteModel::ColumnCount;
    QTest::newRow("browser, a newer version's")
        << QStringLiteral("remoteHeader") << remote + 1 << QVariant(gui::RemoteModel::ColumnLayout + 1)
        << QStringLiteral("Modified");
    QTest::newRow("browser, fewer, unrecorded")
        << QStringLiteral("remoteHeader") << remote - 1 << QVariant() << QStringLiteral("Modified");
}

// A settings file left by another version: its header layout is for other columns. The window shows its
// own columns, every one of them, in their order, with their default widths.
void TestDownloaderLayout::headerSavedForOtherColumnsIsNotRestored()
{
    QFETCH(QString, key);
    QFETCH(int, columns);
    QFETCH(QVariant, layout);
    QFETCH(QString, lastTitle);
    QList<int> defaults;
    {
        gui::Settings fresh(m_dir->filePath(QStringLiteral("fresh.ini")));
        auto window = guitest::shownWindow(&fresh);
        QHeaderView *header = viewOf(window.get(), key)->header();
        for (int i = 0; i < header->count(); ++i)
            defaults << header->sectionSize(i);
    }
    {
        QSettings old(m_ini, QSettings::IniFormat);
        old.setValue(QStringLiteral("window/") + key, headerStateOf(columns));
        if (layout.isValid())
            old.setValue(QStringLiteral("window/") + key + QStringLiteral("Layout"), layout);
    }
    gui::Settings settings(m_ini);
    auto window = guitest::shownWindow(&settings);
    QTreeView *view = viewOf(window.get(), key);
    QHeaderView *header = view->header();
    QCOMPARE(header->count(), view->model()->columnCount());
    QList<int> sizes;
    for (int logical = 0; logical < header->count(); ++logical) {
        QVERIFY2(!header->isSectionHidden(logical), qPrintable(QString::number(logical)));
        QCOMPARE(header->visualIndex(logical), logical); // nothing moved
        sizes << header->sectionSize(logical);
    }
    const int last = header->logicalIndex(header->count() - 1);
    QCOMPARE(view->model()->headerData(last, Qt::Horizontal).toString(), lastTitle);
    // The first column is the one that stretches, so compare the others, which the old layout set.
    QCOMPARE(sizes.mid(1), defaults.mid(1));
}

// Saved by this version: restored, and recorded with the layout it was saved for.
void TestDownloaderLayout::headerSavedForTheseColumnsIsRestored()
{
    gui::Settings settings(m_ini);
    int folderWidth = 0;
    {
        auto window = guitest::shownWindow(&settings);
        QHeaderView *header = window->transferView()->view()->header();
        header->resizeSection(gui::TransferModel::FolderColumn, 211);
        header->moveSection(gui::TransferModel::FolderColumn, gui::TransferModel::SizeColumn);
        folderWidth = header->sectionSize(gui::TransferModel::FolderColumn);
    }
    QCOMPARE(QSettings(m_ini, QSettings::IniFormat).value(QStringLiteral("window/transferHeaderLayout")).toInt(),
             gui::TransferModel::ColumnLayout);
    auto window = guitest::shownWindow(&settings);
    QHeaderView *header = window->transferView()->view()->header();
    QCOMPARE(header->sectionSize(gui::TransferModel::FolderColumn), folderWidth);
    QCOMPARE(header->visualIndex(gui::TransferModel::FolderColumn), int(gui::TransferModel::SizeColumn));
}

// Retry appears when the server is lost and goes once it is back: the field, Connect and the state
// text stay where they were (they moved left and back, and the text was cut shorter).
void TestDownloaderLayout::connectBarStaysPutWhenRetryComesAndGoes()
{
    gui::Settings settings(m_ini);
    auto window = guitest::shownWindow(&settings, guitest::Shown::Exposed, QSize(900, 500));
    gui::ConnectBar *bar = window->connectBar();
    const QList<QWidget *> parts{bar->findChild<QComboBox *>(QStringLiteral("serverField")),
                                 bar->findChild<QPushButton *>(QStringLiteral("connectButton")),
                                 bar->findChild<QWidget *>(QStringLiteral("connectionState"))};
    auto *retry = bar->findChild<QAbstractButton *>(QStringLiteral("retryConnectionButton"));
    QVERIFY(retry && !parts.contains(nullptr));
    auto geometries = [&] {
        QList<QRect> list{bar->geometry()};
        for (const QWidget *part : parts)
            list << part->geometry();
        return list;
    };
    bar->setState(gui::ConnectBar::State::Connected, QStringLiteral("files.example:4646 (ferry-server 1.0)"));
    QVERIFY(!retry->isVisible());
    settle();
    const QList<QRect> connected = geometries();
    saveScreenshot(bar, QStringLiteral("connect-bar-connected.png"));

    bar->setState(gui::ConnectBar::State::Lost, QStringLiteral("files.example:4646: connection refused"));
    QVERIFY(retry->isVisible());
    settle();
    QCOMPARE(geometries(), connected);
    saveScreenshot(bar, QStringLiteral("connect-bar-lost.png"));

    bar->setState(gui::ConnectBar::State::Connected, QStringLiteral("files.example:4646 (ferry-server 1.0)"));
    QVERIFY(!retry->isVisible());
    settle();
    QCOMPARE(geometries(), connected);
}

QTEST_MAIN(TestDownloaderLayout)
#include "tst_downloaderlayout.moc"
