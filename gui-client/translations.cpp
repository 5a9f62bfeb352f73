#include "translations.h"

#include <QCoreApplication>
#include <QTranslator>

namespace ferry::gui {

bool installTranslations()
{
    static QTranslator *installed = nullptr;
    if (installed)
        return true;
    auto *translator = new QTranslator(QCoreApplication::instance());
    // Only English exists so far; other languages would be chosen by QLocale() here.
    if (!translator->load(QStringLiteral(":/i18n/ferry-client_en.qm"))
        || !QCoreApplication::installTranslator(translator)) {
        delete translator;
        return false;
    }
    installed = translator;
    return true;
}

} // namespace ferry::gui
