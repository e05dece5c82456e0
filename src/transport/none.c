/* A build without libcurl has no built-in transport: a host gives the
 * client its own (include/oai/transport.h). */
#include "transport/transport.h"

oai_status oai__transport_global_init(void)
{
    return OAI_OK;
}

oai_transport *oai__transport_default(oai__share_group *group, oai_status *status)
{
    (void)group;
    *status = OAI_ERR_INVALID_ARGUMENT;
    return NULL;
}

/* Nothing to share without libcurl: no group. */
oai_status oai__share_group_new(oai__share_group **out)
{
    *out = NULL;
    return OAI_OK;
}

oai__share_group *oai__share_group_ref(oai__share_group *g)
{
    return g;
}

void oai__share_group_release(oai__share_group *g)
{
    (void)g;
}
