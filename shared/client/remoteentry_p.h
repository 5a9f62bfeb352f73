// Conversions between the wire types and the engine's types. Internal.
#pragma once

#include "clienttypes.h"

#include "protocol/messages.h"

namespace ferry::client {

RemoteEntry toRemoteEntry(const proto::Entry &entry);
// "path: message" for an ERROR answer about `path`.
QString remoteErrorText(const proto::Error &error, const QString &path);
// Which category an ERROR falls in (decides whether a retry can help).
ErrorKind kindOf(const proto::Error &error);

} // namespace ferry::client
