#!/bin/sh
# Builds simbple (github.com/0xbf00/simbple) on Linux for sbplc's
# differential test, from a checkout you give it, with sbplc's stand-ins
# for its macOS-only parts (linux_shim.c). Needs gcc, g++, xxd and
# nlohmann-json3-dev. Nothing of simbple is copied into sbplc.
#
#   sh eval/testdata/simbple/build.sh SIMBPLE_CHECKOUT OUT_BINARY
#   SBPLC_SIMBPLE=OUT_BINARY go test ./eval -run TestSimbpleDifferential
set -eu
src=$(cd "$1/src" && pwd)
out=$2
shim=$(cd "$(dirname "$0")" && pwd)/linux_shim.c
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for s in apple-init sbpl sbpl_prelude sbpl_v1; do
	f=$(echo "$s" | tr - _)_scm.xxd
	xxd -i < "$src/scm/$s.scm" > "$work/$f"
	echo ", 0" >> "$work/$f"
done
cp "$src/misc/filesystem.h" "$work/"
sed "s|@CMAKE_CURRENT_BINARY_DIR@|$work|g" "$src/scm/scripts.c.in" > "$work/scripts.c"
# filesystem.c asks dyld for the program's path; /proc/self/exe says it on Linux.
sed -e 's|#include <mach-o/dyld.h>|#include <stdint.h>|' \
	-e 's|_NSGetExecutablePath(NULL, &size);|size = 4096;|' \
	-e 's|_NSGetExecutablePath(buffer, &size);|if (readlink("/proc/self/exe", buffer, size) < 0) return NULL;|' \
	"$src/misc/filesystem.c" > "$work/filesystem.c"
inc="-I$src -I$src/dependencies -I$src/scm"
flags="-O1 -w -D_GNU_SOURCE -DUSE_STRLWR=0 -DUSE_DL=0 -DUSE_MATH=1 -DUSE_ASCII_NAMES=1 -DSTANDALONE=0"
cfiles="interpreter.c misc/argument_handling.c sb/modifiers.c sb/operations/interface.c sb/operations/data.c sb/operations/mem.c
 misc/scheme_support.c sb/filters/data.c sb/filters/interface.c sb/filters/mem.c sb/meta-filters/definition.c
 sb/meta-filters/interface.c sb/meta-filters/mem.c sb/actions.c sb/error.c sb/blob_handling.c misc/regex.c misc/string.c
 sb/evaluate.c platform_data/sierra/operations.c platform_data/sierra/filters.c platform_data/high_sierra/operations.c
 platform_data/high_sierra/filters.c platform_data/mojave/operations.c platform_data/mojave/filters.c
 platform_data/catalina/operations.c platform_data/catalina/filters.c platform_data/platforms.c dependencies/scheme_interpreter/scheme.c"
objs=""
for c in $cfiles; do
	o="$work/$(echo "$c" | tr / _).o"
	gcc $flags $inc -c "$src/$c" -o "$o"
	objs="$objs $o"
done
gcc $flags $inc -c "$work/filesystem.c" -o "$work/filesystem.o"
gcc $flags $inc -c "$work/scripts.c" -o "$work/scripts.o"
gcc $flags $inc -c "$shim" -o "$work/shim.o"
g++ -std=c++11 $flags $inc -c "$src/sb/rule_base.cpp" -o "$work/rule_base.o"
g++ -std=c++11 $flags $inc -c "$src/dependencies/sbpldump/convert.cpp" -o "$work/convert.o"
g++ -o "$out" $objs "$work/filesystem.o" "$work/scripts.o" "$work/shim.o" "$work/rule_base.o" "$work/convert.o" -lm
echo "built $out"
