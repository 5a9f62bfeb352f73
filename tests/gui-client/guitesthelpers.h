// Shared bits of the Ferry Downloader tests: a shown window, finding widgets, reading model rows.
#pragma once

#include "mainwindow.h"
#include "remotemodel.h"
#include "remotesortmodel.h"
#include "settings.h"

#include <QAbstractItemModel>
#include <QModelIndex>
#include <QString>
#include <QTest>

#include <memory>

namespace guitest {

enum class Shown {
    Exposed, // on screen
    Active,  // and with the focus: for tests that type or use shortcuts
};

// A Downloader window over `settings`, shown, once the platform says it is exposed (or active). `size`, if
// given, is the window's size (screenshots).
inline std::unique_ptr<ferry::gui::MainWindow> shownWindow(ferry::gui::Settings *settings,
                                                           Shown wait = Shown::Exposed, QSize size = {})
{
    auto window = std::make_unique<ferry::gui::MainWindow>(settings);
    if (size.isValid())
        window->resize(size);
    window->show();
    if (wait == Shown::Active) {
        window->activateWindow();
        if (!QTest::qWaitForWindowActive(window.get()))
            qWarning("the window did not become active");
    } else if (!QTest::qWaitForWindowExposed(window.get())) {
        qWarning("the window was not exposed");
    }
    return window;
}

// The proxy row whose name is `name`, or an invalid index.
inline QModelIndex rowNamed(const QAbstractItemModel *model, const QString &name)
{
    for (int row = 0; row < model->rowCount(); ++row) {
        const QModelIndex index = model->index(row, ferry::gui::RemoteModel::NameColumn);
        if (index.data().toString() == name)
            return index;
    }
    return QModelIndex();
}

inline QStringList names(const QAbstractItemModel *model)
{
    QStringList list;
    for (int row = 0; row < model->rowCount(); ++row)
        list << model->index(row, 0).data().toString();
    return list;
}

} // namespace guitest
