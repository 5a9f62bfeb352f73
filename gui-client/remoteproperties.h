// Properties of one remote entry: what the listing says about it, and its link.
#pragma once

#include "client/clienttypes.h"

#include <QDialog>

namespace ferry::gui {

// Read-only; every value can be selected and copied (the link above all).
class RemoteProperties : public QDialog
{
    Q_OBJECT
public:
    // `path` is relative to the server root; `link` its ferry:// URL.
    RemoteProperties(const client::RemoteEntry &entry, const QString &path, const QString &link,
                     QWidget *parent = nullptr);
};

} // namespace ferry::gui
