// example.cpp — oai.hpp in one page: a chat, a stream given to a lambda, and
// a stream pulled from a frame loop, with errors as exceptions.
//
//   c++ -std=c++17 example.cpp $(pkg-config --cflags --libs oai) -o example
//   OPENAI_API_KEY=sk-... ./example [MODEL]
//
// Any OpenAI-compatible server works (OPENAI_BASE_URL); the tests run it
// against oai-mock-server.
//
// SPDX-License-Identifier: MIT
#include <oai.hpp>

#include <chrono>
#include <iostream>
#include <thread>

int main(int argc, char **argv)
{
    const char *model = argc > 1 ? argv[1] : "gpt-4o-mini";
    try {
        oai::client client; // OPENAI_API_KEY, OPENAI_BASE_URL, ...

        // 1. A chat: the response owns its text; text() is a view of it.
        oai::response res = client.send(oai::request::chat(model)
                                             .add_message("system", "Answer in one line.")
                                             .add_message("user", "What is a haiku?")
                                             .set("/temperature", 0.7));
        std::cout << "1. " << res.text() << "  (request " << res.request_id() << ")\n";

        // 2. A stream, each event given to a lambda as it arrives.
        std::cout << "2. ";
        oai::response streamed = client.stream(oai::request::chat(model).add_message("user", "Count to five."),
                                               [](oai::event_view ev) {
                                                   if (ev.type() == OAI_EVENT_TEXT)
                                                       std::cout << '[' << ev.text() << ']' << std::flush;
                                               });
        std::cout << "\n   whole: " << streamed.text() << '\n';

        // 3. A stream pulled from a 60 fps frame loop: no callback, no wait.
        client.set_poll_budget_us(1000); // at most ~1 ms of work per frame
        oai::call call = client.start(oai::request::chat(model)
                                          .add_message("user", "Tell me a story.")
                                          .set("/stream_options/include_usage", true) // a usage event at the end
                                          .stream());
        std::string story;
        int frames = 0;
        while (client.poll(0) > 0 || !call.done()) {
            while (auto ev = call.next_event()) // valid until the next call on `call`
                if (ev->type() == OAI_EVENT_TEXT)
                    story += ev->text();
            frames++;
            std::this_thread::sleep_for(std::chrono::milliseconds(16)); // the rest of the frame
        }
        while (auto ev = call.next_event())
            if (ev->type() == OAI_EVENT_TEXT)
                story += ev->text();
        oai::response told = call.result(); // throws if the call failed
        std::cout << "3. " << story << "  (" << frames << " frames, " << told.get_int("/usage/total_tokens")
                  << " tokens)\n";
        return 0;
    } catch (const oai::error &e) {
        // e.g. "OAI_ERR_AUTHENTICATION (HTTP 401): Incorrect API key provided [request req_...]"
        std::cerr << "error: " << e.what() << '\n';
        return 1;
    }
}
