/*
 * oai.hpp — a header-only C++17 layer over oai.h: RAII handles, string_view
 * accessors, exceptions, lambdas for callbacks. No dependency beyond the
 * standard library and oai.h; link liboai as for C.
 *
 * SPDX-License-Identifier: MIT
 */
/**
 * @file oai.hpp
 * @brief C++17 RAII layer over the C API of oai.h.
 *
 * ```cpp
 * #include <oai.hpp>
 * #include <iostream>
 *
 * int main() try {
 *     oai::client client;                                // OPENAI_API_KEY, OPENAI_BASE_URL
 *     auto res = client.send(oai::request::chat("gpt-4o-mini").add_message("user", "Hello"));
 *     std::cout << res.text() << '\n';
 *
 *     auto req = oai::request::chat("gpt-4o-mini").add_message("user", "Tell me a story");
 *     client.stream(req, [](oai::event_view ev) { std::cout << ev.text() << std::flush; });
 * } catch (const oai::error &e) {
 *     std::cerr << e.what() << '\n';                     // "OAI_ERR_RATE_LIMIT (HTTP 429): ... [request req_...]"
 *     return 1;
 * }
 * ```
 *
 * **Ownership.** oai::client, oai::request, oai::response and oai::call each
 * own one C handle, like a `std::unique_ptr` (they are built on one): they
 * are movable, not copyable (oai::request::clone() makes a deep copy), free
 * the handle in their destructor, and give it up with release(); get()
 * returns the raw handle for the C API. A moved-from object is empty
 * (`explicit operator bool` is false).
 *
 * **Errors are exceptions.** Every failure throws oai::error (derived from
 * std::runtime_error), which carries what the C API tells: the
 * ::oai_status (status(), status_name()), the HTTP status, the request id
 * and the message (plus the API error's type, code and param). Exceptions
 * rather than expected-style results because a failure in this API is the
 * exceptional path of a whole exchange (retries already made), because
 * constructors and chained setters have no other way to report, and
 * because C++17 has no std::expected. Where a failed response is an
 * ordinary outcome, the non-throwing forms return it instead:
 * client::try_send(), call::take_response(), response::ok() and
 * response::status(); response::throw_if_error() turns one into an
 * exception. Memory exhaustion is std::bad_alloc.
 *
 * **Borrowed views.** Accessors return std::string_view (empty when the C
 * accessor returns NULL), oai::value_view and oai::event_view, borrowed from
 * the object they came from, exactly as in C: a response's views live
 * until the response is destroyed; an event_view taken from
 * call::next_event() until the next call on that oai::call; an event_view
 * given to a lambda, during the lambda.
 *
 * **Callbacks are lambdas** (any callable): request::on_event(),
 * request::on_progress(), a done callback of client::start(),
 * client::on_log(), client::on_retry(), client::on_token() (returns the
 * token as a std::string), and the workflows'. A callback may
 * return `void` (go on) or `bool` (`true`: go on, `false`: stop, as a
 * non-zero return in C). The callables are stored where they outlive every
 * call that may run them: a request's in state shared with its clones and
 * with each oai::call started from it; a done callback in its oai::call; a
 * client's in the client. An exception thrown inside a callback never
 * crosses the C library: it is caught at the boundary, the call it belongs
 * to is stopped where C allows it (an event or progress callback cancels
 * its call; a retry callback gives up), and it is rethrown from the
 * oai::client or oai::call function that ran the callback (poll(), send(),
 * ...), once the C library has returned.
 *
 * **The pull API** needs no callback at all: start a streamed request
 * without an event callback (request::stream()), poll the client, and take
 * events and the response from the call:
 *
 * ```cpp
 * oai::call call = client.start(oai::request::chat("gpt-4o-mini").add_message("user", "Hi").stream());
 * while (client.poll(0) > 0 || !call.done()) {       // once per frame, never waits
 *     while (auto ev = call.next_event())
 *         if (ev->type() == OAI_EVENT_TEXT) std::cout << ev->text();
 *     draw_frame();
 * }
 * while (auto ev = call.next_event()) ...            // what is left
 * oai::response res = call.result();                  // throws oai::error if the call failed
 * ```
 *
 * **Token counts** are oai::tokenizer (its constructor throws what
 * oai_tokenizer_status() reports); **Azure OpenAI** is client::azure() with
 * the set_azure_*() setters (docs/azure.md); client::clone() copies a
 * client with its lambdas.
 *
 * **Lifetimes.** Everything follows the C rules (docs/embedding.md): a call
 * may outlive its client (it then ends cancelled, and destroying it is
 * still safe); a response outlives its call, request and client; a
 * request may be destroyed once a call started from it (calls copy their
 * request, and keep its callables alive). Threading is the C library's:
 * one thread at a time per client and what came from it; callbacks run on
 * that thread, inside poll(), send() and the like.
 */
#ifndef OAI_HPP
#define OAI_HPP

#include <oai.h>

#include <cstdint>
#include <exception>
#include <functional>
#include <initializer_list>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace oai {

/** A NUL-terminated string argument: a `const char *` (may be NULL where the
 *  C function accepts NULL) or a `std::string`. (std::string_view is not
 *  accepted where C needs a terminator.) */
class zstring {
public:
    zstring(const char *s) noexcept : p_(s) {}
    zstring(const std::string &s) noexcept : p_(s.c_str()) {}
    zstring(std::nullptr_t) noexcept : p_(nullptr) {}
    const char *c_str() const noexcept { return p_; }

private:
    const char *p_;
};

/** A borrowed C string as a view; empty for NULL. */
inline std::string_view view(const char *s) noexcept
{
    return s ? std::string_view(s) : std::string_view();
}

/** The library's version at run time, e.g. "0.1.0". */
inline std::string_view version() noexcept { return view(oai_version()); }

/** The status's constant name, e.g. "OAI_ERR_RATE_LIMIT". */
inline std::string_view status_name(oai_status st) noexcept { return view(oai_status_name(st)); }

/** The exception every failure throws. */
class error : public std::runtime_error {
public:
    error(oai_status status, std::string message, int http_status = 0, std::string request_id = {},
          std::string type = {}, std::string code = {}, std::string param = {})
        : std::runtime_error(describe(status, message, http_status, request_id)), status_(status),
          http_status_(http_status), message_(std::move(message)), request_id_(std::move(request_id)),
          type_(std::move(type)), code_(std::move(code)), param_(std::move(param))
    {
    }

    /** The error class. */
    oai_status status() const noexcept { return status_; }
    /** Its constant name, e.g. "OAI_ERR_NOT_FOUND". */
    std::string_view status_name() const noexcept { return oai::status_name(status_); }
    /** The HTTP status of the last attempt; 0 when none was received. */
    int http_status() const noexcept { return http_status_; }
    /** The server's (or the library's) message. */
    const std::string &message() const noexcept { return message_; }
    /** The `x-request-id` of the failed response; empty when none. */
    const std::string &request_id() const noexcept { return request_id_; }
    /** The API error's `type`, `code` and `param`; empty when absent. */
    const std::string &type() const noexcept { return type_; }
    const std::string &code() const noexcept { return code_; }
    const std::string &param() const noexcept { return param_; }

private:
    static std::string describe(oai_status st, const std::string &message, int http, const std::string &id)
    {
        std::string s(oai::status_name(st));
        if (http)
            s += " (HTTP " + std::to_string(http) + ")";
        if (!message.empty())
            s += ": " + message;
        if (!id.empty())
            s += " [request " + id + "]";
        return s;
    }

    oai_status status_;
    int http_status_;
    std::string message_, request_id_, type_, code_, param_;
};

