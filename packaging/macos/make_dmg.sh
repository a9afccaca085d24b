#!/usr/bin/env bash
# Put VisionDesk.app into a compressed, read-only disk image beside a link to /Applications (drag to install).
#
#   packaging/macos/make_dmg.sh build/installer/dist/VisionDesk.app dist/VisionDesk-0.1.0-macos-arm64.dmg
#
# Run after signing the .app (sign_and_notarize.sh sign) and before notarising the image
# (sign_and_notarize.sh notarize). macOS only: hdiutil and ditto.
set -euo pipefail

usage="usage: make_dmg.sh APP DMG"
app=${1:?$usage}
dmg=${2:?$usage}
if [[ ! -d $app/Contents/MacOS ]]; then
    echo "make_dmg.sh: $app is not an .app bundle" >&2
    exit 2
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
# ditto keeps what cp -R may not: symlinks inside frameworks, extended attributes, the code signature.
ditto "$app" "$stage/$(basename "$app")"
ln -s /Applications "$stage/Applications"

mkdir -p "$(dirname "$dmg")"
# ULMO (LZMA) is the smallest format hdiutil writes; it opens on macOS 10.15 and later (we need 13.3).
hdiutil create -volname VisionDesk -srcfolder "$stage" -fs HFS+ -format ULMO -ov "$dmg"
hdiutil verify "$dmg"
echo "$dmg  $(du -h "$dmg" | cut -f1)"
