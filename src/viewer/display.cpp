// A connection to the X display, held while the viewer runs. Opened before SFML's own, because
// SFML aborts the process when it cannot reach the server; held, because Xvfb resets when its
// last client disconnects, and SFML connecting during that reset would fail.
#include <X11/Xlib.h>

namespace coherence::viewer {

void* open_display(const char* name) { return XOpenDisplay(name); }

void close_display(void* display) {
  if (display) XCloseDisplay(static_cast<Display*>(display));
}

}  // namespace coherence::viewer
