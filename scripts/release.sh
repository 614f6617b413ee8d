#!/usr/bin/env bash
# Builds the sbplc release archives, with the version stamped into the
# binary ('sbplc version' and 'sbplc --version' print it):
#
#   scripts/release.sh v0.1.0            # archives in dist/
#   scripts/release.sh v0.1.0 /tmp/out   # or in another directory
#
# One sbplc-VERSION-OS-ARCH.tar.gz per target (the binary, LICENSE and
# README.md) and sbplc-VERSION-SHA256SUMS. Targets: darwin/arm64,
# darwin/amd64, linux/amd64 and linux/arm64, or the space-separated
# GOOS/GOARCH list in SBPLC_TARGETS. Builds are cgo-free (libsandbox is
# loaded at run time on macOS) and -trimpath; run it from a clean checkout
# so that the binary also records the commit it was built from.
set -euo pipefail

usage="usage: scripts/release.sh VERSION [OUTDIR]   (VERSION like v0.1.0 or v0.2.0-rc.1)"
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "$usage" >&2
	exit 2
fi
version=$1
if ! [[ $version =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
	echo "release.sh: version \"$version\" is not vMAJOR.MINOR.PATCH[-PRERELEASE]; $usage" >&2
	exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
out=${2:-$root/dist}
targets=${SBPLC_TARGETS:-darwin/arm64 darwin/amd64 linux/amd64 linux/arm64}
if command -v sha256sum >/dev/null; then
	sha=(sha256sum)
else
	sha=(shasum -a 256)
fi

mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root"
archives=()
for t in $targets; do
	os=${t%/*}
	arch=${t#*/}
	name=sbplc-$version-$os-$arch
	mkdir "$work/$name"
	echo "building $name"
	CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath \
		-ldflags "-s -w -X main.version=$version" -o "$work/$name/sbplc" ./cmd/sbplc
	cp LICENSE README.md "$work/$name/"
	tar -C "$work" -czf "$out/$name.tar.gz" "$name"
	archives+=("$name.tar.gz")
done
(cd "$out" && "${sha[@]}" "${archives[@]}" >"sbplc-$version-SHA256SUMS")
echo "wrote ${#archives[@]} archive(s) and sbplc-$version-SHA256SUMS to $out"
