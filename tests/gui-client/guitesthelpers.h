// Shared bits of the Ferry Downloader tests: finding widgets, reading model rows.
#pragma once

#include "remotemodel.h"
#include "remotesortmodel.h"

#include <QAbstractItemModel>
#include <QModelIndex>
#include <QString>

namespace guitest {

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
