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

static uint64_t cc__below(cc_user_machine_t *m, uint64_t bound) { return cc__random_below(&m->random, bound); }

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
    uint64_t r = cc__below(m, uc->total_weight);
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

_Static_assert(sizeof(cc_user_machine_t) == 56, "cicada_core.h and docs/ARCHITECTURE.md say 56 bytes");

/* What a WAITING user's timer resumes. */
enum { CC__RESUME_TASK = 0, CC__RESUME_STEP = 1, CC__RESUME_REPEAT = 2 };

static void cc__ignored(cc_user_machine_t *m) {
    if (m->ignored_events < UINT16_MAX) m->ignored_events++;
}

static void cc__stop(cc_user_machine_t *m, cc_user_action_t *action) {
    action->kind = CC_ACTION_STOP;
    m->state = CC_USER_STOPPED;
}

static const cc__step_t *cc__current_step(const cc_user_machine_t *m, const cc_plan_t *plan) {
    return &plan->steps[plan->tasks[m->task].first_step + m->step];
}

static void cc__wait(cc_user_machine_t *m, uint64_t now_ns, uint64_t wait_ns, uint8_t resume, cc_user_action_t *action) {
    m->state = CC_USER_WAITING;
    m->wait_for_ = resume;
    m->intended_ns = now_ns + wait_ns; /* the next request's intended start */
    action->kind = CC_ACTION_WAIT;
    action->wait_ns = wait_ns;
}

static void cc__after_task(cc_user_machine_t *m, const cc_plan_t *plan, uint64_t now_ns, const cc_user_event_t *e,
                           cc_user_action_t *action);
static void cc__begin_on_stop(cc_user_machine_t *m, const cc_plan_t *plan, uint64_t now_ns, const cc_user_event_t *e,
                              cc_user_action_t *action);

/* Runs the task from step m->step on: skips the steps whose condition is false, waits at a wait step,
 * sends at a request step, and ends the task after its last step. */
static void cc__run_steps(cc_user_machine_t *m, const cc_plan_t *plan, uint64_t now_ns, uint64_t intended_ns,
                          const cc_user_event_t *e, cc_user_action_t *action) {
    const cc__task_t *task = &plan->tasks[m->task];
    for (; m->step < task->step_count; m->step++) {
        const cc__step_t *step = &plan->steps[task->first_step + m->step];
        if (step->when != CC_WHEN_ALWAYS) {
            int set = e->variable_is_set != NULL && e->variable_is_set(e->variables, step->when_variable);
            if (set != (step->when == CC_WHEN_SET)) continue;
        }
        m->attempt = 0;
        if (step->kind == CC_STEP_WAIT) {
            uint64_t wait_ns = step->wait.min_ns;
            if (step->wait.kind == CC_WAIT_BETWEEN) wait_ns += cc__below(m, step->wait.max_ns - step->wait.min_ns + 1);
            if (wait_ns == 0) continue;
            cc__wait(m, now_ns, wait_ns, CC__RESUME_STEP, action);
            return;
        }
        m->intended_ns = intended_ns;
        m->state = CC_USER_IN_FLIGHT;
        action->kind = CC_ACTION_SEND;
        action->request = step->request;
        return;
    }
    cc__after_task(m, plan, now_ns, e, action);
}

static void cc__begin_task(cc_user_machine_t *m, const cc_plan_t *plan, uint32_t task, uint64_t now_ns,
                           uint64_t intended_ns, const cc_user_event_t *e, cc_user_action_t *action) {
    const cc__user_class_t *uc = &plan->classes[m->user_class];
    m->task = task;
    m->step = 0;
    m->task_start_ns = intended_ns < now_ns ? intended_ns : now_ns;
    if (m->phase == CC_PHASE_RUNNING && (int32_t)task != uc->on_start_task) m->iteration = m->tasks_begun++;
    cc__run_steps(m, plan, now_ns, intended_ns, e, action);
}

