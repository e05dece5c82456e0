/* Declarations that break the naming grammar of include/oai.h, one rule
 * each: check_grammar_rejects.sh runs check_grammar.pl on this file and
 * expects every one of them reported. Not a real header. */
/**
 * **Names: one grammar**
 * - Nouns: client, request, response, value, call, event, sse, stream,
 *   large_upload, pager, training_report, batch_writer, batch_reader,
 *   transport, exchange, and status for ::oai_status.
 * **Types.**
 */
typedef struct oai_request oai_request;
typedef struct oai_widget oai_widget;
typedef enum oai_log_level { OAI_LOG_OFF = 0 } oai_log_level;
typedef int (*oai_event_fn)(void *userdata, const void *ev);

OAI_API oai_request *oai_files_list_request_new(void);
OAI_API oai_request *oai_chat_request_new(const char *model);
OAI_API oai_status oai_request_on_event(oai_request *req, oai_event_fn fn, void *userdata);
OAI_API oai_status oai_request_set_thing(oai_request *req, oai_event_fn fn, void *userdata);
OAI_API int oai_request_valid(const oai_request *req);
OAI_API oai_status oai_request_is_valid(const oai_request *req);
OAI_API oai_status oai_client_follow_job(const char *job_id);
OAI_API const char *oai_request_header_name(const oai_request *req, size_t index);
OAI_API oai_status oai_request_set_level(oai_request *req, oai_log_level level);
OAI_API char *oai_request_body_copy_dup(const oai_request *req, long n);
OAI_API const char *oai_request_get_text(const oai_request *req, const char *name);
OAI_DEPRECATED("use oai_request_nothing") OAI_API oai_status oai_request_old(oai_request *req);
OAI_DEPRECATED("gone") OAI_API oai_status oai_request_older(oai_request *req);
OAI_API void oai_gadget_frob(void);
