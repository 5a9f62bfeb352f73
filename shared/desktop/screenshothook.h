// Documentation screenshots: FERRY_GRAB=file.png [FERRY_GRAB_DELAY_MS=ms] saves an
// image of the window after the delay and quits. FERRY_GRAB_MENU=<object name of a
// view> (remoteView, transferView) first opens that view's context menu on its current
// row, as the menu key does, and the image shows the menu over the window.
// FERRY_GRAB_ACTION=<object name of an action> (serversAction) triggers it and saves
// the dialog it opens instead. Unset, it does nothing.
#pragma once

class QWidget;

namespace ferry::desktop {

void installScreenshotHook(QWidget *window);

} // namespace ferry::desktop
