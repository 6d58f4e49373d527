#!/usr/bin/env bash
# Re-creates the vendored NL Design System CSS in bot/gateway/static/vendor/nlds/ from pinned npm
# packages, so `make run` needs no npm. Same versions in, same bytes out.
#
#   utrecht-components.css  dist/index.css of @utrecht/component-library-css (EUPL-1.2): the CSS of the
#                           NL Design System components (utrecht-button, utrecht-textarea, ...). Only
#                           `.utrecht-*` selectors, so it does not restyle a host page.
#   utrecht-tokens.css      dist/theme.css of @nl-design-system-unstable/voorbeeld-design-tokens (EUPL-1.2):
#                           the NL Design System example theme, on elements with class `voorbeeld-theme`.
#                           It fills the `--utrecht-*` tokens the components read; a municipality's own
#                           colours come on top from /widget/theme/<key>.css (bot/gateway/theme.py).
#
# Why not @utrecht/design-tokens: its LICENSE.md says the tokens are "proprietary assets to Gemeente
# Utrecht", all rights reserved (the package comes from the repository's proprietary/ folder). They are
# Utrecht's house style and may not be shipped to other municipalities' websites.
#
# Each package is checked against its pinned npm integrity before it is used. Needs npm, tar, openssl.
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$REPO/bot/gateway/static/vendor/nlds"

COMPONENTS_PKG="@utrecht/component-library-css"
COMPONENTS_VERSION="9.0.4"
COMPONENTS_INTEGRITY="sha512-gVA7D6GfP9/+fzehkYLSBR+0UPUTA97PZmgvTYQE88lPQhHGMlUk8FjmCpLKRsRC9hAYd32JuF/KzG6fmBfjJA=="
TOKENS_PKG="@nl-design-system-unstable/voorbeeld-design-tokens"
TOKENS_VERSION="7.4.1"
TOKENS_INTEGRITY="sha512-GNnapAn2mTIzXRcCvs0JMr4Bf9+ivUJ3zFBJLRT1SYpAYm2xPwptVxIM3k4WLJ0c59E9FfxsEBPJluGuAHUVvg=="

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# unpack PKG VERSION INTEGRITY -> prints the directory of the unpacked package
unpack() {
  local pkg="$1" version="$2" integrity="$3" tarball actual
  tarball="$(cd "$WORK" && npm pack --silent "$pkg@$version" 2>/dev/null | tail -n 1)"
  actual="sha512-$(openssl dgst -sha512 -binary "$WORK/$tarball" | base64 -w0)"
  if [[ "$actual" != "$integrity" ]]; then
    echo "vendor_nlds: $pkg@$version has integrity $actual, expected $integrity" >&2
    exit 1
  fi
  mkdir -p "$WORK/${tarball%.tgz}"
  tar -xzf "$WORK/$tarball" -C "$WORK/${tarball%.tgz}"
  echo "$WORK/${tarball%.tgz}/package"
}

# vendor SOURCE_CSS TARGET PKG VERSION LICENSE: the file unchanged, below a header that says where it is from.
# @charset must be the very first bytes: the component CSS holds a non-ASCII character ("●").
vendor() {
  local source="$1" target="$2" pkg="$3" version="$4" license="$5"
  {
    printf '@charset "UTF-8";\n'
    printf '/* Vendored from the npm package %s@%s (%s), file %s, unchanged below this comment.\n' \
      "$pkg" "$version" "$license" "${source#*/package/}"
    printf '   Licence: LICENSE.%s beside this file. Re-create with scripts/vendor_nlds.sh; do not edit. */\n' \
      "${pkg##*/}"
    cat "$source"
  } > "$target"
}

COMPONENTS_DIR="$(unpack "$COMPONENTS_PKG" "$COMPONENTS_VERSION" "$COMPONENTS_INTEGRITY")"
TOKENS_DIR="$(unpack "$TOKENS_PKG" "$TOKENS_VERSION" "$TOKENS_INTEGRITY")"

rm -rf "$OUT"
mkdir -p "$OUT"
vendor "$COMPONENTS_DIR/dist/index.css" "$OUT/utrecht-components.css" \
  "$COMPONENTS_PKG" "$COMPONENTS_VERSION" "EUPL-1.2"
vendor "$TOKENS_DIR/dist/theme.css" "$OUT/utrecht-tokens.css" "$TOKENS_PKG" "$TOKENS_VERSION" "EUPL-1.2"
cp "$COMPONENTS_DIR/LICENSE.md" "$OUT/LICENSE.${COMPONENTS_PKG##*/}"
cp "$TOKENS_DIR/LICENSE.md" "$OUT/LICENSE.${TOKENS_PKG##*/}"
chmod 0644 "$OUT"/*
echo "vendor_nlds: wrote $(cd "$OUT" && ls | tr '\n' ' ')"
