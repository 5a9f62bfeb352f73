// The application's translations, including English's own plural forms.
#pragma once

namespace ferry::gui {

// Installs the compiled translations into the running application (once; later calls
// do nothing). English is among them: "%n download(s)" reads "1 download" and
// "3 downloads" only through a translation's plural forms. False if none could be loaded.
bool installTranslations();

} // namespace ferry::gui
