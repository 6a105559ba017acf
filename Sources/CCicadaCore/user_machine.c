/* The simulated user as a pure state machine: events in, one action out. No I/O, no clock, no
 * allocation, so tests drive it directly and the engine only performs what it decides. */
#include "internal.h"

#include <string.h>

/* SplitMix64 (Steele, Lea, Flood 2014) turns neighbouring seeds into unrelated states. */
static uint64_t cc__splitmix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* xorshift64* (Vigna 2016): fast, good enough for task choice and wait jitter. */
static uint64_t cc__next_random(cc_user_machine_t *m) {
    uint64_t x = m->random;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    m->random = x;
    return x * 0x2545F4914F6CDD1Dull;
}

/* Uniform in [0, bound) without modulo bias worth speaking of: Lemire's multiply-shift. */
static uint64_t cc__random_below(cc_user_machine_t *m, uint64_t bound) {
    return (uint64_t)(((__uint128_t)cc__next_random(m) * bound) >> 64);
}

void cc_user_machine_init(cc_user_machine_t *machine, uint32_t user_class, uint64_t seed) {
    memset(machine, 0, sizeof *machine);
    machine->state = CC_USER_NEW;
    machine->user_class = user_class;
    machine->random = cc__splitmix64(seed);
    if (machine->random == 0) machine->random = 0x9E3779B97F4A7C15ull; /* xorshift must not start at 0 */
}

/* Weighted choice like Locust's: a task of weight 3 is picked three times as often as one of weight 1.
 * Example: weights 3, 1, 2 give cumulative 3, 4, 6; a draw r in [0, 6) picks the first task whose
 * cumulative weight exceeds r: r in 0-2 gives task 0, 3 gives task 1, 4-5 gives task 2. */
static uint32_t cc__pick_task(cc_user_machine_t *m, const cc_plan_t *plan) {
    const cc__user_class_t *uc = &plan->classes[m->user_class];
    uint64_t r = cc__random_below(m, uc->total_weight);
    uint32_t low = 0, high = uc->task_count - 1;
    while (low < high) {
        uint32_t mid = low + (high - low) / 2;
        if (uc->cumulative[mid] > r)
            high = mid;
        else
            low = mid + 1;
    }
    return uc->first_task + low;
}

_Static_assert(sizeof(cc_user_machine_t) == 40, "cicada_core.h and docs/ARCHITECTURE.md say 40 bytes");

static void cc__ignored(cc_user_machine_t *m) {
    if (m->ignored_events < UINT16_MAX) m->ignored_events++;
}

static void cc__begin_request(cc_user_machine_t *m, const cc_plan_t *plan, uint64_t intended_ns,
                              cc_user_action_t *action) {
    m->intended_ns = intended_ns;
    m->state = CC_USER_IN_FLIGHT;
    action->kind = CC_ACTION_SEND;
    action->request = plan->tasks[m->task].first_request + m->step;
}

static void cc__begin_task(cc_user_machine_t *m, const cc_plan_t *plan, uint32_t task, uint64_t now_ns,
                           uint64_t intended_ns, cc_user_action_t *action) {
    m->task = task;
    m->step = 0;
    m->task_start_ns = intended_ns < now_ns ? intended_ns : now_ns;
    cc__begin_request(m, plan, intended_ns, action);
}

static void cc__stop(cc_user_machine_t *m, cc_user_action_t *action) {
    action->kind = CC_ACTION_STOP;
    m->state = CC_USER_STOPPED;
}

static uint64_t cc__wait_after_task(cc_user_machine_t *m, const cc_plan_t *plan, uint64_t now_ns) {
    const cc_wait_spec_t *wait = &plan->classes[m->user_class].wait;
    switch (wait->kind) {
    case CC_WAIT_BETWEEN:
        return wait->min_ns + cc__random_below(m, wait->max_ns - wait->min_ns + 1);
    case CC_WAIT_PACING: {
        /* Locust's constant_pacing: the task's own duration counts against the interval. A task that
         * ran late starts the next one at once, and the schedule restarts from then (as Locust's). */
        uint64_t spent = now_ns - m->task_start_ns;
        return spent >= wait->min_ns ? 0 : wait->min_ns - spent;
    }
    case CC_WAIT_CONSTANT:
    default:
        return wait->min_ns;
    }
}

/* The task is over (done or failed): wait, or start the next one at once when the wait is zero. */
static void cc__after_task(cc_user_machine_t *m, const cc_plan_t *plan, uint64_t now_ns,
                           cc_user_action_t *action) {
    if (m->retiring) {
        cc__stop(m, action);
        return;
    }
    uint64_t wait_ns = cc__wait_after_task(m, plan, now_ns);
    if (wait_ns == 0) {
        cc__begin_task(m, plan, cc__pick_task(m, plan), now_ns, now_ns, action);
        return;
    }
    m->state = CC_USER_WAITING;
    m->intended_ns = now_ns + wait_ns; /* the next request's intended start */
    action->kind = CC_ACTION_WAIT;
    action->wait_ns = wait_ns;
}

void cc_user_machine_handle(cc_user_machine_t *m, const cc_plan_t *plan, const cc_user_event_t *event,
                            cc_user_action_t *action) {
    memset(action, 0, sizeof *action);
    action->kind = CC_ACTION_NONE;
    uint64_t now = event->now_ns;

    switch (event->kind) {
    case CC_EVENT_START:
        if (m->state != CC_USER_NEW) break;
        if (m->retiring) {
            cc__stop(m, action);
        } else {
            int32_t on_start = plan->classes[m->user_class].on_start_task;
            uint32_t task = on_start >= 0 ? (uint32_t)on_start : cc__pick_task(m, plan);
            cc__begin_task(m, plan, task, now, now, action);
        }
        return;

    case CC_EVENT_REQUEST_DONE:
        if (m->state != CC_USER_IN_FLIGHT) break;
        if (m->retiring) {
            cc__stop(m, action);
        } else if (!event->failed && m->step + 1 < plan->tasks[m->task].request_count) {
            /* The next step starts when the previous one ends: that is its intended start. */
            m->step++;
            cc__begin_request(m, plan, now, action);
        } else {
            /* A failed step ends the task: the rest of a log-in flow makes no sense after it. */
            cc__after_task(m, plan, now, action);
        }
        return;

    case CC_EVENT_TIMER:
        if (m->state != CC_USER_WAITING) break;
        if (m->retiring)
            cc__stop(m, action);
        else
            cc__begin_task(m, plan, cc__pick_task(m, plan), now, m->intended_ns, action);
        return;

    case CC_EVENT_RETIRE:
        if (m->state == CC_USER_STOPPED || m->retiring) break;
        m->retiring = 1;
        if (m->state == CC_USER_WAITING || m->state == CC_USER_NEW) cc__stop(m, action);
        return;
    }
    cc__ignored(m);
}
