// ferry-admin: Ferry Admin, live worker status and pool control over the server's admin socket.
#include "adminconnection.h"
#include "mainwindow.h"

#include "desktop/screenshothook.h"
#include "ferry_version.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>

using namespace ferry::admingui;

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("Ferry Admin"));
    QApplication::setOrganizationName(QStringLiteral("Ferry"));
    QApplication::setApplicationVersion(QStringLiteral(FERRY_VERSION));
    // Must match resources/org.ferry.Admin.desktop, so the desktop shows the right icon and name.
    QGuiApplication::setDesktopFileName(QStringLiteral("org.ferry.Admin"));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/ferry-admin.png")));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Live worker status and pool control for ferry-server."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption socket(QStringLiteral("admin-socket"),
                                    QStringLiteral("The server's admin socket (default %1).")
                                        .arg(defaultAdminSocketPath()),
                                    QStringLiteral("PATH"), defaultAdminSocketPath());
    const QCommandLineOption interval(QStringLiteral("interval"),
                                      QStringLiteral("Status refresh interval in milliseconds (100 … 60000)."),
                                      QStringLiteral("MS"), QStringLiteral("1000"));
    parser.addOption(socket);
    parser.addOption(interval);
    parser.process(app);

    bool ok = false;
    const int intervalMs = parser.value(interval).toInt(&ok);
    if (!ok || intervalMs < 100 || intervalMs > 60000) {
        qCritical("ferry-admin: --interval must be a number of milliseconds from 100 to 60000");
        return 2;
    }
    MainWindow window(parser.value(socket));
    window.connection()->setSubscribeInterval(intervalMs);
    window.show();
    ferry::desktop::installScreenshotHook(&window);
    window.connection()->start();
    return app.exec();
}
