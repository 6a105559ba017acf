/* The engine: worker threads, each with a libuv loop and a contiguous array of users (user_slots.c,
 * lane.c and connection.c do what the users' and connections' state machines decide, on sockets and
 * timers), and the control thread's API.
 *
 * Threads. The control thread (the engine's creator) sends commands through a single-producer ring
 * per worker and wakes the worker with uv_async_send. A worker produces samples into its own
 * single-producer ring, which the control thread drains. Nothing else is shared; the counters are
 * atomics written by one worker each.
 */
#include "transport.h"

#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

uint64_t cc_clock_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void cc__close_walk(uv_handle_t *handle, void *arg) {
    (void)arg;
    if (!uv_is_closing(handle)) uv_close(handle, NULL);
}

static void cc__shutdown(cc__worker_t *w) {
    w->shutting_down = 1;
    cc__worker_stop_all(w);
    cc__worker_cancel_all(w);
    /* Every handle is inline in memory the engine frees after the thread ends, so closing them all
     * and letting uv_run return is enough. */
    uv_walk(&w->loop, cc__close_walk, NULL);
}

static int cc__command_pop(cc__command_ring_t *ring, cc__command_t *out) {
    size_t head = atomic_load_explicit(&ring->head, memory_order_relaxed);
    size_t tail = atomic_load_explicit(&ring->tail, memory_order_acquire);
    if (head == tail) return 0;
    *out = ring->slots[head & (CC__COMMAND_CAPACITY - 1)];
    atomic_store_explicit(&ring->head, head + 1, memory_order_release);
    return 1;
}

static void cc__on_wakeup(uv_async_t *async) {
    cc__worker_t *w = async->data;
    cc__command_t command;
    while (!w->shutting_down && cc__command_pop(&w->commands, &command)) {
        switch (command.kind) {
        case CC__CMD_SPAWN:
            if (!w->stopping) {
                w->spawn_pending[command.user_class] += command.count;
                cc__worker_spawn_batch(w);
            }
            break;
        case CC__CMD_RETIRE:
            cc__worker_retire(w, command.user_class, command.count);
            break;
        case CC__CMD_STOP:
            cc__worker_stop_all(w);
            break;
        case CC__CMD_CANCEL:
            cc__worker_cancel_all(w);
            break;
        case CC__CMD_SHUTDOWN:
            cc__shutdown(w);
            break;
        case CC__CMD_ARRIVAL:
            cc__arrival_set(w, command.user_class, command.rate, command.count);
            break;
        }
    }
}

/* Event-loop lag: how late a periodic timer fires. A loop that is late to its timers is late to its
 * sockets too, and then the generator, not the target, shapes the latency. */
static void cc__on_lag_timer(uv_timer_t *timer) {
    cc__worker_t *w = timer->data;
    uint64_t now = cc_clock_now_ns();
    uint64_t expected = w->lag_last_ns + (uint64_t)CC_ENGINE_LAG_PERIOD_MS * 1000000ull;
    uint64_t lag = now > expected ? now - expected : 0;
    w->lag_last_ns = now;
    uint64_t seen = atomic_load_explicit(&w->loop_lag_max_ns, memory_order_relaxed);
    while (lag > seen &&
           !atomic_compare_exchange_weak_explicit(&w->loop_lag_max_ns, &seen, lag, memory_order_relaxed,
                                                  memory_order_relaxed)) {
    }
}

static void cc__worker_main(void *arg) {
    cc__worker_t *w = arg;
    /* libuv writes to sockets with write(2), which has no MSG_NOSIGNAL: a write to a connection the
     * server reset would raise SIGPIPE and end the process. Blocked on this thread, the write fails
     * with EPIPE instead, which is counted as a reset. The caller's own mask is left as it is. */
    sigset_t pipe_signal;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_signal, NULL);
    char name[16];
    snprintf(name, sizeof name, "cc-worker-%u", w->index);
    pthread_setname_np(pthread_self(), name);
    w->lag_last_ns = cc_clock_now_ns();
    uv_timer_start(&w->lag_timer, cc__on_lag_timer, CC_ENGINE_LAG_PERIOD_MS, CC_ENGINE_LAG_PERIOD_MS);
    uv_run(&w->loop, UV_RUN_DEFAULT);
}

/* ---- the control thread's API --------------------------------------------------------------------- */

