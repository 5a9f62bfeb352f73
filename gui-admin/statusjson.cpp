#include "statusjson.h"

#include <QJsonDocument>

namespace ferry::admingui {

admin::Json toAdminJson(const QJsonObject &object)
{
    // Through text, once a second at most: simpler than walking two JSON trees. What adminproto refuses
    // (nesting deeper than its bound) comes back as null, which no reader takes for a status.
    const QByteArray text = QJsonDocument(object).toJson(QJsonDocument::Compact);
    return admin::parseJson(std::string_view(text.constData(), size_t(text.size()))).value.value_or(admin::Json());
}

std::optional<StatusSnapshot> statusFromJson(const QJsonObject &object)
{
    return admin::statusFromJson(toAdminJson(object));
}

} // namespace ferry::admingui
