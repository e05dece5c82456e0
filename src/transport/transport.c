/* The transport interface: transports made of host callbacks, and the
 * exchanges the engine hands them (include/oai/transport.h for the host's
 * side, transport/transport.h for the engine's). */
#include "transport/transport.h"

#include "http/multipart.h"

#include <stdlib.h>
#include <string.h>

/* How far the host's reports got: they come in this order. */
enum report_stage { REPORTED_NOTHING = 0, REPORTED_STATUS, REPORTED_BODY };

static oai_status failure_class(oai_status status);

/* ---- transports ------------------------------------------------------------ */

OAI_API oai_transport *oai_transport_new(oai_transport_start_fn start, oai_transport_cancel_fn cancel,
                                         void *userdata)
{
    if (!start || !cancel)
        return NULL;
    oai_transport *t = oai__calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->start = start;
    t->cancel = cancel;
    t->ud = userdata;
    return t;
}

OAI_API oai_status oai_transport_set_run(oai_transport *t, oai_transport_run_fn fn)
{
    if (!t)
        return OAI_ERR_INVALID_ARGUMENT;
    t->run = fn;
    return OAI_OK;
}

OAI_API oai_status oai_transport_set_wakeup(oai_transport *t, oai_transport_wakeup_fn fn)
{
    if (!t)
        return OAI_ERR_INVALID_ARGUMENT;
    t->wakeup = fn;
    return OAI_OK;
}

OAI_API oai_status oai_transport_set_pause(oai_transport *t, oai_transport_pause_fn fn)
{
    if (!t)
        return OAI_ERR_INVALID_ARGUMENT;
    t->pause = fn;
    return OAI_OK;
}

int oai__exchange_pause(oai_exchange *ex, int paused)
{
    /* A pause may come from inside the exchange's own data report; a
     * resume only between reports. */
    if (!ex || ex->ended || !ex->host_holds || ex->in_start || !ex->transport->pause || (ex->in_report && !paused))
        return 0;
    ex->transport->pause(ex->transport->ud, ex, paused);
    return 1;
}

OAI_API oai_status oai_transport_set_free(oai_transport *t, oai_transport_free_fn fn)
{
    if (!t)
        return OAI_ERR_INVALID_ARGUMENT;
    t->free_fn = fn;
    return OAI_OK;
}

OAI_API void oai_transport_free(oai_transport *t)
{
    if (!t)
        return;
    if (t->free_fn)
        t->free_fn(t->ud);
    oai__free(t);
}

OAI_API oai_transport *oai_transport_curl_new(oai_status *status)
{
    oai_status ignored;
    return oai__transport_default(NULL, status ? status : &ignored);
}

oai_status oai__transport_run(oai_transport *t, int timeout_ms)
{
    if (!t || !t->run)
        return OAI_ERR_INVALID_ARGUMENT;
    int rc = t->run(t->ud, timeout_ms);
    return rc == 0 ? OAI_OK : (oai_status)rc;
}

void oai__transport_wakeup(oai_transport *t)
{
    if (t && t->wakeup)
        t->wakeup(t->ud);
}

/* ---- exchanges: the engine's side ----------------------------------------------- */

oai_exchange *oai__exchange_new(const oai__exchange_spec *spec, const oai__exchange_sink *sink, void *sink_ud)
{
    oai_exchange *ex = oai__calloc(1, sizeof *ex);
    if (!ex)
        return NULL;
    ex->spec = *spec;
    ex->sink = sink;
    ex->sink_ud = sink_ud;
    ex->engine_holds = 1;
    return ex;
}

static void free_if_unheld(oai_exchange *ex)
{
    if (!ex->engine_holds && !ex->host_holds && !ex->in_start)
        oai__free(ex);
}

oai_status oai__exchange_start(oai_transport *t, oai_exchange *ex, const char **message)
{
    if (message)
        *message = NULL;
    ex->transport = t;
    ex->host_holds = 1;
    ex->in_start = 1;
    int rc = t->start(t->ud, ex);
    ex->in_start = 0;
    if (ex->ended) {
        /* Answered inside the start callback (a failure code then is moot),
         * or ended by a report's outcome there: the host let go. */
        ex->host_holds = 0;
        free_if_unheld(ex);
        return OAI_OK;
    }
    if (rc == 0)
        return OAI_OK;
    oai__free(ex);
    if (message)
        *message = "the transport could not start the request";
    /* The same classes as oai_exchange_fail(): a code outside them (an HTTP
     * class without an HTTP status, a value no oai_status has) would reach
     * the retry policy and the caller as nonsense. */
    return failure_class((oai_status)rc);
}

