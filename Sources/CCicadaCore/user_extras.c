/* The memory a lane or a user needs only for what a plan uses: variables and a render buffer per lane,
 * response inspection and the cookie jar per user. A plan of static requests needs none, and its users
 * cost what they did before templates existed. The blocks live in two arrays per worker, allocated
 * with calloc at create time: pages nobody touches (a render buffer's tail, an empty jar) cost no
 * memory. Worker thread only. */
#include "worker.h"

#include <string.h>

static size_t cc__align(size_t n) { return (n + 63u) & ~(size_t)63u; }

size_t cc__lane_extra_size(const cc_plan_t *plan) {
    if (plan->variable_count == 0 && plan->render_bytes == 0) return 0;
    return cc__align(sizeof(cc__lane_extra_t)) + cc__align(cc__store_size(plan)) + cc__align(plan->render_bytes);
}

size_t cc__user_extra_size(const cc_plan_t *plan) {
    size_t inspection = cc__inspection_size(plan);
    if (inspection == 0 && cc__lane_extra_size(plan) == 0 && plan->data_table_count == 0) return 0;
    return cc__align(sizeof(cc__user_extra_t)) + cc__align(inspection);
}

void cc__lane_extra_init(cc__lane_extra_t *extra, const cc_plan_t *plan) {
    uint8_t *p = (uint8_t *)extra + cc__align(sizeof(cc__lane_extra_t));
    memset(extra, 0, sizeof *extra);
    if (plan->variable_count > 0) cc__store_init(&extra->store, plan, p);
    p += cc__align(cc__store_size(plan));
    extra->render = p;
    extra->render_capacity = plan->render_bytes;
}

void cc__user_extra_init(cc__user_extra_t *extra, const cc_plan_t *plan) {
    memset(extra, 0, sizeof *extra);
    if (cc__inspection_size(plan) == 0) return;
    extra->inspection = (cc__inspection_t *)((uint8_t *)extra + cc__align(sizeof(cc__user_extra_t)));
    cc__inspection_init(extra->inspection, plan, extra->inspection);
}