namespace detail {

/* The exception a callback threw, waiting to be rethrown on this thread
 * once the C library has returned (callbacks run only inside library calls
 * made on the same thread). */
inline std::exception_ptr &pending_exception() noexcept
{
    static thread_local std::exception_ptr pending;
    return pending;
}

inline void keep_current_exception() noexcept
{
    if (!pending_exception())
        pending_exception() = std::current_exception();
}

inline void rethrow_pending()
{
    if (pending_exception()) {
        std::exception_ptr p = pending_exception();
        pending_exception() = nullptr;
        std::rethrow_exception(p);
    }
}

/* Runs a free that cannot throw: what a callback would throw during it
 * (a log line while a client closes) is dropped, and an exception already
 * pending is kept for the call that ran its callback. */
template <class F>
void without_throwing(F free_fn) noexcept
{
    bool was_pending = static_cast<bool>(pending_exception());
    free_fn();
    if (!was_pending)
        pending_exception() = nullptr;
}

inline void check(oai_status st, const char *what)
{
    if (st == OAI_ERR_OUT_OF_MEMORY)
        throw std::bad_alloc();
    if (st != OAI_OK)
        throw error(st, std::string(what) + ": " + oai_status_message(st));
}

template <class T>
T *check_new(T *p)
{
    if (!p)
        throw std::bad_alloc();
    return p;
}

/* Calls f; 0 to go on, 1 to stop: f returns void (go on) or something
 * convertible to bool (true: go on). */
template <class F, class... A>
int go_on(F &f, A &&...args)
{
    using R = std::invoke_result_t<F &, A...>;
    if constexpr (std::is_void_v<R>) {
        std::invoke(f, std::forward<A>(args)...);
        return 0;
    } else {
        return static_cast<bool>(std::invoke(f, std::forward<A>(args)...)) ? 0 : 1;
    }
}

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

struct client_deleter {
    void operator()(oai_client *p) const noexcept { oai_client_free(p); }
};
struct webhook_deleter {
    void operator()(oai_webhook *p) const noexcept { oai_webhook_free(p); }
};
struct request_deleter {
    void operator()(oai_request *p) const noexcept { oai_request_free(p); }
};
struct response_deleter {
    void operator()(oai_response *p) const noexcept { oai_response_free(p); }
};
struct call_deleter {
    void operator()(oai_call *p) const noexcept { oai_call_free(p); }
};

} // namespace detail

class event_view;

/** A borrowed JSON value (see ::oai_value). Empty views read as missing. */
class value_view {
public:
    value_view() noexcept = default;
    explicit value_view(const oai_value *v) noexcept : v_(v) {}

    explicit operator bool() const noexcept { return v_ != nullptr; }
    const oai_value *get() const noexcept { return v_; }
    /** An ::oai_value_type (OAI_VALUE_NONE for an empty view). */
    int type() const noexcept { return oai_value_type_of(v_); }
    bool is_null() const noexcept { return type() == OAI_VALUE_NULL; }
    std::string_view string() const noexcept
    {
        const char *s = oai_value_string(v_);
        return s ? std::string_view(s, oai_value_string_len(v_)) : std::string_view();
    }
    int64_t as_int() const noexcept { return oai_value_int(v_); }
    double as_number() const noexcept { return oai_value_number(v_); }
    bool as_bool() const noexcept { return oai_value_bool(v_) != 0; }
    /** The array's length or the object's member count. */
    size_t size() const noexcept { return oai_value_count(v_); }
    value_view operator[](size_t index) const noexcept { return value_view(oai_value_item(v_, index)); }
    std::string_view key(size_t index) const noexcept { return view(oai_value_key(v_, index)); }
    /** The value at a JSON Pointer below this one. */
    value_view get(zstring pointer) const noexcept { return value_view(oai_value_get(v_, pointer.c_str())); }
    std::string_view get_string(zstring pointer) const noexcept { return get(pointer).string(); }
    int64_t get_int(zstring pointer) const noexcept { return oai_value_get_int(v_, pointer.c_str()); }
    /** Compact JSON text (a copy). */
    std::string json() const
    {
        char *s = oai_value_json_dup(v_);
        if (!s)
            return std::string();
        std::string out(s);
        oai_free(s);
        return out;
    }

private:
    const oai_value *v_ = nullptr;
};

/** A borrowed streamed event (see ::oai_event): valid during the callback it
 *  is given to, or until the next call on the oai::call it came from. */
class event_view {
public:
    event_view() noexcept = default;
    explicit event_view(const oai_event *ev) noexcept : ev_(ev) {}

    explicit operator bool() const noexcept { return ev_ != nullptr; }
    const oai_event *get() const noexcept { return ev_; }
    /** An ::oai_event_type: OAI_EVENT_TEXT, OAI_EVENT_DONE, OAI_EVENT_ITEM, ... */
    int type() const noexcept { return oai_event_type_of(ev_); }
    /** The delta's text (or an error event's message); empty when none. */
    std::string_view text() const noexcept
    {
        const char *s = oai_event_text(ev_);
        return s ? std::string_view(s, oai_event_text_len(ev_)) : std::string_view();
    }
    /** The raw `data` of the SSE event. */
    std::string_view data() const noexcept
    {
        const char *s = oai_event_data(ev_);
        return s ? std::string_view(s, oai_event_data_len(ev_)) : std::string_view();
    }
    std::string_view name() const noexcept { return view(oai_event_name(ev_)); }
    int choice_index() const noexcept { return oai_event_choice_index(ev_); }
    int tool_index() const noexcept { return oai_event_tool_index(ev_); }
    std::string_view tool_id() const noexcept { return view(oai_event_tool_id(ev_)); }
    std::string_view tool_name() const noexcept { return view(oai_event_tool_name(ev_)); }
    /** The event's parsed JSON (a workflow item's object, a chunk). */
    value_view json() const noexcept { return value_view(oai_event_json(ev_)); }
    value_view get(zstring pointer) const noexcept { return value_view(oai_event_get(ev_, pointer.c_str())); }
    std::string_view get_string(zstring pointer) const noexcept { return view(oai_event_get_string(ev_, pointer.c_str())); }
    int64_t get_int(zstring pointer) const noexcept { return oai_event_get_int(ev_, pointer.c_str()); }
    /** For OAI_EVENT_ERROR, the error's class; else OAI_OK. */
    oai_status error_status() const noexcept { return oai_event_error_status(ev_); }

private:
    const oai_event *ev_ = nullptr;
};

/** The outcome of one request (see ::oai_response). */
class response {
public:
    response() noexcept = default;
    /** Takes ownership of @p res (may be NULL: an empty response). */
    explicit response(oai_response *res) noexcept : p_(res) {}

    explicit operator bool() const noexcept { return p_ != nullptr; }
    oai_response *get() const noexcept { return p_.get(); }
    oai_response *release() noexcept { return p_.release(); }

    /** OAI_OK for success. (An empty response: OAI_ERR_OUT_OF_MEMORY.) */
    oai_status status() const noexcept { return oai_response_status(p_.get()); }
    bool ok() const noexcept { return status() == OAI_OK; }
    std::string_view status_name() const noexcept { return oai::status_name(status()); }
    int http_status() const noexcept { return oai_response_http_status(p_.get()); }
    std::string_view request_id() const noexcept { return view(oai_response_request_id(p_.get())); }
    /** The generated text (chat, completion, Responses); empty when none. */
    std::string_view text() const noexcept { return view(oai_response_text(p_.get())); }
    /** The raw body (may hold NUL bytes). */
    std::string_view body() const noexcept
    {
        return std::string_view(oai_response_body(p_.get()), oai_response_body_len(p_.get()));
    }
    /** The parsed body (or a stream's accumulated result). */
    value_view json() const noexcept { return value_view(oai_response_json(p_.get())); }
    value_view get(zstring pointer) const noexcept { return value_view(oai_response_get(p_.get(), pointer.c_str())); }
    std::string_view get_string(zstring pointer) const noexcept
    {
        return view(oai_response_get_string(p_.get(), pointer.c_str()));
    }
    int64_t get_int(zstring pointer) const noexcept { return oai_response_get_int(p_.get(), pointer.c_str()); }
    double get_number(zstring pointer) const noexcept { return oai_response_get_number(p_.get(), pointer.c_str()); }
    bool get_bool(zstring pointer) const noexcept { return oai_response_get_bool(p_.get(), pointer.c_str()) != 0; }
    size_t get_count(zstring pointer) const noexcept { return oai_response_get_count(p_.get(), pointer.c_str()); }
    /** Compact JSON text of the value at a JSON Pointer ("" the body). */
    std::string_view get_json_text(zstring pointer = "") const noexcept
    {
        return view(oai_response_get_json_text(p_.get(), pointer.c_str()));
    }
    std::string_view header(zstring name) const noexcept { return view(oai_response_header(p_.get(), name.c_str())); }
    std::string_view error_message() const noexcept { return view(oai_response_error_message(p_.get())); }
    std::string_view error_type() const noexcept { return view(oai_response_error_type(p_.get())); }
    std::string_view error_code() const noexcept { return view(oai_response_error_code(p_.get())); }
    std::string_view error_param() const noexcept { return view(oai_response_error_param(p_.get())); }
    int retry_count() const noexcept { return oai_response_retry_count(p_.get()); }
    int64_t retry_after_ms() const noexcept { return oai_response_retry_after_ms(p_.get()); }
    size_t embedding_count() const noexcept { return oai_response_embedding_count(p_.get()); }
    /** The embedding at `data[index]` (a copy). */
    std::vector<double> embedding(size_t index) const
    {
        size_t dim = 0;
        const double *v = oai_response_embedding(p_.get(), index, &dim);
        return v ? std::vector<double>(v, v + dim) : std::vector<double>();
    }

