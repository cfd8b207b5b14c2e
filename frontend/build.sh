#!/bin/sh
# Rebuilds the committed front-end files in ../static from govuk-frontend.
# Needed only to change the look: `cd frontend && npm ci && npm run build`.
set -eu
cd "$(dirname "$0")"
out=../static
gf=node_modules/govuk-frontend/dist/govuk
mkdir -p "$out/css" "$out/js" "$out/govuk/assets"
npx sass --quiet-deps --no-source-map --style=compressed --pkg-importer=node scss/app.scss "$out/css/app.css"
cp "$gf/govuk-frontend.min.js" "$out/js/govuk-frontend.min.js"
# Images only: the GDS Transport fonts are reserved for gov.uk domains.
rm -rf "$out/govuk/assets/images"
cp -R "$gf/assets/images" "$out/govuk/assets/images"
cp "$gf/assets/manifest.json" "$out/govuk/assets/manifest.json"
