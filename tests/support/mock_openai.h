/* The mock server's built-in handler: a small, deterministic
 * OpenAI-compatible API under /v1, used when the script is empty.
 *
 *   POST   /v1/chat/completions   answer derived from the last user message
 *   POST   /v1/completions        the same logic on `prompt` (legacy)
 *   POST   /v1/responses          the same logic on `input`
 *   POST   /v1/embeddings         8-dimensional vectors hashed from each input
 *   GET    /v1/models             "gpt-4o-mini" and "mock-model"
 *   GET    /v1/models/{id}        one of those, else 404 model_not_found
 *   DELETE /v1/models/{id}        {"id", "object":"model", "deleted":true}
 *
 * The answer is "Echo: <text>", or a short fixed Chinese poem about spring
 * when the text contains "春天". A request for structured output (a
 * `json_schema` in `response_format`, or in `text.format` for responses)
 * is answered with compact JSON that follows the schema: every property,
 * an enum's first value, strings "Echo: <text>", integers 1, numbers 1.5,
 * booleans true, arrays of one item. Token counts are rough: one token per ASCII
 * word and per non-ASCII character; max_tokens (max_completion_tokens,
 * max_output_tokens) truncates the answer to that many such tokens and sets
 * finish_reason "length" (status "incomplete" for responses). With
 * "stream": true the three text endpoints answer with Server-Sent Events,
 * each event in its own HTTP chunk; the answer comes in 4 pieces, or in
 * N when the body has the extension field "mock_stream_pieces": N (at most
 * one piece per token; bench/ uses it to make a long stream; the server's
 * mock_server_set_stream_pieces() sets the default). Unknown paths get 404, bodies that are
 * not a JSON object 400, both in OpenAI's error shape.
 *
 * Paths under /openai/ are Azure OpenAI's (mock_azure.h): checked as Azure
 * checks them, then answered as the same path under /v1/.
 */
#ifndef OAI_MOCK_OPENAI_H
#define OAI_MOCK_OPENAI_H

#include "mock_http.h"

/* Builds the answer to req; NULL only when memory ran out. */
mock_response *mock_openai_respond(const mock_request *req);

/* The fixed answer to prompts about spring (UTF-8). */
extern const char mock_openai_spring_poem[];

#endif
