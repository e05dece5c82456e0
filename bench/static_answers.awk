# Writes the fixed answers that nginx serves in bench/run.sh, in the shape
# the OpenAI API gives them, with the text oai-mock-server would give for
# the benchmarks' prompts (so every client checks its answer as against the
# mock):
#
#   awk -v out=FILE -f static_answers.awk
#       a non-streamed chat completion (pretty-printed, about 1 KB) whose
#       content is "Echo: " and the short prompt (bench_common.h)
#   awk -v out=FILE -v events=N -f static_answers.awk
#       a streamed chat completion: a role chunk, N content chunks (one
#       token each: "Echo:", then " the", " quick", ... of the long prompt),
#       a finish chunk and [DONE], N + 2 events in all; prints the number
#       of prompt bytes the content holds (the answer is "Echo: " and the
#       first that many bytes of bench_long_prompt()), which the clients
#       are given as --stream-bytes.

function chunk(delta, finish) {
    printf "data: {\"id\":\"chatcmpl-BfGx3K8mTqWz0VnR2LcYp7sJ9dHoA\",\"object\":\"chat.completion.chunk\"," \
           "\"created\":1749000000,\"model\":\"gpt-4o-mini\"," \
           "\"choices\":[{\"index\":0,\"delta\":%s,\"logprobs\":null,\"finish_reason\":%s}]}\n\n", \
           delta, finish > out
}

BEGIN {
    if (out == "") {
        print "static_answers.awk: -v out=FILE is required" > "/dev/stderr"
        exit 2
    }
    if (events == "") {
        printf "{\n" \
               "  \"id\": \"chatcmpl-BfGx3K8mTqWz0VnR2LcYp7sJ9dHoA\",\n" \
               "  \"object\": \"chat.completion\",\n" \
               "  \"created\": 1749000000,\n" \
               "  \"model\": \"gpt-4o-mini-2024-07-18\",\n" \
               "  \"choices\": [\n" \
               "    {\n" \
               "      \"index\": 0,\n" \
               "      \"message\": {\n" \
               "        \"role\": \"assistant\",\n" \
               "        \"content\": \"Echo: Say hello to the benchmark.\",\n" \
               "        \"refusal\": null,\n" \
               "        \"annotations\": []\n" \
               "      },\n" \
               "      \"logprobs\": null,\n" \
               "      \"finish_reason\": \"stop\"\n" \
               "    }\n" \
               "  ],\n" \
               "  \"usage\": {\n" \
               "    \"prompt_tokens\": 13,\n" \
               "    \"completion_tokens\": 7,\n" \
               "    \"total_tokens\": 20,\n" \
               "    \"prompt_tokens_details\": {\n" \
               "      \"cached_tokens\": 0,\n" \
               "      \"audio_tokens\": 0\n" \
               "    },\n" \
               "    \"completion_tokens_details\": {\n" \
               "      \"reasoning_tokens\": 0,\n" \
               "      \"audio_tokens\": 0,\n" \
               "      \"accepted_prediction_tokens\": 0,\n" \
               "      \"rejected_prediction_tokens\": 0\n" \
               "    }\n" \
               "  },\n" \
               "  \"service_tier\": \"default\",\n" \
               "  \"system_fingerprint\": \"fp_34a54ae93c\"\n" \
               "}\n" > out
        exit 0
    }
    if (events < 2) {
        print "static_answers.awk: events must be 2 or more" > "/dev/stderr"
        exit 2
    }
    nwords = split("the quick brown fox jumps over the lazy dog", word, " ")
    chunk("{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null}", "null")
    chunk("{\"content\":\"Echo:\"}", "null")
    bytes = -1          # the space after "Echo:" is not the prompt's
    for (i = 0; i < events - 1; i++) {
        token = " " word[i % nwords + 1]
        bytes += length(token)
        chunk("{\"content\":\"" token "\"}", "null")
    }
    chunk("{}", "\"stop\"")
    printf "data: [DONE]\n\n" > out
    print bytes
}
