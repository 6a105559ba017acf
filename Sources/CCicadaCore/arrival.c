/* The open model's schedules (k6's constant- and ramping-arrival-rate executors, wrk2's fixed rate):
 * per class, a worker hands an iteration to an idle user at each due time, on one timer of its loop.
 * Worker thread only, except where a function says otherwise.
 *
 * The iterations of a class are spread over the workers: with N workers and a rate R, each worker runs
 * R/N iterations per second, worker w's shifted by w/R seconds, so that together they are evenly spaced.
 * Idle lanes wait in a list per class threaded through the lanes themselves (idle_next), so a schedule
 * costs no memory per user and handing over an iteration is O(1). Nothing here allocates after init. */
#include "transport.h"

#include <math.h>
#include <stdlib.h>

static void cc__on_arrival_timer(uv_timer_t *timer);

int cc__arrival_init(cc__worker_t *w, const cc_engine_options_t *options) {
    uv_timer_init(&w->loop, &w->arrival_timer);
    w->arrival_timer.data = w;
    if (!options->open_model) return 0;
    const uint32_t classes = w->plan->class_count;
    w->arrivals = calloc(classes, sizeof *w->arrivals);
    if (w->arrivals == NULL) return CC_ENOMEM;
    uint32_t capacity = 0;
    if (options->saturation == CC_SATURATION_QUEUE) {
        uint32_t limit = options->queue_limit ? options->queue_limit : CC_ENGINE_DEFAULT_QUEUE;
        uint32_t workers = w->engine->worker_count;
        /* Each worker holds its share of the limit, the first ones one more, so that they add up to it. */
        capacity = limit / workers + (w->index < limit % workers ? 1u : 0u);
    }
    for (uint32_t c = 0; c < classes; c++) {
        cc__arrival_t *a = &w->arrivals[c];
        a->idle = CC__NO_USER;
        a->queue_capacity = capacity;
        if (capacity > 0) {
            a->queue = malloc((size_t)capacity * sizeof *a->queue);
            if (a->queue == NULL) return CC_ENOMEM;
        }
    }
    return 0;
}

/* Any thread, once the worker's loop is done. */
void cc__arrival_free(cc__worker_t *w) {
    for (uint32_t c = 0; w->arrivals != NULL && c < w->plan->class_count; c++) free(w->arrivals[c].queue);
    free(w->arrivals);
    w->arrivals = NULL;
}

static cc__lane_t *cc__lane_by_id(cc__worker_t *w, uint32_t id) {
    return &cc__user_at(w, id / w->lane_count)->lanes[id % w->lane_count];
}

static uint32_t cc__lane_id(const cc__lane_t *l) { return l->user->index * l->user->worker->lane_count + l->index; }

/* Hands the iteration due at `due_ns` to a user of class `c`: an idle one, one added for it, or the
 * queue. Returns 0 when it found none of them (the iteration is dropped), 1 otherwise. */
static int cc__arrival_dispatch(cc__worker_t *w, uint32_t c, uint64_t due_ns) {
    cc__arrival_t *a = &w->arrivals[c];
    cc__counter_add(&a->scheduled, 1);
    if (a->idle != CC__NO_USER) {
        cc__lane_t *l = cc__lane_by_id(w, a->idle);
        a->idle = l->idle_next;
        cc__counter_add(&a->started, 1);
        cc__lane_iteration(l, due_ns);
        return 1;
    }
    if (a->alive + w->spawn_pending[c] < a->max_users && cc__worker_start_user(w, c, due_ns) == 0) {
        cc__counter_add(&a->added, 1);
        cc__counter_add(&a->started, 1);
        return 1;
    }
    if (a->queue_count < a->queue_capacity) {
        a->queue[(a->queue_head + a->queue_count++) % a->queue_capacity] = due_ns;
        cc__counter_add(&a->queued, 1);
        return 1;
    }
    cc__counter_add(&a->dropped, 1);
    return 0;
}

/* How early an iteration may start. libuv's timers count milliseconds: a timer armed for the
 * millisecond after the due time would start iterations about a millisecond late on average, and that
 * lateness would show in every latency from the intended start. Armed for the millisecond before, and
 * taking what is due within the next one, an iteration starts at most this much early instead; its
 * latency from the intended start then counts from its actual start (a sample's intended start is never
 * after its start), so starting early flatters no figure. */
#define CC__ARRIVAL_EARLY_NS 1000000.0

