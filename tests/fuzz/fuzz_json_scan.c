/* The scan without a tree (oai__json_scan(), what a response's body gets
 * when it arrives) against the parser (oai__json_parse(), what builds the
 * tree later): for any bytes, the same status; for a document both accept,
 * the same top-level type, and every watched value found where the tree
 * has it, a string with the same bytes. The first input byte picks the
 * watched paths from a small set (the generated text's two paths among
 * them); the rest is the document. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "util/util.h"

static const char *const path_a[] = {"choices", "0", "message", "content"};
static const char *const path_b[] = {"choices", "0", "text"};
static const char *const path_c[] = {"a"};
static const char *const path_d[] = {"0", "a"};
static const char *const path_e[] = {"a", "0", "b", "1"};
static const char *const path_f[] = {"", "~1", "a/b"};

static const struct {
    const char *const *tokens;
    size_t count;
    const char *pointer;
} paths[] = {
    {path_a, 4, "/choices/0/message/content"},
    {path_b, 3, "/choices/0/text"},
    {path_c, 1, "/a"},
    {path_d, 2, "/0/a"},
    {path_e, 4, "/a/0/b/1"},
    {path_f, 3, "//~01/a~1b"},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    oai__json_watch watches[6];
    size_t n = 0, i;
    oai_status parsed_status = OAI_OK, scanned_status;
    int type = -1;
    if (size == 0)
        return 0;
    memset(watches, 0, sizeof watches);
    for (i = 0; i < 6; i++) {
        if (!(data[0] & (1u << i)))
            continue;
        watches[n].tokens = paths[i].tokens;
        watches[n].count = paths[i].count;
        n++;
    }
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    oai_value *doc = oai__json_parse(text, len, &parsed_status);
    scanned_status = oai__json_scan(text, len, &type, watches, n);
    if (scanned_status != parsed_status)
        abort();
    if (doc) {
        if (type != oai_value_type_of(doc))
            abort();
        for (i = 0, n = 0; i < 6; i++) {
            if (!(data[0] & (1u << i)))
                continue;
            const oai__json_watch *w = &watches[n++];
            const oai_value *want = oai__json_pointer_get(doc, paths[i].pointer);
            int want_found = !want ? OAI_JSON_WATCH_ABSENT
                                   : oai_value_type_of(want) == OAI_VALUE_STRING ? OAI_JSON_WATCH_STRING
                                                                                 : OAI_JSON_WATCH_OTHER;
            if (w->found != want_found)
                abort();
            if (want_found == OAI_JSON_WATCH_STRING) {
                size_t got_len = 0;
                char *got = oai__json_string_decode(text, w->at, w->len, &got_len);
                if (!got || got_len != oai_value_string_len(want) || memcmp(got, oai_value_string(want), got_len) != 0)
                    abort();
                oai__free(got);
            }
        }
    }
    oai__json_decref(doc);
    return 0;
}
