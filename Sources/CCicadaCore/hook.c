/* Request hooks: the caller's code, run on the worker thread before a templated request is rendered,
 * reading and setting the lane's variables. The only call out of the core per request, made only for
 * the requests that ask for it. Worker thread only. */
#include "worker.h"

#include <string.h>

struct cc_hook_s {
    cc__lane_t *lane;
};

int cc__lane_run_hook(cc__lane_t *l, const cc__request_t *r) {
    cc_hook_t hook = {.lane = l};
    l->extra->reason_length = 0;
    return r->hook(r->hook_context, &hook) != 0 ? -1 : 0;
}

int cc_hook_get(const cc_hook_t *hook, uint32_t variable, const uint8_t **value, size_t *length) {
    const cc_plan_t *plan = hook->lane->user->worker->plan;
    if (variable >= plan->variable_count) return -1;
    return cc__store_get(&hook->lane->extra->store, plan, variable, 0, value, length, NULL);
}

int cc_hook_set(cc_hook_t *hook, uint32_t variable, const uint8_t *value, size_t length) {
    const cc_plan_t *plan = hook->lane->user->worker->plan;
    if (variable >= plan->variable_count) return -1;
    return cc__store_set(&hook->lane->extra->store, plan, variable, value, length, 0);
}

uint64_t cc_hook_user_id(const cc_hook_t *hook) {
    const cc__user_t *u = hook->lane->user;
    return u->extra != NULL ? u->extra->user_id : u->index;
}

uint64_t cc_hook_iteration(const cc_hook_t *hook) { return hook->lane->machine.iteration; }

void cc_hook_fail(cc_hook_t *hook, const char *reason) {
    cc__lane_extra_t *x = hook->lane->extra;
    size_t n = reason != NULL ? strlen(reason) : 0;
    if (n > sizeof x->reason) n = sizeof x->reason;
    if (n > 0) memcpy(x->reason, reason, n);
    x->reason_length = (uint8_t)n;
}
