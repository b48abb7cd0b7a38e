#!/bin/sh
# Copies tus-js-client (the one JavaScript dependency of the artist's page) from npm into the embedded
# assets: npm ci installs the exact version web/package-lock.json names, and its dist/tus.min.js is
# committed as web/assets/tus.min.js so `go build` needs no Node.
#   To update: change the version in web/package.json, run `npm install --package-lock-only` in web/,
#   then this script, and commit all three files.
set -eu
cd "$(dirname "$0")/../web"
npm ci --no-audit --no-fund --ignore-scripts
cp node_modules/tus-js-client/dist/tus.min.js assets/tus.min.js
echo "vendor-js: web/assets/tus.min.js is tus-js-client $(node -p 'require("./node_modules/tus-js-client/package.json").version')"
