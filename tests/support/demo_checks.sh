#!/bin/sh
# Checks of the demo (README command 1) and its dependency list:
#   demo_checks.sh list SOURCE_DIR
#       deps.sh --build lists what building needs and none of the test
#       toolchain; the default mode (scripts/test.sh's) still has it.
#   demo_checks.sh non-root SOURCE_DIR WORK_DIR
#       deps.sh --build succeeds for a user who is not root and has no
#       comma-decimal locale (both faked with stubs of `id` and `locale`).
#   demo_checks.sh demo SOURCE_DIR WORK_DIR
#       scripts/demo.sh runs end to end in its own build directory, without
#       the tests (so without cmocka), and prints the answers, not the build.
set -eu
check=$1 src=$2
status=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; status=1; }
has_line() { printf '%s\n' "$1" | grep -qx -- "$2"; }

case "$check" in
list)
  build=$(bash "$src/scripts/deps.sh" --build --list)
  for pkg in libcurl4-openssl-dev libjansson-dev libssl-dev cmake pkg-config gcc libc6-dev make; do
    if has_line "$build" "$pkg"; then ok "--build lists $pkg"; else bad "--build does not list $pkg"; fi
  done
  for pkg in libcmocka-dev doxygen valgrind clang libclang-rt-14-dev nodejs npm locales g++ abigail-tools; do
    if has_line "$build" "$pkg"; then bad "--build lists $pkg (a test tool)"; else ok "--build leaves out $pkg"; fi
  done
  all=$(bash "$src/scripts/deps.sh" --list)
  for pkg in libcmocka-dev valgrind doxygen clang locales abigail-tools libcurl4-openssl-dev; do
    if has_line "$all" "$pkg"; then ok "the default mode lists $pkg"; else bad "the default mode lost $pkg"; fi
  done
  ;;
non-root)
  stubs=$3/stubs
  mkdir -p "$stubs"
  printf '#!/bin/sh\necho 1000\n' >"$stubs/id"
  printf '#!/bin/sh\nprintf "C\\nC.utf8\\nPOSIX\\n"\n' >"$stubs/locale"
  chmod +x "$stubs/id" "$stubs/locale"
  if out=$(PATH="$stubs:$PATH" bash "$src/scripts/deps.sh" --build 2>&1); then
    ok "deps.sh --build as a user without a de_DE locale: $out"
  else
    bad "deps.sh --build stopped for a user without a de_DE locale: $out"
  fi
  ;;
demo)
  build=$3/demo-build
  out=$(OAI_DEMO_BUILD_DIR="$build" bash "$src/scripts/demo.sh" "写一首关于春天的诗" 2>&1) || {
    printf '%s\n' "$out"; bad "scripts/demo.sh failed"; exit 1; }
  printf '%s\n' "$out"
  poems=$(printf '%s\n' "$out" | grep -c '^春风拂柳绿如烟，燕子归来细雨天。$' || true)
  if [ "$poems" -eq 2 ]; then ok "the poem, whole and streamed"; else bad "expected the poem twice, got $poems"; fi
  if printf '%s\n' "$out" | grep -q '^demo: done'; then ok "demo: done"; else bad "no 'demo: done'"; fi
  if printf '%s\n' "$out" | grep -qE 'Building C object|Linking C|^-- |Built target'; then
    bad "the build output is shown"
  else
    ok "the build output stays in the log"
  fi
  if [ -f "$build/demo-build.log" ]; then ok "the build log is $build/demo-build.log"; else bad "no build log"; fi
  if grep -q '^OAI_BUILD_TESTS:BOOL=OFF$' "$build/CMakeCache.txt" && ! grep -qi 'cmocka' "$build/CMakeCache.txt"; then
    ok "built without the tests and without looking for cmocka"
  else
    bad "the demo build configured the tests (cmocka)"
  fi
  ;;
*)
  echo "usage: demo_checks.sh list|non-root|demo SOURCE_DIR [WORK_DIR]"; exit 2 ;;
esac
exit "$status"
