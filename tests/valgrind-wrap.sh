#!/bin/sh
# The exe_wrapper of `meson test --setup valgrind`: a compiled test runs under memcheck; a shell
# script runner (the golden CLI tests) runs as is and wraps every numaplace it starts instead,
# through NUMAPLACE_TEST_WRAPPER (memcheck on the shell itself would only report the shell).
set -u
vg="valgrind --quiet --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite"
vg="$vg --num-callers=40"
# A test may name a suppression file for a third-party library's own leaks.
[ -n "${NUMAPLACE_VALGRIND_SUPP:-}" ] && vg="$vg --suppressions=$NUMAPLACE_VALGRIND_SUPP"
if [ "$(head -c 2 "$1")" = "#!" ]; then
	NUMAPLACE_TEST_WRAPPER=$vg
	export NUMAPLACE_TEST_WRAPPER
	exec "$@"
fi
exec $vg "$@"
