// Tests of include/oai.hpp against oai-mock-server (started here, twice: a
// plain one and one with a script of errors). Built with g++ and clang++,
// -std=c++17 -Wall -Wextra -pedantic -Werror, by bindings/cpp/CMakeLists.txt.
//
//   OAI_MOCK_SERVER=build/tests/oai-mock-server ./oai_hpp_test
#include <oai.hpp>

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <optional>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

int failures = 0;

#define CHECK(cond)                                                                                            \
    do {                                                                                                       \
        if (!(cond))                                                                                           \
            throw std::runtime_error(std::string(__FILE__) + ":" + std::to_string(__LINE__) + ": " #cond);     \
    } while (0)

template <class A, class B>
void check_eq(const A &got, const B &want, const char *what, int line)
{
    if (!(got == want)) {
        std::ostringstream s;
        s << "line " << line << ": " << what << ": got '" << got << "', want '" << want << "'";
        throw std::runtime_error(s.str());
    }
}
#define CHECK_EQ(got, want) check_eq((got), (want), #got, __LINE__)

// Runs fn, which must throw oai::error; returns it.
template <class F>
oai::error expect_error(F fn)
{
    try {
        fn();
    } catch (const oai::error &e) {
        return e;
    }
    throw std::runtime_error("no oai::error was thrown");
}

// oai-mock-server as a child process.
class mock_server {
public:
    explicit mock_server(const std::string &script_json = std::string(), bool slow = false)
    {
        const char *program = std::getenv("OAI_MOCK_SERVER");
        if (!program)
            throw std::runtime_error("OAI_MOCK_SERVER is not set");
        char dir_template[] = "/tmp/oai-hpp-test-XXXXXX";
        if (!mkdtemp(dir_template))
            throw std::runtime_error("mkdtemp failed");
        dir_ = dir_template;
        std::string port_file = dir_ + "/port";
        std::string script_file = dir_ + "/script.json";
        if (!script_json.empty())
            std::ofstream(script_file) << script_json;
        pid_ = fork();
        if (pid_ == 0) {
            if (!std::freopen("/dev/null", "w", stdout))
                _exit(127);
            if (slow)
                execl(program, program, "--port", "0", "--port-file", port_file.c_str(), "--stream-pieces", "20",
                      "--stream-delay-ms", "100", static_cast<char *>(nullptr));
            else if (script_json.empty())
                execl(program, program, "--port", "0", "--port-file", port_file.c_str(), static_cast<char *>(nullptr));
            else
                execl(program, program, "--port", "0", "--port-file", port_file.c_str(), "--script",
                      script_file.c_str(), static_cast<char *>(nullptr));
            _exit(127);
        }
        for (int i = 0; i < 1000; i++) {
            std::ifstream f(port_file);
            std::string port;
            if (std::getline(f, port) && !port.empty() && f.good()) {
                url_ = "http://127.0.0.1:" + port + "/v1";
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        stop();
        throw std::runtime_error("oai-mock-server did not start");
    }
    ~mock_server() { stop(); }
    mock_server(const mock_server &) = delete;
    mock_server &operator=(const mock_server &) = delete;

    const std::string &url() const { return url_; }

private:
    void stop()
    {
        if (pid_ > 0) {
            kill(pid_, SIGTERM);
            waitpid(pid_, nullptr, 0);
            pid_ = -1;
        }
        if (!dir_.empty()) {
            std::remove((dir_ + "/port").c_str());
            std::remove((dir_ + "/script.json").c_str());
            rmdir(dir_.c_str());
            dir_.clear();
        }
    }

    pid_t pid_ = -1;
    std::string dir_, url_;
};

mock_server *plain;
mock_server *scripted;
mock_server *slow; // streams of up to 20 events, 100 ms apart

oai::client new_client(const mock_server &server)
{
    oai::client c;
    c.set_base_url(server.url()).set_api_key("sk-local").set_retry_backoff_ms(1, 5);
    return c;
}

oai::request chat(const std::string &text)
{
    return oai::request::chat("gpt-4o-mini").add_message("user", text);
}

// --- the cases --------------------------------------------------------------

void test_chat()
{
    oai::client client = new_client(*plain);
    oai::response res = client.send(chat("hello").set("/temperature", 0.5).set("/max_tokens", 50));
    CHECK(res.ok());
    CHECK_EQ(res.status(), OAI_OK);
    CHECK_EQ(res.http_status(), 200);
    CHECK_EQ(res.text(), "Echo: hello");
    CHECK(res.request_id().substr(0, 9) == "req_mock_");
    CHECK_EQ(res.get_string("/object"), "chat.completion");
    CHECK(res.get_int("/usage/total_tokens") > 0);
    CHECK_EQ(res.json().get("/choices/0/message").get_string("/role"), "assistant");
    CHECK(res.get_json_text().find("\"object\":\"chat.completion\"") != std::string_view::npos);

    oai::response emb = client.send(oai::request::embedding("text-embedding-3-small", "abc"));
    CHECK_EQ(emb.embedding_count(), 1u);
    CHECK_EQ(emb.embedding(0).size(), 8u);
    CHECK_EQ(client.send(oai::request::responses("gpt-4o-mini", "resp")).text(), "Echo: resp");
    CHECK_EQ(client.send(oai::request::completion("gpt-4o-mini", "comp")).text(), "Echo: comp");

    // A log lambda.
    std::vector<std::string> lines;
    client.on_log(OAI_LOG_INFO, [&lines](int, std::string_view line) { lines.emplace_back(line); });
    client.send(chat("logged"));
    CHECK(!lines.empty());
    CHECK(lines.back().find("chat/completions") != std::string::npos);
}

void test_progress()
{
    oai::client client = new_client(*plain);
    char path[] = "/tmp/oai-hpp-upload-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    std::string data(100000, 'x');
    std::ofstream(path) << data;
    int64_t last_sent = 0, total = 0;
    oai::request req = oai::request::file_create(path, "user_data");
    req.on_progress([&](int64_t sent, int64_t send_total, int64_t, int64_t) {
        last_sent = sent;
        total = send_total;
    });
    oai::response up = client.send(req);
    CHECK_EQ(up.get_int("/bytes"), 100000);
    CHECK(total > 100000); // the multipart body
    CHECK_EQ(last_sent, total);
    // A large upload in parts, with its progress.
    int64_t reported = 0;
    oai::response large = client.upload_large_file(path, "user_data", "text/plain",
                                                   [&](int64_t sent, int64_t, int64_t, int64_t) { reported = sent; });
    CHECK(!large.get_string("/file/id").empty());
    CHECK_EQ(reported, 100000);
    std::remove(path);
}

void test_request_building()
{
    std::string user = "u-1";
    oai::request req = chat("x")
                           .set("/n", 1)
                           .set("/temperature", 0.25)
                           .set("/logprobs", false)
                           .set("/user", user)
                           .set("/suffix", "lit")
                           .set("/stop/-", std::string_view("a"))
                           .set_null("/seed")
                           .set_json("/metadata", "{\"app\":\"test\"}");
    std::string body = req.body();
    CHECK(body.find("\"n\":1") != std::string::npos);
    CHECK(body.find("\"temperature\":0.25") != std::string::npos);
    CHECK(body.find("\"logprobs\":false") != std::string::npos);
    CHECK(body.find("\"user\":\"u-1\"") != std::string::npos);
    CHECK(body.find("\"seed\":null") != std::string::npos);
    CHECK_EQ(req.get_string("/metadata/app"), "test");
    CHECK_EQ(req.get_count("/messages"), 1u);
    req.remove_field("/suffix");
    CHECK(req.body().find("suffix") == std::string::npos);
    oai::request copy = req.clone();
    req = oai::request::model_list(); // the original goes; the clone stays
    CHECK_EQ(copy.get_string("/user"), "u-1");
    CHECK_EQ(req.method(), "GET");
    oai::error e = expect_error([&] { copy.set("/messages/9/content", "past the end"); });
    CHECK_EQ(e.status(), OAI_ERR_INVALID_ARGUMENT);
    oai::request bad("GET POST", "/models");
    CHECK_EQ(bad.status(), OAI_ERR_INVALID_ARGUMENT);
    CHECK(!bad.error_message().empty());
}

void test_stream_lambda()
{
    oai::client client = new_client(*plain);
    std::string text;
    int events = 0, done = 0;
    oai::response res = client.stream(chat("stream with a lambda"), [&](oai::event_view ev) {
        events++;
        if (ev.type() == OAI_EVENT_TEXT)
            text += ev.text();
        if (ev.type() == OAI_EVENT_DONE)
            done++;
    });
    CHECK_EQ(text, "Echo: stream with a lambda");
    CHECK_EQ(res.text(), text);
    CHECK_EQ(done, 1);
    CHECK(events > 3);

    // A lambda returning false stops the stream: the call is cancelled.
    std::string first;
    oai::request req = chat("stop after the first piece");
    req.on_event([&](oai::event_view ev) {
        if (ev.type() != OAI_EVENT_TEXT)
            return true;
        first += ev.text();
        return false;
    });
    oai::error e = expect_error([&] { client.send(req); });
    CHECK_EQ(e.status(), OAI_ERR_CANCELLED);
    CHECK(!first.empty() && first.size() < std::string("Echo: stop after the first piece").size());
}

void test_pull_stream()
{
    oai::client client = new_client(*plain);
    oai::call call = client.start(chat("pulled").stream());
    std::string text;
    int polls = 0;
    while (client.poll(0) > 0 || !call.done()) {
        while (auto ev = call.next_event())
            if (ev->type() == OAI_EVENT_TEXT)
                text += ev->text();
        polls++;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    while (auto ev = call.next_event())
        if (ev->type() == OAI_EVENT_TEXT)
            text += ev->text();
    CHECK_EQ(text, "Echo: pulled");
    oai::response res = call.result();
    CHECK_EQ(res.text(), "Echo: pulled");
    CHECK(polls > 0);
    CHECK(!call.take_response()); // taken once
    // result() before the end throws.
    oai::call running = client.start(chat("not yet").stream());
    oai::error e = expect_error([&] { running.result(); });
    CHECK_EQ(e.status(), OAI_ERR_INVALID_ARGUMENT);
}

void test_done_lambda()
{
    oai::client client = new_client(*plain);
    std::vector<std::string> texts;
    std::vector<oai::call> calls;
    for (int i = 0; i < 4; i++)
        calls.push_back(client.start(chat("async " + std::to_string(i)),
                                     [&texts](oai::response res) { texts.push_back(std::string(res.text())); }));
    // A call destroyed inside its own done callback.
    oai::call self_freeing;
    bool ran = false;
    self_freeing = client.start(chat("free me"), [&](oai::response res) {
        ran = res.ok();
        self_freeing.reset();
    });
    while (client.poll(100) > 0) {
    }
    CHECK(ran);
    CHECK(!self_freeing);
    CHECK_EQ(texts.size(), 4u);
    for (auto &c : calls) {
        CHECK(c.done());
        CHECK(!c.take_response()); // it went to the lambda
    }
    // The request's callables outlive the request.
    std::string text;
    oai::call call;
    {
        oai::request req = chat("callables kept");
        req.on_event([&text](oai::event_view ev) { text += ev.text(); });
        call = client.start(req);
    }
    while (client.poll(100) > 0) {
    }
    CHECK_EQ(text, "Echo: callables kept");
    CHECK_EQ(call.result().text(), "Echo: callables kept");
}

void test_errors()
{
    oai::client client = new_client(*plain);
    oai::error e = expect_error([&] { client.send(oai::request::model_retrieve("no-such-model")); });
    CHECK_EQ(e.status(), OAI_ERR_NOT_FOUND);
    CHECK_EQ(e.status_name(), "OAI_ERR_NOT_FOUND");
    CHECK_EQ(e.http_status(), 404);
    CHECK(e.request_id().substr(0, 9) == "req_mock_");
    CHECK(e.message().find("no-such-model") != std::string::npos);
    CHECK(std::string(e.what()).find("OAI_ERR_NOT_FOUND (HTTP 404): ") == 0);
    oai::response res = client.try_send(oai::request::model_retrieve("no-such-model"));
    CHECK(!res.ok());
    CHECK_EQ(res.http_status(), 404);

    oai::client stormy = new_client(*scripted);
    stormy.set_max_retries(2);
    int retries = 0;
    stormy.on_retry([&](int, int64_t, oai_status reason, int http) {
        CHECK_EQ(reason, OAI_ERR_RATE_LIMIT);
        CHECK_EQ(http, 429);
        retries++;
    });
    e = expect_error([&] { stormy.send(chat("storm")); });
    CHECK_EQ(e.status(), OAI_ERR_RATE_LIMIT);
    CHECK_EQ(e.http_status(), 429);
    CHECK_EQ(e.request_id(), "req_storm");
    CHECK_EQ(e.message(), "Rate limit reached for gpt-4o-mini");
    CHECK_EQ(e.code(), "rate_limit_exceeded");
    CHECK_EQ(e.type(), "requests");
    CHECK_EQ(retries, 2);
    CHECK_EQ(stormy.send(chat("after")).text(), "Echo: after");

    // An error pulled from a call.
    oai::call call = stormy.start(oai::request::completion("gpt-4o-mini", "x"));
    while (stormy.poll(50) > 0) {
    }
    CHECK_EQ(call.status(), OAI_ERR_NOT_FOUND);
    e = expect_error([&] { call.result(); });
    CHECK_EQ(e.request_id(), "req_404");

    // A setter's refusal.
    e = expect_error([&] { client.set_base_url("ftp://example.com"); });
    CHECK_EQ(e.status(), OAI_ERR_INVALID_ARGUMENT);
    e = expect_error([&] { client.set_poll_budget_us(-1); });
    CHECK_EQ(e.status(), OAI_ERR_INVALID_ARGUMENT);
}

void test_callback_exceptions()
{
    oai::client client = new_client(*plain);
    oai::request req = chat("throwing");
    req.on_event([](oai::event_view ev) {
        if (ev.type() == OAI_EVENT_TEXT)
            throw std::logic_error("thrown from the lambda");
    });
    try {
        client.send(req);
        throw std::runtime_error("nothing was thrown");
    } catch (const std::logic_error &e) {
        CHECK_EQ(std::string(e.what()), "thrown from the lambda");
    }
    // Through poll(): the call is cancelled, the exception comes out of poll().
    oai::call call = client.start(req);
    bool caught = false;
    try {
        while (client.poll(50) > 0) {
        }
    } catch (const std::logic_error &) {
        caught = true;
    }
    CHECK(caught);
    while (!call.done())
        client.poll(10);
    CHECK_EQ(call.status(), OAI_ERR_CANCELLED);
    // A done lambda that throws: rethrown by poll().
    oai::call done_call = client.start(chat("done throws"), [](oai::response) { throw std::out_of_range("done"); });
    caught = false;
    try {
        while (client.poll(50) > 0) {
        }
    } catch (const std::out_of_range &) {
        caught = true;
    }
    CHECK(caught);
    CHECK(client.poll(0) == 0); // nothing left pending
}

void test_call_outlives_client()
{
    std::vector<oai::call> calls;
    oai::response kept;
    {
        oai::client client = new_client(*slow);
        for (int i = 0; i < 3; i++)
            calls.push_back(client.start(chat("a long enough question to cut in twenty pieces, number " +
                                              std::to_string(i)).stream()));
        oai::call finished = client.start(chat("finished"));
        while (!finished.done())
            client.poll(10);
        kept = finished.take_response();
        client.poll(0);
        for (auto &c : calls)
            CHECK(!c.done());
    } // the client is freed here, the calls running
    for (auto &c : calls) {
        CHECK(c.done());
        CHECK_EQ(c.status(), OAI_ERR_CANCELLED);
        while (c.next_event()) {
        }
        oai::error e = expect_error([&] { c.result(); });
        CHECK_EQ(e.status(), OAI_ERR_CANCELLED);
        c.cancel(); // harmless
    }
    calls.clear(); // oai_call_free() after oai_client_free()
    CHECK_EQ(kept.text(), "Echo: finished");
    // Moves.
    oai::client a = new_client(*plain);
    oai::client b = std::move(a);
    CHECK(!a);
    CHECK_EQ(b.send(chat("moved")).text(), "Echo: moved");
}

void test_fine_tuning()
{
    oai::client client = new_client(*plain);
    char path[] = "/tmp/oai-hpp-train-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    {
        std::ofstream f(path);
        for (int i = 0; i < 10; i++)
            f << R"({"messages":[{"role":"user","content":"1+1?"},{"role":"assistant","content":"2"}]})" << '\n';
    }
    std::string file_id(client.upload_file(path, "fine-tune").get_string("/id"));
    std::remove(path);
    oai::response job = client.send(oai::request::fine_tuning_job_create("gpt-4o-mini-2024-07-18", file_id).set("/suffix", "cpp"));
    std::string job_id(job.get_string("/id"));

    std::vector<std::string> messages;
    oai::response final_job = client.follow_fine_tuning_job(job_id, 10, [&](oai::value_view ev) {
        messages.push_back(std::string(ev.get_string("/message")));
    });
    CHECK_EQ(final_job.get_string("/status"), "succeeded");
    CHECK(final_job.get_string("/fine_tuned_model").find(":mock:cpp:") != std::string_view::npos);
    CHECK(messages.size() >= 3);

    // Pulled, from a frame loop.
    oai::call follow = client.start_follow_fine_tuning_job(job_id, 10);
    size_t items = 0;
    while (client.poll(0) > 0 || !follow.done()) {
        while (auto ev = follow.next_event()) {
            CHECK_EQ(ev->type(), OAI_EVENT_ITEM);
            CHECK(!ev->json().get_string("/id").empty());
            items++;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    while (follow.next_event())
        items++;
    CHECK_EQ(follow.result().get_string("/status"), "succeeded");
    CHECK_EQ(items, messages.size());
}

// Structured outputs, tool calls, the tool loop (a lambda, run between
// polls of the pull form; and pulled by hand), webhooks.
const char *tool_script = R"([
  {"match": {"path": "/v1/chat/completions"}, "headers": {"Content-Type": "application/json"},
   "body": {"id": "c1", "object": "chat.completion", "choices": [{"index": 0, "finish_reason": "tool_calls",
     "message": {"role": "assistant", "content": null, "tool_calls": [
       {"id": "call_w", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
       {"id": "call_t", "type": "function", "function": {"name": "get_time", "arguments": "{}"}}]}}]}},
  {"match": {"path": "/v1/chat/completions"}, "headers": {"Content-Type": "application/json"},
   "body": {"id": "c2", "object": "chat.completion", "choices": [{"index": 0, "finish_reason": "stop",
     "message": {"role": "assistant", "content": "21 C at noon."}}]}}
])";

oai::request weather()
{
    return chat("Weather and time in Paris?")
        .add_tool("get_weather", "The weather", R"({"type":"object"})")
        .add_tool("get_time", nullptr, nullptr);
}

void test_structured_and_tools()
{
    oai::client client = new_client(*plain);
    oai::response res = client.send(chat("Paris").set_json_schema(
        "weather", R"({"type":"object","properties":{"city":{"type":"string"},"temp_c":{"type":"integer"}},)"
                   R"("required":["city","temp_c"],"additionalProperties":false})"));
    CHECK_EQ(res.parsed_status(), OAI_OK);
    CHECK_EQ(res.parsed().get_int("/temp_c"), 1);
    CHECK_EQ(res.parse().get_string("/city"), "Echo: Paris");
    CHECK(res.refusal().empty());
    CHECK_EQ(res.tool_call_count(), 0u);
    oai::response plain_text = client.send(chat("plain words"));
    CHECK(!plain_text.parsed());
    CHECK_EQ(expect_error([&] { plain_text.parse(); }).status(), OAI_ERR_PROTOCOL);
    CHECK_EQ(expect_error([] { chat("x").set_json_schema("bad name!", "{}"); }).status(), OAI_ERR_INVALID_ARGUMENT);

    // Tool calls read, the conversation built by hand.
    mock_server tools(tool_script);
    oai::client tc = new_client(tools);
    oai::response calls = tc.send(weather());
    CHECK_EQ(calls.tool_call_count(), 2u);
    CHECK_EQ(calls.tool_call_id(0), "call_w");
    CHECK_EQ(calls.tool_call_name(1), "get_time");
    CHECK_EQ(calls.tool_call_arguments(0), R"({"city":"Paris"})");
    CHECK_EQ(calls.tool_call_arguments_json(0).get_string("/city"), "Paris");
    CHECK_EQ(calls.tool_call_arguments_status(0), OAI_OK);
    oai::request next = weather().add_reply(calls).add_tool_output("call_w", "sunny").add_tool_output("call_t", "noon");
    CHECK_EQ(next.get_count("/messages"), 4u);
    CHECK_EQ(tc.send(next).text(), "21 C at noon.");
}

void test_tool_loop()
{
    mock_server tools(tool_script);
    oai::client client = new_client(tools);
    std::vector<std::string> seen;
    std::string conversation;
    oai::response res = client.send_with_tools(
        weather(),
        [&seen](std::string_view name, std::string_view arguments, std::string_view id) {
            seen.push_back(std::string(id) + " " + std::string(name) + " " + std::string(arguments));
            return name == "get_weather" ? std::string(R"({"temp_c":21})") : std::string("12:00");
        },
        0, &conversation);
    CHECK_EQ(res.text(), "21 C at noon.");
    CHECK_EQ(seen.size(), 2u);
    CHECK_EQ(seen[0], R"(call_w get_weather {"city":"Paris"})");
    CHECK(conversation.find(R"({"role":"tool","tool_call_id":"call_t","content":"12:00"})") != std::string::npos);

    // std::nullopt stops; an exception thrown by the lambda propagates.
    mock_server again(tool_script);
    oai::client c2 = new_client(again);
    auto stop = [](std::string_view, std::string_view, std::string_view) { return std::optional<std::string>(); };
    CHECK_EQ(expect_error([&] { c2.send_with_tools(weather(), stop); }).status(), OAI_ERR_CANCELLED);
    mock_server third(tool_script);
    oai::client c3 = new_client(third);
    bool thrown = false;
    try {
        c3.send_with_tools(weather(), [](std::string_view, std::string_view, std::string_view) -> std::string {
            throw std::logic_error("boom");
        });
    } catch (const std::logic_error &) {
        thrown = true;
    }
    CHECK(thrown);
}

void test_tool_loop_pulled()
{
    mock_server tools(tool_script);
    oai::client client = new_client(tools);
    oai::call loop = client.start_send_with_tools(weather());
    std::vector<std::string> ids;
    while (ids.size() < 2) {
        client.poll(50);
        while (auto ev = loop.next_event()) {
            CHECK_EQ(ev->type(), OAI_EVENT_TOOL_CALL);
            ids.emplace_back(ev->get_string("/id"));
        }
    }
    CHECK_EQ(expect_error([&] { loop.answer_tool("call_x", "?"); }).status(), OAI_ERR_NOT_FOUND);
    loop.answer_tool(ids[1], "noon");
    CHECK_EQ(expect_error([&] { loop.answer_tool(ids[1], "again"); }).status(), OAI_ERR_CONFLICT);
    loop.answer_tool(ids[0], "sunny");
    while (!loop.done())
        client.poll(50);
    int steps = 0;
    while (auto ev = loop.next_event())
        if (ev->type() == OAI_EVENT_DONE)
            steps = static_cast<int>(ev->get_int("/steps"));
    CHECK_EQ(steps, 2);
    CHECK_EQ(loop.result().text(), "21 C at noon.");
    CHECK_EQ(expect_error([&] { loop.answer_tool(ids[0], "late"); }).status(), OAI_ERR_INVALID_ARGUMENT);
}

void test_webhook()
{
    // HMAC-SHA256 vectors computed once with Python's hmac module.
    const char *secret = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    std::string body = R"({"id":"evt_1","object":"event","created_at":1700000000,"type":"batch.completed",)"
                       R"("data":{"id":"batch_9"}})";
    std::vector<std::pair<std::string, std::string>> headers = {
        {"webhook-id", "msg_1"},
        {"webhook-timestamp", "1700000000"},
        {"webhook-signature", "v1,V5ldlCBUxHI01oVNWEpIUl4T3RTBCTXFAOFXqXFtTRU="}};
    oai::webhook wh(secret);
    wh.set_now_ms(INT64_C(1700000000) * 1000);
    oai::value_view event = wh.unwrap(headers, body);
    CHECK_EQ(event.get_string("/data/id"), "batch_9");
    CHECK_EQ(wh.type(), "batch.completed");
    wh.verify({{"Webhook-Id", "msg_1"}, {"Webhook-Timestamp", "1700000000"},
               {"Webhook-Signature", "v1,V5ldlCBUxHI01oVNWEpIUl4T3RTBCTXFAOFXqXFtTRU="}},
              body);
    oai::error e = expect_error([&] { wh.verify(headers, body + " "); });
    CHECK_EQ(e.status(), OAI_ERR_INVALID_DATA);
    CHECK_EQ(e.code(), "signature_mismatch");
    wh.set_now_ms(INT64_C(1700000400) * 1000);
    CHECK_EQ(expect_error([&] { wh.verify(headers, body); }).code(), "timestamp_too_old");
    oai::error bad = expect_error([] { oai::webhook w("whsec_%%%"); });
    CHECK_EQ(bad.code(), "invalid_secret");
    oai::client client = new_client(*plain);
    client.set_webhook_secret(secret);
    oai::webhook from_client(nullptr, &client);
    from_client.set_tolerance_ms(INT64_C(1000000000000000));
    from_client.verify(headers, body);
}

// ---- token counts (oai::tokenizer): the numbers tests/test_tokens.c asserts ----

// The build's vocabulary (OAI_TEST_VOCAB_DIR); without it the counts are
// skipped, unless OAI_REQUIRE_VOCAB=1 (CI), where the test fails.
const char *vocab_dir()
{
    const char *dir = std::getenv("OAI_TEST_VOCAB_DIR");
    if (dir && *dir && std::ifstream(std::string(dir) + "/o200k_base.tiktoken").good())
        return dir;
    const char *require = std::getenv("OAI_REQUIRE_VOCAB");
    if (require && std::string(require) == "1")
        throw std::runtime_error(std::string("no vocabulary in OAI_TEST_VOCAB_DIR=") + (dir ? dir : "(unset)") +
                                 " and OAI_REQUIRE_VOCAB=1: build with js-tiktoken (npm ci --prefix tests/tokens)");
    std::cout << "     (no vocabulary: the counts are skipped)\n";
    return nullptr;
}

void test_tokenizer()
{
    // Errors need no vocabulary.
    oai::error e = expect_error([] { oai::tokenizer("p50k_base"); });
    CHECK_EQ(e.status(), OAI_ERR_INVALID_ARGUMENT);
    CHECK(e.message().find("p50k_base") != std::string::npos);
    e = expect_error([] { oai::tokenizer::for_model("no-such-model-xyz"); });
    CHECK_EQ(e.status(), OAI_ERR_INVALID_ARGUMENT);
    CHECK(e.message().find("no-such-model-xyz") != std::string::npos);
    e = expect_error([] { oai::tokenizer("o200k_base", "/nonexistent/o200k_base.tiktoken"); });
    CHECK_EQ(e.status(), OAI_ERR_IO);

    const char *dir = vocab_dir();
    if (!dir)
        return;
    oai::tokenizer o("o200k_base", std::string(dir) + "/o200k_base.tiktoken");
    oai::tokenizer c = oai::tokenizer::for_model("gpt-4", dir);
    CHECK_EQ(o.name(), "o200k_base");
    CHECK_EQ(c.name(), "cl100k_base");
    CHECK_EQ(o.count(""), 0);
    CHECK_EQ(o.count("hello world"), 2);
    CHECK_EQ(c.count("hello world"), 2);
    CHECK_EQ(c.count("tiktoken is great!"), 6);
    CHECK(o.count(std::string_view("a\0b", 3)) >= 2);
    CHECK_EQ(c.count("a\xFF" "b"), c.count("a\xEF\xBF\xBD" "b"));
    // Special tokens.
    CHECK_EQ(o.count("<|endoftext|>"), 7);
    o.set_special_tokens(OAI_TOKENIZER_SPECIAL_ALLOWED);
    CHECK_EQ(o.count("<|endoftext|>"), 1);
    CHECK_EQ(o.count("a<|endoftext|>b<|endofprompt|>"), 4);
    o.set_special_tokens(OAI_TOKENIZER_SPECIAL_DISALLOWED);
    e = expect_error([&] { o.count("x <|endoftext|>"); });
    CHECK_EQ(e.status(), OAI_ERR_INVALID_ARGUMENT);
    CHECK(e.message().find("<|endoftext|>") != std::string::npos);
    CHECK_EQ(o.count("no special here"), 3);
    CHECK_EQ(expect_error([&] { o.set_special_tokens(7); }).status(), OAI_ERR_INVALID_ARGUMENT);
    // The cookbook's chat example: 124 with gpt-4o-mini, 129 with gpt-4.
    oai::tokenizer mini = oai::tokenizer::for_model("gpt-4o-mini", dir);
    oai::request req = oai::request::chat("gpt-4o-mini");
    req.set_json("/messages", R"([
      {"role": "system", "content": "You are a helpful, pattern-following assistant that translates corporate jargon into plain English."},
      {"role": "system", "name": "example_user", "content": "New synergies will help drive top-line growth."},
      {"role": "system", "name": "example_assistant", "content": "Things working well together will increase revenue."},
      {"role": "system", "name": "example_user", "content": "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage."},
      {"role": "system", "name": "example_assistant", "content": "Let's talk later when we're less busy about how to do better."},
      {"role": "user", "content": "This late pivot means we don't have time to boil the ocean for the client deliverable."}
    ])");
    CHECK_EQ(mini.count_chat(req), 124);
    CHECK_EQ(c.count_chat(req), 129);
    CHECK_EQ(mini.count_messages(R"([{"role":"user","content":[{"type":"text","text":"hello world"},)"
                                 R"({"type":"image_url","image_url":{"url":"https://x/y.png"}}]},)"
                                 R"({"role":"assistant","content":null,"weight":0}])"),
             13);
    CHECK_EQ(mini.count_messages("[]"), 3);
    CHECK_EQ(expect_error([&] { mini.count_messages("[1]"); }).status(), OAI_ERR_INVALID_ARGUMENT);
    oai::tokenizer moved = std::move(mini);
    CHECK(!mini && moved);
}

// ---- Azure OpenAI, default query, clones, the token lambda ----------------

void test_azure()
{
    for (const char *v : {"AZURE_OPENAI_API_KEY", "AZURE_OPENAI_AD_TOKEN", "AZURE_OPENAI_ENDPOINT", "OPENAI_API_VERSION"})
        unsetenv(v);
    std::string endpoint = plain->url().substr(0, plain->url().size() - 3); // without "/v1"
    oai::client az = oai::client::azure();
    CHECK(az.is_azure());
    az.set_azure_endpoint(endpoint).set_azure_api_version("2024-10-21").set_retry_backoff_ms(1, 5);
    // Nothing is sent without a credential.
    oai::error e = expect_error([&] { az.send(chat("x").set("/model", "dep")); });
    CHECK_EQ(e.status(), OAI_ERR_INVALID_ARGUMENT);
    CHECK(e.message().find("no credentials") != std::string::npos);
    az.set_api_key("azure-key");
    CHECK_EQ(az.base_url(), endpoint + "/openai");
    CHECK_EQ(az.send(oai::request::chat("my-gpt4o").add_message("user", "hello azure")).text(), "Echo: hello azure");
    az.set_azure_deployment("fixed");
    CHECK_EQ(az.send(chat("d")).text(), "Echo: d");
    CHECK_EQ(expect_error([&] { az.set_azure_deployment("a/b"); }).status(), OAI_ERR_INVALID_ARGUMENT);
    CHECK_EQ(expect_error([&] { new_client(*plain).set_azure_endpoint(endpoint); }).status(),
             OAI_ERR_INVALID_ARGUMENT);

    // A fixed Entra ID token; one the mock refuses ("expired...").
    oai::client ad = oai::client::azure();
    ad.set_azure_endpoint(endpoint).set_azure_api_version("v1").set_azure_ad_token("entra").set_max_retries(0);
    CHECK_EQ(ad.base_url(), endpoint + "/openai/v1");
    CHECK_EQ(ad.send(chat("v1")).text(), "Echo: v1");
    ad.set_azure_ad_token("expired-token");
    e = expect_error([&] { ad.send(chat("v1")); });
    CHECK_EQ(e.status(), OAI_ERR_AUTHENTICATION);
    CHECK_EQ(e.http_status(), 401);

    // The token lambda: the first token is refused, the retry takes a fresh one.
    std::vector<std::string> tokens;
    oai::client tok = oai::client::azure();
    tok.set_azure_endpoint(endpoint).set_azure_api_version("2024-10-21").set_retry_backoff_ms(1, 5);
    tok.on_token([&tokens] {
        tokens.push_back(tokens.empty() ? "expired-1" : "fresh-" + std::to_string(tokens.size()));
        return tokens.back();
    });
    CHECK_EQ(tok.send(chat("tok")).text(), "Echo: tok");
    CHECK_EQ(tokens.size(), 2u);
    // A clone owns a copy of the lambda: it outlives the original.
    oai::client copy = tok.clone();
    tok.reset();
    CHECK(copy.is_azure());
    CHECK_EQ(copy.send(chat("clone")).text(), "Echo: clone");
    CHECK_EQ(tokens.size(), 3u);
    // An exception thrown in the lambda is rethrown from send().
    copy.on_token([]() -> std::string { throw std::logic_error("vault unreachable"); });
    bool caught = false;
    try {
        copy.send(chat("x"));
    } catch (const std::logic_error &ex) {
        caught = std::string(ex.what()) == "vault unreachable";
    }
    CHECK(caught);
    copy.on_token([] { return std::string(); });
    CHECK_EQ(expect_error([&] { copy.send(chat("x")); }).status(), OAI_ERR_AUTHENTICATION);

    // A default query on a plain client (the deployments route needs api-version).
    oai::client q;
    q.set_base_url(endpoint + "/openai/deployments/dep").set_api_key(nullptr).set_header("api-key", "k");
    q.set_max_retries(0);
    e = expect_error([&] { q.send(chat("q")); });
    CHECK_EQ(e.status(), OAI_ERR_NOT_FOUND);
    q.set_query("api-version", "2024-10-21");
    CHECK_EQ(q.query("api-version"), "2024-10-21");
    CHECK_EQ(q.send(chat("q")).text(), "Echo: q");
    oai::client q2 = q.clone();
    q.set_query("api-version", nullptr);
    CHECK(q.query("api-version").empty());
    CHECK_EQ(q2.query("api-version"), "2024-10-21");
    CHECK_EQ(q2.send(chat("q2")).text(), "Echo: q2");
    CHECK_EQ(expect_error([&] { q.set_query("", "x"); }).status(), OAI_ERR_INVALID_ARGUMENT);
}

} // namespace

int main()
{
    const char *script = R"([
      {"match": {"method": "POST", "path": "/v1/chat/completions"}, "repeat": 3, "status": 429,
       "headers": {"retry-after-ms": 5, "x-request-id": "req_storm"},
       "body": {"error": {"message": "Rate limit reached for gpt-4o-mini", "type": "requests",
                          "param": null, "code": "rate_limit_exceeded"}}},
      {"match": {"method": "POST", "path": "/v1/completions"}, "status": 404,
       "headers": {"x-request-id": "req_404"},
       "body": {"error": {"message": "Not here", "type": "invalid_request_error", "param": null, "code": null}}}
    ])";
    struct test {
        const char *name;
        void (*fn)();
    };
    const test tests[] = {
        {"chat", test_chat},
        {"request building", test_request_building},
        {"progress lambdas", test_progress},
        {"stream with a lambda", test_stream_lambda},
        {"pull stream", test_pull_stream},
        {"done lambda", test_done_lambda},
        {"errors as exceptions", test_errors},
        {"exceptions thrown in callbacks", test_callback_exceptions},
        {"a call outliving its client", test_call_outlives_client},
        {"fine-tuning", test_fine_tuning},
        {"structured outputs and tool calls", test_structured_and_tools},
        {"the tool loop with a lambda", test_tool_loop},
        {"the tool loop pulled", test_tool_loop_pulled},
        {"webhooks", test_webhook},
        {"token counts", test_tokenizer},
        {"Azure, default query, clones, the token lambda", test_azure},
    };
    int passed = 0;
    try {
        mock_server plain_server;
        mock_server scripted_server(script);
        mock_server slow_server(std::string(), true);
        plain = &plain_server;
        scripted = &scripted_server;
        slow = &slow_server;
        std::cout << "oai " << oai::version() << ", C++ " << __cplusplus << '\n';
        for (const test &t : tests) {
            try {
                t.fn();
                passed++;
                std::cout << "ok   " << t.name << '\n';
            } catch (const std::exception &e) {
                failures++;
                std::cout << "FAIL " << t.name << ": " << e.what() << '\n';
            }
        }
    } catch (const std::exception &e) {
        std::cout << "FAIL set-up: " << e.what() << '\n';
        failures++;
    }
    std::cout << passed << " passed, " << failures << " failed\n";
    return failures == 0 && passed > 0 ? 0 : 1;
}