    /** Structured outputs: the reply's text parsed as JSON (empty view when
     *  there is none: parsed_status() says why). */
    value_view parsed() const noexcept { return value_view(oai_response_parsed(p_.get())); }
    oai_status parsed_status() const noexcept { return oai_response_parsed_status(p_.get()); }
    std::string_view parsed_error_message() const noexcept
    {
        return view(oai_response_parsed_error_message(p_.get()));
    }
    /** The parsed reply; throws oai::error (OAI_ERR_PROTOCOL: not JSON;
     *  OAI_ERR_TYPE: no text, e.g. a refusal) when there is none. */
    value_view parse() const
    {
        oai_status st = parsed_status();
        if (st == OAI_ERR_OUT_OF_MEMORY)
            throw std::bad_alloc();
        if (st != OAI_OK)
            throw error(st, std::string(parsed_error_message()));
        return parsed();
    }
    /** The refusal text when the model refused; empty otherwise. */
    std::string_view refusal() const noexcept { return view(oai_response_refusal(p_.get())); }
    /** The reply's tool calls (chat tool_calls, or a Responses result's
     *  function calls): a count, and each one's id, name and arguments. */
    size_t tool_call_count() const noexcept { return oai_response_tool_call_count(p_.get()); }
    std::string_view tool_call_id(size_t index) const noexcept
    {
        return view(oai_response_tool_call_id(p_.get(), index));
    }
    std::string_view tool_call_name(size_t index) const noexcept
    {
        return view(oai_response_tool_call_name(p_.get(), index));
    }
    /** The arguments as the model wrote them (JSON text, unchecked). */
    std::string_view tool_call_arguments(size_t index) const noexcept
    {
        return view(oai_response_tool_call_arguments(p_.get(), index));
    }
    /** The arguments parsed (empty view when they are not JSON:
     *  tool_call_arguments_status() says why). */
    value_view tool_call_arguments_json(size_t index) const noexcept
    {
        return value_view(oai_response_tool_call_arguments_json(p_.get(), index));
    }
    oai_status tool_call_arguments_status(size_t index) const noexcept
    {
        return oai_response_tool_call_arguments_status(p_.get(), index);
    }

    /** The error this response carries, as an exception object. */
    error to_error() const
    {
        oai_status st = status();
        std::string message(error_message());
        if (message.empty())
            message = oai_status_message(st);
        return error(st, std::move(message), http_status(), std::string(request_id()), std::string(error_type()),
                     std::string(error_code()), std::string(error_param()));
    }
    /** Throws oai::error when the response failed; returns it otherwise. */
    response &throw_if_error() &
    {
        if (!p_)
            throw std::bad_alloc();
        if (!ok())
            throw to_error();
        return *this;
    }
    response &&throw_if_error() &&
    {
        static_cast<response &>(*this).throw_if_error();
        return std::move(*this);
    }

private:
    std::unique_ptr<oai_response, detail::response_deleter> p_;
};

namespace detail {

/* The callables of a request, shared by its clones and kept alive by every
 * call started from it. */
struct request_callbacks : std::enable_shared_from_this<request_callbacks> {
    std::function<int(event_view)> event;
    std::function<int(int64_t, int64_t, int64_t, int64_t)> progress;
};

} // namespace detail
} // namespace oai

/* The trampolines handed to the C library, with C linkage. */
extern "C" {
inline int oai_hpp_event_trampoline(void *userdata, const oai_event *ev)
{
    auto *cb = static_cast<oai::detail::request_callbacks *>(userdata);
    try {
        std::shared_ptr<oai::detail::request_callbacks> keep = cb->shared_from_this();
        return keep->event ? keep->event(oai::event_view(ev)) : 0;
    } catch (...) {
        oai::detail::keep_current_exception();
        return 1;
    }
}

inline int oai_hpp_progress_trampoline(void *userdata, int64_t sent, int64_t send_total, int64_t received,
                                       int64_t receive_total)
{
    auto *cb = static_cast<oai::detail::request_callbacks *>(userdata);
    try {
        std::shared_ptr<oai::detail::request_callbacks> keep = cb->shared_from_this();
        return keep->progress ? keep->progress(sent, send_total, received, receive_total) : 0;
    } catch (...) {
        oai::detail::keep_current_exception();
        return 1;
    }
}
}

namespace oai {

/** A request (see ::oai_request): build it, then send or start it any number
 *  of times. Setters throw oai::error and return the request for chaining. */
class request {
public:
    /** A request for any endpoint. A bad method or path gives a failed
     *  request (status()), which sending reports. */
    request(zstring method, zstring path) : request(oai_request_new(method.c_str(), path.c_str())) {}
    /** Takes ownership of a C request (NULL: std::bad_alloc). */
    explicit request(oai_request *req) : p_(detail::check_new(req)) {}

    /** `POST /chat/completions` with `model` and no message yet. */
    static request chat(zstring model) { return request(oai_chat_completion_create_request_new(model.c_str())); }
    /** `POST /completions` (legacy). */
    static request completion(zstring model, zstring prompt)
    {
        return request(oai_completion_create_request_new(model.c_str(), prompt.c_str()));
    }
    /** `POST /responses` (the Responses API). */
    static request responses(zstring model, zstring input)
    {
        return request(oai_response_create_request_new(model.c_str(), input.c_str()));
    }
    /** `POST /embeddings`. */
    static request embedding(zstring model, zstring input)
    {
        return request(oai_embedding_create_request_new(model.c_str(), input.c_str()));
    }
    static request model_list() { return request(oai_model_list_request_new()); }
    static request model_retrieve(zstring id) { return request(oai_model_retrieve_request_new(id.c_str())); }
    /** `POST /files`, the file streamed from disk when sent. */
    static request file_create(zstring path, zstring purpose)
    {
        return request(oai_file_create_request_new(path.c_str(), purpose.c_str()));
    }
    static request file_list() { return request(oai_file_list_request_new()); }
    static request file_retrieve(zstring id) { return request(oai_file_retrieve_request_new(id.c_str())); }
    static request file_delete(zstring id) { return request(oai_file_delete_request_new(id.c_str())); }
    static request file_retrieve_content(zstring id)
    {
        return request(oai_file_retrieve_content_request_new(id.c_str()));
    }
    static request fine_tuning_job_create(zstring model, zstring training_file_id)
    {
        return request(oai_fine_tuning_job_create_request_new(model.c_str(), training_file_id.c_str()));
    }
    static request fine_tuning_job_retrieve(zstring id)
    {
        return request(oai_fine_tuning_job_retrieve_request_new(id.c_str()));
    }
    static request fine_tuning_job_list_events(zstring id)
    {
        return request(oai_fine_tuning_job_list_events_request_new(id.c_str()));
    }
    static request batch_create(zstring input_file_id, zstring endpoint, zstring completion_window = nullptr)
    {
        return request(oai_batch_create_request_new(input_file_id.c_str(), endpoint.c_str(), completion_window.c_str()));
    }

    request(request &&) noexcept = default;
    request &operator=(request &&) noexcept = default;
    request(const request &) = delete;
    request &operator=(const request &) = delete;

