/* Internal declarations shared by the core's C files. Not part of the public API: cc__ names. */
#ifndef CICADA_CORE_INTERNAL_H
#define CICADA_CORE_INTERNAL_H

#include "cicada_core.h"

/* One compiled request: where its rendered bytes sit in the plan's arena, and what the engine must
 * know about it without parsing those bytes again. */
typedef struct cc__request_s {
    uint32_t offset;
    uint32_t length;
    uint32_t endpoint;
    uint8_t head;             /* HEAD: the response has no body */
    uint8_t close_connection; /* the request says Connection: close */
} cc__request_t;

typedef struct cc__task_s {
    uint32_t first_request;
    uint32_t request_count;
    uint32_t weight;
} cc__task_t;

typedef struct cc__user_class_s {
    uint32_t first_task;
    uint32_t task_count;
    int32_t on_start_task;
    cc_wait_spec_t wait;
    uint64_t total_weight;      /* sum of the weights of the class's tasks */
    const uint64_t *cumulative; /* cumulative[i] = weight of tasks first_task..first_task+i, inclusive */
} cc__user_class_t;

struct cc_plan_s {
    uint8_t *arena; /* every request's bytes, back to back */
    size_t arena_length;
    cc__request_t *requests;
    uint32_t request_count;
    cc__task_t *tasks;
    uint32_t task_count;
    cc__user_class_t *classes;
    uint32_t class_count;
    uint64_t *cumulative; /* storage for the classes' cumulative weights */
};

#endif
