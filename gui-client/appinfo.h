// Names the desktop knows Ferry Downloader by.
#pragma once

namespace ferry::gui {

// The .desktop file's id (resources/org.ferry.Downloader.desktop) and icon name;
// QGuiApplication::setDesktopFileName() must be given exactly this.
inline constexpr char DesktopId[] = "org.ferry.Downloader";
// The URL scheme the .desktop file claims with MimeType=x-scheme-handler/ferry.
inline constexpr char UrlScheme[] = "ferry";

} // namespace ferry::gui
