#!/usr/bin/env bash
# Installs the Debian packages oai needs, if any is missing. As root it runs
# apt-get; otherwise it prints the command to run and exits 1. Does nothing
# when everything is already installed.
#
#   scripts/deps.sh            # build, test, docs and sanitizer tools (scripts/test.sh)
#   scripts/deps.sh --build    # only what building the library, the oai tool
#                              # and oai-mock-server needs (scripts/demo.sh)
#   scripts/deps.sh [--build] --list   # print that mode's packages, one a line
set -euo pipefail

MODE=all
LIST=0
for arg in "$@"; do
  case "$arg" in
    --build) MODE=build ;;
    --list) LIST=1 ;;
    *) echo "deps: unknown argument '$arg' (usage: deps.sh [--build] [--list])" >&2; exit 2 ;;
  esac
done

# Building needs a C compiler with the C library's headers (gcc only
# recommends libc6-dev, and recommendations are not installed below).
BUILD_PACKAGES=(
  libcurl4-openssl-dev libjansson-dev libssl-dev   # the library (and the mock server)
  cmake pkg-config gcc libc6-dev make              # the build
)
TEST_PACKAGES=(
  libcmocka-dev                                    # the tests
  g++                                              # the C++ header test
  python3                                          # the Python binding's tests (bindings/python)
  luajit                                           # the LuaJIT binding's tests (bindings/lua)
  doxygen valgrind clang libclang-rt-14-dev        # docs, memcheck, sanitizers, fuzzing
  abigail-tools                                    # abidiff: the ABI baseline test
  locales                                          # a comma-decimal locale for test_json
)

PACKAGES=("${BUILD_PACKAGES[@]}")
if [ "$MODE" = all ]; then
  PACKAGES+=("${TEST_PACKAGES[@]}")
  # Prism (the conformance mock server) runs on Node.js; keep a Node.js that
  # is already there (it may come from elsewhere than Debian), else take
  # Debian's.
  command -v node >/dev/null 2>&1 || PACKAGES+=(nodejs)
  command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)
fi

if [ "$LIST" -eq 1 ]; then
  printf '%s\n' "${PACKAGES[@]}"
  exit 0
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  # dpkg -s succeeds for removed-but-configured packages too: check the state.
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

# test_json checks that JSON numbers ignore a locale whose decimal point is a
# comma; generate one when none is there. Only the tests need it.
ensure_comma_locale() {
  [ "$MODE" = all ] || return 0
  locale -a 2>/dev/null | grep -qiE '^(de_DE|fr_FR)\.utf-?8$' && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "deps: run as root: localedef -i de_DE -f UTF-8 de_DE.UTF-8"
    return 1
  fi
  localedef -i de_DE -f UTF-8 de_DE.UTF-8 && echo "deps: generated the de_DE.UTF-8 locale"
}

# The tokenizer's reference and vocabulary source (docs/tokens.md): the npm
# package js-tiktoken, pinned in tests/tokens/package-lock.json, into
# tests/tokens/node_modules (the build converts its ranks into the
# vocabulary files; the tokens_reference test counts with it). Only the
# tests need it: a build without it has no vocabulary files.
ensure_js_tiktoken() {
  [ "$MODE" = all ] || return 0
  local dir
  dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/tokens"
  [ -f "$dir/node_modules/js-tiktoken/package.json" ] && return 0
  command -v npm >/dev/null 2>&1 || { echo "deps: npm is missing: cannot install js-tiktoken"; return 1; }
  npm ci --prefix "$dir" --no-audit --no-fund && echo "deps: installed js-tiktoken into $dir/node_modules"
}

what="build and test"
[ "$MODE" = build ] && what="build"

if [ "${#missing[@]}" -eq 0 ]; then
  ensure_comma_locale
  ensure_js_tiktoken
  echo "deps: all $what dependencies are installed"
  exit 0
fi

echo "deps: missing Debian packages: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: run as root:"
  echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "deps: installed ${missing[*]}"
ensure_comma_locale
ensure_js_tiktoken
