/*
 * fine_tune.c — fine-tune a chat model, from training data to answer.
 *
 * The whole workflow, one step per function:
 *   1. write a small training file (or take yours),
 *   2. check it locally, before anything is uploaded,
 *   3. upload it,
 *   4. start a fine-tuning job on it,
 *   5. follow the job to its end, printing its events,
 *   6. ask the fine-tuned model a question.
 *
 *   export OPENAI_API_KEY=sk-...
 *   ./example_fine_tune [TRAINING_FILE [MODEL [POLL_MS]]]
 *
 *   ./example_fine_tune                  # writes capitals.jsonl, trains on it
 *   ./example_fine_tune my_data.jsonl    # your chat-format data
 *   ./example_fine_tune my_data.jsonl gpt-4.1-mini-2025-04-14 30000
 *
 * A TRAINING_FILE that does not exist yet is written with sample data. The
 * job is checked every POLL_MS milliseconds (default 10000).
 *
 * On OpenAI a job takes minutes to hours, and costs money. Any
 * OpenAI-compatible server that offers fine-tuning works too (set
 * OPENAI_BASE_URL); the tests run this program against their mock server.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>

#include <oai.h>

#define DEFAULT_MODEL "gpt-4o-mini-2024-07-18"
#define SAMPLE_FILE "capitals.jsonl"

/* Prints why a call failed: the API's message and the request id. */
static void print_error(const char *what, const oai_response *res)
{
    const char *message = oai_response_error_message(res);
    const char *request_id = oai_response_request_id(res);

    fprintf(stderr, "error: %s: %s: %s", what, oai_status_name(oai_response_status(res)),
            message ? message : oai_status_message(oai_response_status(res)));
    if (request_id)
        fprintf(stderr, " (request id %s)", request_id);
    fputc('\n', stderr);
}

/* Whether there is a file at @p path already. */
static int exists(const char *path)
{
    FILE *f = fopen(path, "r");

    if (!f)
        return 0;
    fclose(f);
    return 1;
}

/* 1. Training data for chat models is JSONL: one conversation per line,
 *    ending with the assistant's answer we want the model to learn.
 *    OpenAI asks for at least 10 examples. */
static int write_sample_data(const char *path)
{
    static const char *const capitals[][2] = {
        { "France", "Paris" },   { "Germany", "Berlin" }, { "Italy", "Rome" },
        { "Spain", "Madrid" },   { "Japan", "Tokyo" },    { "Kenya", "Nairobi" },
        { "Peru", "Lima" },      { "Canada", "Ottawa" },  { "Egypt", "Cairo" },
        { "Norway", "Oslo" },    { "Chile", "Santiago" }, { "India", "New Delhi" },
    };
    size_t i;
    FILE *f = fopen(path, "w");

    if (!f)
        return -1;
    for (i = 0; i < sizeof capitals / sizeof capitals[0]; i++)
        fprintf(f,
                "{\"messages\": ["
                "{\"role\": \"system\", \"content\": \"Answer with the city's name only.\"}, "
                "{\"role\": \"user\", \"content\": \"What is the capital of %s?\"}, "
                "{\"role\": \"assistant\", \"content\": \"%s.\"}]}\n",
                capitals[i][0], capitals[i][1]);
    return fclose(f) == 0 ? 0 : -1;
}

/* 2. The validator reads the file line by line and reports every problem
 *    with its line number, so a bad file is caught before it is uploaded
 *    (and before a job fails on it an hour later). */
static int validate(const char *path)
{
    oai_training_report *report = oai_training_report_new(path, OAI_TRAINING_CHAT, 0);
    oai_status st = oai_training_report_status(report);
    size_t i;

    if (!report) {
        fprintf(stderr, "error: out of memory\n");
        return -1;
    }
    if (st != OAI_OK && st != OAI_ERR_INVALID_DATA) { /* the file could not be read at all */
        fprintf(stderr, "error: %s\n", oai_training_report_error_message(report));
        oai_training_report_free(report);
        return -1;
    }
    for (i = 0; i < oai_training_report_problem_count(report); i++)
        fprintf(stderr, "%s:%lld: %s: %s\n", path,
                (long long)oai_training_report_problem_line(report, i),
                oai_training_report_problem_code(report, i),
                oai_training_report_problem_message(report, i));
    if (st == OAI_OK)
        printf("%s: %lld examples, about %lld tokens\n", path,
               (long long)oai_training_report_example_count(report),
               (long long)oai_training_report_stat(report, "tokens_estimated"));
    oai_training_report_free(report);
    return st == OAI_OK ? 0 : -1;
}

/* 3. Upload the file for fine-tuning. It is streamed from disk, not read
 *    into memory. The response is the file object; we keep the response,
 *    since strings read from it (its id) live as long as it does. */