    /** A deep copy; it shares this request's callables. */
    request clone() const
    {
        request r(oai_request_clone(p_.get()));
        r.callbacks_ = callbacks_;
        return r;
    }

    explicit operator bool() const noexcept { return p_ != nullptr; }
    oai_request *get() const noexcept { return p_.get(); }
    /** Gives up the C request (its callables, if any, are not kept alive). */
    oai_request *release() noexcept { return p_.release(); }

    /** The sticky status: OAI_OK unless the constructor failed. */
    oai_status status() const noexcept { return oai_request_status(p_.get()); }
    std::string_view error_message() const noexcept { return view(oai_request_error_message(p_.get())); }
    std::string_view method() const noexcept { return view(oai_request_method(p_.get())); }
    std::string_view path() const noexcept { return view(oai_request_path(p_.get())); }

    /** Sets the body's field at a JSON Pointer: a string (any string-like
     *  value, NUL bytes allowed), a bool, an integer or a floating-point
     *  number. */
    template <class T>
    request &set(zstring pointer, const T &value) &
    {
        if constexpr (std::is_same_v<T, bool>) {
            detail::check(oai_request_set_bool(p_.get(), pointer.c_str(), value ? 1 : 0), "oai::request::set");
        } else if constexpr (std::is_integral_v<T>) {
            detail::check(oai_request_set_int(p_.get(), pointer.c_str(), static_cast<int64_t>(value)),
                          "oai::request::set");
        } else if constexpr (std::is_floating_point_v<T>) {
            detail::check(oai_request_set_number(p_.get(), pointer.c_str(), static_cast<double>(value)),
                          "oai::request::set");
        } else {
            static_assert(std::is_convertible_v<const T &, std::string_view>,
                          "oai::request::set takes a string, a bool or a number");
            std::string_view s = value;
            detail::check(oai_request_set_string_len(p_.get(), pointer.c_str(), s.data(), s.size()),
                          "oai::request::set");
        }
        return *this;
    }
    template <class T>
    request set(zstring pointer, const T &value) &&
    {
        set(pointer, value);
        return std::move(*this);
    }
    request &set_null(zstring pointer) &
    {
        detail::check(oai_request_set_null(p_.get(), pointer.c_str()), "oai::request::set_null");
        return *this;
    }
    request set_null(zstring pointer) &&
    {
        set_null(pointer);
        return std::move(*this);
    }
    /** Parses @p json and sets it at a JSON Pointer. */
    request &set_json(zstring pointer, zstring json) &
    {
        detail::check(oai_request_set_json(p_.get(), pointer.c_str(), json.c_str()), "oai::request::set_json");
        return *this;
    }
    request set_json(zstring pointer, zstring json) &&
    {
        set_json(pointer, json);
        return std::move(*this);
    }
    request &remove_field(zstring pointer) &
    {
        detail::check(oai_request_remove_field(p_.get(), pointer.c_str()), "oai::request::remove_field");
        return *this;
    }
    request remove_field(zstring pointer) &&
    {
        remove_field(pointer);
        return std::move(*this);
    }
    std::string_view get_string(zstring pointer) const noexcept
    {
        return view(oai_request_get_string(p_.get(), pointer.c_str()));
    }
    int64_t get_int(zstring pointer) const noexcept { return oai_request_get_int(p_.get(), pointer.c_str()); }
    size_t get_count(zstring pointer) const noexcept { return oai_request_get_count(p_.get(), pointer.c_str()); }
    /** The JSON body as text (a copy); empty when there is none. */
    std::string body() const
    {
        char *s = oai_request_body_dup(p_.get());
        if (!s)
            return std::string();
        std::string out(s);
        oai_free(s);
        return out;
    }

    /** Appends a chat message (a NULL content is sent as null). */
    request &add_message(zstring role, zstring content) &
    {
        detail::check(oai_chat_request_add_message(p_.get(), role.c_str(), content.c_str()),
                      "oai::request::add_message");
        return *this;
    }
    request add_message(zstring role, zstring content) &&
    {
        add_message(role, content);
        return std::move(*this);
    }
    request &add_tool(zstring name, zstring description, zstring parameters_json) &
    {
        detail::check(oai_chat_request_add_tool(p_.get(), name.c_str(), description.c_str(), parameters_json.c_str()),
                      "oai::request::add_tool");
        return *this;
    }
    request add_tool(zstring name, zstring description, zstring parameters_json) &&
    {
        add_tool(name, description, parameters_json);
        return std::move(*this);
    }
    request &add_tool_result(zstring tool_call_id, zstring content) &
    {
        detail::check(oai_chat_request_add_tool_result(p_.get(), tool_call_id.c_str(), content.c_str()),
                      "oai::request::add_tool_result");
        return *this;
    }
    request add_tool_result(zstring tool_call_id, zstring content) &&
    {
        add_tool_result(tool_call_id, content);
        return std::move(*this);
    }
    /** Asks for structured output following a JSON Schema (JSON text):
     *  `response_format` on chat, `text.format` on the Responses API. */
    request &set_json_schema(zstring name, zstring schema_json, bool strict = true) &
    {
        detail::check(oai_request_set_json_schema(p_.get(), name.c_str(), schema_json.c_str(), strict ? 1 : 0),
                      "oai::request::set_json_schema");
        return *this;
    }
    request set_json_schema(zstring name, zstring schema_json, bool strict = true) &&
    {
        set_json_schema(name, schema_json, strict);
        return std::move(*this);
    }
    /** Appends a reply to the conversation (the assistant's message with its
     *  tool calls, or a Responses result's output items). */
    request &add_reply(const response &res) &
    {
        detail::check(oai_request_add_reply(p_.get(), res.get()), "oai::request::add_reply");
        return *this;
    }
    request add_reply(const response &res) &&
    {
        add_reply(res);
        return std::move(*this);
    }
    /** Appends the result of a tool call. */
    request &add_tool_output(zstring call_id, zstring output) &
    {
        detail::check(oai_request_add_tool_output(p_.get(), call_id.c_str(), output.c_str()),
                      "oai::request::add_tool_output");
        return *this;
    }
    request add_tool_output(zstring call_id, zstring output) &&
    {
        add_tool_output(call_id, output);
        return std::move(*this);
    }
    request &set_query(zstring name, zstring value) &
    {
        detail::check(oai_request_set_query(p_.get(), name.c_str(), value.c_str()), "oai::request::set_query");
        return *this;
    }
    request set_query(zstring name, zstring value) &&
    {
        set_query(name, value);
        return std::move(*this);
    }
    request &set_header(zstring name, zstring value) &
    {
        detail::check(oai_request_set_header(p_.get(), name.c_str(), value.c_str()), "oai::request::set_header");
        return *this;
    }
    request set_header(zstring name, zstring value) &&
    {
        set_header(name, value);
        return std::move(*this);
    }
    request &set_timeout_ms(int64_t ms) &
    {
        detail::check(oai_request_set_timeout_ms(p_.get(), ms), "oai::request::set_timeout_ms");
        return *this;
    }
    request set_timeout_ms(int64_t ms) &&
    {
        set_timeout_ms(ms);
        return std::move(*this);
    }
    request &set_max_retries(int n) &
    {
        detail::check(oai_request_set_max_retries(p_.get(), n), "oai::request::set_max_retries");
        return *this;
    }
    request set_max_retries(int n) &&
    {
        set_max_retries(n);
        return std::move(*this);
    }
    request &set_output_file(zstring path) &
    {
        detail::check(oai_request_set_output_file(p_.get(), path.c_str()), "oai::request::set_output_file");
        return *this;
    }
    request set_output_file(zstring path) &&
    {
        set_output_file(path);
        return std::move(*this);
    }