void oai__exchange_release(oai_exchange *ex)
{
    if (!ex || !ex->engine_holds)
        return;
    ex->engine_holds = 0;
    if (!ex->ended) {
        ex->ended = 1;
        /* Inside a report (or the start callback) the host learns it from
         * that call's return value instead. */
        if (ex->host_holds && ex->in_report == 0 && !ex->in_start) {
            ex->transport->cancel(ex->transport->ud, ex);
            ex->host_holds = 0;
        }
    }
    free_if_unheld(ex);
}

/* ---- exchanges: what to send ------------------------------------------------------- */

OAI_API const char *oai_exchange_method(const oai_exchange *ex)
{
    return ex ? ex->spec.method : "";
}

OAI_API const char *oai_exchange_url(const oai_exchange *ex)
{
    return ex ? ex->spec.url : "";
}

OAI_API size_t oai_exchange_header_count(const oai_exchange *ex)
{
    return ex ? ex->spec.header_count : 0;
}

OAI_API const char *oai_exchange_header_name(const oai_exchange *ex, size_t index)
{
    return ex && index < ex->spec.header_count ? ex->spec.header_names[index] : NULL;
}

OAI_API const char *oai_exchange_header_value(const oai_exchange *ex, size_t index)
{
    return ex && index < ex->spec.header_count ? ex->spec.header_values[index] : NULL;
}

OAI_API int64_t oai_exchange_body_length(const oai_exchange *ex)
{
    if (!ex)
        return 0;
    if (ex->spec.multipart)
        return oai__multipart_length(ex->spec.multipart);
    return ex->spec.body ? (int64_t)ex->spec.body_len : 0;
}

OAI_API const char *oai_exchange_body(const oai_exchange *ex)
{
    return ex ? ex->spec.body : NULL;
}

OAI_API int64_t oai_exchange_read_body(oai_exchange *ex, char *buf, size_t cap)
{
    if (!ex || (!buf && cap > 0))
        return -(int64_t)OAI_ERR_INVALID_ARGUMENT;
    if (ex->spec.multipart)
        return oai__multipart_read(ex->spec.multipart, buf, cap);
    size_t left = ex->spec.body ? ex->spec.body_len - (size_t)ex->body_pos : 0;
    size_t n = left < cap ? left : cap;
    if (n > 0)
        memcpy(buf, ex->spec.body + ex->body_pos, n);
    ex->body_pos += (int64_t)n;
    return (int64_t)n;
}

OAI_API oai_status oai_exchange_rewind_body(oai_exchange *ex)
{
    if (!ex)
        return OAI_ERR_INVALID_ARGUMENT;
    ex->body_pos = 0;
    return ex->spec.multipart ? oai__multipart_rewind(ex->spec.multipart) : OAI_OK;
}

OAI_API int64_t oai_exchange_connect_timeout_ms(const oai_exchange *ex)
{
    return ex ? ex->spec.connect_timeout_ms : 0;
}

OAI_API const char *oai_exchange_proxy(const oai_exchange *ex)
{
    return ex ? ex->spec.proxy : NULL;
}

OAI_API const char *oai_exchange_ca_file(const oai_exchange *ex)
{
    return ex ? ex->spec.ca_file : NULL;
}

OAI_API const void *oai_exchange_ca_blob(const oai_exchange *ex, size_t *len)
{
    if (len)
        *len = ex && ex->spec.ca_blob ? ex->spec.ca_blob_len : 0;
    return ex ? ex->spec.ca_blob : NULL;
}

OAI_API int oai_exchange_wants_progress(const oai_exchange *ex)
{
    return ex ? ex->spec.want_progress != 0 : 0;
}

OAI_API void oai_exchange_set_host_data(oai_exchange *ex, void *data)
{
    if (ex)
        ex->host_data = data;
}

OAI_API void *oai_exchange_host_data(const oai_exchange *ex)
{
    return ex ? ex->host_data : NULL;
}

/* ---- exchanges: what came back ------------------------------------------------------ */

