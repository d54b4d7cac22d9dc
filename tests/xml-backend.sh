#!/bin/sh
# xml-backend.sh minimal|libxml2 COMMAND...: run a test with hwloc's XML parser chosen.
# hwloc 2.9 has two: its own minimal parser, built in, and libxml2's, a plugin from the package
# libhwloc-plugins. HWLOC_LIBXML_IMPORT=0 makes it use the minimal one, =1 libxml2's when the
# plugin loads (the minimal one silently when it does not); HWLOC_LIBXML, which would override
# both import and export, is unset. numaplace's messages and results must not depend on the
# parser (docs/design.md), so the XML tests run under each. Without the plugin the libxml2 run
# is skipped (exit 77) rather than passing on the minimal parser under libxml2's name.
# A script (the golden runner) runs as is; a test executable runs under NUMAPLACE_TEST_WRAPPER
# (valgrind-wrap.sh sets it for scripts such as this one).
set -u
backend=$1
shift
unset HWLOC_LIBXML
case $backend in
minimal)
	HWLOC_LIBXML_IMPORT=0
	;;
libxml2)
	HWLOC_LIBXML_IMPORT=1
	# hwloc names every plugin it loads when HWLOC_PLUGINS_VERBOSE is set.
	if ! HWLOC_PLUGINS_VERBOSE=1 lstopo-no-graphics -i 'pu:1' --of console 2>&1 >/dev/null |
		grep -q "hwloc_xml_libxml. ready"; then
		echo "hwloc's libxml2 XML parser is not installed (package libhwloc-plugins): skipped"
		exit 77
	fi
	;;
*)
	echo "xml-backend.sh: unknown backend '$backend'" >&2
	exit 2
	;;
esac
export HWLOC_LIBXML_IMPORT
echo "hwloc XML parser: $backend (HWLOC_LIBXML_IMPORT=$HWLOC_LIBXML_IMPORT)"
if [ "$(head -c 2 "$1")" = "#!" ]; then
	exec "$@"
fi
exec ${NUMAPLACE_TEST_WRAPPER:-} "$@"
