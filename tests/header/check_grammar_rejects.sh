#!/bin/sh
# Runs check_grammar.pl on grammar_bad.h, whose every declaration breaks one
# rule, and checks that it fails and names each of them: a checker that
# passed everything would pass the real headers too.
#   check_grammar_rejects.sh CHECKER FIXTURE
set -u
checker=$1 fixture=$2
out=$(perl "$checker" "$fixture" 2>&1)
rc=$?
printf '%s\n' "$out"
if [ "$rc" -eq 0 ]; then
    echo "FAIL: check_grammar.pl accepted $fixture"
    exit 1
fi
status=0
for name in oai_widget oai_files_list_request_new oai_chat_request_new oai_request_on_event \
            oai_request_set_thing oai_request_valid oai_request_is_valid oai_client_follow_job \
            oai_request_header_name oai_request_set_level oai_request_body_copy_dup \
            oai_request_get_text oai_request_old oai_request_older oai_gadget_frob; do
    if printf '%s\n' "$out" | grep -q "^FAIL: $name:"; then
        echo "ok: $name rejected"
    else
        echo "FAIL: $name was not rejected"
        status=1
    fi
done
exit "$status"
