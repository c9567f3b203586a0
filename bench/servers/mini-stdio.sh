#!/bin/sh
# A minimal MCP stdio server in POSIX sh for the session-churn step, where Warden spawns one child
# per session: it starts in about a millisecond, where the SDK server (bench/servers/upstream.ts)
# costs over half a CPU-second, which would make 20,000 sessions take hours.
#
# It answers initialize, ping, tools/list and tools/call of `echo`; notifications are ignored and
# any other request gets "method not found". It is not a JSON parser: it relies on the shape of
# the messages a gateway sends (compact JSON, no "id" key inside params, no escapes in echo text).

reply() { printf '{"jsonrpc":"2.0","id":%s,%s}\n' "$1" "$2"; }

while IFS= read -r line; do
  case $line in
    *'"id":'*) rest=${line#*\"id\":}; id=${rest%%[,\}]*} ;;
    *) id='' ;;
  esac
  case $line in
    *'"method":"initialize"'*)
      version=2025-11-25
      case $line in *'"protocolVersion":"'*) rest=${line#*\"protocolVersion\":\"}; version=${rest%%\"*} ;; esac
      reply "$id" "\"result\":{\"protocolVersion\":\"$version\",\"capabilities\":{\"tools\":{}},\"serverInfo\":{\"name\":\"warden-bench-mini\",\"version\":\"1.0.0\"}}"
      ;;
    *'"method":"notifications/'*) ;;
    *'"method":"ping"'*) reply "$id" '"result":{}' ;;
    *'"method":"tools/list"'*)
      reply "$id" '"result":{"tools":[{"name":"echo","description":"Returns its text argument.","inputSchema":{"type":"object","properties":{"text":{"type":"string"}},"required":["text"]}}]}'
      ;;
    *'"method":"tools/call"'*)
      case $line in
        *'"name":"echo"'*'"text":"'* | *'"text":"'*'"name":"echo"'*)
          rest=${line#*\"text\":\"}
          reply "$id" "\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"${rest%%\"*}\"}]}"
          ;;
        *) reply "$id" '"error":{"code":-32602,"message":"unknown tool"}' ;;
      esac
      ;;
    *'"method":'*) [ -n "$id" ] && reply "$id" '"error":{"code":-32601,"message":"Method not found"}' ;;
  esac
done
