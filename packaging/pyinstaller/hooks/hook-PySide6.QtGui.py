"""PyInstaller's own QtGui hook, less the Qt plugins a desktop app never loads.

The embedded-device platforms (eglfs, linuxfb, vnc, KMS/Vulkan display) and evdev input need no display
server; the GTK 3 theme would pull GTK's own libraries (cairo, pango, GLib...) into the bundle, where they
would clash with the system's GTK on a GNOME desktop, which gets native dialogs through the XDG portal theme
instead. Dropping them here, before PyInstaller follows their dependencies, keeps those out too.
"""

import re

from PyInstaller.utils.hooks.qt import add_qt6_dependencies

UNUSED_PLUGINS = re.compile(r"(platforms[/\\](lib)?q(eglfs|linuxfb|minimalegl|vkkhrdisplay|vnc)|egldeviceintegrations"
                            r"|generic[/\\]|platformthemes[/\\](lib)?qgtk3)")

hiddenimports, binaries, datas = add_qt6_dependencies(__file__)
binaries = [(src, dest) for src, dest in binaries if not UNUSED_PLUGINS.search(f"{dest}/{src.rsplit('/', 1)[-1]}")]
