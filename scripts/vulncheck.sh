#!/bin/sh
# govulncheck (golang.org/x/vuln v1.9.0) on quinte: fails if a known vulnerability is reachable from
# quinte's code, in a module or in the standard library of the toolchain named in go.mod.
#
# vuln.go.dev is not reachable from our build machines, only the Go module proxy is. The same records
# are published as the Go module golang.org/x/vulndb (data/osv); its own cmd/indexdb turns them into
# the database govulncheck reads. QUINTE_VULNDB=https://vuln.go.dev (or a file:// URL) uses another.
set -eu
cd "$(dirname "$0")/.."

db=${QUINTE_VULNDB:-}
if [ -z "$db" ]; then
  info=$(go mod download -json golang.org/x/vulndb@latest)
  ver=$(printf '%s\n' "$info" | sed -n 's/.*"Version": "\(.*\)".*/\1/p')
  dir=$(printf '%s\n' "$info" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  out=${TMPDIR:-/tmp}/quinte-vulndb-$ver
  if [ ! -f "$out/index/db.json" ]; then
    echo "vulncheck: building the vulnerability database $ver from the Go module proxy"
    go run "golang.org/x/vulndb/cmd/indexdb@$ver" -vulns "$dir/data/osv" -out "$out.tmp"
    rm -rf "$out" && mv "$out.tmp" "$out"
  fi
  db=file://$out
fi

# The standard library scanned is the toolchain's: use the one go.mod asks for (downloaded from the
# module proxy if this machine has an older one).
toolchain=$(sed -n 's/^toolchain //p' go.mod)
echo "vulncheck: govulncheck with ${toolchain:-the local toolchain} against $db"
GOTOOLCHAIN=${toolchain:-local} go run golang.org/x/vuln/cmd/govulncheck@v1.9.0 -db "$db" ./...
