// Compiles include/oai.h on its own as C++: extern "C" linkage, no C-only
// constructs, warning-free under -Wall -Wextra -pedantic -Werror.
#include "oai.h"
#include "oai.h"

extern "C" {
static int on_event(void *userdata, const oai_event *ev)
{
    (void)userdata;
    return oai_event_type_of(ev) == OAI_EVENT_DONE ? 1 : 0;
}
}

int oai_header_test_uses();
int oai_header_test_uses()
{
    oai_status st = OAI_ERR_RATE_LIMIT;
    oai_event_fn fn = on_event;
    const char *(*name_of)(oai_status) = oai_status_name;
    return static_cast<int>(st) + (fn != nullptr) + (name_of != nullptr)
           + (OAI_VERSION_NUM > 0 ? 1 : 0);
}
