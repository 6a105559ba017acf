/* idle_users_bench: what 100,000 idle users cost on one libuv loop, in the spirit of libuv's
 * benchmark-million-timers.c (which prints init, dispatch and cleanup times).
 *
 * Each user is what the engine keeps for a waiting user, minus the socket: a cc_user_machine_t and a
 * uv_timer_t. No connection is opened. The machine is driven as the engine drives it (lane.c,
 * cc__lane_event and cc__lane_apply), with the connection's answer given at once: SEND is answered
 * with REQUEST_DONE, WAIT arms the timer.
 *
 *   create    allocate the users, init each machine, START, answer until it asks to WAIT, arm the timer.
 *             The plan's class waits between(1, 5) s, like case 2 of bench/run.
 *   dispatch  the same users switched to a plan whose class waits between(0.000, 0.002) s, so that every
 *             timer fires: TIMER -> SEND -> REQUEST_DONE -> WAIT -> uv_timer_start, about a million
 *             times. The loop never sleeps: a round of 100,000 dispatches outlasts the 0-2 ms waits.
 *   cleanup   uv_close on every timer and a loop run until every close callback has come.
 *
 * Each phase is timed in CPU time (the process's: page faults included) and in wall time; they agree
 * on a quiet machine, and the CPU figure is the one to read on a busy one.
 *
 *     bench/micro/build.sh && bench/.work/micro/idle_users_bench [--users N] [--dispatches N]
 *
 * Wait times are converted to milliseconds as the engine does, rounding down (lane.c: a late timer
 * shows up in the latency measured from the intended start; an early one would hide it), so a draw
 * under 1 ms re-arms a 0-ms timer, which libuv 1.44 runs again in the same pass over due timers.
 */
#include "cicada_core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

/* One user. The timer comes first so that a uv_timer_t * is also a bench_user_t *. */
typedef struct bench_user_s {
    uv_timer_t timer;
    cc_user_machine_t machine;
} bench_user_t;

static const cc_plan_t *current_plan;
static uint64_t dispatches;      /* timer callbacks that led to a request */
static uint64_t dispatch_target; /* stop the loop when reached */
static uint64_t immediate_tasks; /* a wait of exactly 0 ns starts the next task without a timer */
static uint64_t closed;

/* A moment in both clocks. */
typedef struct stamp_s {
    double wall, cpu;
} stamp_t;

static stamp_t dispatch_end;

static double wall_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Resident memory in bytes: the second field of /proc/self/statm, in pages (proc(5)). */
static long rss_bytes(void) {
    long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL) return -1;
    if (fscanf(f, "%ld %ld", &size, &resident) != 2) resident = -1;
    fclose(f);
    return resident < 0 ? -1 : resident * sysconf(_SC_PAGESIZE);
}

static stamp_t stamp(void) {
    return (stamp_t){wall_s(), cpu_s()};
}

/* Prints one phase: total time in both clocks, and per item. */
static void print_phase(const char *name, stamp_t from, stamp_t to, double items, const char *per, const char *what) {
    double cpu = to.cpu - from.cpu, wall = to.wall - from.wall;
    printf("  %-9s %8.2f ms CPU %8.2f ms wall  %7.1f ns/%s CPU %7.1f wall  %s\n", name, cpu * 1e3, wall * 1e3,
           cpu * 1e9 / items, per, wall * 1e9 / items, what);
}

static void on_timer(uv_timer_t *timer);

/* Feeds one event and performs the action as the engine would, with no socket: a send succeeds at
 * once. Returns when the user waits or stops. */
static void user_event(bench_user_t *u, cc_user_event_kind_t kind) {
    cc_user_event_t event = {.kind = kind, .now_ns = cc_clock_now_ns()};
    cc_user_action_t action;
    for (;;) {
        cc_user_machine_handle(&u->machine, current_plan, &event, &action);
        switch (action.kind) {
        case CC_ACTION_SEND:
            /* A wait of exactly 0 ns starts the next task at once, without a timer (rare: one draw in
             * two million); it is counted so that it does not pass for a dispatch. */
            if (event.kind == CC_EVENT_REQUEST_DONE) immediate_tasks++;
            event = (cc_user_event_t){.kind = CC_EVENT_REQUEST_DONE, .now_ns = cc_clock_now_ns()};
            continue;
        case CC_ACTION_WAIT:
            uv_timer_start(&u->timer, on_timer, action.wait_ns / 1000000u, 0);
            return;
        case CC_ACTION_NONE:
        case CC_ACTION_STOP:
            return;
        }
    }
}

static void on_timer(uv_timer_t *timer) {
    if (dispatches >= dispatch_target) return; /* done: the rest of this pass finds nothing to do */
    user_event((bench_user_t *)timer, CC_EVENT_TIMER);
    if (++dispatches == dispatch_target) {
        dispatch_end = stamp();
        uv_stop(timer->loop);
    }
}

static void on_close(uv_handle_t *handle) {
    (void)handle;
    closed++;
}

