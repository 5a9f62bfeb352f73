#include "screenshothook.h"

#include <QApplication>
#include <QPixmap>
#include <QTimer>
#include <QWidget>

#include <cstdio>

namespace ferry::gui {

// Grabs the window itself rather than the screen: no window manager, no desktop
// around it, the same pixels on every machine that renders the same style.
void installScreenshotHook(QWidget *window)
{
    const QString path = qEnvironmentVariable("FERRY_GRAB");
    if (path.isEmpty())
        return;
    bool ok = false;
    int delayMs = qEnvironmentVariableIntValue("FERRY_GRAB_DELAY_MS", &ok);
    if (!ok)
        delayMs = 3000;
    QTimer::singleShot(delayMs, window, [window, path] {
        if (!window->grab().save(path))
            std::fprintf(stderr, "ferry-client: could not save %s\n", qPrintable(path));
        QApplication::quit(); // not close(): that may ask whether to stop running downloads
    });
}

} // namespace ferry::gui
