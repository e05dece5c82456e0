/* A set of strings: open addressing with linear probing, grown at half
 * full. Used to report fine-tuning events once and to refuse repeated batch
 * custom ids. */
#include "util/util.h"

#include <stdlib.h>
#include <string.h>

static size_t hash_str(const char *s)
{
    size_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static char **slot_of(char **slots, size_t cap, const char *s)
{
    size_t i = hash_str(s) & (cap - 1);
    while (slots[i] && strcmp(slots[i], s) != 0)
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

int oai__strset_has(const oai__strset *set, const char *s)
{
    return set->cap && *slot_of(set->slots, set->cap, s) != NULL;
}

static oai_status grow(oai__strset *set)
{
    size_t cap = set->cap ? set->cap * 2 : 64;
    char **slots = oai__calloc(cap, sizeof *slots);
    if (!slots)
        return OAI_ERR_OUT_OF_MEMORY;
    for (size_t i = 0; i < set->cap; i++)
        if (set->slots[i])
            *slot_of(slots, cap, set->slots[i]) = set->slots[i];
    oai__free(set->slots);
    set->slots = slots;
    set->cap = cap;
    return OAI_OK;
}

oai_status oai__strset_add(oai__strset *set, const char *s)
{
    if (2 * (set->count + 1) > set->cap && grow(set) != OAI_OK)
        return OAI_ERR_OUT_OF_MEMORY;
    char **slot = slot_of(set->slots, set->cap, s);
    if (*slot)
        return OAI_OK;
    if (!(*slot = oai__strdup(s)))
        return OAI_ERR_OUT_OF_MEMORY;
    set->count++;
    return OAI_OK;
}

void oai__strset_free(oai__strset *set)
{
    for (size_t i = 0; i < set->cap; i++)
        oai__free(set->slots[i]);
    oai__free(set->slots);
    set->slots = NULL;
    set->cap = set->count = 0;
}
