#!/usr/bin/env bash
# Puts the FlatBuffers C# runtime (net/FlatBuffers/*.cs of Debian's flatbuffers 2.0.8
# source package) into .ferrite-cache/flatbuffers-net-2.0.8/, which build.sh (and, for the
# .NET SDK, flatbuffers/FlatBuffers.csproj) compiles into FlatBuffers.dll. There is no NuGet here, and
# Debian builds no binary package of it; its source package is the same release as the
# flatc 2.0.8 that wrote src/Codec/WireGenerated.cs, whose FLATBUFFERS_2_0_8() check the
# runtime must pass. Does nothing when the files are there; run from anywhere.
#
# The machine's apt configuration is left alone: a deb-src list made from Debian's own
# entries in /etc/apt/sources.list.d/debian.sources, and the package lists and caches that
# apt-get update writes for it, live in a temporary directory removed afterwards.
set -euo pipefail
cd "$(dirname "$0")/../.."
version=2.0.8
target=.ferrite-cache/flatbuffers-net-$version
[ -f "$target/FlatBufferBuilder.cs" ] && exit 0

log() { printf 'fetch-flatbuffers: %s\n' "$*" >&2; }

sources=/etc/apt/sources.list.d/debian.sources
if [ ! -f "$sources" ]; then
  log "$sources is missing: no Debian archive to fetch the flatbuffers source package from"
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# apt downloads as its _apt user where it can: it must be able to enter the directory.
chmod 755 "$work"
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/download"
if getent passwd _apt >/dev/null && [ "$(id -u)" -eq 0 ]; then
  chown _apt "$work/lists/partial" "$work/cache/archives/partial" "$work/download"
fi
# Debian's binary entries as source entries (deb822: one Types line per stanza).
sed 's/^Types:.*/Types: deb-src/' "$sources" >"$work/debian-src.sources"
mkdir "$work/sources.list.d"
cp "$work/debian-src.sources" "$work/sources.list.d/"
apt_options=(
  -o Dir::Etc::SourceList=/dev/null
  -o Dir::Etc::SourceParts="$work/sources.list.d"
  -o Dir::State::Lists="$work/lists"
  -o Dir::Cache="$work/cache"
)

# One apt-get at a time on the machine: wait for another one to finish.
while pgrep -x 'apt-get|apt' >/dev/null; do
  log "waiting for another apt-get to finish"
  sleep 5
done
log "fetching Debian's flatbuffers $version source package"
apt-get "${apt_options[@]}" -qq update
# apt-get source wants an exact version: Debian's revision of upstream's 2.0.8.
debian_version=$(apt-cache "${apt_options[@]}" showsrc flatbuffers | sed -n "s/^Version: \($version[+-].*\)/\1/p" | head -n 1)
if [ -z "$debian_version" ]; then
  log "Debian's archive has no flatbuffers $version source package"
  exit 1
fi
(cd "$work/download" && apt-get "${apt_options[@]}" -qq source --download-only "flatbuffers=$debian_version" >/dev/null)

# The upstream tarball holds net/; Debian's own tarball only packaging, no patch to it (the
# check below fails if that ever changes, rather than compiling unpatched sources).
orig=$(find "$work/download" -name "flatbuffers_$version*.orig.tar.*" | head -n 1)
debian=$(find "$work/download" -name "flatbuffers_$version*.debian.tar.*" | head -n 1)
if [ -z "$orig" ] || [ -z "$debian" ]; then
  log "apt-get source gave no flatbuffers $version tarballs"
  exit 1
fi
# (grep reads it all: with -q, tar's broken pipe would fail the pipeline and hide a match.)
patched=$(tar -xOf "$debian" --wildcards 'debian/patches/*' 2>/dev/null | grep '^+++ .*net/' || true)
if [ -n "$patched" ]; then
  log "Debian patches net/ in $(basename "$debian"): apply them before using its C# runtime"
  exit 1
fi
mkdir -p "$work/net"
tar -xf "$orig" -C "$work/net" --wildcards --no-wildcards-match-slash --strip-components=3 'flatbuffers-*/net/FlatBuffers/*.cs'
if [ ! -f "$work/net/FlatBufferBuilder.cs" ]; then
  log "$(basename "$orig") has no net/FlatBuffers/FlatBufferBuilder.cs"
  exit 1
fi
mkdir -p "$(dirname "$target")"
rm -rf "$target"
mv "$work/net" "$target"
log "wrote $target ($(basename "$orig"))"
