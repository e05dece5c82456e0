/* Ordered name/value lists: headers and query parameters (util.h). */
#include "util/util.h"

#include <stdlib.h>
#include <string.h>

static int kv_name_eq(const oai__kvlist *l, const char *a, const char *b)
{
    return l->ignore_case ? oai__strcasecmp_ascii(a, b) == 0 : strcmp(a, b) == 0;
}

static oai_status kvlist_grow(oai__kvlist *l)
{
    if (l->count < l->cap)
        return OAI_OK;
    size_t cap = l->cap ? l->cap * 2 : 8;
    oai__kv *p = oai__realloc(l->items, cap * sizeof *p);
    if (!p)
        return OAI_ERR_OUT_OF_MEMORY;
    l->items = p;
    l->cap = cap;
    return OAI_OK;
}

oai_status oai__kvlist_add(oai__kvlist *l, const char *name, size_t name_len,
                          const char *value, size_t value_len)
{
    if (kvlist_grow(l) != OAI_OK)
        return OAI_ERR_OUT_OF_MEMORY;
    char *n = oai__strndup(name, name_len);
    char *v = value ? oai__strndup(value, value_len) : NULL;
    if (!n || (value && !v)) {
        oai__free(n);
        oai__free(v);
        return OAI_ERR_OUT_OF_MEMORY;
    }
    l->items[l->count].name = n;
    l->items[l->count].value = v;
    l->count++;
    return OAI_OK;
}

oai_status oai__kvlist_set(oai__kvlist *l, const char *name, const char *value)
{
    for (size_t i = 0; i < l->count; i++) {
        if (kv_name_eq(l, l->items[i].name, name)) {
            char *v = NULL;
            if (value && !(v = oai__strdup(value)))
                return OAI_ERR_OUT_OF_MEMORY;
            oai__free(l->items[i].value);
            l->items[i].value = v;
            return OAI_OK;
        }
    }
    return oai__kvlist_add(l, name, strlen(name), value, value ? strlen(value) : 0);
}

void oai__kvlist_remove(oai__kvlist *l, const char *name)
{
    size_t out = 0;
    for (size_t i = 0; i < l->count; i++) {
        if (kv_name_eq(l, l->items[i].name, name)) {
            oai__free(l->items[i].name);
            oai__free(l->items[i].value);
        } else {
            l->items[out++] = l->items[i];
        }
    }
    l->count = out;
}

const oai__kv *oai__kvlist_find(const oai__kvlist *l, const char *name)
{
    for (size_t i = 0; l && i < l->count; i++)
        if (kv_name_eq(l, l->items[i].name, name))
            return &l->items[i];
    return NULL;
}

oai_status oai__kvlist_copy(oai__kvlist *dst, const oai__kvlist *src)
{
    dst->ignore_case = src->ignore_case;
    for (size_t i = 0; i < src->count; i++) {
        const oai__kv *kv = &src->items[i];
        if (oai__kvlist_add(dst, kv->name, strlen(kv->name), kv->value,
                           kv->value ? strlen(kv->value) : 0) != OAI_OK)
            return OAI_ERR_OUT_OF_MEMORY;
    }
    return OAI_OK;
}

void oai__kvlist_free(oai__kvlist *l)
{
    for (size_t i = 0; i < l->count; i++) {
        oai__free(l->items[i].name);
        oai__free(l->items[i].value);
    }
    oai__free(l->items);
    l->items = NULL;
    l->count = l->cap = 0;
}
