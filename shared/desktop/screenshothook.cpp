#include "desktop/screenshothook.h"

#include <QAbstractItemView>
#include <QAction>
#include <QApplication>
#include <QContextMenuEvent>
#include <QCoreApplication>
#include <QItemSelectionModel>
#include <QPainter>
#include <QPixmap>
#include <QTimer>
#include <QWidget>

#include <cstdio>

namespace ferry::desktop {

namespace {

const char *appName()
{
    static const QByteArray name = QCoreApplication::applicationName().toLocal8Bit();
    return name.constData();
}

// The window with the open popup (a menu) painted where it shows; the canvas grows if
// the popup reaches past the window's edge.
QPixmap composed(QWidget *window)
{
    const QPixmap base = window->grab();
    QWidget *popup = QApplication::activePopupWidget();
    if (!popup)
        return base;
    const QPixmap menu = popup->grab();
    const QPoint at = popup->mapToGlobal(QPoint(0, 0)) - window->mapToGlobal(QPoint(0, 0));
    const QSize size = QRect(QPoint(0, 0), base.deviceIndependentSize().toSize())
                           .united(QRect(at, menu.deviceIndependentSize().toSize())).size();
    QPixmap canvas(size * base.devicePixelRatio());
    canvas.setDevicePixelRatio(base.devicePixelRatio());
    canvas.fill(Qt::transparent);
    QPainter painter(&canvas);
    painter.drawPixmap(0, 0, base);
    painter.drawPixmap(at, menu);
    return canvas;
}

void save(QWidget *window, const QString &path)
{
    if (!composed(window).save(path))
        std::fprintf(stderr, "%s: could not save %s\n", appName(), qPrintable(path));
    if (QWidget *popup = QApplication::activePopupWidget())
        popup->close();
    QCoreApplication::exit(0); // not quit() or close(): those may ask whether to stop running downloads
}

// As the menu key does: the context menu of the current row (the first if none).
void openContextMenu(QWidget *window, const QString &viewName)
{
    auto *view = window->findChild<QAbstractItemView *>(viewName);
    if (!view || !view->model() || view->model()->rowCount() == 0) {
        std::fprintf(stderr, "%s: no rows in %s for a menu\n", appName(), qPrintable(viewName));
        return;
    }
    if (!view->currentIndex().isValid())
        view->setCurrentIndex(view->model()->index(0, 0));
    view->selectionModel()->select(view->currentIndex(), QItemSelectionModel::Select | QItemSelectionModel::Rows);
    const QPoint at = view->visualRect(view->currentIndex()).center() + QPoint(40, 0);
    QContextMenuEvent event(QContextMenuEvent::Keyboard, at, view->viewport()->mapToGlobal(at));
    QApplication::sendEvent(view->viewport(), &event); // returns when the menu closes
}

// Triggers the window's action named `name` (it opens a dialog) and saves the dialog.
void grabDialogOf(QWidget *window, const QString &name, const QString &path)
{
    auto *action = window->findChild<QAction *>(name);
    if (!action) {
        std::fprintf(stderr, "%s: no action %s\n", appName(), qPrintable(name));
        QCoreApplication::exit(1);
        return;
    }
    QTimer::singleShot(600, window, [path] {
        QWidget *dialog = QApplication::activeModalWidget();
        if (!dialog || !dialog->grab().save(path))
            std::fprintf(stderr, "%s: could not save %s\n", appName(), qPrintable(path));
        if (dialog)
            dialog->close();
        QCoreApplication::exit(0);
    });
    action->trigger(); // returns when the dialog closes
}

} // namespace

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
    const QString menuOf = qEnvironmentVariable("FERRY_GRAB_MENU");
    const QString dialogOf = qEnvironmentVariable("FERRY_GRAB_ACTION");
    QTimer::singleShot(delayMs, window, [window, path, menuOf, dialogOf] {
        if (!dialogOf.isEmpty()) {
            grabDialogOf(window, dialogOf, path);
            return;
        }
        if (menuOf.isEmpty()) {
            save(window, path);
            return;
        }
        // The menu runs its own event loop: the grab comes from a timer inside it.
        QTimer::singleShot(400, window, [window, path] { save(window, path); });
        openContextMenu(window, menuOf);
    });
}

} // namespace ferry::desktop
