#!/usr/bin/env bash
# Fetch the Python grammar for tree-sitter from the npm registry: the package
# ships the grammar's generated C source (parser.c, scanner.c). The version is
# pinned to one whose parser ABI (14) Debian 12's libtree-sitter (0.20.7)
# accepts, and the tarball is checked against its recorded integrity.
set -euo pipefail
cd "$(dirname "$0")/.."

version=0.21.0
integrity=sha512-IUKx7JcTVbByUx1iHGFS/QsIjx7pqwTMHL9bl/NGyhyyydbfNrpruo2C7W6V4KZrbkkCOlX8QVrCoGOFW5qecg==
dest=third_party/tree-sitter-python

if [ -f "$dest/VERSION" ] && [ "$(cat "$dest/VERSION")" = "$version" ]; then
	exit 0
fi
command -v npm >/dev/null || { echo "fetch-grammar.sh: npm is needed (apt-get install npm)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "tree-sitter-python@$version" >/dev/null)
tarball="$tmp/tree-sitter-python-$version.tgz"
got="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
if [ "$got" != "$integrity" ]; then
	echo "fetch-grammar.sh: integrity mismatch for tree-sitter-python@$version" >&2
	exit 1
fi
mkdir -p "$tmp/x"
tar xzf "$tarball" -C "$tmp/x"
rm -rf "$dest"
mkdir -p "$dest"
cp -r "$tmp/x/package/src" "$dest/src"
cp "$tmp/x/package/LICENSE" "$dest/" 2>/dev/null || true
echo "$version" > "$dest/VERSION"
echo "tree-sitter-python $version in $dest"
