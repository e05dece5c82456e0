/* The stateful part of the mock server: files, uploads, fine-tuning jobs
 * and batches, kept in process-global state behind a mutex, so that a
 * client can upload a file, start a job or a batch on it and follow it to
 * the end, as against the real API.
 *
 *   GET    /v1/files                        list: after, limit, order, purpose
 *   POST   /v1/files                        multipart: purpose, file
 *   GET    /v1/files/{id}                   DELETE /v1/files/{id}
 *   GET    /v1/files/{id}/content           the bytes (application/octet-stream)
 *   POST   /v1/uploads                      {filename, purpose, bytes, mime_type}
 *   POST   /v1/uploads/{id}/parts           multipart: data
 *   POST   /v1/uploads/{id}/complete        {part_ids, md5?}: checks the part
 *                                           ids, the total size and the MD5,
 *                                           then creates the file
 *   POST   /v1/uploads/{id}/cancel
 *   POST   /v1/fine_tuning/jobs             needs an existing training_file
 *   GET    /v1/fine_tuning/jobs             list: after, limit
 *   GET    /v1/fine_tuning/jobs/{id}        each retrieve advances the job one
 *                                           step: validating_files -> queued
 *                                           -> running -> succeeded, adding
 *                                           events (and, on entering running,
 *                                           a metrics event and a checkpoint)
 *   POST   /v1/fine_tuning/jobs/{id}/cancel|pause|resume
 *   GET    /v1/fine_tuning/jobs/{id}/events|checkpoints   newest first
 *   POST   /v1/batches                      needs an existing input file
 *   GET    /v1/batches                      list: after, limit
 *   GET    /v1/batches/{id}                 each retrieve advances the batch:
 *                                           validating -> in_progress ->
 *                                           completed; completing runs every
 *                                           input line through the built-in
 *                                           handler and writes the output
 *                                           (and error) file
 *   POST   /v1/batches/{id}/cancel          cancelling, then cancelled
 *
 * Lists are newest first (files: `order` asc or desc, default desc). Ids
 * and timestamps come from counters, so a run after mock_state_reset() is
 * reproducible.
 *
 * File contents and upload parts are kept on disk, in the server's
 * directory (mock_request.data_dir), never in memory, so files and parts of
 * any size can be uploaded and downloaded (the content is streamed back
 * from disk). Completing an upload joins its parts in `part_ids` order into
 * the file while computing its MD5, so any part size and any order
 * verifies. Only a batch's input file is read whole, up to 16 MiB.
 */
#ifndef OAI_MOCK_STATE_H
#define OAI_MOCK_STATE_H

#include "mock_http.h"

/* The answer to req when its path is one of the above, else NULL (also
 * when memory ran out). Thread-safe. */
mock_response *mock_state_respond(const mock_request *req);

/* Forgets every file, upload, job and batch and restarts the id counters.
 * Call it between tests (and at the end, so nothing stays allocated). */
void mock_state_reset(void);

#endif
