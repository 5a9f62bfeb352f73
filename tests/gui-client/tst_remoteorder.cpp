// The remote browser's order is the whole folder's, by the user's collation: the
// model and its proxy against a real server, as the browser's view uses them.
#include "guitesthelpers.h"
#include "serverprocess.h"
#include "testtree.h"

#include "remotemodel.h"
#include "remotesortmodel.h"

#include "client/session.h"

#include <QAbstractItemModelTester>
#include <QLocale>
#include <QRandomGenerator>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTest>

#include <algorithm>
#include <numeric>
#include <memory>

using namespace ferry;
using gui::RemoteModel;

namespace {

constexpr int NoteCount = 3000;

QString noteName(int n)
{
    return QStringLiteral("note_%1.txt").arg(n, 4, 10, QLatin1Char('0'));
}

QStringList noteNames(int first, int last)
{
    QStringList names;
    for (int n = first; first <= last ? n <= last : n >= last; n += first <= last ? 1 : -1)
        names << noteName(n);
    return names;
}

} // namespace

class TestRemoteOrder : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void sortCoversTheWholeFolder();
    void namesFollowTheLocale_data();
    void namesFollowTheLocale();

private:
    // Lists `path` through a model sorted by name, as the browser does.
    void listSorted(RemoteModel &model, gui::RemoteSortModel &proxy, const QString &path);

    ferrytest::TestTree m_tree;
    std::unique_ptr<ServerProcess> m_server;
};

void TestRemoteOrder::initTestCase()
{
    if (ServerProcess::defaultProgram().isEmpty())
        QSKIP("ferry-server is not built");
    QVERIFY(m_tree.isValid());
    // Created in a shuffled order, so that no directory order happens to be the sorted one.
    QList<int> numbers(NoteCount);
    std::iota(numbers.begin(), numbers.end(), 1);
    std::shuffle(numbers.begin(), numbers.end(), *QRandomGenerator::global());
    for (int n : numbers)
        QVERIFY(!m_tree.addTextFile(QStringLiteral("notes/") + noteName(n), QByteArray::number(n)).isEmpty());
    for (const char *name : {"Quarterly report.pdf", "Überweisung 2026.pdf", "Ça va.txt", "apple.txt",
                             "file10.txt", "file2.txt", "Zebra.txt"})
        QVERIFY(!m_tree.addTextFile(QStringLiteral("intl/") + QString::fromUtf8(name), "x").isEmpty());
    QVERIFY(!m_tree.addDir(QStringLiteral("intl/Übersicht")).isEmpty());
    m_server = std::make_unique<ServerProcess>(m_tree.root());
    QVERIFY2(m_server->start(), qPrintable(m_server->diagnostics()));
}

void TestRemoteOrder::listSorted(RemoteModel &model, gui::RemoteSortModel &proxy, const QString &path)
{
    proxy.setSourceModel(&model);
    proxy.sort(RemoteModel::NameColumn, Qt::AscendingOrder); // the view sorts before anything is listed
    QSignalSpy loaded(&model, &RemoteModel::loaded);
    model.setPath(path);
    QVERIFY(loaded.wait(30000));
    QVERIFY2(model.errorString().isEmpty(), qPrintable(model.errorString()));
}

// The first rows shown are the first of the folder, not the first of the pages that
// arrived; the next batch continues where the first ended, in either direction.
void TestRemoteOrder::sortCoversTheWholeFolder()
{
    client::Session session;
    session.setServer(m_server->host(), m_server->port());
    RemoteModel model(&session);
    gui::RemoteSortModel proxy;
    QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
    listSorted(model, proxy, QStringLiteral("notes"));
    QCOMPARE(model.loadedCount(), NoteCount);
    QCOMPARE(proxy.rowCount(), RemoteModel::BatchSize);
    QCOMPARE(guitest::names(&proxy), noteNames(1, RemoteModel::BatchSize));

    model.fetchMore(QModelIndex());
    QCOMPARE(guitest::names(&proxy), noteNames(1, 2 * RemoteModel::BatchSize));

    proxy.sort(RemoteModel::NameColumn, Qt::DescendingOrder);
    QCOMPARE(guitest::names(&proxy), noteNames(NoteCount, NoteCount - 2 * RemoteModel::BatchSize + 1));
}

void TestRemoteOrder::namesFollowTheLocale_data()
{
    QTest::addColumn<QString>("locale");
    QTest::newRow("C (no language chosen)") << "C";
    QTest::newRow("German") << "de_DE";
    QTest::newRow("English") << "en_GB";
}

// "Ç" and "Ü" sort beside "C" and "U", digit runs by value, case folded; folders first.
void TestRemoteOrder::namesFollowTheLocale()
{
    QFETCH(QString, locale);
    const QLocale previous;
    QLocale::setDefault(QLocale(locale));
    const auto restore = qScopeGuard([&previous] { QLocale::setDefault(previous); });
    client::Session session;
    session.setServer(m_server->host(), m_server->port());
    RemoteModel model(&session);
    gui::RemoteSortModel proxy;
    listSorted(model, proxy, QStringLiteral("intl"));
    const QStringList expected{QStringLiteral("Übersicht"),           QStringLiteral("apple.txt"),
                               QStringLiteral("Ça va.txt"),           QStringLiteral("file2.txt"),
                               QStringLiteral("file10.txt"),          QStringLiteral("Quarterly report.pdf"),
                               QStringLiteral("Überweisung 2026.pdf"), QStringLiteral("Zebra.txt")};
    QCOMPARE(guitest::names(&proxy), expected);
}

QTEST_MAIN(TestRemoteOrder)
#include "tst_remoteorder.moc"
