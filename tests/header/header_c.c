/* Compiles include/oai.h on its own, twice (the include guard), with no
 * other header before it: the header must be self-contained, C99 and
 * warning-free under -Wall -Wextra -pedantic -Werror. */
#include "oai.h"
#include "oai.h"

/* Use a few declarations so that a broken prototype is noticed. */
int oai_header_test_uses(void);
int oai_header_test_uses(void)
{
    oai_status st = OAI_ERR_RATE_LIMIT;
    oai_event_fn on_event = 0;
    oai_done_fn on_done = 0;
    const char *(*name_of)(oai_status) = oai_status_name;
    (void)on_event;
    (void)on_done;
    return (int)st + (name_of != 0) + (OAI_VERSION_NUM > 0);
}
