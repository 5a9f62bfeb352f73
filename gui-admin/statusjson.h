// Where Qt's JSON meets the admin protocol's types. AdminConnection reads lines with QJsonDocument (it
// also handles events and replies); the status itself is adminproto's StatusSnapshot, read by adminproto's
// statusFromJson — the inverse of what the server writes — so this app keeps no copy of the status model.
// Widgets turn its std::string fields into QString where they show them.
#pragma once

#include "adminproto/status.h"

#include <QJsonObject>
#include <QString>

#include <optional>

namespace ferry::admingui {

using admin::PoolLimitsInfo;
using admin::StatusSnapshot;
using admin::WorkerInfo;

// The same value as adminproto's JSON; O(size of the object).
admin::Json toAdminJson(const QJsonObject &object);
// nullopt when `object` is not a STATUS object (docs/ADMIN.md §4.1).
std::optional<StatusSnapshot> statusFromJson(const QJsonObject &object);

inline QString toQString(const std::string &text)
{
    return QString::fromStdString(text);
}

} // namespace ferry::admingui