    /** Makes the request stream without a callback: its events queue in each
     *  oai::call started from it (oai::call::next_event()). */
    request &stream(bool enabled = true) &
    {
        detail::check(oai_request_set_stream(p_.get(), enabled ? 1 : 0), "oai::request::stream");
        return *this;
    }
    request stream(bool enabled = true) &&
    {
        stream(enabled);
        return std::move(*this);
    }
    /** Makes the request stream and gives each event to @p fn, a callable
     *  taking an oai::event_view and returning void or bool (false cancels). */
    template <class F>
    request &on_event(F fn) &
    {
        ensure_callbacks().event = [fn = std::move(fn)](event_view ev) mutable { return detail::go_on(fn, ev); };
        detail::check(oai_request_set_event_callback(p_.get(), oai_hpp_event_trampoline, callbacks_.get()),
                      "oai::request::on_event");
        return *this;
    }
    template <class F>
    request on_event(F fn) &&
    {
        on_event(std::move(fn));
        return std::move(*this);
    }
    /** Reports transfer progress to @p fn(sent, send_total, received,
     *  receive_total), which returns void or bool (false cancels). */
    template <class F>
    request &on_progress(F fn) &
    {
        ensure_callbacks().progress = [fn = std::move(fn)](int64_t s, int64_t st, int64_t r, int64_t rt) mutable {
            return detail::go_on(fn, s, st, r, rt);
        };
        detail::check(oai_request_set_progress_callback(p_.get(), oai_hpp_progress_trampoline, callbacks_.get()),
                      "oai::request::on_progress");
        return *this;
    }
    template <class F>
    request on_progress(F fn) &&
    {
        on_progress(std::move(fn));
        return std::move(*this);
    }

    /** The callables, for the calls that must keep them alive. */
    const std::shared_ptr<detail::request_callbacks> &callbacks() const noexcept { return callbacks_; }

private:
    detail::request_callbacks &ensure_callbacks()
    {
        if (!callbacks_)
            callbacks_ = std::make_shared<detail::request_callbacks>();
        return *callbacks_;
    }

    std::unique_ptr<oai_request, detail::request_deleter> p_;
    std::shared_ptr<detail::request_callbacks> callbacks_;
};

namespace detail {

/* The callables of a client, at a stable address whatever moves. */
struct client_callbacks {
    std::function<void(int, std::string_view)> log;
    std::function<int(int, int64_t, oai_status, int)> retry;
    std::function<std::string()> token;
};

/* The callables of one call: its done callback and, for a workflow, its
 * event callback; plus what must outlive the call (its request's
 * callables). */
struct call_state : std::enable_shared_from_this<call_state> {
    std::function<void(response)> done;
    std::function<int(event_view)> event;
    std::function<int(value_view)> job_event;
    std::shared_ptr<request_callbacks> keep_request_callbacks;
};

} // namespace detail
} // namespace oai

extern "C" {
inline void oai_hpp_done_trampoline(void *userdata, oai_call *call, oai_response *res)
{
    (void)call;
    oai::response owned(res); /* ours from now on, whatever happens */
    auto *st = static_cast<oai::detail::call_state *>(userdata);
    try {
        std::shared_ptr<oai::detail::call_state> keep = st->shared_from_this();
        if (keep->done)
            keep->done(std::move(owned));
    } catch (...) {
        oai::detail::keep_current_exception();
    }
}

inline int oai_hpp_call_event_trampoline(void *userdata, const oai_event *ev)
{
    auto *st = static_cast<oai::detail::call_state *>(userdata);
    try {
        std::shared_ptr<oai::detail::call_state> keep = st->shared_from_this();
        return keep->event ? keep->event(oai::event_view(ev)) : 0;
    } catch (...) {
        oai::detail::keep_current_exception();
        return 1;
    }
}

inline int oai_hpp_job_event_trampoline(void *userdata, const oai_value *event)
{
    auto *st = static_cast<oai::detail::call_state *>(userdata);
    try {
        return st->job_event ? st->job_event(oai::value_view(event)) : 0;
    } catch (...) {
        oai::detail::keep_current_exception();
        return 1;
    }
}

inline void oai_hpp_log_trampoline(void *userdata, int level, const char *message)
{
    auto *cb = static_cast<oai::detail::client_callbacks *>(userdata);
    try {
        if (cb->log)
            cb->log(level, oai::view(message));
    } catch (...) {
        oai::detail::keep_current_exception();
    }
}

inline int oai_hpp_retry_trampoline(void *userdata, int retry, int64_t delay_ms, int reason, int http_status)
{
    auto *cb = static_cast<oai::detail::client_callbacks *>(userdata);
    try {
        return cb->retry ? cb->retry(retry, delay_ms, static_cast<oai_status>(reason), http_status) : 0;
    } catch (...) {
        oai::detail::keep_current_exception();
        return 1;
    }
}

inline oai_status oai_hpp_token_trampoline(void *userdata, char *token, size_t size)
{
    auto *cb = static_cast<oai::detail::client_callbacks *>(userdata);
    try {
        if (!cb->token)
            return OAI_ERR_AUTHENTICATION;
        std::string s = cb->token();
        if (s.empty() || s.size() >= size)
            return OAI_ERR_AUTHENTICATION; /* no token, or over OAI_TOKEN_MAX */
        s.copy(token, s.size());
        token[s.size()] = '\0';
        return OAI_OK;
    } catch (...) {
        oai::detail::keep_current_exception();
        return OAI_ERR_CANCELLED;
    }
}

inline int oai_hpp_upload_progress_trampoline(void *userdata, int64_t sent, int64_t send_total, int64_t received,
                                              int64_t receive_total)
{
    return oai_hpp_progress_trampoline(userdata, sent, send_total, received, receive_total);
}
}

namespace oai {

/** An asynchronous call (see ::oai_call), owned until destroyed (which
 *  cancels it, silently, if it still runs). Valid after its client is gone. */
class call {
public:
    call() noexcept = default;
    call(oai_call *c, std::shared_ptr<detail::call_state> state) : p_(detail::check_new(c)), state_(std::move(state)) {}
    call(call &&) noexcept = default;
    call &operator=(call &&other) noexcept
    {
        if (this != &other) {
            reset();
            p_ = std::move(other.p_);
            state_ = std::move(other.state_);
        }
        return *this;
    }
    call(const call &) = delete;
    call &operator=(const call &) = delete;
    ~call() { reset(); }

    explicit operator bool() const noexcept { return p_ != nullptr; }
    oai_call *get() const noexcept { return p_.get(); }

    /** Whether the call has ended (an empty call has). */
    bool done() const noexcept { return oai_call_is_done(p_.get()) != 0; }
    /** OAI_OK while it runs or after success; the error once it failed. */
    oai_status status() const noexcept { return oai_call_status(p_.get()); }
    /** The next queued event of a streamed request without an event
     *  callback (or of a workflow started without one), or nothing when none
     *  is waiting now. The view is valid until the next call on this object. */
    std::optional<event_view> next_event()
    {
        const oai_event *ev = nullptr;
        if (!p_ || oai_call_next_event(p_.get(), &ev) != OAI_OK || !ev)
            return std::nullopt;
        return event_view(ev);
    }
    /** The response once the call has ended, whatever its status (an empty
     *  response while it runs, or once it was taken or given to a done
     *  callback). */
    response take_response() noexcept { return response(oai_call_take_response(p_.get())); }
    /** The response of an ended call; throws oai::error when the call failed
     *  or has not ended. */
    response result()
    {
        if (!done())
            throw error(OAI_ERR_INVALID_ARGUMENT, "the call has not ended");
        response r = take_response();
        if (!r)
            throw error(status() == OAI_OK ? OAI_ERR_INVALID_ARGUMENT : status(),
                        "the call's response was already taken");
        return std::move(r).throw_if_error();
    }
    /** Answers a tool call of a tool loop started in the pull form
     *  (client::start_send_with_tools()): @p tool_call_id is the `/id` of
     *  its OAI_EVENT_TOOL_CALL event. Throws oai::error: OAI_ERR_NOT_FOUND
     *  (no call of the step has that id), OAI_ERR_CONFLICT (answered
     *  already), OAI_ERR_INVALID_ARGUMENT (not a pulled tool loop, or it
     *  ended). */
    void answer_tool(zstring tool_call_id, zstring output)
    {
        detail::check(oai_call_answer_tool(p_.get(), tool_call_id.c_str(), output.c_str()), "oai::call::answer_tool");
    }
    /** Cancels a running call: it ends with OAI_ERR_CANCELLED at the next poll. */
    void cancel()
    {
        oai_call_cancel(p_.get());
        detail::rethrow_pending();
    }
    /** Frees the call now (cancelling it, silently, if it runs). */
    void reset() noexcept
    {
        detail::without_throwing([this] { p_.reset(); });
        state_.reset();
    }

private:
    std::unique_ptr<oai_call, detail::call_deleter> p_;
    std::shared_ptr<detail::call_state> state_;
};

/** A client (see ::oai_client): credentials, base URL, defaults, connections.
 *  Setters throw oai::error and return the client for chaining. */
class client {
public:
    /** A client configured from the environment (OPENAI_API_KEY,
     *  OPENAI_BASE_URL, ...; see oai_client_new()). A refused environment
     *  value is not thrown here: status() reports it, set_base_url() clears
     *  it, and sending throws it. */
    client() : p_(detail::check_new(oai_client_new())), callbacks_(std::make_unique<detail::client_callbacks>()) {}
    /** Takes ownership of a C client. */
    explicit client(oai_client *c) : p_(detail::check_new(c)), callbacks_(std::make_unique<detail::client_callbacks>()) {}
    client(client &&) noexcept = default;
    client &operator=(client &&other) noexcept
    {
        if (this != &other) {
            reset();
            p_ = std::move(other.p_);
            callbacks_ = std::move(other.callbacks_);
        }
        return *this;
    }
    client(const client &) = delete;
    client &operator=(const client &) = delete;
    ~client() { reset(); }