/* Dispatches every iteration due by now (and within CC__ARRIVAL_EARLY_NS) and arms the timer for the
 * next one. */
static void cc__arrival_run(cc__worker_t *w) {
    const double horizon = (double)cc_clock_now_ns() + CC__ARRIVAL_EARLY_NS;
    double next = INFINITY;
    for (uint32_t c = 0; c < w->plan->class_count; c++) {
        cc__arrival_t *a = &w->arrivals[c];
        if (a->interval_ns <= 0) continue;
        while (a->next_due_ns <= horizon) {
            uint64_t due = (uint64_t)a->next_due_ns;
            a->next_due_ns += a->interval_ns;
            if (cc__arrival_dispatch(w, c, due)) continue;
            /* No user for this one means none for the rest due by now either (nothing frees a user
             * before this callback returns): drop them in one step, so that a loop that stalled for a
             * second does not walk a second's worth of iterations one by one. */
            if (a->next_due_ns <= horizon) {
                double behind = floor((horizon - a->next_due_ns) / a->interval_ns) + 1;
                cc__counter_add(&a->scheduled, (int64_t)behind);
                cc__counter_add(&a->dropped, (int64_t)behind);
                a->next_due_ns += behind * a->interval_ns;
            }
        }
        if (a->next_due_ns < next) next = a->next_due_ns;
    }
    if (isinf(next)) {
        uv_timer_stop(&w->arrival_timer);
        return;
    }
    uint64_t due_ms = (uint64_t)next / 1000000u, loop_ms = uv_now(&w->loop);
    uv_timer_start(&w->arrival_timer, cc__on_arrival_timer, due_ms > loop_ms ? due_ms - loop_ms : 0, 0);
}

static void cc__on_arrival_timer(uv_timer_t *timer) {
    cc__worker_t *w = timer->data;
    if (!w->stopping) cc__arrival_run(w);
}

void cc__arrival_set(cc__worker_t *w, uint32_t c, double per_second, uint32_t max_users) {
    if (w->arrivals == NULL || w->stopping) return;
    cc__arrival_t *a = &w->arrivals[c];
    a->max_users = max_users;
    const double workers = (double)w->engine->worker_count;
    const double interval = per_second > 0 ? 1e9 * workers / per_second : 0;
    const double now = (double)cc_clock_now_ns();
    if (interval <= 0) {
        a->interval_ns = 0;
    } else if (a->interval_ns <= 0) {
        /* A new schedule starts now, worker w a w-th of the class's interval after worker 0. */
        a->next_due_ns = now + interval * (double)w->index / workers;
        a->interval_ns = interval;
    } else {
        /* A new rate keeps the phase: the next iteration comes one new interval after the last one due,
         * and not before now, where the new rate begins. */
        double next = a->next_due_ns - a->interval_ns + interval;
        a->next_due_ns = next > now ? next : now;
        a->interval_ns = interval;
    }
    cc__arrival_run(w);
}

void cc__arrival_lane_idle(cc__lane_t *l) {
    cc__worker_t *w = l->user->worker;
    if (w->arrivals == NULL) return;
    cc__arrival_t *a = &w->arrivals[l->machine.user_class];
    if (l->handed_due_ns != 0) {
        /* The user was added for this iteration, and its on_start is done. */
        uint64_t due = l->handed_due_ns;
        l->handed_due_ns = 0;
        cc__lane_iteration(l, due);
        return;
    }
    if (a->queue_count > 0 && !w->stopping) {
        uint64_t due = a->queue[a->queue_head];
        a->queue_head = (a->queue_head + 1) % a->queue_capacity;
        a->queue_count--;
        cc__counter_add(&a->queued, -1);
        cc__counter_add(&a->started, 1);
        cc__lane_iteration(l, due);
        return;
    }
    l->idle_next = a->idle;
    a->idle = cc__lane_id(l);
}

void cc__arrival_stop(cc__worker_t *w) {
    uv_timer_stop(&w->arrival_timer);
    for (uint32_t c = 0; c < w->plan->class_count; c++) {
        cc__arrival_t *a = &w->arrivals[c];
        a->interval_ns = 0;
        /* The idle users are about to be retired with every other; none takes an iteration again. */
        a->idle = CC__NO_USER;
        cc__counter_add(&a->dropped, (int64_t)a->queue_count);
        cc__counter_add(&a->queued, -(int64_t)a->queue_count);
        a->queue_count = 0;
    }
}
