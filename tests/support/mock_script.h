/* Scripts for the mock server from a JSON file (oai-mock-server --script,
 * docs/testing-your-app.md), so that a program can be tested against rate
 * limits, broken streams and dropped connections without writing C.
 *
 * The file is a JSON list of replies, used in order; each is an object:
 *
 *   "status"          HTTP status, 200..599 (default 200)
 *   "headers"         {"Name": "value" or integer, ...} or ["Name: value", ...]
 *   "body"            a string sent as is, or any other JSON value, sent
 *                     serialised (default: no body)
 *   "chunks"          instead of "body": a list of strings, each sent as one
 *                     HTTP chunk (Transfer-Encoding: chunked; Content-Type
 *                     text/event-stream unless "headers" name one), or
 *                     {"data": "...", "delay_ms": N} to wait N ms before it
 *   "chunk_delay_ms"  the wait between chunks that set none (default 0)
 *   "delay_ms"        the wait before the status line (default 0)
 *   "match"           {"method": "POST", "path": "/v1/chat/completions"}:
 *                     answer only such requests (a final '*' in path matches
 *                     any rest); without it, any request
 *   "repeat"          how many requests it answers (default 1; -1: all)
 *   "fault"           "reset" | "close" | "stall" | "truncate", or an object
 *                     {"type": ..., "after_bytes": N | "after_chunks": N,
 *                      "ms": N}:
 *                       reset     RST the connection: at once (before the
 *                                 status line), or after the head and N
 *                                 body bytes / chunks
 *                       close     close it gracefully (FIN), the same way
 *                       stall     send nothing more for "ms" milliseconds
 *                                 (default: until the client gives up),
 *                                 then close: at once or after N
 *                       truncate  announce the whole body's length but
 *                                 send only N bytes (default half) or N
 *                                 chunks (default half, never the final
 *                                 empty chunk), then close
 *
 * A request no remaining reply matches goes to the built-in handler.
 */
#ifndef OAI_MOCK_SCRIPT_H
#define OAI_MOCK_SCRIPT_H

#include <stddef.h>

#include "mock_server.h"

/* Reads the script at path and queues its replies on ms. Returns the number
 * of replies queued, or -1 with a one-line reason in err ("FILE:LINE:COL:
 * ..." or "FILE: reply N: ...") and nothing queued. */
int mock_script_load(mock_server *ms, const char *path, char *err, size_t err_size);

#endif