static int cc__resolve(cc_engine_t *e, const char *name, char *error, size_t error_size) {
    struct addrinfo hints = {0};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    char port[8];
    snprintf(port, sizeof port, "%u", e->options.port);
    struct addrinfo *result = NULL;
    int rc = getaddrinfo(name, port, &hints, &result);
    if (rc != 0 || result == NULL)
        return cc__fail(CC_ERESOLVE, error, error_size, "could not resolve '%s': %s", name,
                               gai_strerror(rc));
    memcpy(&e->address, result->ai_addr, result->ai_addrlen);
    char host[INET6_ADDRSTRLEN];
    if (result->ai_family == AF_INET6) {
        uv_ip6_name((const struct sockaddr_in6 *)result->ai_addr, host, sizeof host);
        snprintf(e->target_text, sizeof e->target_text, "[%s]:%u", host, e->options.port);
    } else {
        uv_ip4_name((const struct sockaddr_in *)result->ai_addr, host, sizeof host);
        snprintf(e->target_text, sizeof e->target_text, "%s:%u", host, e->options.port);
    }
    freeaddrinfo(result);
    return 0;
}

/* Frees a worker's memory, and closes its loop when it was opened: every handle is closed and the loop
 * run until their callbacks have run, so that uv_loop_close can release the loop's descriptors (the
 * epoll and the async's eventfd), which it refuses to do while a handle is open. Control thread, with
 * the worker's thread not running (never started, or joined). */
static void cc__worker_free(cc__worker_t *w) {
    if (w->loop_ready) {
        uv_walk(&w->loop, cc__close_walk, NULL);
        uv_run(&w->loop, UV_RUN_DEFAULT);
        uv_loop_close(&w->loop);
        w->loop_ready = 0;
    }
    cc__worker_free_users(w);
    cc__arrival_free(w);
    cc__tls_context_free(w->tls_context);
    free(w->tls_buffer);
    free(w->users);
    free(w->free_slots);
    free(w->spawn_pending);
    free(w->class_oldest);
    free(w->class_newest);
    free(w->class_serial);
    free(w->lane_extras);
    free(w->user_extras);
    cc__sparse_free(w->lane_buffers, w->lane_buffers_size);
    cc__sparse_free(w->user_buffers, w->user_buffers_size);
    free(w->read_buffer);
    free(w->samples.slots);
}

static void cc__engine_free(cc_engine_t *e) {
    for (uint32_t w = 0; e->workers != NULL && w < e->worker_count; w++) cc__worker_free(&e->workers[w]);
    free(e->workers);
    free(e->alive_by_worker_class);
    free(e->host);
    free(e->next_worker_by_class);
    free(e->tls_name);
    free(e);
}

static size_t cc__round_up_power_of_two(size_t n) {
    size_t p = 1;
    while (p < n) p <<= 1;
    return p;
}

/* Prepares worker `w`: its loop and handles first, then its memory and TLS context (from the caller's
 * `options`, whose file names the engine does not keep). Returns 0 or an error; on error the caller
 * frees every worker with cc__worker_free, which copes with any half. */
