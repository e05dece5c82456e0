/* A build without libcurl has no built-in transport: a host gives the
 * client its own (include/oai/transport.h). */
#include "transport/transport.h"

oai_status oai__transport_global_init(void)
{
    return OAI_OK;
}

oai_transport *oai__transport_default(oai_status *status)
{
    *status = OAI_ERR_INVALID_ARGUMENT;
    return NULL;
}