    explicit operator bool() const noexcept { return p_ != nullptr; }
    oai_client *get() const noexcept { return p_.get(); }
    /** Frees the client now; its running calls end, cancelled. */
    void reset() noexcept
    {
        detail::without_throwing([this] { p_.reset(); });
    }

    oai_status status() const noexcept { return oai_client_status(p_.get()); }
    std::string_view error_message() const noexcept { return view(oai_client_error_message(p_.get())); }
    std::string_view base_url() const noexcept { return view(oai_client_base_url(p_.get())); }

    client &set_base_url(zstring url) { return checked(oai_client_set_base_url(p_.get(), url.c_str()), "set_base_url"); }
    client &set_api_key(zstring key) { return checked(oai_client_set_api_key(p_.get(), key.c_str()), "set_api_key"); }
    client &set_organization(zstring org)
    {
        return checked(oai_client_set_organization(p_.get(), org.c_str()), "set_organization");
    }
    client &set_project(zstring project)
    {
        return checked(oai_client_set_project(p_.get(), project.c_str()), "set_project");
    }
    client &set_header(zstring name, zstring value)
    {
        return checked(oai_client_set_header(p_.get(), name.c_str(), value.c_str()), "set_header");
    }
    client &set_user_agent(zstring ua) { return checked(oai_client_set_user_agent(p_.get(), ua.c_str()), "set_user_agent"); }
    client &set_timeout_ms(int64_t ms) { return checked(oai_client_set_timeout_ms(p_.get(), ms), "set_timeout_ms"); }
    client &set_connect_timeout_ms(int64_t ms)
    {
        return checked(oai_client_set_connect_timeout_ms(p_.get(), ms), "set_connect_timeout_ms");
    }
    client &set_max_retries(int n) { return checked(oai_client_set_max_retries(p_.get(), n), "set_max_retries"); }
    client &set_retry_backoff_ms(int64_t base_ms, int64_t max_ms)
    {
        return checked(oai_client_set_retry_backoff_ms(p_.get(), base_ms, max_ms), "set_retry_backoff_ms");
    }
    client &set_max_response_bytes(int64_t n)
    {
        return checked(oai_client_set_max_response_bytes(p_.get(), n), "set_max_response_bytes");
    }
    client &set_ca_file(zstring path) { return checked(oai_client_set_ca_file(p_.get(), path.c_str()), "set_ca_file"); }
    client &set_proxy(zstring url) { return checked(oai_client_set_proxy(p_.get(), url.c_str()), "set_proxy"); }
    /** Bounds the work of one poll (0: no bound). */
    client &set_poll_budget_us(int64_t us)
    {
        return checked(oai_client_set_poll_budget_us(p_.get(), us), "set_poll_budget_us");
    }
    /** The first HTTPS connection's one-time work, now (OAI_WARM_UP_CA,
     *  OAI_WARM_UP_CONNECT). Blocking. */
    client &warm_up(int flags = OAI_WARM_UP_CA) { return checked(oai_client_warm_up(p_.get(), flags), "warm_up"); }

    /** Log lines at or above @p level go to @p fn(int level, std::string_view line). */
    template <class F>
    client &on_log(int level, F fn)
    {
        callbacks_->log = std::move(fn);
        checked(oai_client_set_log_level(p_.get(), level), "on_log");
        return checked(oai_client_set_log_callback2(p_.get(), oai_hpp_log_trampoline, callbacks_.get()), "on_log");
    }
    /** Before each retry, @p fn(int retry, int64_t delay_ms, oai_status
     *  reason, int http_status) returns void or bool (false: give up). */
    template <class F>
    client &on_retry(F fn)
    {
        callbacks_->retry = [fn = std::move(fn)](int retry, int64_t delay, oai_status reason, int http) mutable {
            return detail::go_on(fn, retry, delay, reason, http);
        };
        return checked(oai_client_set_retry_callback(p_.get(), oai_hpp_retry_trampoline, callbacks_.get()), "on_retry");
    }

    /** An Azure OpenAI client (oai_client_azure_new(), docs/azure.md), from
     *  AZURE_OPENAI_API_KEY, AZURE_OPENAI_AD_TOKEN, AZURE_OPENAI_ENDPOINT and
     *  OPENAI_API_VERSION; what is missing fails each call, sending nothing. */
    static client azure() { return client(oai_client_azure_new()); }
    /** True for a client made by azure() (or a clone of one). */
    bool is_azure() const noexcept { return oai_client_is_azure(p_.get()) != 0; }
    client &set_azure_endpoint(zstring endpoint)
    {
        return checked(oai_client_set_azure_endpoint(p_.get(), endpoint.c_str()), "set_azure_endpoint");
    }
    client &set_azure_deployment(zstring deployment)
    {
        return checked(oai_client_set_azure_deployment(p_.get(), deployment.c_str()), "set_azure_deployment");
    }
    client &set_azure_api_version(zstring version)
    {
        return checked(oai_client_set_azure_api_version(p_.get(), version.c_str()), "set_azure_api_version");
    }
    client &set_azure_ad_token(zstring token)
    {
        return checked(oai_client_set_azure_ad_token(p_.get(), token.c_str()), "set_azure_ad_token");
    }
    /** A query parameter sent with every request (nullptr removes it); a
     *  request's own of the same name wins. */
    client &set_query(zstring name, zstring value)
    {
        return checked(oai_client_set_query(p_.get(), name.c_str(), value.c_str()), "set_query");
    }
    /** The client's default query parameter @p name; empty when none. */
    std::string_view query(zstring name) const noexcept { return view(oai_client_query(p_.get(), name.c_str())); }
    /** Before every attempt (retries included; a 401 is retried once with a
     *  fresh token), @p fn() returns the bearer token as a std::string
     *  (without "Bearer "). An empty or over-long token fails the call with
     *  OAI_ERR_AUTHENTICATION; an exception thrown cancels it and is
     *  rethrown from send() or poll(). */
    template <class F>
    client &on_token(F fn)
    {
        callbacks_->token = [fn = std::move(fn)]() mutable { return std::string(fn()); };
        return checked(oai_client_set_token_callback(p_.get(), oai_hpp_token_trampoline, callbacks_.get()), "on_token");
    }
    /** A copy to change without touching this client (oai_client_clone()):
     *  every option, the lambdas included (copied into the clone, which
     *  owns them: the two may be destroyed in any order); not its calls. */
    client clone() const
    {
        client c(oai_client_clone(p_.get()));
        *c.callbacks_ = *callbacks_;
        detail::client_callbacks *cb = c.callbacks_.get();
        if (cb->log)
            c.checked(oai_client_set_log_callback2(c.get(), oai_hpp_log_trampoline, cb), "clone");
        if (cb->retry)
            c.checked(oai_client_set_retry_callback(c.get(), oai_hpp_retry_trampoline, cb), "clone");
        if (cb->token)
            c.checked(oai_client_set_token_callback(c.get(), oai_hpp_token_trampoline, cb), "clone");
        return c;
    }