static int cc__worker_init(cc_engine_t *e, const cc_engine_options_t *options, cc__worker_t *w, uint32_t index,
                           uint32_t capacity, size_t ring_capacity, char *error, size_t error_size) {
    const cc_plan_t *plan = e->plan;
    w->engine = e;
    w->plan = plan;
    w->index = index;
    if (uv_loop_init(&w->loop) != 0) return cc__fail(CC_ESYSTEM, error, error_size, "cannot create an event loop");
    w->loop_ready = 1;
    uv_async_init(&w->loop, &w->wakeup, cc__on_wakeup);
    w->wakeup.data = w;
    uv_timer_init(&w->loop, &w->lag_timer);
    w->lag_timer.data = w;
    uv_timer_init(&w->loop, &w->spawn_timer);
    w->spawn_timer.data = w;
    if (cc__arrival_init(w, options) != 0)
        return cc__fail(CC_ENOMEM, error, error_size, "no memory for the arrival schedules' queues");

    w->capacity = capacity;
    w->lane_count = options->pipeline_depth > 1 ? options->pipeline_depth : 1;
    w->user_stride = cc__user_stride(w->lane_count);
    w->users = calloc(capacity, w->user_stride);
    w->free_slots = calloc(capacity, sizeof *w->free_slots);
    w->spawn_pending = calloc(plan->class_count, sizeof *w->spawn_pending);
    w->class_oldest = malloc(plan->class_count * sizeof *w->class_oldest);
    w->class_newest = malloc(plan->class_count * sizeof *w->class_newest);
    w->class_serial = calloc(plan->class_count, sizeof *w->class_serial);
    w->lane_extra_stride = cc__lane_extra_size(plan);
    w->user_extra_stride = cc__user_extra_size(plan);
    w->lane_buffer_stride = cc__lane_buffer_size(plan);
    w->user_buffer_stride = cc__user_buffer_size(plan);
    w->lane_buffers_size = (size_t)capacity * w->lane_count * w->lane_buffer_stride;
    w->user_buffers_size = (size_t)capacity * w->user_buffer_stride;
    if (w->lane_extra_stride > 0) w->lane_extras = calloc((size_t)capacity * w->lane_count, w->lane_extra_stride);
    if (w->user_extra_stride > 0) w->user_extras = calloc(capacity, w->user_extra_stride);
    if (w->lane_buffer_stride > 0) w->lane_buffers = cc__sparse_alloc(w->lane_buffers_size);
    if (w->user_buffer_stride > 0) w->user_buffers = cc__sparse_alloc(w->user_buffers_size);
    if ((w->lane_extra_stride > 0 && w->lane_extras == NULL) || (w->user_extra_stride > 0 && w->user_extras == NULL) ||
        (w->lane_buffer_stride > 0 && w->lane_buffers == NULL) || (w->user_buffer_stride > 0 && w->user_buffers == NULL) ||
        w->class_serial == NULL)
        return cc__fail(CC_ENOMEM, error, error_size, "no memory for %u users' variables and buffers (%zu bytes each)",
                        capacity, (w->lane_extra_stride + w->lane_buffer_stride) * w->lane_count +
                                      w->user_extra_stride + w->user_buffer_stride);
    w->read_buffer = malloc(CC__READ_BUFFER_SIZE);
    w->samples.slots = calloc(ring_capacity, sizeof(cc_sample_t));
    w->samples.mask = ring_capacity - 1;
    if (!w->users || !w->free_slots || !w->spawn_pending || !w->class_oldest || !w->class_newest ||
        !w->read_buffer || !w->samples.slots)
        return CC_ENOMEM;
    for (uint32_t c = 0; c < plan->class_count; c++) w->class_oldest[c] = w->class_newest[c] = CC__NO_USER;
    w->transport = &cc__transport_plain;
    if (options->tls.enabled) {
        w->transport = &cc__transport_tls;
        w->tls_buffer = malloc(CC__TLS_BUFFER_SIZE);
        if (w->tls_buffer == NULL) return CC_ENOMEM;
        return cc__tls_context_new(&options->tls, &w->tls_context, error, error_size);
    }
    return 0;
}