/* Opens a report: OAI_OK when it may reach the sink. `in_order` says
 * whether it comes in its place (status, headers, body). */
static oai_status report_begin(oai_exchange *ex, int in_order)
{
    if (!ex)
        return OAI_ERR_INVALID_ARGUMENT;
    if (ex->ended)
        return OAI_ERR_CANCELLED;
    if (!in_order)
        return OAI_ERR_INVALID_ARGUMENT;
    ex->in_report++;
    return OAI_OK;
}

/* Closes a report: OAI_ERR_CANCELLED when the engine let go meanwhile (the
 * host lets go now, and the exchange may be freed). */
static oai_status report_end(oai_exchange *ex)
{
    ex->in_report--;
    if (!ex->ended)
        return OAI_OK;
    if (ex->in_report == 0 && !ex->in_start) {
        ex->host_holds = 0;
        free_if_unheld(ex);
    }
    return OAI_ERR_CANCELLED;
}

OAI_API oai_status oai_exchange_receive_status(oai_exchange *ex, int http_status)
{
    int ok = ex && ex->reported == REPORTED_NOTHING && http_status >= 100 && http_status <= 999;
    oai_status st = report_begin(ex, ok);
    if (st != OAI_OK)
        return st;
    ex->reported = REPORTED_STATUS;
    ex->sink->on_status(ex->sink_ud, http_status);
    return report_end(ex);
}

OAI_API oai_status oai_exchange_receive_header(oai_exchange *ex, const char *name, size_t name_len,
                                               const char *value, size_t value_len)
{
    /* Headers follow the status; trailers (after the body) are not reported. */
    int ok = ex && ex->reported == REPORTED_STATUS && (name || !name_len) && (value || !value_len);
    oai_status st = report_begin(ex, ok);
    if (st != OAI_OK)
        return st;
    ex->sink->on_header(ex->sink_ud, name ? name : "", name_len, value ? value : "", value_len);
    return report_end(ex);
}

OAI_API oai_status oai_exchange_receive_data(oai_exchange *ex, const void *data, size_t len)
{
    int ok = ex && ex->reported != REPORTED_NOTHING && (data || !len);
    oai_status st = report_begin(ex, ok);
    if (st != OAI_OK)
        return st;
    ex->reported = REPORTED_BODY;
    if (len > 0)
        ex->sink->on_data(ex->sink_ud, data, len);
    return report_end(ex);
}

OAI_API oai_status oai_exchange_report_sent(oai_exchange *ex, int64_t sent, int64_t total)
{
    oai_status st = report_begin(ex, sent >= 0);
    if (st != OAI_OK)
        return st;
    ex->sink->on_sent(ex->sink_ud, sent, total);
    return report_end(ex);
}

/* The host ends the exchange; the sink hears how. */
static void end_by_host(oai_exchange *ex, oai_status status, const char *message)
{
    if (!ex || ex->ended)
        return;
    ex->ended = 1;
    ex->in_report++;
    if (ex->engine_holds) {
        ex->engine_holds = 0;
        ex->sink->on_end(ex->sink_ud, status, message);
    }
    ex->in_report--;
    if (!ex->in_start) {
        ex->host_holds = 0;
        free_if_unheld(ex);
    }
}

OAI_API void oai_exchange_complete(oai_exchange *ex)
{
    if (ex && ex->reported == REPORTED_NOTHING) {
        end_by_host(ex, OAI_ERR_PROTOCOL, "the transport completed an exchange without a status");
        return;
    }
    end_by_host(ex, OAI_OK, NULL);
}

/* The failure classes a host may report; anything else is a connection
 * failure, so the retry policy treats it as one. */
static oai_status failure_class(oai_status status)
{
    switch (status) {
    case OAI_ERR_CONNECTION:
    case OAI_ERR_TIMEOUT:
    case OAI_ERR_TLS:
    case OAI_ERR_PROTOCOL:
    case OAI_ERR_TOO_LARGE:
    case OAI_ERR_IO:
    case OAI_ERR_OUT_OF_MEMORY:
    case OAI_ERR_INVALID_ARGUMENT:
        return status;
    default:
        return OAI_ERR_CONNECTION;
    }
}

OAI_API void oai_exchange_fail(oai_exchange *ex, oai_status status, const char *message)
{
    end_by_host(ex, failure_class(status), message ? message : oai_status_message(failure_class(status)));
}