    /** Sends and waits; throws oai::error when the response failed. */
    response send(const request &req) { return try_send(req).throw_if_error(); }
    /** Sends and waits; returns the response whatever its status. */
    response try_send(const request &req)
    {
        response r(oai_client_send(p_.get(), req.get()));
        detail::rethrow_pending();
        if (!r)
            throw std::bad_alloc();
        return r;
    }
    /** Streams @p req (a copy made to stream), giving each event to @p fn;
     *  returns the accumulated response, or throws oai::error. */
    template <class F>
    response stream(const request &req, F fn)
    {
        request copy = req.clone();
        copy.on_event(std::move(fn));
        return send(copy);
    }

    /** Starts a request; its outcome is pulled from the call. */
    call start(const request &req)
    {
        auto state = std::make_shared<detail::call_state>();
        state->keep_request_callbacks = req.callbacks();
        oai_call *c = oai_client_start(p_.get(), req.get(), nullptr, nullptr);
        detail::rethrow_pending();
        return call(c, std::move(state));
    }
    /** Starts a request; @p done(oai::response) runs once, inside a later
     *  poll(), with the response (which it then owns). */
    template <class F>
    call start(const request &req, F done)
    {
        auto state = std::make_shared<detail::call_state>();
        state->keep_request_callbacks = req.callbacks();
        state->done = std::move(done);
        oai_call *c = oai_client_start(p_.get(), req.get(), oai_hpp_done_trampoline, state.get());
        detail::rethrow_pending();
        return call(c, std::move(state));
    }

    /** Advances every running call, waiting at most @p timeout_ms (0: not
     *  at all; negative: until something happens); returns how many still
     *  run. Throws oai::error on a transport failure, and rethrows what a
     *  callback threw. */
    int poll(int timeout_ms = 0)
    {
        int n = oai_client_poll(p_.get(), timeout_ms);
        detail::rethrow_pending();
        if (n < 0)
            throw error(static_cast<oai_status>(-n), "oai_client_poll failed");
        return n;
    }
    /** Makes a poll return early; callable from any thread. */
    void wakeup() noexcept { oai_client_wakeup(p_.get()); }

    /** Uploads a file (POST /files); throws on failure. */
    response upload_file(zstring path, zstring purpose) { return send(request::file_create(path, purpose)); }
    /** Uploads a large file in parts (the Uploads API), blocking; @p progress
     *  (sent, total, 0, 0) may be omitted. Throws on failure. */
    response upload_large_file(zstring path, zstring purpose, zstring mime_type = nullptr)
    {
        return upload_large_file(path, purpose, mime_type, [](int64_t, int64_t, int64_t, int64_t) {});
    }
    template <class F>
    response upload_large_file(zstring path, zstring purpose, zstring mime_type, F progress)
    {
        auto cb = std::make_shared<detail::request_callbacks>();
        cb->progress = [fn = std::move(progress)](int64_t s, int64_t st, int64_t r, int64_t rt) mutable {
            return detail::go_on(fn, s, st, r, rt);
        };
        response r(oai_client_upload_large_file(p_.get(), path.c_str(), purpose.c_str(), mime_type.c_str(),
                                                oai_hpp_upload_progress_trampoline, cb.get()));
        detail::rethrow_pending();
        if (!r)
            throw std::bad_alloc();
        return std::move(r).throw_if_error();
    }

    /** Follows a fine-tuning job to its end, blocking; @p on_event(
     *  oai::value_view job_event) gets each event once (void or bool: false
     *  stops). Returns the last job retrieval, or throws. */
    response follow_fine_tuning_job(zstring job_id, int64_t poll_interval_ms = 1000)
    {
        return follow_fine_tuning_job(job_id, poll_interval_ms, [](value_view) {});
    }
    template <class F>
    response follow_fine_tuning_job(zstring job_id, int64_t poll_interval_ms, F on_event)
    {
        auto state = std::make_shared<detail::call_state>();
        state->job_event = [fn = std::move(on_event)](value_view ev) mutable { return detail::go_on(fn, ev); };
        response r(oai_client_follow_fine_tuning_job(p_.get(), job_id.c_str(), poll_interval_ms,
                                                     oai_hpp_job_event_trampoline, state.get()));
        detail::rethrow_pending();
        if (!r)
            throw std::bad_alloc();
        return std::move(r).throw_if_error();
    }
    /** Follows a fine-tuning job without waiting: the call's events are the
     *  job's events (OAI_EVENT_ITEM, event_view::json() the event object),
     *  pulled with call::next_event(); its result the last job retrieval. */
    call start_follow_fine_tuning_job(zstring job_id, int64_t poll_interval_ms = 1000)
    {
        oai_call *c = oai_client_start_follow_fine_tuning_job(p_.get(), job_id.c_str(), poll_interval_ms, nullptr,
                                                              nullptr, nullptr, nullptr);
        detail::rethrow_pending();
        return call(c, nullptr);
    }
    /** The same with the job's events given to @p on_event(oai::event_view)
     *  (void or bool: false stops following) as they come. */
    template <class F>
    call start_follow_fine_tuning_job(zstring job_id, int64_t poll_interval_ms, F on_event)
    {
        auto state = std::make_shared<detail::call_state>();
        state->event = [fn = std::move(on_event)](event_view ev) mutable { return detail::go_on(fn, ev); };
        oai_call *c = oai_client_start_follow_fine_tuning_job(p_.get(), job_id.c_str(), poll_interval_ms, nullptr,
                                                              nullptr, oai_hpp_call_event_trampoline, state.get());
        detail::rethrow_pending();
        return call(c, std::move(state));
    }
    /** Waits for a batch to end, blocking; returns the batch, or throws. */
    response wait_for_batch(zstring batch_id, int64_t poll_interval_ms = 1000)
    {
        response r(oai_client_wait_for_batch(p_.get(), batch_id.c_str(), poll_interval_ms));
        detail::rethrow_pending();
        if (!r)
            throw std::bad_alloc();
        return std::move(r).throw_if_error();
    }
    /** Waits for a batch without blocking: the call's events are the batch
     *  as its status changes (OAI_EVENT_ITEM); its result the batch. */
    call start_wait_for_batch(zstring batch_id, int64_t poll_interval_ms = 1000)
    {
        oai_call *c = oai_client_start_wait_for_batch(p_.get(), batch_id.c_str(), poll_interval_ms, nullptr,
                                                      nullptr, nullptr, nullptr);
        detail::rethrow_pending();
        return call(c, nullptr);
    }

    /** The tool loop in the pull form: a call whose OAI_EVENT_TOOL_CALL
     *  events (get_string("/id"), "/name", "/arguments") are answered with
     *  call::answer_tool(); the last answer of a step sends the next
     *  request. Its result is the final reply; its last event
     *  (OAI_EVENT_DONE) holds `/request`, the conversation as last sent. */
    call start_send_with_tools(const request &req, int max_steps = 0)
    {
        oai_call *c = oai_client_start_send_with_tools(p_.get(), req.get(), max_steps, nullptr, nullptr, nullptr,
                                                       nullptr, nullptr, nullptr);
        detail::rethrow_pending();
        return call(c, nullptr);
    }
    /** The tool loop, blocking: @p tool(std::string_view name,
     *  std::string_view arguments, std::string_view id) answers each call
     *  with something convertible to std::string, or a std::optional of it
     *  (std::nullopt stops the loop: OAI_ERR_CANCELLED). It runs in C++,
     *  between polls of the pull form (no C callback), so what it throws
     *  cancels the loop and propagates as is. Returns the final reply, or
     *  throws oai::error; @p conversation, when given, receives the request
     *  body as the loop last sent it (JSON text). */
    template <class F>
    response send_with_tools(const request &req, F tool, int max_steps = 0, std::string *conversation = nullptr)
    {
        call c = start_send_with_tools(req, max_steps);
        for (;;) {
            bool finished = c.done();
            while (auto ev = c.next_event()) {
                if (ev->type() == OAI_EVENT_DONE && conversation)
                    *conversation = ev->get("/request").json();
                if (ev->type() != OAI_EVENT_TOOL_CALL)
                    continue;
                std::string id(ev->get_string("/id"));
                auto out = std::invoke(tool, ev->get_string("/name"), ev->get_string("/arguments"),
                                       std::string_view(id));
                if constexpr (detail::is_optional<decltype(out)>::value) {
                    if (!out) {
                        c.cancel();
                        continue;
                    }
                    std::string text(*out);
                    c.answer_tool(id, text);
                } else {
                    std::string text(out);
                    c.answer_tool(id, text);
                }
            }
            if (finished)
                break;
            poll(-1);
        }
        return c.result();
    }