int cc_engine_create(const cc_plan_t *plan, const cc_engine_options_t *options, cc_engine_t **out, char *error,
                     size_t error_size) {
    if (out == NULL) return CC_EINVAL;
    *out = NULL;
    if (plan == NULL || options == NULL || options->host == NULL || options->host[0] == '\0')
        return cc__fail(CC_EINVAL, error, error_size, "a plan and a target host are required");
    if (options->port == 0) return cc__fail(CC_EINVAL, error, error_size, "the target port is 0");
    if (options->max_users == 0 || options->max_users > CC_ENGINE_MAX_USERS)
        return cc__fail(CC_EINVAL, error, error_size, "max_users must be 1 to %u, got %u", CC_ENGINE_MAX_USERS,
                        options->max_users);
    if (options->open_model && options->saturation != CC_SATURATION_DROP && options->saturation != CC_SATURATION_QUEUE)
        return cc__fail(CC_EINVAL, error, error_size, "unknown saturation rule %u", options->saturation);
    if (options->queue_limit > CC_ENGINE_MAX_QUEUE)
        return cc__fail(CC_EINVAL, error, error_size, "the queue limit %u is above the most, %u", options->queue_limit,
                        CC_ENGINE_MAX_QUEUE);
    if (options->pipeline_depth > CC_MAX_PIPELINE)
        return cc__fail(CC_EINVAL, error, error_size, "the pipeline depth %u is above the most, %u",
                        options->pipeline_depth, CC_MAX_PIPELINE);

    cc_engine_t *e = calloc(1, sizeof *e);
    if (e == NULL) return CC_ENOMEM;
    e->plan = plan;
    e->options = *options;
    /* The caller's strings need not outlive this call. */
    e->options.host = NULL;
    e->options.tls.server_name = e->options.tls.ca_file = e->options.tls.cert_file = e->options.tls.key_file = NULL;
    int rc = cc__resolve(e, options->host, error, error_size);
    if (rc != 0) {
        cc__engine_free(e);
        return rc;
    }
    e->host = strdup(options->host); /* cookies are the target host's (RFC 6265 5.1.3) */
    if (e->host == NULL) {
        cc__engine_free(e);
        return CC_ENOMEM;
    }
    if (options->tls.enabled) {
        e->tls_name = strdup(options->tls.server_name ? options->tls.server_name : options->host);
        if (e->tls_name == NULL) {
            cc__engine_free(e);
            return CC_ENOMEM;
        }
        e->tls_name_is_ip = cc__tls_name_is_ip(e->tls_name);
    }
    uint32_t threads = options->threads;
    if (threads == 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        threads = cores > 0 ? (uint32_t)cores : 1;
    }
    if (threads > 255) threads = 255; /* a sample names its worker in one byte */
    if (threads > options->max_users) threads = options->max_users;
    e->worker_count = threads;
    e->workers = calloc(threads, sizeof *e->workers);
    e->alive_by_worker_class = calloc((size_t)threads * plan->class_count, sizeof *e->alive_by_worker_class);
    e->next_worker_by_class = calloc(plan->class_count, sizeof *e->next_worker_by_class);
    if (e->workers == NULL || e->alive_by_worker_class == NULL || e->next_worker_by_class == NULL) {
        cc__engine_free(e);
        return CC_ENOMEM;
    }
    size_t ring_capacity = cc__round_up_power_of_two(options->ring_capacity ? options->ring_capacity : 65536);
    /* Users retired but still finishing a request hold their slots; leave room for a full turnover. The
     * array is calloc'ed, so slots never used cost address space, not memory. The bound on max_users
     * keeps this in 32 bits. */
    uint32_t per_worker = (options->max_users + threads - 1) / threads;
    uint32_t capacity = per_worker * 2 + 16;
    for (uint32_t i = 0; i < threads; i++) {
        rc = cc__worker_init(e, options, &e->workers[i], i, capacity, ring_capacity, error, error_size);
        if (rc != 0) {
            cc__engine_free(e);
            return rc;
        }
    }
    *out = e;
    return 0;
}

int cc_engine_start(cc_engine_t *e) {
    if (e == NULL) return CC_EINVAL;
    if (e->started) return CC_ESTATE;
    e->started = 1;
    for (uint32_t i = 0; i < e->worker_count; i++) {
        if (uv_thread_create(&e->workers[i].thread, cc__worker_main, &e->workers[i]) != 0) return CC_ESYSTEM;
        e->workers[i].thread_started = 1;
    }
    return 0;
}

uint32_t cc_engine_worker_count(const cc_engine_t *e) { return e ? e->worker_count : 0; }

void cc_engine_describe_target(const cc_engine_t *e, char *buffer, size_t size) {
    if (buffer == NULL || size == 0) return;
    snprintf(buffer, size, "%s", e ? e->target_text : "");
}

static int cc__command_push(cc__worker_t *w, cc__command_t command) {
    cc__command_ring_t *ring = &w->commands;
    size_t tail = atomic_load_explicit(&ring->tail, memory_order_relaxed);
    size_t head = atomic_load_explicit(&ring->head, memory_order_acquire);
    if (tail - head >= CC__COMMAND_CAPACITY) return CC_EFULL;
    ring->slots[tail & (CC__COMMAND_CAPACITY - 1)] = command;
    atomic_store_explicit(&ring->tail, tail + 1, memory_order_release);
    uv_async_send(&w->wakeup);
    return 0;
}