/* A plan of one GET / in one task, for a class that waits between(min_s, max_s). */
static cc_plan_t *compile_plan(double min_s, double max_s) {
    cc_request_spec_t request = {.method = "GET", .target = "/"};
    cc_task_spec_t task = {.first_request = 0, .request_count = 1, .weight = 1};
    cc_user_class_spec_t class = {
        .first_task = 0,
        .task_count = 1,
        .on_start_task = -1,
        .wait = {.kind = CC_WAIT_BETWEEN, .min_ns = (uint64_t)(min_s * 1e9), .max_ns = (uint64_t)(max_s * 1e9)},
    };
    cc_plan_spec_t spec = {.host_header = "127.0.0.1", .requests = &request, .request_count = 1,
                           .tasks = &task, .task_count = 1, .classes = &class, .class_count = 1};
    cc_plan_t *plan = NULL;
    char error[256];
    if (cc_plan_compile(&spec, &plan, error, sizeof error) != 0) {
        fprintf(stderr, "idle_users_bench: cc_plan_compile: %s\n", error);
        exit(1);
    }
    return plan;
}

int main(int argc, char **argv) {
    long users = 100000, target = 1000000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--users") == 0 && i + 1 < argc)
            users = atol(argv[++i]);
        else if (strcmp(argv[i], "--dispatches") == 0 && i + 1 < argc)
            target = atol(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--users N] [--dispatches N]\n", argv[0]);
            return 2;
        }
    }
    if (users < 1 || target < 1) {
        fprintf(stderr, "idle_users_bench: --users and --dispatches must be at least 1\n");
        return 2;
    }
    dispatch_target = (uint64_t)target;
    cc_plan_t *idle_plan = compile_plan(1.0, 5.0);
    cc_plan_t *busy_plan = compile_plan(0.0, 0.002);
    uv_loop_t loop;
    if (uv_loop_init(&loop) != 0) return 1;

    /* (a) create. The array is taken from the system lazily (calloc of this size is an mmap), so the
     * page faults of first touch are part of creating users, as they are in the engine. */
    long rss_before = rss_bytes();
    stamp_t t0 = stamp();
    current_plan = idle_plan;
    bench_user_t *all = calloc((size_t)users, sizeof *all);
    if (all == NULL) {
        fprintf(stderr, "idle_users_bench: out of memory\n");
        return 1;
    }
    for (long i = 0; i < users; i++) {
        bench_user_t *u = &all[i];
        uv_timer_init(&loop, &u->timer);
        cc_user_machine_init(&u->machine, 0, (uint64_t)i);
        user_event(u, CC_EVENT_START);
    }
    stamp_t t1 = stamp();
    long rss_after = rss_bytes();
    long waiting = 0;
    for (long i = 0; i < users; i++) waiting += all[i].machine.state == CC_USER_WAITING;

    /* (b) dispatch: shrink every wait by re-arming each timer for 0-2 ms under the busy plan (not
     * timed: it is a second create), then run the loop until `target` timers have fired. */
    current_plan = busy_plan;
    for (long i = 0; i < users; i++) uv_timer_start(&all[i].timer, on_timer, (uint64_t)(i % 3), 0);
    uv_update_time(&loop);
    stamp_t t2 = stamp();
    uv_run(&loop, UV_RUN_DEFAULT);
    if (dispatches < dispatch_target) {
        fprintf(stderr, "idle_users_bench: the loop ended after %llu dispatches\n",
                (unsigned long long)dispatches);
        return 1;
    }

    /* (c) cleanup: close every handle; memory may be freed only after the close callbacks. */
    stamp_t t3 = stamp();
    for (long i = 0; i < users; i++) uv_close((uv_handle_t *)&all[i].timer, on_close);
    uv_run(&loop, UV_RUN_DEFAULT);
    free(all);
    stamp_t t4 = stamp();
    if (closed != (uint64_t)users) {
        fprintf(stderr, "idle_users_bench: %llu of %ld close callbacks\n", (unsigned long long)closed, users);
        return 1;
    }
    uv_loop_close(&loop);
    cc_plan_free(idle_plan);
    cc_plan_free(busy_plan);

    char what[160];
    printf("idle_users_bench: %ld users (cc_user_machine_t + uv_timer_t each) on one libuv %s loop\n", users,
           uv_version_string());
    snprintf(what, sizeof what, "init, START, armed for between(1, 5) s: %ld of %ld waiting", waiting, users);
    print_phase("create", t0, t1, (double)users, "user", what);
    snprintf(what, sizeof what, "%llu dispatches, %.1f per user, between(0, 0.002) s",
             (unsigned long long)dispatches, (double)dispatches / (double)users);
    print_phase("dispatch", t2, dispatch_end, (double)dispatches, "dispatch", what);
    print_phase("cleanup", t3, t4, (double)users, "user", "uv_close on every timer, close callbacks, free");
    printf("  memory    %zu bytes per user (sizeof: uv_timer_t %zu + cc_user_machine_t %zu); "
           "RSS +%.1f MiB over the create = %.1f bytes per user\n",
           sizeof(bench_user_t), sizeof(uv_timer_t), sizeof(cc_user_machine_t),
           (double)(rss_after - rss_before) / 1048576.0, (double)(rss_after - rss_before) / (double)users);
    if (immediate_tasks) printf("  (%llu waits of exactly 0 ns started a task without a timer)\n",
                                (unsigned long long)immediate_tasks);
    return 0;
}
