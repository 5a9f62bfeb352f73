// Ferry Downloader: ferry-client [ferry://host[:port]/path ...]
#include "appinfo.h"
#include "mainwindow.h"
#include "settings.h"
#include "singleinstance.h"
#include "translations.h"

#include "client/ferryurl.h"
#include "ferry_version.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>

#include <cstdio>

#include "desktop/screenshothook.h"

// Says on this process's stderr what is wrong with a link: a second launch hands its
// links to the running window, which shows the same, but the caller of this one
// (a terminal, a script) should hear it too. False if any link is bad.
static bool checkLinks(const QStringList &links)
{
    bool allGood = true;
    for (const QString &text : links) {
        QString error;
        if (!ferry::client::FerryUrl::parse(text, &error)) {
            std::fprintf(stderr, "ferry-client: %s\n", qPrintable(error));
            allGood = false;
        }
    }
    return allGood;
}

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Ferry"));
    QApplication::setApplicationName(QStringLiteral("Ferry Downloader"));
    QApplication::setApplicationVersion(QStringLiteral(FERRY_VERSION));
    // Must match the installed org.ferry.Downloader.desktop, so that desktops (Wayland
    // in particular) pair the window with its launcher and icon.
    QGuiApplication::setDesktopFileName(QLatin1String(ferry::gui::DesktopId));
    // Without a desktop session (a bare X server, a minimal window manager) Qt knows no
    // icon theme and every file type looks the same; borrow a common theme if installed.
    if (QIcon::fallbackThemeName().isEmpty() || QIcon::fallbackThemeName() == QLatin1String("hicolor"))
        QIcon::setFallbackThemeName(QStringLiteral("Adwaita"));
    QApplication::setWindowIcon(QIcon::fromTheme(QLatin1String(ferry::gui::DesktopId)));
    if (!ferry::gui::installTranslations())
        qWarning("ferry-client: the translations are missing from this build");

    QCommandLineParser parser;
    parser.setApplicationDescription(QApplication::translate(
        "main", "Browse a Ferry server and download its files. A folder URL opens it, a file URL downloads it."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("url"),
                                 QApplication::translate("main", "ferry://host[:port]/path (default port 4646)"),
                                 QStringLiteral("[url...]"));
    parser.process(app);

    const bool linksGood = checkLinks(parser.positionalArguments());
    ferry::gui::SingleInstance instance(ferry::gui::SingleInstance::defaultSocketPath());
    if (instance.sendToRunning(parser.positionalArguments()))
        return linksGood ? 0 : 2; // the running window took the links (and shows what was wrong)
    if (!instance.listen())
        qWarning("ferry-client: %s", qPrintable(instance.errorString()));

    ferry::gui::Settings settings;
    ferry::gui::MainWindow window(&settings);
    window.show();
    window.openLinks(parser.positionalArguments());
    QObject::connect(&instance, &ferry::gui::SingleInstance::argumentsReceived, &window,
                     [&window](const QStringList &arguments) {
                         window.openLinks(arguments);
                         window.showNormal();
                         window.raise();
                         window.activateWindow();
                     });
    ferry::desktop::installScreenshotHook(&window);
    return app.exec();
}
