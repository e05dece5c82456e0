/*
 * `oai models [ID]`: list the models, or show one.
 *
 * SPDX-License-Identifier: MIT
 */
#include "cli.h"

static void models_usage(FILE *out)
{
    fputs("Usage: oai models [ID]\n"
          "\n"
          "Without ID, lists the models the server offers, one id per line.\n"
          "With ID, prints that model's JSON object.\n"
          "\n"
          "Options:\n"
          "  -h, --help   Show this help\n",
          out);
}

static const cli_option models_options[] = {
    { 'h', 'h', "help", 0 },
};

/* Prints the `id` of each item of the list's `data` array. */
static int print_model_ids(const oai_response *res, void *userdata)
{
    const oai_value *data = oai_response_get(res, "/data");
    size_t i, count = oai_value_count(data);

    (void)userdata;
    if (oai_value_type_of(data) != OAI_VALUE_ARRAY)
        return cli_report_status(OAI_ERR_PROTOCOL, "the response holds no \"data\" list");
    for (i = 0; i < count; i++) {
        const char *id = oai_value_get_string(oai_value_item(data, i), "/id");
        if (id)
            printf("%s\n", id);
    }
    return CLI_EXIT_OK;
}

static int print_model(const oai_response *res, void *userdata)
{
    (void)userdata;
    return cli_print_body(res);
}

/* Sends the request a helper made (NULL when it refused the argument). */
static int send_models_request(const cli_globals *globals, oai_request *req, cli_print_fn print)
{
    int status;

    if ((status = cli_check_request(req)) != CLI_EXIT_OK)
        return status;
    status = cli_run_request(globals, req, print, NULL);
    oai_request_free(req);
    return status;
}

static int run_models(const cli_globals *globals, int argc, char **argv)
{
    cli_parser p;
    int opt;

    cli_parser_init(&p, argc, argv, "oai models", models_options,
                    sizeof models_options / sizeof models_options[0]);
    while ((opt = cli_next_option(&p)) != CLI_OPT_END) {
        if (opt != 'h')
            return cli_usage_error(&cli_cmd_models, NULL, NULL);
        models_usage(stdout);
        return cli_finish_output();
    }
    if (p.operand_count > 1)
        return cli_usage_error(&cli_cmd_models, "too many arguments", NULL);
    if (p.operand_count == 1)
        return send_models_request(globals, oai_model_retrieve_request_new(cli_operands(&p)[0]),
                                   print_model);
    return send_models_request(globals, oai_model_list_request_new(), print_model_ids);
}

/** `oai models`. */
const cli_command cli_cmd_models = {
    "models", "List the available models, or show one", run_models, models_usage
};
