#!/usr/bin/env bash
# Installs the Debian packages that building and testing oai need, if any is
# missing. As root it runs apt-get; otherwise it prints the command to run
# and exits 1. Does nothing when everything is already installed.
#
#   scripts/deps.sh            # build, test, docs and sanitizer tools
set -euo pipefail

PACKAGES=(
  libcurl4-openssl-dev libjansson-dev libssl-dev libcmocka-dev  # the library and its tests
  cmake pkg-config gcc g++ make                                 # the build
  doxygen valgrind clang libclang-rt-14-dev                     # docs, memcheck, sanitizers, fuzzing
  locales                                                       # a comma-decimal locale for test_json
)
# Prism (the conformance mock server) runs on Node.js; keep a Node.js that is
# already there (it may come from elsewhere than Debian), else take Debian's.
command -v node >/dev/null 2>&1 || PACKAGES+=(nodejs)
command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)

missing=()
for pkg in "${PACKAGES[@]}"; do
  # dpkg -s succeeds for removed-but-configured packages too: check the state.
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

# test_json checks that JSON numbers ignore a locale whose decimal point is a
# comma; generate one when none is there.
ensure_comma_locale() {
  locale -a 2>/dev/null | grep -qiE '^(de_DE|fr_FR)\.utf-?8$' && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "deps: run as root: localedef -i de_DE -f UTF-8 de_DE.UTF-8"
    return 1
  fi
  localedef -i de_DE -f UTF-8 de_DE.UTF-8 && echo "deps: generated the de_DE.UTF-8 locale"
}

if [ "${#missing[@]}" -eq 0 ]; then
  ensure_comma_locale
  echo "deps: all build and test dependencies are installed"
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
