// Compiles include/oai/transport.h on its own as C++: extern "C" linkage,
// no C-only constructs, warning-free under -Wall -Wextra -pedantic -Werror.
#include "oai/transport.h"
#include "oai/transport.h"

extern "C" {
static int start(void *userdata, oai_exchange *ex)
{
    (void)userdata;
    return oai_exchange_receive_status(ex, 200) == OAI_OK ? 0 : static_cast<int>(OAI_ERR_CONNECTION);
}

static void cancel(void *userdata, oai_exchange *ex)
{
    (void)userdata;
    (void)ex;
}
}

int oai_transport_header_test_uses();
int oai_transport_header_test_uses()
{
    oai_transport_start_fn s = start;
    oai_transport_cancel_fn c = cancel;
    oai_transport *(*make)(oai_transport_start_fn, oai_transport_cancel_fn, void *) = oai_transport_new;
    return (s != nullptr) + (c != nullptr) + (make != nullptr);
}
