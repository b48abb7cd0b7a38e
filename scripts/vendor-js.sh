#!/bin/sh
# Copies the JavaScript dependencies of quinte's pages from npm into the embedded assets: npm ci
# installs the exact versions web/package-lock.json names, and their builds are committed under
# web/assets so `go build` needs no Node.
#   tus-js-client  dist/tus.min.js        → web/assets/tus.min.js  (the artist's page: resumable uploads)
#   hls.js         dist/hls.light.min.js  → web/assets/hls.min.js  (the team's gallery: HLS outside Safari)
#   To update: change a version in web/package.json, run `npm install --package-lock-only` in web/,
#   then this script, and commit the three files and the copies.
set -eu
cd "$(dirname "$0")/../web"
npm ci --no-audit --no-fund --ignore-scripts
cp node_modules/tus-js-client/dist/tus.min.js assets/tus.min.js
cp node_modules/hls.js/dist/hls.light.min.js assets/hls.min.js
echo "vendor-js: web/assets/tus.min.js is tus-js-client $(node -p 'require("./node_modules/tus-js-client/package.json").version')"
echo "vendor-js: web/assets/hls.min.js is hls.js $(node -p 'require("./node_modules/hls.js/package.json").version') (light build)"
