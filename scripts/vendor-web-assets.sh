#!/usr/bin/env bash
# Re-vendors the browser files the app serves from src/afterward/web/static/vendor:
# Swagger UI (/docs), ReDoc (/redoc) and Chart.js (the admin dashboard), each with its
# licence. Pages load them from this server only, never from a CDN.
#
#   bash scripts/vendor-web-assets.sh            # the pinned versions below
#
# One change is made to a vendored file: ReDoc 2 shows the Redocly logo from
# cdn.redoc.ly in its sidebar; that image address becomes an empty inline SVG, so the
# page asks no other host for anything. VENDORED.md records what was taken, and the
# checksums of the files as shipped.
set -euo pipefail

SWAGGER_UI=5.35.0
REDOC=2.5.4
CHARTJS=4.6.2

root="$(cd "$(dirname "$0")/.." && pwd)"
vendor="$root/src/afterward/web/static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

unpack() {  # unpack NAME VERSION -> $work/NAME/package
  (cd "$work" && npm pack --silent "$1@$2" >/dev/null)
  mkdir -p "$work/$1"
  tar xzf "$work/$1-$2.tgz" -C "$work/$1"
}

unpack swagger-ui-dist "$SWAGGER_UI"
unpack redoc "$REDOC"
unpack chart.js "$CHARTJS"

rm -rf "$vendor"
mkdir -p "$vendor/swagger-ui" "$vendor/redoc" "$vendor/chart.js"
swagger="$work/swagger-ui-dist/package"
cp "$swagger"/{swagger-ui-bundle.js,swagger-ui-bundle.js.LICENSE.txt,swagger-ui.css} \
   "$swagger"/{favicon-32x32.png,LICENSE,NOTICE} "$vendor/swagger-ui/"
redoc="$work/redoc/package"
cp "$redoc"/bundles/{redoc.standalone.js,redoc.standalone.js.LICENSE.txt} "$redoc/LICENSE" \
   "$vendor/redoc/"
cp "$work/chart.js/package/dist/chart.umd.min.js" "$work/chart.js/package/LICENSE.md" \
   "$vendor/chart.js/"

logo='https://cdn.redoc.ly/redoc/logo-mini.svg'
empty="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/%3E"
grep -qF "$logo" "$vendor/redoc/redoc.standalone.js" || {
  echo "ReDoc $REDOC no longer loads $logo: review the patch in this script" >&2; exit 1; }
sed -i "s|$logo|$empty|" "$vendor/redoc/redoc.standalone.js"

{
  echo "# Vendored browser files"
  echo
  echo "Taken from the npm registry by scripts/vendor-web-assets.sh; do not edit by hand."
  echo
  echo "| package | version | files | licence |"
  echo "|---|---|---|---|"
  echo "| swagger-ui-dist | $SWAGGER_UI | swagger-ui/ | Apache-2.0 (LICENSE, NOTICE) |"
  echo "| redoc | $REDOC | redoc/ (logo address made inline, see the script) | MIT (LICENSE) |"
  echo "| chart.js | $CHARTJS | chart.js/ | MIT (LICENSE.md) |"
  echo
  echo "SHA-256 of the files as shipped:"
  echo
  echo '```'
  (cd "$vendor" && find . -type f ! -name VENDORED.md | LC_ALL=C sort | xargs sha256sum)
  echo '```'
} > "$vendor/VENDORED.md"
echo "vendored into $vendor"
