/* Compiles include/oai/transport.h on its own, twice (the include guard),
 * with nothing before it: it must bring what it needs (oai.h) and be C99
 * and warning-free under -Wall -Wextra -pedantic -Werror. */
#include "oai/transport.h"
#include "oai/transport.h"

static int start(void *userdata, oai_exchange *ex)
{
    (void)userdata;
    return oai_exchange_receive_status(ex, 200) == OAI_OK ? 0 : (int)OAI_ERR_CONNECTION;
}

static void cancel(void *userdata, oai_exchange *ex)
{
    (void)userdata;
    (void)ex;
}

int oai_transport_header_test_uses(void);
int oai_transport_header_test_uses(void)
{
    oai_transport_start_fn s = start;
    oai_transport_cancel_fn c = cancel;
    oai_clock_fn clock = 0;
    oai_transport *(*make)(oai_transport_start_fn, oai_transport_cancel_fn, void *) = oai_transport_new;
    return (s != 0) + (c != 0) + (clock == 0) + (make != 0);
}
