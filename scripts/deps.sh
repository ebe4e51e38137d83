#!/usr/bin/env bash
# Install what pytest-fixer needs to build and test, from Debian 12's packages.
set -euo pipefail

packages=(
	build-essential cmake pkg-config git
	libjansson-dev libxml2-dev libcmocka-dev
	libgit2-dev libsqlite3-dev libtree-sitter-dev libcurl4-openssl-dev libyaml-dev libpcre2-dev libzip-dev libssl-dev openssl libmicrohttpd-dev
	libpq-dev postgresql
	python3 python3-pytest python3-pytest-timeout python3-pytest-xdist python3-pytest-repeat python3-coverage
	libxml2-utils hyperfine chromium
	clang-14 libclang-rt-14-dev
)

sudo=()
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "deps.sh: run as root or install sudo" >&2; exit 1; }
	sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${packages[@]}"
# npm fetches the grammar; a machine with Node.js from elsewhere has its own
# npm, and Debian's would conflict with it
if ! command -v npm >/dev/null; then
	"${sudo[@]}" apt-get install -y -q --no-install-recommends npm
fi
# the Python grammar for tree-sitter comes from the npm registry (pinned, checked)
bash "$(dirname "$0")/fetch-grammar.sh"
