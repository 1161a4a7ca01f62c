#!/bin/sh
# A first shell function: greets the name in ?name=, or shouts back what was POSTed.
# $1 is the greeting from spec.runtimeAttributes.arguments.
if [ "$FERRITE_METHOD" = POST ]; then
  echo 'Content-Type: text/plain; charset=utf-8' >>"$FERRITE_RESPONSE_HEADERS"
  tr '[:lower:]' '[:upper:]'
else
  echo "$1, ${FERRITE_QUERY_NAME:-world}!"
fi
