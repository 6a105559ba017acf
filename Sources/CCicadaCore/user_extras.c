/* The memory a lane or a user needs only for what a plan uses: variables and a render buffer per lane,
 * response inspection and the cookie jar per user. A plan of static requests needs none, and its users
 * cost what they did before templates existed. Each has a small state in a dense array (calloc) and
 * its buffers in a sparse one (cc__sparse_alloc): a page of buffers costs memory only once a user
 * writes to it (a render buffer's tail, an empty jar, the line buffer of a user whose server sets no
 * cookie never do). Worker thread only. */
#include "worker.h"

#include <string.h>
#include <sys/mman.h>

void *cc__sparse_alloc(size_t size) {
    if (size == 0) return NULL;
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void cc__sparse_free(void *memory, size_t size) {
    if (memory != NULL) munmap(memory, size);
}

static size_t cc__align(size_t n) { return (n + 63u) & ~(size_t)63u; }

size_t cc__lane_extra_size(const cc_plan_t *plan) {
    if (plan->variable_count == 0 && plan->render_bytes == 0) return 0;
    return sizeof(cc__lane_extra_t);
}

size_t cc__lane_buffer_size(const cc_plan_t *plan) {
    if (cc__lane_extra_size(plan) == 0) return 0;
    return cc__align(cc__store_size(plan)) + cc__align(plan->render_bytes);
}

size_t cc__user_extra_size(const cc_plan_t *plan) {
    if (!cc__inspection_needed(plan) && cc__lane_extra_size(plan) == 0 && plan->data_table_count == 0) return 0;
    return cc__align(sizeof(cc__user_extra_t));
}

size_t cc__user_buffer_size(const cc_plan_t *plan) { return cc__inspection_buffer_size(plan); }

void cc__lane_extra_init(cc__lane_extra_t *extra, const cc_plan_t *plan, uint8_t *buffer) {
    memset(extra, 0, sizeof *extra);
    if (plan->variable_count > 0) cc__store_init(&extra->store, plan, buffer);
    extra->render = buffer + cc__align(cc__store_size(plan));
    extra->render_capacity = plan->render_bytes;
}

void cc__user_extra_init(cc__user_extra_t *extra, const cc_plan_t *plan, uint8_t *buffer) {
    memset(extra, 0, sizeof *extra);
    if (!cc__inspection_needed(plan)) return;
    extra->inspection = &extra->inspection_state;
    cc__inspection_init(extra->inspection, plan, buffer);
}