static oai_response *upload(oai_client *client, const char *path)
{
    oai_request *req = oai_file_create_request_new(path, "fine-tune");
    oai_response *res;

    /* A constructor returns NULL only when memory ran out; a bad argument
     * or an unreadable file gives a request that carries the reason. */
    if (oai_request_status(req) != OAI_OK) {
        fprintf(stderr, "error: %s\n", req ? oai_request_error_message(req) : "out of memory");
        oai_request_free(req);
        return NULL;
    }
    res = oai_client_send(client, req);
    oai_request_free(req);
    if (oai_response_status(res) != OAI_OK) {
        print_error("upload", res);
        oai_response_free(res);
        return NULL;
    }
    printf("uploaded %s as %s\n", path, oai_response_get_string(res, "/id"));
    return res;
}

/* 4. Start the job. Options are set by JSON Pointer: here the supervised
 *    method, trained for 3 epochs. */
static oai_response *create_job(oai_client *client, const char *model, const char *file_id)
{
    oai_request *req = oai_fine_tuning_job_create_request_new(model, file_id);
    oai_response *res;

    if (oai_request_set_string(req, "/method/type", "supervised") != OAI_OK ||
        oai_request_set_int(req, "/method/supervised/hyperparameters/n_epochs", 3) != OAI_OK) {
        fprintf(stderr, "error: cannot build the job request\n");
        oai_request_free(req);
        return NULL;
    }
    res = oai_client_send(client, req);
    oai_request_free(req);
    if (oai_response_status(res) != OAI_OK) {
        print_error("create the job", res);
        oai_response_free(res);
        return NULL;
    }
    printf("started job %s (%s)\n", oai_response_get_string(res, "/id"),
           oai_response_get_string(res, "/status"));
    return res;
}

/* 5. Called once for each new event of the job, oldest first. */
static int print_event(void *userdata, const oai_value *event)
{
    (void)userdata;
    printf("  [%s] %s\n", oai_value_get_string(event, "/level"),
           oai_value_get_string(event, "/message"));
    fflush(stdout);
    return 0; /* non-zero would stop following */
}

/* 5. Poll the job until it succeeds, fails or is cancelled. The last
 *    response is the job itself: its status, and the new model's name. */
static oai_response *follow(oai_client *client, const char *job_id, long poll_ms)
{
    oai_response *job = oai_client_follow_fine_tuning_job(client, job_id, poll_ms, print_event, NULL);
    const char *status = oai_response_get_string(job, "/status");
    const char *model = oai_response_get_string(job, "/fine_tuned_model");
    const char *why = oai_response_get_string(job, "/error/message");

    if (oai_response_status(job) != OAI_OK) {
        print_error("follow the job", job);
    } else if (!model) { /* it failed or was cancelled */
        fprintf(stderr, "error: the job is %s: %s\n", status ? status : "over",
                why ? why : "no model was made");
    } else {
        printf("job %s: %s\n", status, model);
        return job;
    }
    oai_response_free(job);
    return NULL;
}

/* 6. The fine-tuned model is used like any other, by its name. */
static int ask(oai_client *client, const char *model)
{
    static const char question[] = "What is the capital of Portugal?";
    oai_request *req = oai_chat_completion_create_request_new(model);
    oai_response *res;
    int ok;

    if (oai_chat_request_add_message(req, "system", "Answer with the city's name only.") != OAI_OK ||
        oai_chat_request_add_message(req, "user", question) != OAI_OK) {
        fprintf(stderr, "error: cannot build the chat request\n");
        oai_request_free(req);
        return -1;
    }
    res = oai_client_send(client, req);
    ok = oai_response_status(res) == OAI_OK;
    if (ok)
        printf("Q: %s\nA: %s\n", question, oai_response_text(res) ? oai_response_text(res) : "");
    else
        print_error("chat", res);
    oai_response_free(res);
    oai_request_free(req);
    return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : SAMPLE_FILE;
    const char *model = argc > 2 ? argv[2] : DEFAULT_MODEL;
    long poll_ms = argc > 3 ? atol(argv[3]) : 10000; /* jobs take minutes */
    oai_client *client = NULL;
    oai_response *file = NULL, *job = NULL, *done = NULL;
    int failed = 1;

    if (!exists(path) && write_sample_data(path) != 0) {
        fprintf(stderr, "error: cannot write %s\n", path);
        return 1;
    }
    if (validate(path) != 0)
        return 1;

    /* The client reads OPENAI_API_KEY and OPENAI_BASE_URL. */
    client = oai_client_new();
    if (!client) {
        fprintf(stderr, "error: cannot create the client\n");
        return 1;
    }
    /* Each step needs what the one before returned; a step that fails has
     * said why, and the ones after it are skipped. */
    file = upload(client, path);
    if (file)
        job = create_job(client, model, oai_response_get_string(file, "/id"));
    if (job)
        done = follow(client, oai_response_get_string(job, "/id"), poll_ms);
    if (done)
        failed = ask(client, oai_response_get_string(done, "/fine_tuned_model")) != 0;

    oai_response_free(done);
    oai_response_free(job);
    oai_response_free(file);
    oai_client_free(client);
    return failed;
}
