/* A lane's variables: a token captured at log-in, a list of file ids. One fixed block per lane, laid
 * out by the plan (internal.h), so that setting and reading a variable allocates nothing.
 *
 * Values are appended at the end of the arena. Replacing a value leaves the old bytes dead; when the
 * arena is full the live values are moved down over the dead ones (rare: a store of 4 KiB holding a
 * 300-byte token that is replaced at each log-in compacts once every dozen log-ins). */
#include "internal.h"

#include <string.h>

static size_t cc__align(size_t n) { return (n + 7u) & ~(size_t)7u; }

size_t cc__store_size(const cc_plan_t *plan) {
    if (plan->variable_count == 0) return 0;
    return cc__align(plan->variable_slots * sizeof(cc__value_slot_t)) +
           cc__align(plan->variable_count * sizeof(cc__list_state_t)) + cc__align(plan->variable_bytes);
}

void cc__store_init(cc__store_t *store, const cc_plan_t *plan, void *memory) {
    uint8_t *p = memory;
    store->slots = (cc__value_slot_t *)p;
    p += cc__align(plan->variable_slots * sizeof(cc__value_slot_t));
    store->lists = (cc__list_state_t *)p;
    p += cc__align(plan->variable_count * sizeof(cc__list_state_t));
    store->bytes = p;
    cc__store_clear(store, plan);
}

void cc__store_clear(cc__store_t *store, const cc_plan_t *plan) {
    store->used = 0;
    store->live = 0;
    for (uint32_t i = 0; i < plan->variable_slots; i++) store->slots[i].length = CC__UNSET;
    memset(store->lists, 0, plan->variable_count * sizeof(cc__list_state_t));
}

/* Moves the live values to the start of the arena, in the order they sit, so each move goes down. */
static void cc__store_compact(cc__store_t *store, const cc_plan_t *plan) {
    uint32_t write = 0, floor = 0;
    for (;;) {
        /* The live value with the lowest offset at or above `floor` (empty values take no bytes): slots
         * are few (tens), and this runs once in many sets. */
        uint32_t best = UINT32_MAX, best_offset = UINT32_MAX;
        for (uint32_t i = 0; i < plan->variable_slots; i++) {
            const cc__value_slot_t *slot = &store->slots[i];
            if (slot->length == CC__UNSET || slot->length == 0 || slot->offset < floor) continue;
            if (slot->offset < best_offset) {
                best_offset = slot->offset;
                best = i;
            }
        }
        if (best == UINT32_MAX) break;
        cc__value_slot_t *slot = &store->slots[best];
        floor = slot->offset + 1;
        if (slot->offset != write) memmove(store->bytes + write, store->bytes + slot->offset, slot->length);
        slot->offset = write;
        write += slot->length;
    }
    store->used = write;
    store->live = write;
}

int cc__store_set(cc__store_t *store, const cc_plan_t *plan, uint32_t variable, const uint8_t *value,
                  size_t length, int literal) {
    const cc__variable_t *v = &plan->variables[variable];
    cc__list_state_t *list = &store->lists[variable];
    /* The slot the value goes to: a scalar's only one, or the list's next (the oldest when full). */
    uint32_t target = v->slot_count == 1 ? 0 : (list->count == 0 ? 0 : (list->newest + 1) % v->slot_count);
    cc__value_slot_t *slot = &store->slots[v->first_slot + target];
    uint32_t freed = slot->length == CC__UNSET ? 0 : slot->length;
    if (length > plan->variable_bytes - (store->live - freed)) return -1;
    if (slot->length != CC__UNSET) {
        store->live -= slot->length;
        slot->length = CC__UNSET; /* dead from now on: compaction may reclaim it */
    }
    if (length > plan->variable_bytes - store->used) cc__store_compact(store, plan);
    memcpy(store->bytes + store->used, value, length);
    slot->offset = store->used;
    slot->length = (uint32_t)length;
    slot->literal = (uint8_t)(literal != 0);
    store->used += (uint32_t)length;
    store->live += (uint32_t)length;
    if (v->slot_count == 1) {
        list->count = 1;
    } else {
        list->newest = target;
        if (list->count < v->slot_count) list->count++;
    }
    return 0;
}

int cc__store_is_set(const cc__store_t *store, const cc_plan_t *plan, uint32_t variable) {
    (void)plan;
    return store->lists[variable].count > 0;
}

uint32_t cc__store_count(const cc__store_t *store, const cc_plan_t *plan, uint32_t variable) {
    (void)plan;
    return store->lists[variable].count;
}

int cc__store_get(const cc__store_t *store, const cc_plan_t *plan, uint32_t variable, uint32_t back,
                  const uint8_t **value, size_t *length, int *literal) {
    const cc__variable_t *v = &plan->variables[variable];
    const cc__list_state_t *list = &store->lists[variable];
    if (back >= list->count) return -1;
    uint32_t index = v->slot_count == 1 ? 0 : (list->newest + v->slot_count - back) % v->slot_count;
    const cc__value_slot_t *slot = &store->slots[v->first_slot + index];
    if (slot->length == CC__UNSET) return -1;
    *value = store->bytes + slot->offset;
    *length = slot->length;
    if (literal != NULL) *literal = slot->literal;
    return 0;
}
