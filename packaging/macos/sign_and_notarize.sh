#!/usr/bin/env bash
# Sign VisionDesk.app with a Developer ID, then sign, notarise and staple its disk image.
#
#   packaging/macos/sign_and_notarize.sh import-cert       # CI: the certificate from secrets into a keychain
#   packaging/macos/sign_and_notarize.sh sign APP          # before make_dmg.sh
#   packaging/macos/sign_and_notarize.sh notarize DMG      # after make_dmg.sh
#
# Placeholders, all from the environment (CI sets them from repository secrets; see packaging/README.md):
#   MACOS_SIGN_IDENTITY         "Developer ID Application: Example Ltd (TEAMID1234)", in the keychain
#   MACOS_CERTIFICATE_P12       import-cert only: that certificate and its key, a base64 .p12
#   MACOS_CERTIFICATE_PASSWORD  import-cert only: the .p12's password
#   MACOS_NOTARY_PROFILE        notarize: a profile saved with `xcrun notarytool store-credentials`, or else
#   APPLE_ID, APPLE_TEAM_ID, APPLE_APP_PASSWORD   an Apple ID, its team and an app-specific password
#
# Without a Developer ID build_platforms.py signs the .app ad hoc: it runs on the machine that built it,
# and elsewhere only after the user allows it (System Settings > Privacy & Security > Open Anyway).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
entitlements=$here/entitlements.plist

die() {
    echo "sign_and_notarize.sh: $*" >&2
    exit 2
}

sign() {
    codesign --force --timestamp --options runtime --sign "${MACOS_SIGN_IDENTITY:?set MACOS_SIGN_IDENTITY}" "$@"
}

import_cert() {
    : "${MACOS_CERTIFICATE_P12:?set MACOS_CERTIFICATE_P12 (base64 of the .p12)}"
    : "${MACOS_CERTIFICATE_PASSWORD:?set MACOS_CERTIFICATE_PASSWORD}"
    local dir keychain password
    dir=${RUNNER_TEMP:-$(mktemp -d)}
    keychain=$dir/visiondesk-signing.keychain-db
    password=$(uuidgen)
    security create-keychain -p "$password" "$keychain"
    security set-keychain-settings -lut 21600 "$keychain"
    security unlock-keychain -p "$password" "$keychain"
    printf '%s' "$MACOS_CERTIFICATE_P12" | base64 --decode > "$dir/certificate.p12"
    security import "$dir/certificate.p12" -k "$keychain" -P "$MACOS_CERTIFICATE_PASSWORD" -f pkcs12 \
        -T /usr/bin/codesign
    rm -f "$dir/certificate.p12"
    # codesign may use the key without a password prompt (there is nobody to answer one in CI).
    security set-key-partition-list -S apple-tool:,apple: -s -k "$password" "$keychain" > /dev/null
    # Search the new keychain first, then the user's others.
    local others=() line
    while IFS= read -r line; do
        others+=("$line")
    done < <(security list-keychains -d user | sed -e 's/^[[:space:]]*"//' -e 's/"$//')
    security list-keychains -d user -s "$keychain" "${others[@]}"
    security find-identity -v -p codesigning "$keychain"
}

sign_app() {
    local app=$1 item
    [[ -d $app/Contents/MacOS ]] || die "$app is not an .app bundle"
    # Inside out: every Mach-O file (libraries, Python extension modules) except the executables, then the
    # framework bundles around some of them, then the executables with the entitlements, then the bundle.
    while IFS= read -r -d '' item; do
        if file -b "$item" | grep -q 'Mach-O'; then
            sign "$item"
        fi
    done < <(find "$app/Contents" -type f ! -path "$app/Contents/MacOS/*" -print0)
    while IFS= read -r -d '' item; do
        sign "$item"
    done < <(find "$app/Contents" -type d -name '*.framework' -print0)
    while IFS= read -r -d '' item; do
        sign --entitlements "$entitlements" "$item"
    done < <(find "$app/Contents/MacOS" -type f -perm -u+x -print0)
    sign --entitlements "$entitlements" "$app"
    codesign --verify --deep --strict --verbose=2 "$app"
}

notarize_dmg() {
    local dmg=$1 auth result id status
    [[ -f $dmg ]] || die "$dmg: no such disk image"
    codesign --force --timestamp --sign "${MACOS_SIGN_IDENTITY:?set MACOS_SIGN_IDENTITY}" "$dmg"
    if [[ -n ${MACOS_NOTARY_PROFILE:-} ]]; then
        auth=(--keychain-profile "$MACOS_NOTARY_PROFILE")
    else
        auth=(--apple-id "${APPLE_ID:?set MACOS_NOTARY_PROFILE, or APPLE_ID, APPLE_TEAM_ID and APPLE_APP_PASSWORD}"
              --team-id "${APPLE_TEAM_ID:?set APPLE_TEAM_ID}" --password "${APPLE_APP_PASSWORD:?set APPLE_APP_PASSWORD}")
    fi
    # notarytool exits 0 for a finished submission even when Apple rejected it: read the status.
    result=$(xcrun notarytool submit "$dmg" "${auth[@]}" --wait --timeout 1h --output-format json)
    id=$(printf '%s' "$result" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
    status=$(printf '%s' "$result" | python3 -c 'import json, sys; print(json.load(sys.stdin)["status"])')
    if [[ $status != Accepted ]]; then
        xcrun notarytool log "$id" "${auth[@]}" >&2 || true
        die "notarisation of $dmg ended with status $status (submission $id)"
    fi
    xcrun stapler staple "$dmg"
    xcrun stapler validate "$dmg"
    spctl --assess --type open --context context:primary-signature --verbose=2 "$dmg"
}

case ${1:-} in
    import-cert) import_cert ;;
    sign) sign_app "${2:?usage: sign_and_notarize.sh sign APP}" ;;
    notarize) notarize_dmg "${2:?usage: sign_and_notarize.sh notarize DMG}" ;;
    *) die "usage: sign_and_notarize.sh import-cert | sign APP | notarize DMG" ;;
esac