int cc_engine_spawn(cc_engine_t *e, uint32_t user_class, uint32_t count) {
    if (e == NULL || user_class >= e->plan->class_count) return CC_EINVAL;
    if (!e->started || e->stopped) return CC_ESTATE;
    if (e->alive_total + count > e->options.max_users) return CC_EFULL;
    uint32_t classes = e->plan->class_count;
    /* Spread over the workers one user at a time, starting where the last spawn ended, so that any
     * sequence of spawns leaves the workers at most one user apart. */
    /* Each class has its own cursor, so that its k-th user goes to worker k mod N: a worker numbers its
     * users of the class w, w+N, w+2N, ... and ${user.index} is dense across the run. */
    uint32_t share[256] = {0};
    uint32_t *cursor = &e->next_worker_by_class[user_class];
    for (uint32_t i = 0; i < count; i++) {
        share[*cursor]++;
        *cursor = (*cursor + 1) % e->worker_count;
    }
    for (uint32_t w = 0; w < e->worker_count; w++) {
        if (share[w] == 0) continue;
        cc__command_t command = {.kind = CC__CMD_SPAWN, .user_class = user_class, .count = share[w]};
        int rc = cc__command_push(&e->workers[w], command);
        if (rc != 0) return rc;
        e->alive_by_worker_class[w * classes + user_class] += share[w];
        e->alive_total += share[w];
    }
    return 0;
}

int cc_engine_retire(cc_engine_t *e, uint32_t user_class, uint32_t count) {
    if (e == NULL || user_class >= e->plan->class_count) return CC_EINVAL;
    if (!e->started || e->stopped || e->options.open_model) return CC_ESTATE;
    uint32_t classes = e->plan->class_count;
    /* Take each user from the worker with the most users of the class, which keeps the workers
     * balanced, then send each worker its share as one command. */
    uint32_t share[256] = {0};
    for (; count > 0; count--) {
        uint32_t best = UINT32_MAX, most = 0;
        for (uint32_t w = 0; w < e->worker_count; w++) {
            uint32_t alive = e->alive_by_worker_class[w * classes + user_class] - share[w];
            if (alive > most) {
                most = alive;
                best = w;
            }
        }
        if (best == UINT32_MAX) break;
        share[best]++;
    }
    int result = 0;
    for (uint32_t w = 0; w < e->worker_count; w++) {
        if (share[w] == 0) continue;
        cc__command_t command = {.kind = CC__CMD_RETIRE, .user_class = user_class, .count = share[w]};
        int rc = cc__command_push(&e->workers[w], command);
        if (rc != 0) {
            result = rc;
            continue;
        }
        e->alive_by_worker_class[w * classes + user_class] -= share[w];
        e->alive_total -= share[w];
    }
    return result;
}

int cc_engine_set_arrival(cc_engine_t *e, uint32_t user_class, double per_second, uint32_t max_users) {
    if (e == NULL || user_class >= e->plan->class_count) return CC_EINVAL;
    if (!(per_second >= 0 && per_second <= CC_ENGINE_MAX_ARRIVAL_RATE) || max_users > e->options.max_users)
        return CC_EINVAL;
    if (!e->options.open_model || !e->started || e->stopped) return CC_ESTATE;
    /* Each worker may add users up to its share of max_users, the first ones one more, dealt as
     * cc_engine_spawn deals users (from worker 0), so that the spawned ones fit in each share. */
    int result = 0;
    for (uint32_t w = 0; w < e->worker_count; w++) {
        uint32_t share = max_users / e->worker_count + (w < max_users % e->worker_count ? 1u : 0u);
        cc__command_t command = {.kind = CC__CMD_ARRIVAL, .user_class = user_class, .count = share, .rate = per_second};
        int rc = cc__command_push(&e->workers[w], command);
        if (rc != 0) result = rc;
    }
    return result;
}

void cc_engine_arrival_counters(cc_engine_t *e, uint32_t user_class, cc_arrival_counters_t *out) {
    memset(out, 0, sizeof *out);
    if (e == NULL || !e->options.open_model) return;
    if (user_class != UINT32_MAX && user_class >= e->plan->class_count) return;
    for (uint32_t i = 0; i < e->worker_count; i++) {
        for (uint32_t c = 0; c < e->plan->class_count; c++) {
            if (user_class != UINT32_MAX && c != user_class) continue;
            cc__arrival_t *a = &e->workers[i].arrivals[c];
            out->scheduled += atomic_load_explicit(&a->scheduled, memory_order_relaxed);
            out->started += atomic_load_explicit(&a->started, memory_order_relaxed);
            out->dropped += atomic_load_explicit(&a->dropped, memory_order_relaxed);
            out->queued += atomic_load_explicit(&a->queued, memory_order_relaxed);
            out->users_added += atomic_load_explicit(&a->added, memory_order_relaxed);
        }
    }
}

