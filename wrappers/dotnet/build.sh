#!/usr/bin/env bash
# Builds the .NET SDK and wrapper with Mono's mcs into wrappers/dotnet/bin/ (git-ignored):
# Ferrite.Sdk.dll, FlatBuffers.dll (the FlatBuffers C# runtime, which fetch-flatbuffers.sh
# brings), ferrite-wrapper.exe and a copy of Newtonsoft.Json.dll beside them.
# With --tests also the two NUnit test assemblies. Rebuilds only what a newer source
# affects; run from anywhere. Where the .NET SDK is installed, `dotnet build` of the
# .csproj files builds the same sources instead.
set -euo pipefail
# src/**/*.cs: the wrapper's sources are in folders (Codec/, Transport/).
shopt -s globstar
cd "$(dirname "$0")/../.."
bin=wrappers/dotnet/bin
mkdir -p "$bin"

json_dll=$(pkg-config --variable=Libraries newtonsoft-json 2>/dev/null || true)
if [ -z "$json_dll" ]; then
  json_dll=$(pkg-config --libs newtonsoft-json 2>/dev/null | sed -n 's/^-r:\([^ ]*\).*/\1/p')
fi
if [ ! -f "$json_dll" ]; then
  echo "build.sh: Newtonsoft.Json for Mono is missing (apt-get install libnewtonsoft-json-cil-dev)" >&2
  exit 1
fi
[ "$bin/Newtonsoft.Json.dll" -nt "$json_dll" ] || cp "$json_dll" "$bin/Newtonsoft.Json.dll"

# stale OUTPUT INPUT...: true when OUTPUT is missing or older than an input. Callers pass the
# source folders too, whose time changes when a file is added, removed or renamed there.
stale() {
  local output=$1 input
  shift
  [ -f "$output" ] || return 0
  for input in "$@"; do
    [ "$input" -nt "$output" ] && return 0
  done
  return 1
}

mcs_flags=(-nologo -optimize+ -warnaserror+ -nowarn:1591)

# The runtime the generated src/Codec/WireGenerated.cs needs: upstream's code as it is, with
# its default, bounds-checked ByteBuffer (no UNSAFE_BYTEBUFFER). Not with -warnaserror: its
# warnings are not ours to fix.
bash wrappers/dotnet/fetch-flatbuffers.sh
flatbuffers_sources=(.ferrite-cache/flatbuffers-net-2.0.8/*.cs)
if stale "$bin/FlatBuffers.dll" "${flatbuffers_sources[@]}"; then
  echo "build.sh: building $bin/FlatBuffers.dll"
  mcs -nologo -optimize+ -target:library -out:"$bin/FlatBuffers.dll" "${flatbuffers_sources[@]}"
fi
sdk_sources=(sdk-dotnet/src/**/*.cs)
if stale "$bin/Ferrite.Sdk.dll" sdk-dotnet/src/**/ "${sdk_sources[@]}"; then
  echo "build.sh: building $bin/Ferrite.Sdk.dll"
  mcs "${mcs_flags[@]}" -target:library -out:"$bin/Ferrite.Sdk.dll" -r:"$bin/Newtonsoft.Json.dll" "${sdk_sources[@]}"
fi
wrapper_sources=(wrappers/dotnet/src/**/*.cs)
if stale "$bin/ferrite-wrapper.exe" wrappers/dotnet/src/**/ "${wrapper_sources[@]}" "$bin/Ferrite.Sdk.dll" "$bin/FlatBuffers.dll"; then
  echo "build.sh: building $bin/ferrite-wrapper.exe"
  # -unsafe for src/Transport/ShmRing.cs alone, the shm transport's view of the mapped
  # segment; no other file has an unsafe block.
  mcs "${mcs_flags[@]}" -unsafe -target:exe -out:"$bin/ferrite-wrapper.exe" -r:"$bin/Newtonsoft.Json.dll" -r:"$bin/Ferrite.Sdk.dll" -r:"$bin/FlatBuffers.dll" "${wrapper_sources[@]}"
fi

if [ "${1:-}" = "--tests" ]; then
  nunit=$(pkg-config --libs nunit 2>/dev/null | tr ' ' '\n' | grep 'nunit.framework.dll' | sed 's/^-r://' || true)
  if [ ! -f "$nunit" ]; then
    echo "build.sh: NUnit for Mono is missing (apt-get install libnunit-cil-dev nunit-console)" >&2
    exit 1
  fi
  sdk_tests=(sdk-dotnet/tests/*.cs)
  if stale "$bin/Ferrite.Sdk.Tests.dll" sdk-dotnet/tests "${sdk_tests[@]}" "$bin/Ferrite.Sdk.dll"; then
    echo "build.sh: building $bin/Ferrite.Sdk.Tests.dll"
    mcs "${mcs_flags[@]}" -target:library -out:"$bin/Ferrite.Sdk.Tests.dll" -r:"$nunit" -r:"$bin/Newtonsoft.Json.dll" -r:"$bin/Ferrite.Sdk.dll" "${sdk_tests[@]}"
  fi
  wrapper_tests=(wrappers/dotnet/tests/*.cs)
  if stale "$bin/Ferrite.Wrapper.Tests.dll" wrappers/dotnet/tests "${wrapper_tests[@]}" "$bin/ferrite-wrapper.exe"; then
    echo "build.sh: building $bin/Ferrite.Wrapper.Tests.dll"
    mcs "${mcs_flags[@]}" -target:library -out:"$bin/Ferrite.Wrapper.Tests.dll" -r:"$nunit" -r:"$bin/Newtonsoft.Json.dll" -r:"$bin/Ferrite.Sdk.dll" -r:"$bin/ferrite-wrapper.exe" -r:"$bin/FlatBuffers.dll" "${wrapper_tests[@]}"
  fi
  cp -u "$nunit" "$bin/"
fi
