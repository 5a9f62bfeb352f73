// Documentation screenshots: FERRY_GRAB=file.png [FERRY_GRAB_DELAY_MS=ms] saves an
// image of the window after the delay and quits. Unset, it does nothing.
#pragma once

class QWidget;

namespace ferry::desktop {

void installScreenshotHook(QWidget *window);

} // namespace ferry::desktop
