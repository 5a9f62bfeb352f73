// The setting both window suites share: a real ferry-server (three workers, rate-limited so a download is
// still running whenever a test looks) and Ferry Admin's real window connected to it, offscreen, with its
// workers model checked by QAbstractItemModelTester under real traffic.
#pragma once

#include "mainwindow.h"
#include "serverprocess.h"
#include "testtree.h"
#include "workerfilter.h"
#include "workermodel.h"
#include "workerspanel.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QMessageBox>
#include <QPushButton>
#include <QTest>
#include <QTimer>

#include <memory>

namespace adminwindowtest {

using namespace ferry::admingui;
using namespace ferrytest;

constexpr int Timeout = 20000;
constexpr quint64 FileSize = 16 * 1024 * 1024;
// Slow enough that the transfer is still running whenever the test looks, fast enough to see bytes move.
constexpr int RateLimit = 256 * 1024;
// Above RateLimit, so it never slows the one download a test runs; the panel must show it on connect.
constexpr int RatePerIp = 4 * 1024 * 1024;

// Clicks the affirmative button of the confirmation box as soon as it is up.
class ConfirmClicker : public QObject
{
public:
    ConfirmClicker()
    {
        connect(&m_timer, &QTimer::timeout, this, [this] {
            auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
            if (!box)
                return;
            if (auto *button = box->findChild<QPushButton *>(QStringLiteral("confirmButton"))) {
                m_text = box->text();
                m_informativeText = box->informativeText();
                m_timer.stop();
                button->click();
            }
        });
        m_timer.start(20);
    }
    QString text() const { return m_text; }
    QString informativeText() const { return m_informativeText; }

private:
    QTimer m_timer;
    QString m_text;
    QString m_informativeText;
};

// Owns the server and the window for one test function: open() from init(), close() from cleanup().
class AdminWindowFixture
{
protected:
    bool startServer()
    {
        m_server = std::make_unique<ServerProcess>(
            m_tree->root(), QStringList{"--workers", "3", "--admin-socket", m_socket, "--rate-limit",
                                        QString::number(RateLimit), "--rate-per-ip", QString::number(RatePerIp)});
        return m_server->start();
    }

    // A tree with media/big.bin, the server, and the window connected and showing its three workers.
    void open()
    {
        m_tree = std::make_unique<TestTree>();
        QVERIFY(m_tree->isValid());
        QVERIFY(!m_tree->addFile(QStringLiteral("media/big.bin"), FileSize, 7).isEmpty());
        m_socket = m_tree->base() + QStringLiteral("/admin/admin.sock");
        QVERIFY2(startServer(), qPrintable(m_server->diagnostics()));
        m_window = std::make_unique<MainWindow>(m_socket);
        m_modelTester = std::make_unique<QAbstractItemModelTester>(
            m_window->workerModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        m_filterTester = std::make_unique<QAbstractItemModelTester>(
            m_window->workersPanel()->filter(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        m_window->connection()->setSubscribeInterval(250);
        m_window->show();
        m_window->connection()->start();
        QTRY_VERIFY2_WITH_TIMEOUT(m_window->connection()->isConnected(),
                                  qPrintable(m_window->connection()->stateText()), Timeout);
        QTRY_COMPARE_WITH_TIMEOUT(m_window->workerModel()->rowCount(), 3, Timeout);
    }

    void close()
    {
        m_filterTester.reset();
        m_modelTester.reset();
        m_window.reset();
        m_server.reset();
        m_tree.reset();
    }

    std::unique_ptr<TestTree> m_tree;
    std::unique_ptr<ServerProcess> m_server;
    std::unique_ptr<MainWindow> m_window;
    // The real model under real traffic (rows merged, inserted, removed) checked on every change.
    std::unique_ptr<QAbstractItemModelTester> m_modelTester;
    std::unique_ptr<QAbstractItemModelTester> m_filterTester;
    QString m_socket;
};

} // namespace adminwindowtest