static int cc__broadcast(cc_engine_t *e, cc__command_kind_t kind) {
    int result = 0;
    for (uint32_t w = 0; w < e->worker_count; w++) {
        cc__command_t command = {.kind = kind};
        int rc = cc__command_push(&e->workers[w], command);
        if (rc != 0) result = rc;
    }
    return result;
}

int cc_engine_stop(cc_engine_t *e) {
    if (e == NULL) return CC_EINVAL;
    if (!e->started) return CC_ESTATE;
    if (e->stopped) return 0;
    e->stopped = 1;
    return cc__broadcast(e, CC__CMD_STOP);
}

int cc_engine_cancel(cc_engine_t *e) {
    if (e == NULL) return CC_EINVAL;
    if (!e->stopped) return CC_ESTATE;
    return cc__broadcast(e, CC__CMD_CANCEL);
}

int cc_engine_join(cc_engine_t *e) {
    if (e == NULL) return CC_EINVAL;
    if (e->joined) return 0;
    if (e->started) {
        e->stopped = 1;
        for (uint32_t w = 0; w < e->worker_count; w++) {
            cc__command_t command = {.kind = CC__CMD_SHUTDOWN};
            /* The ring can only be full if the worker is wedged; keep trying rather than leak a thread. */
            while (cc__command_push(&e->workers[w], command) != 0) usleep(1000);
        }
        for (uint32_t w = 0; w < e->worker_count; w++)
            if (e->workers[w].thread_started) uv_thread_join(&e->workers[w].thread);
    }
    /* The loops are closed by cc__worker_free (never started: their handles are closed there, on this
     * thread). */
    e->joined = 1;
    return 0;
}

void cc_engine_destroy(cc_engine_t *e) {
    if (e == NULL) return;
    cc_engine_join(e);
    cc__engine_free(e);
}

size_t cc_engine_drain(cc_engine_t *e, cc_sample_t *out, size_t capacity) {
    if (e == NULL || out == NULL) return 0;
    size_t copied = 0;
    for (uint32_t i = 0; i < e->worker_count && copied < capacity; i++) {
        cc__sample_ring_t *ring = &e->workers[i].samples;
        size_t head = atomic_load_explicit(&ring->head, memory_order_relaxed);
        size_t tail = atomic_load_explicit(&ring->tail, memory_order_acquire);
        while (head != tail && copied < capacity) out[copied++] = ring->slots[head++ & ring->mask];
        atomic_store_explicit(&ring->head, head, memory_order_release);
    }
    return copied;
}

void cc_engine_counters(cc_engine_t *e, cc_engine_counters_t *out) {
    memset(out, 0, sizeof *out);
    if (e == NULL) return;
    for (uint32_t i = 0; i < e->worker_count; i++) {
        cc__worker_t *w = &e->workers[i];
        out->users_active += atomic_load_explicit(&w->users_active, memory_order_relaxed);
        out->connections_open += atomic_load_explicit(&w->connections_open, memory_order_relaxed);
        out->requests_started += atomic_load_explicit(&w->requests_started, memory_order_relaxed);
        out->requests_in_flight += atomic_load_explicit(&w->requests_in_flight, memory_order_relaxed);
        out->connections_opened += atomic_load_explicit(&w->connections_opened, memory_order_relaxed);
        out->tls_handshakes += atomic_load_explicit(&w->tls_handshakes, memory_order_relaxed);
        out->tls_resumed += atomic_load_explicit(&w->tls_resumed, memory_order_relaxed);
        out->samples_dropped += atomic_load_explicit(&w->samples_dropped, memory_order_relaxed);
        out->events_ignored += atomic_load_explicit(&w->events_ignored, memory_order_relaxed);
        out->cookies_dropped += atomic_load_explicit(&w->cookies_dropped, memory_order_relaxed);
        uint64_t lag = atomic_exchange_explicit(&w->loop_lag_max_ns, 0, memory_order_relaxed);
        if (lag > out->loop_lag_max_ns) out->loop_lag_max_ns = lag;
    }
}