static uint64_t cc__wait_after_task(cc_user_machine_t *m, const cc_plan_t *plan, uint64_t now_ns) {
    const cc_wait_spec_t *wait = &plan->classes[m->user_class].wait;
    switch (wait->kind) {
    case CC_WAIT_BETWEEN:
        return wait->min_ns + cc__below(m, wait->max_ns - wait->min_ns + 1);
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

/* The open model: the iteration is over and the next one comes from the schedule, not a wait time. */
static void cc__idle(cc_user_machine_t *m, cc_user_action_t *action) {
    m->state = CC_USER_IDLE;
    action->kind = CC_ACTION_IDLE;
}

/* The task is over (done or failed): wait, or start the next one at once when the wait is zero (in the
 * open model, idle until the next iteration); after on_stop, or when retiring without one, stop. */
static void cc__after_task(cc_user_machine_t *m, const cc_plan_t *plan, uint64_t now_ns, const cc_user_event_t *e,
                           cc_user_action_t *action) {
    if (m->phase == CC_PHASE_ON_STOP) {
        cc__stop(m, action);
        return;
    }
    if (m->retiring) {
        cc__begin_on_stop(m, plan, now_ns, e, action);
        return;
    }
    if (m->open) {
        cc__idle(m, action);
        return;
    }
    uint64_t wait_ns = cc__wait_after_task(m, plan, now_ns);
    if (wait_ns == 0) {
        cc__begin_task(m, plan, cc__pick_task(m, plan), now_ns, now_ns, e, action);
        return;
    }
    cc__wait(m, now_ns, wait_ns, CC__RESUME_TASK, action);
}

/* A retired user runs its class's on_stop task once, unless it never started or is stopped at once. */
static void cc__begin_on_stop(cc_user_machine_t *m, const cc_plan_t *plan, uint64_t now_ns, const cc_user_event_t *e,
                              cc_user_action_t *action) {
    int32_t on_stop = plan->classes[m->user_class].on_stop_task;
    if (on_stop < 0 || m->no_on_stop_ || m->phase == CC_PHASE_ON_STOP) {
        cc__stop(m, action);
        return;
    }
    m->phase = CC_PHASE_ON_STOP;
    cc__begin_task(m, plan, (uint32_t)on_stop, now_ns, now_ns, e, action);
}

int cc_user_machine_last_attempt(const cc_user_machine_t *m, const cc_plan_t *plan) {
    if (m->state != CC_USER_IN_FLIGHT) return 0;
    const cc__step_t *step = cc__current_step(m, plan);
    return step->repeat_max > 0 && m->attempt + 1 >= step->repeat_max;
}

void cc_user_machine_handle(cc_user_machine_t *m, const cc_plan_t *plan, const cc_user_event_t *event,
                            cc_user_action_t *action) {
    memset(action, 0, sizeof *action);
    action->kind = CC_ACTION_NONE;
    uint64_t now = event->now_ns;

    switch (event->kind) {
    case CC_EVENT_START:
        if (m->state != CC_USER_NEW) break;
        m->open = event->open != 0;
        if (m->retiring) {
            cc__stop(m, action);
        } else {
            int32_t on_start = plan->classes[m->user_class].on_start_task;
            if (on_start < 0 && m->open)
                cc__idle(m, action);
            else
                cc__begin_task(m, plan, on_start >= 0 ? (uint32_t)on_start : cc__pick_task(m, plan), now, now, event,
                               action);
        }
        return;

    case CC_EVENT_ITERATION:
        if (m->state != CC_USER_IDLE) break;
        /* The schedule's time is the intended start, however late the hand-over: a queue's wait and a
         * new user's on_start show in the latency from the intended start. */
        cc__begin_task(m, plan, cc__pick_task(m, plan), now, event->intended_ns, event, action);
        return;

    case CC_EVENT_REQUEST_DONE: {
        if (m->state != CC_USER_IN_FLIGHT) break;
        const cc__step_t *step = cc__current_step(m, plan);
        if (m->retiring && (m->phase == CC_PHASE_RUNNING || m->no_on_stop_)) {
            cc__begin_on_stop(m, plan, now, event, action);
        } else if (!event->failed && step->repeat_max > 0 && !event->until_met && m->attempt + 1 < step->repeat_max) {
            /* Poll again: the next attempt's intended start is one period after this one ended. */
            m->attempt++;
            if (step->repeat_every_ns == 0) {
                m->intended_ns = now;
                action->kind = CC_ACTION_SEND;
                action->request = step->request;
            } else {
                cc__wait(m, now, step->repeat_every_ns, CC__RESUME_REPEAT, action);
            }
        } else if (event->failed && !step->continue_on_failure) {
            /* A failed step ends the task: the rest of a log-in flow makes no sense after it. */
            cc__after_task(m, plan, now, event, action);
        } else {
            /* The next step starts when the previous one ends: that is its intended start. */
            m->step++;
            cc__run_steps(m, plan, now, now, event, action);
        }
        return;
    }

    case CC_EVENT_TIMER:
        if (m->state != CC_USER_WAITING) break;
        if (m->retiring && m->phase == CC_PHASE_RUNNING) {
            cc__begin_on_stop(m, plan, now, event, action);
        } else if (m->wait_for_ == CC__RESUME_TASK) {
            cc__begin_task(m, plan, cc__pick_task(m, plan), now, m->intended_ns, event, action);
        } else if (m->wait_for_ == CC__RESUME_REPEAT) {
            m->state = CC_USER_IN_FLIGHT;
            action->kind = CC_ACTION_SEND;
            action->request = cc__current_step(m, plan)->request;
        } else {
            m->step++;
            cc__run_steps(m, plan, now, m->intended_ns, event, action);
        }
        return;

    case CC_EVENT_RETIRE:
        if (m->state == CC_USER_STOPPED) break;
        if (m->retiring && !(event->now && !m->no_on_stop_)) break;
        m->retiring = 1;
        if (event->now) m->no_on_stop_ = 1;
        if (m->state == CC_USER_NEW) {
            cc__stop(m, action);
        } else if (m->state == CC_USER_WAITING) {
            if (m->phase == CC_PHASE_ON_STOP && !m->no_on_stop_) return; /* on_stop's own wait step goes on */
            cc__begin_on_stop(m, plan, now, event, action);
        } else if (m->state == CC_USER_IDLE) {
            cc__begin_on_stop(m, plan, now, event, action);
        }
        return;
    }
    cc__ignored(m);
}