    /** Sets the secret oai::webhook takes when given none (empty clears it). */
    client &set_webhook_secret(zstring secret)
    {
        return checked(oai_client_set_webhook_secret(p_.get(), secret.c_str()), "set_webhook_secret");
    }

private:
    client &checked(oai_status st, const char *what)
    {
        detail::check(st, what);
        return *this;
    }

    std::unique_ptr<oai_client, detail::client_deleter> p_;
    std::unique_ptr<detail::client_callbacks> callbacks_; /* a stable address, whatever moves */
};

namespace detail {
struct tokenizer_deleter {
    void operator()(oai_tokenizer *p) const noexcept { oai_tokenizer_free(p); }
};
} // namespace detail

/** A tokenizer (see ::oai_tokenizer): exact token counts, local, with
 *  tiktoken's o200k_base and cl100k_base (docs/tokens.md). One that cannot
 *  be made throws oai::error at once (OAI_ERR_INVALID_ARGUMENT for an
 *  unknown encoding or model, OAI_ERR_IO for a missing file,
 *  OAI_ERR_INVALID_DATA for a bad one), with the library's message; so does
 *  a count that fails. Move-only; use it from one thread at a time. */
class tokenizer {
public:
    /** @p encoding ("o200k_base", "cl100k_base") from the `.tiktoken` file
     *  @p path, or (nullptr) from $OAI_VOCAB_DIR, else the install directory. */
    explicit tokenizer(zstring encoding, zstring path = nullptr)
        : p_(detail::check_new(oai_tokenizer_new(encoding.c_str(), path.c_str())))
    {
        check(oai_tokenizer_status(p_.get()));
    }
    /** The encoding of @p model, by tiktoken's table; @p vocab_dir optional. */
    static tokenizer for_model(zstring model, zstring vocab_dir = nullptr)
    {
        return tokenizer(detail::check_new(oai_tokenizer_model_new(model.c_str(), vocab_dir.c_str())));
    }
    /** Takes ownership of a C tokenizer (throws its sticky status). */
    explicit tokenizer(oai_tokenizer *tok) : p_(detail::check_new(tok)) { check(oai_tokenizer_status(p_.get())); }

    explicit operator bool() const noexcept { return p_ != nullptr; }
    oai_tokenizer *get() const noexcept { return p_.get(); }
    oai_tokenizer *release() noexcept { return p_.release(); }

    /** "o200k_base" or "cl100k_base". */
    std::string_view name() const noexcept { return view(oai_tokenizer_name(p_.get())); }
    /** OAI_TOKENIZER_SPECIAL_ORDINARY (the default), _ALLOWED or _DISALLOWED. */
    tokenizer &set_special_tokens(int mode)
    {
        check(oai_tokenizer_set_special_tokens(p_.get(), mode));
        return *this;
    }
    /** The tokens of @p text (bytes; invalid UTF-8 counts as its repair). */
    int64_t count(std::string_view text)
    {
        int64_t n = 0;
        check(oai_tokenizer_count_text(p_.get(), text.data(), text.size(), &n));
        return n;
    }
    /** The prompt tokens of a chat request's /messages (the cookbook's recipe). */
    int64_t count_chat(const request &req)
    {
        int64_t n = 0;
        check(oai_tokenizer_count_chat(p_.get(), req.get(), &n));
        return n;
    }
    /** The same for a messages array as JSON text. */
    int64_t count_messages(std::string_view json)
    {
        int64_t n = 0;
        check(oai_tokenizer_count_messages(p_.get(), json.data(), json.size(), &n));
        return n;
    }

private:
    void check(oai_status st)
    {
        if (st == OAI_ERR_OUT_OF_MEMORY)
            throw std::bad_alloc();
        if (st != OAI_OK)
            throw error(st, std::string(view(oai_tokenizer_error_message(p_.get()))));
    }

    std::unique_ptr<oai_tokenizer, detail::tokenizer_deleter> p_;
};

/** A webhook verifier (see ::oai_webhook): local, no network. Failures
 *  throw oai::error whose code() is the stable reason
 *  (oai_webhook_error_code(): "signature_mismatch", "timestamp_too_old",
 *  "missing_header", "invalid_json", "invalid_secret", ...). */
class webhook {
public:
    /** A verifier for @p secret ("whsec_..." or raw); NULL or "" takes
     *  @p from's secret (client::set_webhook_secret(), or
     *  OPENAI_WEBHOOK_SECRET), or the environment's. Throws when the secret
     *  is missing or malformed. */
    explicit webhook(zstring secret, const client *from = nullptr)
        : p_(detail::check_new(oai_webhook_new(from ? from->get() : nullptr, secret.c_str())))
    {
        check(oai_webhook_status(p_.get()));
    }

    explicit operator bool() const noexcept { return p_ != nullptr; }
    oai_webhook *get() const noexcept { return p_.get(); }

    webhook &set_tolerance_ms(int64_t ms)
    {
        check(oai_webhook_set_tolerance_ms(p_.get(), ms));
        return *this;
    }
    /** Fixes "now" (Unix ms); negative: the system clock again. */
    webhook &set_now_ms(int64_t ms)
    {
        check(oai_webhook_set_now_ms(p_.get(), ms));
        return *this;
    }

    /** Verifies a delivery: @p headers is any range of (name, value) pairs
     *  of strings (a std::map, a vector of pairs), @p body the raw body.
     *  Throws oai::error when it is not authentic and fresh. */
    template <class Headers>
    void verify(const Headers &headers, std::string_view body)
    {
        run(oai_webhook_verify, headers, body);
    }
    void verify(std::initializer_list<std::pair<std::string_view, std::string_view>> headers, std::string_view body)
    {
        run(oai_webhook_verify, headers, body);
    }
    /** Verifies, then returns the event (borrowed until the next
     *  verification); type() and data() read it. */
    template <class Headers>
    value_view unwrap(const Headers &headers, std::string_view body)
    {
        run(oai_webhook_unwrap, headers, body);
        return value_view(oai_webhook_json(p_.get()));
    }
    value_view unwrap(std::initializer_list<std::pair<std::string_view, std::string_view>> headers,
                      std::string_view body)
    {
        run(oai_webhook_unwrap, headers, body);
        return value_view(oai_webhook_json(p_.get()));
    }
    std::string_view type() const noexcept { return view(oai_webhook_type(p_.get())); }
    value_view data() const noexcept { return value_view(oai_webhook_data(p_.get())); }

private:
    void check(oai_status st)
    {
        if (st == OAI_ERR_OUT_OF_MEMORY)
            throw std::bad_alloc();
        if (st != OAI_OK)
            throw error(st, std::string(view(oai_webhook_error_message(p_.get()))), 0, std::string(), "webhook",
                        std::string(view(oai_webhook_error_code(p_.get()))));
    }
    template <class Fn, class Headers>
    void run(Fn fn, const Headers &headers, std::string_view body)
    {
        std::vector<std::string> text;
        for (const auto &h : headers) {
            text.emplace_back(h.first);
            text.emplace_back(h.second);
        }
        std::vector<const char *> names, values;
        for (size_t i = 0; i < text.size(); i += 2) {
            names.push_back(text[i].c_str());
            values.push_back(text[i + 1].c_str());
        }
        check(fn(p_.get(), names.data(), values.data(), names.size(), body.data(), body.size()));
    }

    std::unique_ptr<oai_webhook, detail::webhook_deleter> p_;
};

} // namespace oai

#endif /* OAI_HPP */
