#!/usr/bin/env bash
# The conformance function for the shell runtime: one script, one branch per case.
# The body is stdin, stdout the response body; metadata arrives in FERRITE_* variables and
# response headers go to the file named by FERRITE_RESPONSE_HEADERS.
set -euo pipefail

header() { printf '%s\n' "$1" >>"$FERRITE_RESPONSE_HEADERS"; }

# JSON string literal of $1 (the few escapes these cases need).
json() {
  local s=${1//\\/\\\\}
  s=${s//\"/\\\"}
  printf '"%s"' "$s"
}

case $FERRITE_PATH in
  /return-text) printf 'hello, world' ;;
  /return-bytes)
    header 'Content-Type: application/octet-stream'
    printf '\x00\x01\xfe\xff'
    ;;
  /return-json)
    header 'Content-Type: application/json'
    printf '{"name": "ferrite", "count": 3, "nested": {"ok": true}, "list": [1, "two"]}'
    ;;
  /return-response)
    header 'Status: 201'
    header 'Content-Type: text/x-ferrite'
    header 'X-Ferrite-Case: return-response'
    printf 'created'
    ;;
  /return-nothing) ;;
  /echo) cat ;;
  /metadata)
    body=$(cat)
    printf '{"method": %s, "path": %s, "url": %s, ' \
      "$(json "$FERRITE_METHOD")" "$(json "$FERRITE_PATH")" "$(json "$FERRITE_URL")"
    printf '"query": {"x": %s, "name": %s}, ' "$(json "$FERRITE_QUERY_X")" "$(json "$FERRITE_QUERY_NAME")"
    printf '"custom_header": %s, "content_type": %s, "trigger_kind": %s, "body": %s, ' \
      "$(json "$FERRITE_HEADER_X_CUSTOM_HEADER")" "$(json "$FERRITE_CONTENT_TYPE")" \
      "$(json "$FERRITE_TRIGGER_KIND")" "$(json "$body")"
    if [[ -n $FERRITE_EVENT_ID ]]; then printf '"has_id": true}'; else printf '"has_id": false}'; fi
    ;;
  /non-ascii) printf 'héllo wörld ✓ 日本 | %s' "$(cat)" ;;
  /raise)
    echo 'conformance boom' >&2
    exit 1
    ;;
  /env) printenv "$FERRITE_QUERY_NAME" | tr -d '\n' ;;
  /sleep)
    sleep "$FERRITE_QUERY_SECONDS"
    printf '{"worker": %s, "slept": %s}' "$FERRITE_WORKER_ID" "$FERRITE_QUERY_SECONDS"
    ;;
  *)
    header 'Status: 404'
    printf 'no case at %s' "$FERRITE_PATH"
    ;;
esac
