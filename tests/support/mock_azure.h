/* The mock server's Azure OpenAI mode: the built-in handler answers the
 * paths under /openai/ as an Azure OpenAI resource does, checking what
 * Azure checks before it hands the request to the OpenAI handler
 * (mock_openai.h) under /v1/:
 *
 *   /openai/v1/PATH                         the v1 API: no api-version
 *                                           (but "preview" or "latest"), no deployments
 *   /openai/deployments/DEPLOYMENT/PATH     the deployments API, for the
 *                                           deployment-scoped paths only
 *                                           (chat/completions, completions,
 *                                           embeddings, audio/..., images/...)
 *   /openai/PATH                            the deployments API's other
 *                                           paths (files, batches, models...)
 *
 * The deployments API answers 404 without an api-version query parameter,
 * and for a deployment-scoped path outside /deployments/ (or another path
 * inside). Every request needs an `api-key` header or `Authorization:
 * Bearer TOKEN`, else 401; a token that starts with "expired" is refused
 * with 401 too (the tests' expired Entra ID tokens). Errors have Azure's
 * shape, {"error": {"code": "404", "message": "..."}}. */
#ifndef OAI_MOCK_AZURE_H
#define OAI_MOCK_AZURE_H

#include "mock_http.h"

#define MOCK_AZURE_PREFIX "/openai/"

/* The answer to a request whose path starts with MOCK_AZURE_PREFIX; NULL
 * only when memory ran out. */
mock_response *mock_azure_respond(const mock_request *req);

#endif
